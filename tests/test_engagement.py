"""ANCT's engagement schemes: one programme per scheme, a participation at the level each row gives,
the broken-reference row and the bodies the COG does not list rejected. Expectations from the files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pvd_graph import importers
from pvd_graph.identifiers import commune_iri, departement_iri, epci_iri, region_iri
from pvd_graph.namespaces import OX, OX_RDFS, ids, named_graph_iri

TEC_FILE = Path(__file__).resolve().parents[2] / "shared" / "more-data" / "liste_tec_te_2025-12.csv"
MINT = {"commune": commune_iri, "epci": epci_iri, "departement": departement_iri, "region": region_iri}


@pytest.fixture(scope="module")
def expected(shared_data):
    """{(participant IRI, programme slug)} of the rows that name a territory of the COG; {line: echelon} of the others."""
    assert TEC_FILE.is_file(), f"missing {TEC_FILE} (see ../shared/more-data/README.md)"
    cog = shared_data / "cog"
    epci = {e["code"] for e in json.loads((cog / "epci.json").read_text(encoding="utf-8"))}
    current = {c["code"] for c in json.loads((cog / "communes.json").read_text(encoding="utf-8"))
               if c["type"] == "commune-actuelle"}
    with TEC_FILE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    pairs, rejected = set(), {}
    for line, row in enumerate(rows, start=2):
        level, code = row["echelon"], row["codgeo"]
        if level in ("commune", "departement", "region"):  # the file lost the leading zeros (1053 is 01053)
            code = code.zfill(5 if level == "commune" else 2)
        if level not in MINT or (level == "epci" and code not in epci) or (level == "commune" and code not in current):
            rejected[line] = level
            continue
        pairs.add((MINT[level](code), row["dispositif"].lower()))
    return pairs, rejected


@pytest.fixture(scope="module")
def imported(shared_data):
    run = importers.ImportRun()
    for sid in ("cog-communes", "cog-epci"):
        importers.import_file(shared_data / "cog" / f"{sid[4:]}.json", importers.KNOWN_SOURCES[sid], run)
    assert importers.detect(TEC_FILE) is importers.KNOWN_SOURCES["anct-engagement"]
    return importers.import_file(TEC_FILE, run=run)


def _participations(triples) -> set[tuple[str, str]]:
    of = {}
    for t in triples:
        if t.predicate in (OX.participant, OX.inProgramme):
            of.setdefault(t.subject.value, {})[t.predicate] = t.object.value
    return {(p[OX.participant], p[OX.inProgramme].rsplit("/", 1)[-1]) for p in of.values()}


def test_each_row_is_a_participation_at_its_level_in_its_scheme(imported, expected):
    pairs, _ = expected
    assert imported.error is None
    assert _participations(imported.triples) == pairs
    programmes = {t.subject.value for t in imported.triples if t.object == OX.Programme}
    assert programmes == {ids.programme(slug) for _, slug in pairs}


def test_the_invalid_reference_and_the_bodies_not_in_the_cog_are_rejects(imported, expected):
    _, rejected = expected
    assert "#Invalid Ref: Nouvelle-Calédonie" in rejected.values()
    assert {r.line: r.field for r in imported.rejects} == \
        {line: "echelon" if level not in MINT else "codgeo" for line, level in rejected.items()}
    assert imported.rows_accepted + len(imported.rejects) == imported.rows_read


def test_every_scheme_of_the_enlarged_build_is_named(enlarged_build, expected):
    from pvd_graph import store

    pairs, _ = expected
    ds = store.open_built(enlarged_build, graphs="named")
    for slug in {s for _, s in pairs}:
        labels = list(ds.select(f"SELECT ?l WHERE {{ <{ids.programme(slug)}> <{OX_RDFS.label.value}> ?l }}", union=True))
        assert len(labels) == 1, slug
    rows = ds.select(f"""SELECT ?t ?prog WHERE {{ GRAPH <{named_graph_iri('anct-engagement')}> {{
        ?p <{OX.participant.value}> ?t ; <{OX.inProgramme.value}> ?prog }} }}""")
    assert {(t.value, prog.value.rsplit("/", 1)[-1]) for t, prog in rows} == pairs
