"""Territoires d'industrie (2nd generation): territories, member EPCI read in the COG 2023, the
communes of member EPCI as derived participations, and the conformance of the enlarged build.

Expectations are computed here from the files: the TI GeoJSON, the COG 2023 EPCI and the COG 2026.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from pvd_graph import importers
from pvd_graph.identifiers import commune_iri, epci_iri
from pvd_graph.importers import anct_ti
from pvd_graph.namespaces import OX, ids, named_graph_iri

MORE_DATA = Path(__file__).resolve().parents[2] / "shared" / "more-data"
TI_FILE = MORE_DATA / "superposeur-anct_ti_geom_2024-09.geojson"
COG_2023_EPCI = MORE_DATA / "cog-2023" / "epci.json"
SOURCES = importers.KNOWN_SOURCES


def _json(path: Path):
    assert path.is_file(), f"missing {path} (see ../shared/more-data/README.md)"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def expected(shared_data):
    """From the files: territory id → (name, {member IRI}), the unknown members, communes of member EPCI."""
    epci_2023 = {e["code"]: {m["code"] for m in e["membres"]} for e in _json(COG_2023_EPCI)}
    communes = _json(shared_data / "cog" / "communes.json")
    current = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    by_siren = {c["siren"]: c["code"] for c in communes if c.get("siren") and c["type"] == "commune-actuelle"}
    territories, unknown, towns_stated, towns_derived = {}, [], set(), set()
    for i, f in enumerate(_json(TI_FILE)["features"]):
        p = f["properties"]
        members = set()
        for part in p["liste_geo"].split(";"):
            name, siren = re.fullmatch(r"(.+?) \((\d{9})\)", part.strip()).groups()
            if siren in epci_2023:
                members.add(epci_iri(siren))
                towns_derived |= epci_2023[siren] & current
            elif siren in by_siren:
                members.add(commune_iri(by_siren[siren]))
                towns_stated.add(by_siren[siren])
            else:
                unknown.append((i, f"{name} ({siren})"))
        territories[p["id_territoire"]] = (p["lib_territoire"].strip(), members)  # trailing no-break spaces
    return territories, unknown, towns_stated, towns_derived - towns_stated


@pytest.fixture(scope="module")
def imported(shared_data):
    run = importers.ImportRun()
    for sid, path in (("cog-communes", shared_data / "cog" / "communes.json"),
                      ("cog-epci", shared_data / "cog" / "epci.json"), ("cog-2023-epci", COG_2023_EPCI)):
        assert importers.import_file(path, SOURCES[sid], run).error is None
    assert importers.detect(TI_FILE) is SOURCES["anct-ti"]
    return importers.import_file(TI_FILE, run=run)


def _objects(result, predicate) -> dict[str, set[str]]:
    found = defaultdict(set)
    for t in result.triples:
        if t.predicate == predicate:
            found[t.subject.value].add(t.object.value)
    return found


def test_every_territory_has_an_iri_carrying_its_generation(imported, expected):
    territories, *_ = expected
    assert imported.error is None and imported.rows_accepted == imported.rows_read == len(territories)
    typed = {t.subject.value for t in imported.triples if t.object == OX.IndustryTerritory}
    assert typed == {ids.path(f"territory/ti-2-{tid}") for tid in territories}
    labels = {t.subject.value: t.object.value for t in imported.triples if t.predicate.value.endswith("#label")}
    assert {tid: labels[ids.path(f"territory/ti-2-{tid}")] for tid in territories} == \
        {tid: name for tid, (name, _) in territories.items()}
    # the file's id is a value, never a key alone: no resource is named by it without the generation
    assert not any(t.subject.value.endswith(f"/{tid}") for t in imported.triples for tid in territories)


def test_member_epci_of_each_territory_are_those_of_the_list_in_the_cog_2023(imported, expected):
    territories, *_ = expected
    members = _objects(imported, OX.hasMember)
    assert {tid: members.get(ids.path(f"territory/ti-2-{tid}"), set()) for tid in territories} == \
        {tid: m for tid, (_, m) in territories.items()}
    participants = _objects(imported, OX.participant)
    stated = {next(iter(v)) for v in participants.values()}
    assert stated == set().union(*(m for _, m in territories.values()))


def test_an_unknown_siren_is_a_rejects_line_naming_file_feature_field(imported, expected):
    _, unknown, *_ = expected
    assert unknown  # the établissements publics territoriaux of Greater Paris
    found = [(w.line, w.value) for w in imported.warnings if w.field == "liste_geo"]
    assert found == unknown
    assert all(w.file == str(TI_FILE) and w.reason == anct_ti.UNKNOWN_SIREN for w in imported.warnings)


def test_without_the_cog_of_the_lists_vintage_the_file_is_refused(shared_data):
    run = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", SOURCES["cog-communes"], run)
    result = importers.import_file(TI_FILE, run=run)
    assert result.error and "cog-2023/epci.json" in result.error and not result.lines


def test_communes_of_member_epci_are_in_ti_as_derived_facts(enlarged_build, expected):
    from pvd_graph import store

    _, _, stated, derived = expected
    ds = store.open_built(enlarged_build, graphs="named")
    prog = ids.programme("ti")

    def participants(graph: str) -> set[str]:
        rows = ds.select(f"""SELECT ?t WHERE {{ GRAPH <{named_graph_iri(graph)}> {{
            ?p a <{OX.Participation.value}> ; <{OX.participant.value}> ?t ; <{OX.inProgramme.value}> <{prog}> .
            ?t <{OX.participatesIn.value}> <{prog}> }} }}""")
        return {t.value for (t,) in rows}

    assert participants("derived") == {commune_iri(c) for c in derived}
    assert {t for t in participants("anct-ti") if "/commune/" in t} == {commune_iri(c) for c in stated}
    # marked inferred: derived from the EPCI's participation, never listed in a source
    listed = ds.select(f"""SELECT ?p WHERE {{ GRAPH <{named_graph_iri('derived')}> {{
        ?p <{OX.inProgramme.value}> <{prog}> }} ?p <{OX.listedIn.value}> ?s }}""")
    assert list(listed) == []


def test_the_enlarged_build_conforms_with_the_ti_graph(enlarged_build, expected):
    territories, *_ = expected
    report = (enlarged_build / "validation.txt").read_text(encoding="utf-8")
    assert report.count("Violation") == 0, report[:2000]
    # a territory whose members are all unknown to the COG (établissements publics territoriaux) is a warning
    empty = {tid for tid, (_, members) in territories.items() if not members}
    assert empty
    warned = {line.split("id:territory/ti-2-", 1)[1].split(" ", 1)[0] for line in report.splitlines()
              if line.startswith("Warning: id:territory/ti-2-") and "pvd:hasMember" in line}
    assert warned == empty
