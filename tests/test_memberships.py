"""EPCI memberships per vintage, former EPCI and former names of the geographic code (issue 15).

Every expectation is computed here from the files: ``epci.json`` and ``communes.json`` of the COG
2021 and 2023 (``../shared/more-data/cog-2021``, ``cog-2023``) and 2026 (``../shared/data/cog``). A
vintage of the code is dated 1 January of its year; a dated node holds on ``[validFrom, validUntil)``.
"""

from __future__ import annotations

import csv
import json

import pyoxigraph as ox
import pytest

from conftest import SHARED_DATA, SHARED_MORE_DATA
from pvd_graph import query
from pvd_graph.identifiers import commune_iri, epci_iri
from pvd_graph.namespaces import PREFIXES

FOLDERS = {"2021": SHARED_MORE_DATA / "cog-2021", "2023": SHARED_MORE_DATA / "cog-2023", "2026": SHARED_DATA / "cog"}
VINTAGES = sorted(FOLDERS)
CHECK = "membership-current-violation"


def _load(year: str, name: str) -> list:
    return json.loads((FOLDERS[year] / name).read_text(encoding="utf-8"))


def members(year: str) -> set[tuple[str, str]]:
    """(INSEE code, SIREN) of every membership that year's ``epci.json`` lists."""
    return {(m["code"] if isinstance(m, dict) else m, e["code"]) for e in _load(year, "epci.json")
            for m in e.get("membres") or ()}


def names(year: str) -> dict[str, str]:
    return {c["code"]: c["nom"] for c in _load(year, "communes.json") if c["type"] == "commune-actuelle"}


def periods() -> set[tuple[str, str, str, str | None, tuple[str, ...]]]:
    """(INSEE, SIREN, from, until or None, the vintages showing it) of every continuous membership."""
    shown = {y: members(y) for y in VINTAGES}
    found = set()
    for pair in set().union(*shown.values()):
        run: list[str] = []
        for year in VINTAGES + [None]:
            if year is not None and pair in shown[year]:
                run.append(year)
            elif run:
                found.add((*pair, f"{run[0]}-01-01", None if year is None else f"{year}-01-01", tuple(run)))
                run = []
    return found


@pytest.fixture(scope="module")
def enlarged(enlarged_build):
    return query.open_graph(enlarged_build)


def _select(ds, sparql: str) -> list[tuple]:
    return [tuple(None if v is None else v.value for v in row)
            for row in ds.select(sparql, prefixes=PREFIXES)]


def test_membership_of_every_commune_at_each_vintage_is_that_years_epci_json(enlarged):
    """As of 1 January of each vintage, the dated memberships give exactly the (commune, EPCI) pairs of
    that year's epci.json, for all communes: Émerchicourt (59192) is in 200042190 in 2021, in
    245901152 in 2023 and in 200042190 again in 2026 (two memberships in 200042190, one per period)."""
    for year in VINTAGES:
        rows = _select(enlarged, f"""
            SELECT ?c ?e WHERE {{
              ?m a pvd:Membership ; org:member ?c ; org:organization ?e ; pvd:validFrom ?f .
              OPTIONAL {{ ?m pvd:validUntil ?u }}
              FILTER (?f <= "{year}-01-01"^^xsd:date && (!BOUND(?u) || "{year}-01-01"^^xsd:date < ?u))
            }}""")
        expected = {(commune_iri(c), epci_iri(s)) for c, s in members(year)}
        assert len(rows) == len(set(rows)), year  # one membership per pair and date
        assert set(rows) == expected, year
    assert (("59192", "200042190") in members("2021") and ("59192", "245901152") in members("2023")
            and ("59192", "200042190") in members("2026"))


def test_membership_dates_are_the_vintages_that_show_it(enlarged):
    """``validFrom`` is 1 January of the first vintage of a continuous run, ``validUntil`` that of the first
    vintage read without it (absent while 2026 shows it); one node per continuous run."""
    expected = {(commune_iri(c), epci_iri(e), f, u) for c, e, f, u, _ in periods()}
    rows = _select(enlarged, """
        SELECT ?c ?e (STR(?f) AS ?from) (STR(?u) AS ?until) WHERE {
          ?m a pvd:Membership ; org:member ?c ; org:organization ?e ; pvd:validFrom ?f .
          OPTIONAL { ?m pvd:validUntil ?u } }""")
    assert len(rows) == len(expected)
    assert set(rows) == expected


def test_memberof_is_the_current_membership_and_the_check_says_when_not(enlarged):
    """``pvd:memberOf`` (the current shortcut) equals the memberships without an end; the check query finds
    no disagreement on the national build, and finds one in a graph where they disagree."""
    from pvd_graph import resources

    current = set(_select(enlarged, """SELECT ?c ?e WHERE {
        ?m a pvd:Membership ; org:member ?c ; org:organization ?e FILTER NOT EXISTS { ?m pvd:validUntil ?u } }"""))
    shortcut = set(_select(enlarged, "SELECT ?c ?e WHERE { ?c pvd:memberOf ?e }"))
    assert current == shortcut == {(commune_iri(c), epci_iri(s)) for c, s in members("2026")}
    check = next(p for p in resources.check_files() if p.stem == CHECK).read_text(encoding="utf-8")
    assert enlarged.select(check) == []
    tiny = ox.Store()
    pvd, org = PREFIXES["pvd"], PREFIXES["org"]
    c, e, other = (ox.NamedNode(commune_iri("73011")), ox.NamedNode(epci_iri("200068997")),
                   ox.NamedNode(epci_iri("200040947")))
    m = ox.NamedNode("https://w3id.org/pvd-graph/id/membership/73011-200068997")
    for t in ((c, ox.NamedNode(pvd + "memberOf"), other),
              (m, ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(pvd + "Membership")),
              (m, ox.NamedNode(org + "member"), c), (m, ox.NamedNode(org + "organization"), e)):
        tiny.add(ox.Quad(*t))
    found = {(str(r["focus"].value), str(r["value"].value)) for r in tiny.query(check)}
    assert found == {(c.value, other.value), (m.value, e.value)}


def test_former_epci_are_typed_as_former_never_as_current(enlarged):
    """An EPCI of 2021 or 2023 that is not an EPCI of 2026 is a pvd:FormerEPCI (its name as its last vintage
    gives it, its end the first vintage without it), never ``a pvd:EPCI``; 200067221 (CC Centre Morbihan
    Communauté, named by the 2021 PVD list) is one."""
    epci = {y: {e["code"]: e["nom"] for e in _load(y, "epci.json")} for y in VINTAGES}
    expected = {}
    for siren in (set(epci["2021"]) | set(epci["2023"])) - set(epci["2026"]):
        last = max(y for y in VINTAGES if siren in epci[y])
        until = min(y for y in VINTAGES if y > last)
        expected[epci_iri(siren)] = (epci[last][siren], f"{until}-01-01")
    rows = _select(enlarged, """SELECT ?e ?l (STR(?u) AS ?until) WHERE {
        ?e a pvd:FormerEPCI ; rdfs:label ?l ; pvd:validUntil ?u }""")
    assert {e: (l, u) for e, l, u in rows} == expected and len(rows) == len(expected)
    assert epci_iri("200067221") in expected
    assert _select(enlarged, "SELECT ?e WHERE { ?e a pvd:FormerEPCI, pvd:EPCI }") == []


def test_former_names_of_renamed_communes_with_their_period(enlarged):
    """A current commune whose name in 2021 or 2023 differs from its 2026 name keeps it as skos:altLabel and
    as a dated pvd:FormerName; its rdfs:label stays the 2026 name. Among the PVD towns of the 2021 list,
    those renamed are computed from the files (e.g. 33081 Cadillac → Cadillac-sur-Garonne in 2023)."""
    by_year = {y: names(y) for y in VINTAGES}
    expected = set()
    for code in by_year["2026"]:
        runs: list[tuple[str, list[str]]] = []  # (name, the consecutive vintages that give it)
        for year in VINTAGES:
            name = by_year[year].get(code)
            if runs and name is not None and runs[-1][0] == name and runs[-1][1][-1] == VINTAGES[VINTAGES.index(year) - 1]:
                runs[-1][1].append(year)
            elif name is not None:
                runs.append((name, [year]))
        for name, years in runs[:-1]:  # the last run is the 2026 name: the rdfs:label
            until = VINTAGES[VINTAGES.index(years[-1]) + 1]
            expected.add((commune_iri(code), name, f"{years[0]}-01-01", f"{until}-01-01"))
    rows = _select(enlarged, """SELECT ?c ?l (STR(?f) AS ?from) (STR(?u) AS ?until) WHERE {
        ?n a pvd:FormerName ; pvd:nameOf ?c ; rdfs:label ?l ; pvd:validFrom ?f ; pvd:validUntil ?u . ?c a pvd:Commune }""")
    assert len(rows) == len(expected) and set(rows) == expected
    alt = set(_select(enlarged, """SELECT ?c ?a WHERE { ?n a pvd:FormerName ; pvd:nameOf ?c .
        ?c skos:altLabel ?a }"""))
    assert {(c, n) for c, n, _, _ in expected} <= alt
    labels = dict(_select(enlarged, "SELECT ?c ?l WHERE { ?c a pvd:Commune ; rdfs:label ?l }"))
    assert all(labels[commune_iri(code)] == name for code, name in by_year["2026"].items())
    with (SHARED_DATA / "anct_pvd_communes_2021.csv").open(encoding="utf-8-sig", newline="") as fh:
        pvd = {r["insee_com"] for r in csv.DictReader(fh)}
    renamed_pvd = {c for c, _, _, _ in expected if c.rsplit("/", 1)[-1] in pvd}
    assert renamed_pvd == {commune_iri(c) for c in pvd if c in by_year["2026"]
                           and any(by_year[y].get(c, by_year["2026"][c]) != by_year["2026"][c] for y in ("2021", "2023"))}
    assert (commune_iri("33081"), "Cadillac", "2021-01-01", "2023-01-01") in expected
