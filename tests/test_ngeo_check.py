"""The ngeo table's ids of PVD, TI, ACV, ACV 2 and VA (table entries, never participations) and the
cross-check of each programme file against them (conflicts.csv). Expectations from the files."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from pvd_graph import importers
from pvd_graph.build.swap import CONFLICTS_CSV
from pvd_graph.identifiers import commune_iri
from pvd_graph.importers.anct_ngeo import CHECKED, NOT_CURRENT, entry_iri
from pvd_graph.namespaces import OX, OXC

MORE_DATA = Path(__file__).resolve().parents[2] / "shared" / "more-data"
NGEO_CSV = MORE_DATA / "ngeo-anct-cog2023_zlv.csv"
VA_FILE = MORE_DATA / "superposeur-anct_va_geom_2024-09.geojson"
TI_FILE = MORE_DATA / "superposeur-anct_ti_geom_2024-09.geojson"
PVD_FILE = MORE_DATA / "superposeur-anct_pvd_geom_2024-09.geojson"
FS_FILE = MORE_DATA / "liste-fs-20240801.csv"


def _cells(value: str) -> set[str]:
    return {v.strip() for v in value.split(";") if v.strip() and v.strip() not in ("NA", "-")}


@pytest.fixture(scope="module")
def cog(shared_data):
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    current = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    by_siren = {c["siren"]: c["code"] for c in communes if c.get("siren") and c["type"] == "commune-actuelle"}
    return current, by_siren


@pytest.fixture(scope="module")
def table(cog) -> dict[str, dict[str, set[str]]]:
    """programme slug → commune IRI → ids, for the current communes of the ngeo table."""
    current, _ = cog
    found: dict[str, dict[str, set[str]]] = defaultdict(dict)
    with NGEO_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for column, slug in CHECKED.items():
                if _cells(row[column]) and row["insee_com"] in current:
                    found[slug][commune_iri(row["insee_com"])] = _cells(row[column])
    return found


def test_the_table_entries_are_the_ids_of_current_communes(shared_data, table, cog):
    run = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", importers.KNOWN_SOURCES["cog-communes"], run)
    result = importers.import_file(NGEO_CSV, run=run)
    got: dict[str, set[str]] = defaultdict(set)
    for t in result.triples:
        if t.predicate == OXC.identifier:
            got[t.subject.value].add(t.object.value)
    assert got == {entry_iri(town.rsplit("/", 1)[-1], slug): values
                   for slug, towns in table.items() for town, values in towns.items()}
    assert not any(t.predicate == OX.participant and "-crte" not in t.subject.value for t in result.triples)
    # values on codes merged since are counted, not compared
    current, _ = cog
    with NGEO_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    stale = {c: sum(1 for r in rows if _cells(r[c]) and r["insee_com"] not in current) for c in CHECKED}
    assert {w.field: w.value for w in result.warnings if w.reason == NOT_CURRENT} == \
        {c: f"{n} values" for c, n in stale.items() if n}


def _va(current, successor=None) -> dict[str, set[str]]:
    """commune IRI → no id; with *successor* (former code → current commune), a village merged since counts for
    the commune that carries it on (the list is read in the COG 2023: its participation is the former commune's)."""
    towns = {}
    for f in json.loads(VA_FILE.read_text(encoding="utf-8"))["features"]:
        code = re.fullmatch(r".+ \((\w{5})\)", f["properties"]["liste_geo"].strip()).group(1)
        if code not in current and successor:
            code = successor.get(code, code)
        if code in current:
            towns[commune_iri(code)] = set()  # the list's village id is not imported: no id compared
    return towns


def _carried_on(shared_data, current) -> tuple[dict[str, str], dict[str, dict[str, set[str]]]]:
    """(former code → the current commune whose ``anciensCodes`` list it, slug → commune IRI → the ids the ngeo
    table gives its former communes): the cross-check counts a former commune's entry for the commune carrying it on
    (every commune of the table merged since is a former commune of the enlarged build: test_ngeo_vintage)."""
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    successor = {old: c["code"] for c in communes if c["type"] == "commune-actuelle" for old in c.get("anciensCodes") or ()}
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    with NGEO_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["insee_com"] not in current:
                for column, slug in CHECKED.items():
                    found[slug][commune_iri(successor[row["insee_com"]])] |= _cells(row[column])
    return successor, found


def _ti(shared_data, by_siren) -> dict[str, set[str]]:
    """commune IRI → the ids of the territories it is in (directly or through a member EPCI of the COG 2023)."""
    epci_2023 = {e["code"]: {m["code"] for m in e["membres"]}
                 for e in json.loads((MORE_DATA / "cog-2023" / "epci.json").read_text(encoding="utf-8"))}
    current = {c for c in by_siren.values()}
    stated, derived = defaultdict(set), defaultdict(set)
    for f in json.loads(TI_FILE.read_text(encoding="utf-8"))["features"]:
        tid = f["properties"]["id_territoire"]
        for siren in re.findall(r"\((\d{9})\)", f["properties"]["liste_geo"]):
            if siren in epci_2023:
                for code in epci_2023[siren] & current:
                    derived[commune_iri(code)].add(tid)
            elif siren in by_siren:
                stated[commune_iri(by_siren[siren])].add(tid)
    # a commune the list names itself keeps only that participation, but its ids are every territory naming it
    return {town: stated.get(town, set()) | derived.get(town, set()) for town in set(stated) | set(derived)}


def _pvd(current) -> dict[str, set[str]]:
    codes = set()
    for f in json.loads(PVD_FILE.read_text(encoding="utf-8"))["features"]:
        codes |= set(re.findall(r"\((\w{5})\)", f["properties"]["liste_geo"]))
    return {commune_iri(c): set() for c in codes & current}


def _fs(shared_data) -> dict[str, set[str]]:
    """commune IRI → the ids (``id_fs``) of the France services offices located in it: the list's
    ``insee_com`` when a current commune, else the commune of the arrondissement municipal or the
    current commune whose ``anciensCodes`` name it (COG 2026)."""
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    where = {old: c["code"] for c in communes if c["type"] == "commune-actuelle" for old in c.get("anciensCodes") or ()}
    where |= {c["code"]: c["commune"] for c in communes if c["type"] == "arrondissement-municipal"}
    where |= {c["code"]: c["code"] for c in communes if c["type"] == "commune-actuelle"}
    offices = defaultdict(set)
    with FS_FILE.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            offices[commune_iri(where[row["insee_com"]])].add(str(int(row["id_fs"])))
    return offices


def _expected(listed: dict[str, set[str]], table: dict[str, set[str]], slug: str, source: str) -> set[tuple]:
    def show(account, town):
        return f"{slug} ({' ; '.join(sorted(account[town])) or 'listed'})" if town in account else "(none)"

    lines = set()
    for town in set(listed) | set(table):
        if (town in listed) != (town in table):
            lines.add((town, OX.participatesIn.value, show(listed, town), source, show(table, town), "anct-ngeo"))
        elif listed[town] and listed[town] != table[town]:
            lines.add((town, OX.programmeId.value, " ; ".join(sorted(listed[town])), source,
                       " ; ".join(sorted(table[town])), "anct-ngeo"))
    return lines


def test_each_programme_file_disagreement_with_the_table_is_in_conflicts_csv(enlarged_build, shared_data, table, cog):
    current, by_siren = cog
    with open(enlarged_build / CONFLICTS_CSV, encoding="utf-8") as fh:
        found = defaultdict(set)
        for r in csv.DictReader(fh):
            if r["dropped_source"] == "anct-ngeo":
                found[r["kept_source"]].add((r["subject"], r["property"], r["kept"], r["kept_source"],
                                             r["dropped"], r["dropped_source"]))
    successor, former = _carried_on(shared_data, current)
    for source, listed, slug in (("anct-va", _va(current, successor), "va"), ("anct-ti", _ti(shared_data, by_siren), "ti"),
                                 ("anct-pvd-2024-08", _pvd(current), "pvd"),
                                 ("anct-france-services", _fs(shared_data), "france-services")):
        entries = {town: table[slug].get(town, set()) | former[slug].get(town, set())
                   for town in set(table[slug]) | {t for t, ids in former[slug].items() if ids}}
        expected = _expected(listed, entries, slug, source)
        assert found[source] == expected, (source, len(found[source]), len(expected))
    assert set(found) <= set(importers.KNOWN_SOURCES) - {"anct-ngeo"}
