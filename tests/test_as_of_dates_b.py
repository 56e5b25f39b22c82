"""The graph as of a date in crte-of-town and france-services-near (issue 15), and the note a date outside
the graph's dated sources gets (no silent empty answer).

Expected answers are read here from the files: the CRTE list (2022-12), the ngeo table (COG 2023), the
geographic codes of 2021, 2023 and 2026 (`epci.json`, each in force on 1 January of its year) and the
France services list of 2024-08-01 (its `labellisation_fs`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys

import pytest

from pvd_graph import query
from tests.conftest import REPO, SHARED_DATA, SHARED_MORE_DATA
from tests.test_cross_programme_queries import _run as _rows

CODES = {2021: SHARED_MORE_DATA / "cog-2021", 2023: SHARED_MORE_DATA / "cog-2023", 2026: SHARED_DATA / "cog"}


@pytest.fixture(scope="module")
def graph(enlarged_build):
    return query.open_graph(enlarged_build)


@pytest.fixture(scope="module")
def files():
    members = {year: {m["code"]: e["code"] for e in json.loads((folder / "epci.json").read_text(encoding="utf-8"))
                      for m in e["membres"]} for year, folder in CODES.items()}
    with (SHARED_MORE_DATA / "crte_groupements_datagouv_2022-12.csv").open(encoding="utf-8", newline="") as fh:
        crte = list(csv.DictReader(fh))
    with (SHARED_MORE_DATA / "ngeo-anct-cog2023_zlv.csv").open(encoding="utf-8", newline="") as fh:
        ngeo = {r["insee_com"]: {v.strip() for v in r["id_crte"].split(";") if v.strip()} for r in csv.DictReader(fh)}
    with (SHARED_MORE_DATA / "liste-fs-20240801.csv").open(encoding="utf-8", newline="") as fh:
        offices = list(csv.DictReader(fh))
    return {"members": members, "crte": crte, "ngeo": ngeo, "offices": offices}


def _code_in_force(day: str) -> int:
    """The geographic code in force on *day* among those read (each from 1 January of its year)."""
    return max(y for y in CODES if f"{y}-01-01" <= day)


def _contracts_by_grouping(files):
    from pvd_graph.importers.crte import crte_slug

    out: dict[str, set[str]] = {}
    for r in files["crte"]:
        out.setdefault(r["siren_groupement"], set()).add(crte_slug(r["id_crte"]))
    return out


def _changed_epci_towns(files):
    """Communes whose EPCI differs between two of the codes, both EPCI being CRTE groupings of different
    contracts (e.g. 59192 Émerchicourt: 200042190 in 2021, 245901152 in 2023, 200042190 again in 2026)."""
    by_group, m = _contracts_by_grouping(files), files["members"]
    towns = set()
    for code in m[2026]:
        epcis = [m[y].get(code) for y in (2021, 2023, 2026)]
        for a, b in zip(epcis, epcis[1:]):
            if a != b and a in by_group and b in by_group and by_group[a] != by_group[b]:
                towns.add(code)
    return sorted(towns)


def test_crte_of_town_through_the_membership_valid_at_the_date(graph, files):
    """At a date, a commune's CRTE through a grouping are those of the EPCI it belonged to then (the code in
    force at the date), not today's; the contracts count from the list's vintage (2022-12, the list dates
    no signature): none at 2021-06-01; the ngeo table's coverage only from its vintage (2023)."""
    from pvd_graph.importers.crte import crte_slug

    by_group, m = _contracts_by_grouping(files), files["members"]
    towns = _changed_epci_towns(files)
    assert "59192" in towns and len(towns) >= 10
    for code in towns:
        for day in ("2022-12-15", "2023-06-01", "2026-06-01"):
            epci = m[_code_in_force(day)].get(code)
            expected = {(c, epci) for c in by_group.get(epci, ())}
            if day >= "2023-01-01":  # the ngeo table (COG 2023) is out: its contracts not reached by a grouping
                expected |= {(crte_slug(c), None) for c in files["ngeo"].get(code, ())
                             if crte_slug(c) not in {c2 for c2, _ in expected}}
            got = {(r["crte"], r["grouping"]) for r in _rows(graph, "crte-of-town", insee=code, date=day)}
            assert got == expected, (code, day)
        assert _rows(graph, "crte-of-town", insee=code, date="2021-06-01") == []
    # 59192 at 2023 is in CC Coeur d'Ostrevent, not today's CA de la Porte du Hainaut
    assert {r["grouping"] for r in _rows(graph, "crte-of-town", insee="59192", date="2023-06-01")} == {"245901152"}


def test_crte_of_town_without_a_date_is_todays(graph):
    """Without a date, the rows of the query text before this change (today's memberships)."""
    old = subprocess.run(["git", "-C", str(REPO), "show", "6f07eb9:queries/crte-of-town.rq"], capture_output=True,
                         text=True, check=True).stdout
    q = query.parse_header(old, "crte-of-town")
    for code in ("59192", "14659", "73011", "29155", "92012"):
        _, columns, rows = query.execute(graph, q, q.bindings({"insee": code}, graph))
        assert [tuple(query.plain(v) for v in r) for r in rows] == [
            tuple(query.plain(v) for v in r) for r in query.run_query(graph, "crte-of-town", {"insee": code})[1]]


def _labelled(office) -> str:
    d, mth, y = re.search(r"(\d{2})/(\d{2})/(\d{4})", office["labellisation_fs"]).groups()
    return f"{y}-{mth}-{d}"


def test_france_services_from_their_labellisation(graph, files):
    """An office counts from its labellisation date: absent the day before, present on the day (a few
    offices of communes that have one office only)."""
    from collections import Counter

    per_town = Counter(o["insee_com"] for o in files["offices"])
    sample = sorted((o for o in files["offices"] if per_town[o["insee_com"]] == 1 and _labelled(o) > "2021-06-01"),
                    key=lambda o: int(o["id_fs"]))[:6]
    assert sample
    for o in sample:
        day = _labelled(o)
        before = (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
        assert [r["office"] for r in _rows(graph, "france-services-near", insee=o["insee_com"], date=day)] == [o["id_fs"]]
        assert _rows(graph, "france-services-near", insee=o["insee_com"], date=before) == []


def test_france_services_of_an_epci_at_a_date(graph, files):
    """The EPCI filter at a date reads the membership valid then: the offices of a commune whose EPCI
    changed between the 2021 and 2023 codes are in its 2021 EPCI's answer at 2022-06-01 (the COG 2021 in
    force), labelled by then, and not in that EPCI's answer today."""
    m = files["members"]
    # communes still current (in an EPCI of 2026): a merged one's offices are its successor's in the graph
    offices = [o for o in files["offices"] if o["insee_com"] in m[2026] and m[2021].get(o["insee_com"])
               and m[2021][o["insee_com"]] != m[2026][o["insee_com"]] and _labelled(o) <= "2022-06-01"
               and m[2021][o["insee_com"]] in set(m[2026].values())]  # (a former EPCI is refused as `epci`)
    assert offices
    o = min(offices, key=lambda o: int(o["id_fs"]))
    then = m[2021][o["insee_com"]]
    expected = {x["id_fs"] for x in files["offices"] if m[2021].get(x["insee_com"]) == then and x["insee_com"] in m[2026]
                and _labelled(x) <= "2022-06-01"}
    assert o["id_fs"] in expected
    assert {r["office"] for r in _rows(graph, "france-services-near", epci=then, date="2022-06-01")} == expected
    assert o["id_fs"] not in {r["office"] for r in _rows(graph, "france-services-near", epci=then)}


@pytest.mark.parametrize("day, says", [("2000-01-01", "before the oldest dated source of this graph (2021-01-01)"),
                                       ("2030-01-01", "after the newest vintage of this graph's sources (2026-01-01)")])
def test_a_date_outside_the_sources_is_said(enlarged_build, graph, day, says):
    """Through the CLI: one line on stderr, exit 0, the rows those of the API. The oldest dated source is the
    COG 2021 and the PVD list of 2021-01, the newest the COG 2026 (../shared/more-data/README.md)."""
    done = subprocess.run([sys.executable, "-m", "pvd_graph", "query", "crte-of-town", "--graph", str(enlarged_build),
                           "--param", "insee=59192", "--param", f"date={day}", "--format", "csv"],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and says in lines[0] and lines[0].startswith(f"pvd-graph query: date {day} is "), lines
    columns, rows = query.run_query(graph, "crte-of-town", {"insee": "59192", "date": day})
    assert done.stdout.splitlines() == query.format_rows(columns, rows, "csv").splitlines()
    notes: list[str] = []
    query.load_catalogue()["crte-of-town"].bindings({"insee": "59192", "date": "2023-06-01"}, graph, notes)
    assert notes == []  # a date within the sources: nothing said
