"""Communes of the COG 2023 merged after INSEE's tables (2025 or 2026; issue 15): former communes whose end is
bounded by the vintages, their list rows imported, not rejected.

Every expectation is computed here from the files: the lists (ngeo table, Villages d'avenir, ORT table), the COG
2023 and 2026 (``anciensCodes``) and INSEE's merger and split tables (plus the importer's sourced supplement of
2025, Hesdin-la-Forêt, :data:`pvd_graph.importers.insee_history.LATER_MERGERS`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pytest

from conftest import SHARED_MORE_DATA
from pvd_graph.importers import insee_history
from pvd_graph.namespaces import OX, ids

NGEO = SHARED_MORE_DATA / "ngeo-anct-cog2023_zlv.csv"
VA = SHARED_MORE_DATA / "superposeur-anct_va_geom_2024-09.geojson"
ORT = SHARED_MORE_DATA / "ort_suivi_conventions_zlv_2024-10.csv"
TABLES = (SHARED_MORE_DATA / "insee_fusions_communes_zlv.csv", SHARED_MORE_DATA / "insee_scissions_communes_zlv.csv")


def _csv(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _crte(row: dict) -> list[str]:
    return [v.strip() for v in row["id_crte"].split(";") if v.strip()]


@pytest.fixture(scope="module")
def files(shared_data):
    """Each list's codes (source id → (programme slug, codes)), the undated ones (code → (2023 name, successor)):
    a commune of the COG 2023, not current, a former code of a 2026 commune, whose end no row of the tables gives
    (none after 2023); the merger table's last year."""
    in_2023 = {c["code"]: c["nom"] for c in json.loads((SHARED_MORE_DATA / "cog-2023" / "communes.json").read_text("utf-8"))
               if c["type"] == "commune-actuelle"}
    now = [c for c in json.loads((shared_data / "cog" / "communes.json").read_text("utf-8"))
           if c["type"] == "commune-actuelle"]
    current = {c["code"] for c in now}
    successor = {old: c["code"] for c in now for old in c.get("anciensCodes") or ()}
    # the codes whose commune of the COG 2023 the tables end (a change after 1 January 2023), or the supplement
    dated = {row[1] for row in insee_history.LATER_MERGERS[0]}
    last_year = "0"
    for table in TABLES:
        for r in _csv(table):
            if r["ANNEE_MODIF"] > "2023":
                dated.add(r["COM_INI"].zfill(5))
            if table == TABLES[0]:
                last_year = max(last_year, r["ANNEE_MODIF"])
    va = [re.fullmatch(r".+ \((\w{5})\)", f["properties"]["liste_geo"].strip()).group(1)
          for f in json.loads(VA.read_text("utf-8"))["features"]]
    lists = {"anct-ngeo": ("crte", [r["insee_com"] for r in _csv(NGEO) if _crte(r)]),
             "anct-va": ("va", va), "anct-ort": ("ort", [r["Code commune"] for r in _csv(ORT)])}
    undated = {c: (in_2023[c], successor[c]) for _, codes in lists.values() for c in codes
               if c not in current and c in successor and c not in dated and c in in_2023}
    return lists, undated, last_year


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_data):
    """The COG 2026 and 2023, INSEE's tables and the three lists built together (derivations included)."""
    from pvd_graph.build import build_graph

    folder = tmp_path_factory.mktemp("undated")
    for name in ("cog", ):
        (folder / name).symlink_to(shared_data / name)
    (folder / "cog-2023").symlink_to(SHARED_MORE_DATA / "cog-2023")
    for path in (*TABLES, NGEO, VA, ORT):
        (folder / path.name).symlink_to(path)
    return build_graph(folder, run_validation=False)


def test_the_files_have_such_communes(files):
    lists, undated, last_year = files
    assert last_year == "2024"  # the tables' last year (ontology/README.md, "Communes through time")
    by_list = {sid: {c for c in codes if c in undated} for sid, (_, codes) in lists.items()}
    assert all(by_list.values()), by_list  # each of the three lists names some


def test_each_resolves_to_the_commune_that_took_its_code_with_a_bounded_end(built, files):
    """Each such code is the former commune ``commune/{code}`` (never a current commune), named as in the COG 2023,
    carried on by the 2026 commune whose ``anciensCodes`` list it, with no end date but its bounds: not before
    1 January after the tables' last year (they do not name it), not after 1 January 2026 (the COG 2026 lacks it)."""
    _, undated, last_year = files
    ds = built.dataset
    not_before = dt.date(int(max(last_year, "2023")) + 1, 1, 1).isoformat()
    got = {}
    for f, label, now, lo, hi in ds.select(f"""SELECT ?f ?label ?now ?lo ?hi WHERE {{
            ?f a <{OX.FormerCommune.value}> ; <{OX.formerInseeCode.value}> ?code ; <{OX.carriedOnBy.value}> ?now ;
               <http://www.w3.org/2000/01/rdf-schema#label> ?label ;
               <{OX.validUntilNotBefore.value}> ?lo ; <{OX.validUntilNotAfter.value}> ?hi .
            FILTER NOT EXISTS {{ ?f <{OX.validUntil.value}> [] }} }}""", union=True):
        got[f.value] = (label.value, now.value, lo.value, hi.value)
    assert {k: v for k, v in got.items() if k in {ids.commune(c) for c in undated}} == {
        ids.commune(c): (name, ids.commune(s), not_before, "2026-01-01") for c, (name, s) in undated.items()}
    assert not [c for c in undated if ds.query(f"ASK {{ <{ids.commune(c)}> a <{OX.Commune.value}> }}", union=True)]
    # the bounds are derived facts, never the importers'
    derived = {f.value for (f,) in ds.select(f"""SELECT ?f WHERE {{ GRAPH <https://w3id.org/pvd-graph/graph/derived> {{
        ?f <{OX.validUntilNotBefore.value}> [] ; <{OX.validUntilNotAfter.value}> [] }} }}""")}
    assert {ids.commune(c) for c in undated} <= derived


def test_their_rows_are_participations_no_longer_rejected(built, files):
    """Each list's row of such a code is the former commune's participation, noted ("nothing dropped"), not
    rejected; ngeo: the participations are the rows with a CRTE minus the rejects, none of which is such a code."""
    lists, undated, _ = files
    ds = built.dataset
    for result in built.imports:
        if result.source.id not in lists:
            continue
        programme, codes = lists[result.source.id]
        mine = {c for c in codes if c in undated}
        assert not {r.value for r in result.rejects} & mine, result.source.id
        assert mine <= {n.value for n in result.noted}
        parts = {(p.value, t.value) for p, t in ds.select(f"""SELECT ?p ?t WHERE {{ ?p <{OX.participant.value}> ?t ;
            <{OX.inProgramme.value}> <{ids.programme(programme)}> ; <{OX.listedIn.value}> <{ids.source(result.source.id)}> }}""",
                                                                 union=True)}
        assert {(ids.participation(f"commune-{c}-{programme}"), ids.commune(c)) for c in mine} <= parts
        if result.source.id == "anct-ngeo":
            rejected = {r.value for r in result.rejects}
            assert len({p for p, _ in parts}) == len(set(codes)) - len(rejected) == result.rows_accepted
