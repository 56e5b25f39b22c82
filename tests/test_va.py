"""Villages d'avenir: one participation per listed commune that is current in the COG of the import;
the others rejected with the reason. Expectations are computed from the GeoJSON and the COG 2026."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pvd_graph import importers
from pvd_graph.identifiers import commune_iri
from pvd_graph.namespaces import OX, ids, named_graph_iri

VA_FILE = Path(__file__).resolve().parents[2] / "shared" / "more-data" / "superposeur-anct_va_geom_2024-09.geojson"


@pytest.fixture(scope="module")
def expected(shared_data):
    """(current listed codes, {feature index: code} of the others), from the files."""
    assert VA_FILE.is_file(), f"missing {VA_FILE} (see ../shared/more-data/README.md)"
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    current = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    listed = {i: re.fullmatch(r".+ \((\w{5})\)", f["properties"]["liste_geo"].strip()).group(1)
              for i, f in enumerate(json.loads(VA_FILE.read_text(encoding="utf-8"))["features"])}
    return {c for c in listed.values() if c in current}, {i: c for i, c in listed.items() if c not in current}


@pytest.fixture(scope="module")
def imported(shared_data):
    run = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", importers.KNOWN_SOURCES["cog-communes"], run)
    assert importers.detect(VA_FILE) is importers.KNOWN_SOURCES["anct-va"]
    return importers.import_file(VA_FILE, run=run)


def test_every_current_village_participates_in_va(imported, expected):
    towns, gone = expected
    assert imported.error is None and imported.rows_accepted == len(towns)
    participants = {t.object.value for t in imported.triples if t.predicate == OX.participant}
    assert participants == {commune_iri(c) for c in towns}
    shortcut = {t.subject.value for t in imported.triples
                if t.predicate == OX.participatesIn and t.object.value == ids.programme("va")}
    assert shortcut == participants


def test_a_code_not_current_is_rejected_with_its_feature(imported, expected):
    _, gone = expected
    assert gone  # communes merged since the list's COG 2023
    assert {r.line: r.value for r in imported.rejects} == gone
    assert all("not a current commune" in r.reason for r in imported.rejects)


def test_the_enlarged_build_has_the_va_programme(enlarged_build, expected):
    from pvd_graph import store

    towns, _ = expected
    ds = store.open_built(enlarged_build, graphs="named")
    rows = ds.select(f"""SELECT ?t WHERE {{ GRAPH <{named_graph_iri('anct-va')}> {{
        ?p <{OX.inProgramme.value}> <{ids.programme('va')}> ; <{OX.participant.value}> ?t }}
        GRAPH <{named_graph_iri('curated')}> {{ <{ids.programme('va')}> a <{OX.Programme.value}> }} }}""")
    # read in the COG 2023 (its vintage): a commune merged since whose end INSEE's tables date is the
    # former commune's participation, carried on by its successor; the others are rejected, saying why
    import csv

    from pvd_graph import resources

    towns, gone = expected
    with open(enlarged_build / resources.REJECTS_CSV, encoding="utf-8", newline="") as fh:
        refused = {r["value"] for r in csv.DictReader(fh)
                   if r["source"] == "anct-va" and r["outcome"] == "row rejected"}
    former = set(gone.values()) - refused
    assert refused <= set(gone.values())
    assert {t.value for (t,) in rows} == {commune_iri(c) for c in towns | former}
    union = store.open_built(enlarged_build)
    for code in former:
        assert union.query(f"ASK {{ <{commune_iri(code)}> a <{OX.FormerCommune.value}> ; <{OX.carriedOnBy.value}> ?now }}")
