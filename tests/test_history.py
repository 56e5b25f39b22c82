"""Communes through time (issue 15): INSEE's merger and split tables, former communes, Hesdin.

Every expectation is computed here from the tables and the COG files with the csv and json modules.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import SHARED_MORE_DATA
from pvd_graph import importers
from pvd_graph.importers import insee_history
from pvd_graph.namespaces import PREFIXES, ids

MERGERS = SHARED_MORE_DATA / "insee_fusions_communes_zlv.csv"
SPLITS = SHARED_MORE_DATA / "insee_scissions_communes_zlv.csv"
COMMUNE = ids.commune("")


def _rows(path: Path) -> list[tuple[str, str, str, str, str]]:
    """(year, code before, code after, name before, name after), the codes with their leading zero."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [(r["ANNEE_MODIF"], r["COM_INI"].zfill(5), r["COM_FIN"].zfill(5), r["LIB_COM_INI"], r["LIB_COM_FIN"])
                for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def cog(shared_data) -> list[dict]:
    return json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def history(tmp_path_factory, shared_data) -> tuple[dict[str, importers.ImportResult], ox.Store]:
    """The COG communes and both tables imported together; their triples in one store."""
    folder = tmp_path_factory.mktemp("history")
    (folder / "cog").mkdir()
    (folder / "cog" / "communes.json").symlink_to(shared_data / "cog" / "communes.json")
    for table in (MERGERS, SPLITS):
        (folder / table.name).symlink_to(table)
    results, _ = importers.import_directory(folder)
    by_id = {r.source.id: r for r in results}
    for sid in ("insee-fusions", "insee-scissions"):
        assert by_id[sid].error is None, by_id[sid].error
    store = ox.Store()
    store.bulk_load(b"".join(r.ntriples() for r in results), format=ox.RdfFormat.N_TRIPLES)
    return by_id, store


def _select(store: ox.Store, query: str) -> list[tuple]:
    head = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
    return [tuple(None if t is None else t.value for t in row) for row in store.query(head + query)]


def _code(iri: str) -> str:
    return iri[len(COMMUNE):].split("-until-")[0]


def test_every_merger_row_gives_its_link(history):
    """Each row whose commune before is not the commune after: a former commune of that code, with the table's
    name, ending on 1 January of the table's year, replaced by a commune of the code after (both ways)."""
    _, store = history
    found = {(code, year, name, _code(after)) for code, year, until, name, after in _select(store, """
        SELECT ?code ?year ?until ?name ?after WHERE {
          ?f a pvd:FormerCommune ; pvd:formerInseeCode ?code ; pvd:modificationYear ?year ; pvd:validUntil ?until ;
             rdfs:label ?name ; dcterms:isReplacedBy ?after . ?after dcterms:replaces ?f .
          FILTER (STR(?until) = CONCAT(STR(?year), "-01-01") && DATATYPE(?until) = xsd:date) }""")}
    expected = {(ini, year, name, fin) for year, ini, fin, name, _ in _rows(MERGERS) + _rows(SPLITS) if ini != fin}
    assert len(expected) == sum(1 for r in _rows(MERGERS) + _rows(SPLITS) if r[1] != r[2])  # one link per row
    assert expected <= found, sorted(expected - found)[:5]


def test_former_code_iri_only_when_not_current(history, cog):
    """``commune/{code}`` is a former commune only for a code that is not current; a current code's former
    communes are versioned (``commune/{code}-until-{year}``), and no current commune is typed former."""
    _, store = history
    current = {c["code"] for c in cog if c["type"] == "commune-actuelle"}
    formers = [f for (f,) in _select(store, "SELECT ?f WHERE { ?f a pvd:FormerCommune }")]
    assert formers
    for f in formers:
        if "-until-" not in f:
            assert _code(f) not in current, f
    both = _select(store, "SELECT ?f WHERE { ?f a pvd:FormerCommune , pvd:Commune }")
    assert both == []
    # every table row whose code before is current is versioned
    for year, ini, fin, _, _ in _rows(MERGERS):
        if ini != fin and ini in current:
            assert ids.commune(f"{ini}-until-{year}") in formers, (year, ini)


def test_one_end_per_former_commune_and_no_cycle(history):
    """The versioning keeps each former commune to one end date, and the replacement links go forward in time."""
    _, store = history
    twice = _select(store, """SELECT ?f WHERE { ?f pvd:validUntil ?a , ?b FILTER (?a != ?b) }""")
    assert twice == []
    backwards = _select(store, """SELECT ?f ?s WHERE { ?f pvd:validUntil ?a ; dcterms:isReplacedBy ?s .
                                   ?s pvd:validUntil ?b FILTER (?b <= ?a) }""")
    assert backwards == []


def test_four_digit_codes_get_their_leading_zero(history):
    by_id, store = history
    with MERGERS.open(encoding="utf-8", newline="") as fh:
        short = [r for r in csv.DictReader(fh) if len(r["COM_INI"]) == 4]
    assert short
    assert by_id["insee-fusions"].figures[insee_history.RESTORED] == len(short)
    codes = {c for (c,) in _select(store, "SELECT ?c WHERE { ?f pvd:formerInseeCode ?c }")}
    assert {"0" + r["COM_INI"] for r in short if r["COM_INI"] != r["COM_FIN"]} <= codes
    assert not any(len(c) == 4 for c in codes)


def test_cross_check_with_anciens_codes(history, cog):
    """Following the table's links from each former commune to a current one: where the COG's ``anciensCodes``
    put the former code, or a warning naming both; the figures add up to the former communes."""
    by_id, store = history
    listed = {old: c["code"] for c in cog if c["type"] == "commune-actuelle" for old in c.get("anciensCodes", ())}
    result = by_id["insee-fusions"]
    figures = {k: v for k, v in result.figures.items() if k.startswith("former communes whose successors")}
    warned = {w.value for w in result.noted if "anciensCodes" in w.reason or "lists" in w.reason}
    formers = _select(store, "SELECT DISTINCT ?f WHERE { ?f a pvd:FormerCommune ; pvd:validUntil ?u }")
    merger_formers = {f for (f,) in _select(store, "SELECT ?f WHERE { ?f pvd:modificationYear ?y }")}
    assert 0 < sum(figures.values()) <= len(merger_formers) <= len(formers)
    agree = figures["former communes whose successors lead where the COG anciensCodes say"]
    assert agree > 0
    # each former code that no current commune lists, or lists under another code, is noted (rows kept whole)
    rows = [r for r in _rows(MERGERS) if r[1] != r[2]]
    for year, ini, fin, _, _ in rows:
        if ini not in listed:
            assert ini in warned, ini


def test_hesdin(history, cog):
    """62447: the 2021 PVD list's Hesdin is the former commune ``commune/62447-until-2025``, replaced on
    2025-01-01 by Hesdin-la-Forêt, ``commune/62447``, which also replaces the three communes it absorbed
    (``anciensCodes`` of the COG 2026)."""
    _, store = history
    (hesdin_la_foret,) = [c for c in cog if c["code"] == "62447" and c["type"] == "commune-actuelle"]
    with (SHARED_MORE_DATA.parent / "data" / "anct_pvd_communes_2021.csv").open(encoding="utf-8") as fh:
        (listed,) = [r["lib_com"] for r in csv.DictReader(fh) if r["insee_com"] == "62447"]
    former = ids.commune("62447-until-2025")
    rows = _select(store, f"""SELECT ?name ?until ?code WHERE {{ <{former}> a pvd:FormerCommune ; rdfs:label ?name ;
                               pvd:validUntil ?until ; pvd:formerInseeCode ?code ;
                               dcterms:isReplacedBy <{ids.commune("62447")}> }}""")
    assert rows == [(listed, "2025-01-01", "62447")]
    replaced = {r for (r,) in _select(store, f"SELECT ?r WHERE {{ <{ids.commune('62447')}> dcterms:replaces ?r }}")}
    assert replaced == {former, *(ids.commune(c) for c in hesdin_la_foret["anciensCodes"])}
    # the three absorbed communes existed in the COG 2023 and are former communes of 2025
    c2023 = json.loads((SHARED_MORE_DATA / "cog-2023" / "communes.json").read_text(encoding="utf-8"))
    current_2023 = {c["code"]: c["nom"] for c in c2023 if c["type"] == "commune-actuelle"}
    for code in hesdin_la_foret["anciensCodes"]:
        assert _select(store, f"""SELECT ?name WHERE {{ <{ids.commune(code)}> a pvd:FormerCommune ; rdfs:label ?name ;
                                   pvd:validUntil "2025-01-01"^^xsd:date }}""") == [(current_2023[code],)]
    assert current_2023["62447"] == listed
    # the code stayed, the commune changed: the current commune is another legal person (its SIREN)
    assert not insee_history._old_siren("62447", hesdin_la_foret["siren"])


# --- the national graph (both folders): derived links, participations of former communes ---------------

@pytest.fixture(scope="module")
def graph(enlarged_build) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(enlarged_build / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def _union(store: ox.Store, query: str) -> list[tuple]:
    head = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
    return [tuple(None if t is None else t.value for t in row)
            for row in store.query(head + query, use_default_graph_as_union=True)]


def test_former_communes_are_carried_on_by_the_commune_the_table_leads_to(graph, cog):
    """Each merger row into a current commune that no later row changes: the former commune is carried on
    by that commune (``pvd:carriedOnBy``, in graph/derived only)."""
    current = {c["code"] for c in cog if c["type"] == "commune-actuelle"}
    rows = _rows(MERGERS) + _rows(SPLITS)
    changed_after = {(ini, year) for year, ini, *_ in rows}
    expected = {(ini, fin) for year, ini, fin, _, _ in rows
                if ini != fin and fin in current and not any(code == fin and y > year for code, y in changed_after)}
    carried = {(code, _code(now)) for code, now in _union(graph, """
        SELECT ?code ?now WHERE { GRAPH <https://w3id.org/pvd-graph/graph/derived> { ?f pvd:carriedOnBy ?now }
                                  ?f pvd:formerInseeCode ?code }""")}
    assert expected and expected <= carried, sorted(expected - carried)[:5]
    outside = _union(graph, """SELECT ?g WHERE { GRAPH ?g { ?f pvd:carriedOnBy ?now }
                                FILTER (?g != <https://w3id.org/pvd-graph/graph/derived>) }""")
    assert outside == []


def test_every_pvd_2021_town_that_merged_resolves_to_its_current_commune(graph, cog):
    """A PVD town of the 2021 list whose commune the tables change after the list (a merger of 2022 or later
    that made a commune nouvelle under its code): its participation names the former commune that the list
    meant (``pvd:formerParticipant``, the list's name), which its participant, the current commune of the
    same code, carries on. Hesdin (62447, 2025, after the tables) likewise."""
    with (SHARED_MORE_DATA.parent / "data" / "anct_pvd_communes_2021.csv").open(encoding="utf-8") as fh:
        towns = {r["insee_com"]: r["lib_com"] for r in csv.DictReader(fh)}
    siren = {c["code"]: c.get("siren", "") for c in cog if c["type"] == "commune-actuelle"}
    later = {(ini, year) for year, ini, fin, _, _ in _rows(MERGERS) if ini in towns and year > "2021"
             and (ini != fin or not insee_history._old_siren(ini, siren.get(ini, "")))}
    assert later  # 16206 (2023), whose commune nouvelle kept its code
    found = {(code, name, part, now) for part, code, name, now in _union(graph, f"""
        SELECT ?p ?code ?name ?now WHERE {{
          ?p a pvd:Participation ; pvd:inProgramme <{ids.programme("pvd")}> ; pvd:listedIn <{ids.source("anct-pvd")}> ;
             pvd:participant ?now ; pvd:formerParticipant ?f .
          ?f pvd:formerInseeCode ?code ; rdfs:label ?name ; pvd:carriedOnBy ?now }}""")}
    for code, year in later | {("62447", "2025")}:
        assert (code, towns[code], ids.participation(f"commune-{code}-pvd"), ids.commune(code)) in found, code
    # and only those: a town whose code named the same commune then and now has no former participant
    assert {code for code, *_ in found} == {code for code, _ in later} | {"62447"}


def test_no_violation_from_the_history(enlarged_build):
    report = (enlarged_build / "validation.txt").read_text(encoding="utf-8")
    assert "0 violations" in report
    assert "FormerCommune" not in report and "-until-" not in report


def test_ort_rows_of_former_communes_name_the_commune_that_carries_them_on(enlarged_build, cog):
    """The ORT rows whose commune is no longer current are never moved to another commune: the former commune's
    participation when INSEE's tables (or the sourced 2025 supplement) date its merger (tests/test_vintage_reading.py)
    or the COG 2023 shows it (merged after the tables, tests/test_undated_mergers.py), else rejected; either way the row's line names the current commune whose ``anciensCodes`` list the code,
    never a bare "not current"."""
    listed = {old: c["code"] for c in cog if c["type"] == "commune-actuelle" for old in c.get("anciensCodes", ())}
    current = {c["code"] for c in cog if c["type"] == "commune-actuelle"}
    ort = SHARED_MORE_DATA / "ort_suivi_conventions_zlv_2024-10.csv"
    with ort.open(encoding="utf-8", newline="") as fh:
        former = {r["Code commune"] for r in csv.DictReader(fh) if r["Code commune"] not in current}
    assert former and former <= set(listed)
    dated = {code for _, code, *_ in _rows(MERGERS)} | {row[1] for row in insee_history.LATER_MERGERS[0]}
    # merged after the tables: the former commune of the COG 2023 that shows it, its end bounded (test_undated_mergers)
    dated |= {c["code"] for c in json.loads((SHARED_MORE_DATA / "cog-2023" / "communes.json").read_text("utf-8"))
              if c["type"] == "commune-actuelle" and c["code"] in listed}
    with (enlarged_build / "rejects.csv").open(encoding="utf-8", newline="") as fh:
        reasons = {r["value"]: r["reason"] for r in csv.DictReader(fh)
                   if r["source"] == "anct-ort" and r["field"] == "code commune" and r["value"] in former}
    assert set(reasons) == former
    for code in former:
        assert f"a former code of commune {listed[code]}" in reasons[code], reasons[code]
        assert ("noted, nothing dropped" in reasons[code]) == (code in dated), reasons[code]


def test_rows_imported_whole_are_noted_never_counted_as_dropped_values(enlarged_build):
    """A row that lands whole (a former commune's code read as that commune) is `noted` in rejects.csv:
    no `value dropped` line says nothing was dropped, and each former code of the ORT table that INSEE
    dates is there as noted."""
    with (enlarged_build / "rejects.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    noted = [r for r in rows if r["outcome"] == "noted"]
    assert noted and all("nothing dropped" in r["reason"] for r in noted)
    assert not [r for r in rows if r["outcome"] != "noted" and "nothing dropped" in r["reason"]]
    assert {r["source"] for r in noted} >= {"insee-fusions", "anct-ort"}
