"""The national build from the real files in ../shared/data, checked against those files."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict

import pytest

from pvd_graph import resources, store
from pvd_graph.identifiers import InvalidCode, normalise_insee, normalise_siren
from pvd_graph.validate import validate

PVD = "https://w3id.org/pvd-graph/ontology#"


@pytest.fixture(scope="module")
def ds(national_build):
    return store.open_built(national_build)


def ask_count(ds, pattern: str) -> int:
    rows = list(store.query(ds, f"PREFIX pvd: <{PVD}> PREFIX prov: <http://www.w3.org/ns/prov#> SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} }}"))
    return int(rows[0][0])


def load(shared_data, name):
    return json.loads((shared_data / "cog" / name).read_text(encoding="utf-8"))


def test_every_current_commune_epci_departement_region(ds, shared_data):
    communes = [c for c in load(shared_data, "communes.json") if c["type"] == "commune-actuelle"]
    assert ask_count(ds, "?s a pvd:Commune") == len({c["code"] for c in communes})
    # the Métropole de Lyon (MET69) is listed with the EPCI but is a collectivité à statut particulier
    cog_epci = {e["code"] for e in load(shared_data, "epci.json") if e["type"] != "MET69"}
    assert ask_count(ds, "?s a pvd:EPCI ; prov:wasDerivedFrom <https://w3id.org/pvd-graph/id/source/cog-epci>") == len(cog_epci)
    lyon = {e["code"] for e in load(shared_data, "epci.json") if e["type"] == "MET69"}
    assert ask_count(ds, "?s a pvd:SpecialStatusCollectivity ; pvd:epciType 'MET69'") == len(lyon) == 1
    # an EPCI named only by the 2021 PVD list (since merged) stays, traced to that list alone
    others = {str(r[0]).rsplit("/", 1)[1] for r in store.query(ds, f"""PREFIX pvd: <{PVD}>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?e WHERE {{ ?e a pvd:EPCI FILTER NOT EXISTS {{
            ?e prov:wasDerivedFrom <https://w3id.org/pvd-graph/id/source/cog-epci> }} }}""")}
    assert not others & cog_epci
    with open(shared_data / "anct_pvd_communes_2021.csv", encoding="utf-8", newline="") as fh:
        assert others <= {row["siren_epci"] for row in csv.DictReader(fh)}
    assert ask_count(ds, "?s a pvd:Departement") == len(load(shared_data, "departements.json"))
    assert ask_count(ds, "?s a pvd:Region") == len(load(shared_data, "regions.json"))
    memberships = sum(len(e["membres"]) for e in load(shared_data, "epci.json"))
    assert ask_count(ds, "?c pvd:memberOf ?e BIND(CONCAT(STR(?c), STR(?e)) AS ?s)") == memberships


def _valid_pvd_codes(shared_data) -> set[str]:
    codes = set()
    with open(shared_data / "anct_pvd_communes_2021.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                codes.add(normalise_insee(row["insee_com"]))
            except InvalidCode:
                pass
    return codes


def _programme_towns(ds, slug) -> set[str]:
    rows = store.query(ds, f"""PREFIX pvd: <{PVD}>
        SELECT ?code WHERE {{ ?t pvd:participatesIn <https://w3id.org/pvd-graph/id/programme/{slug}> ;
                                 a pvd:Commune ; pvd:inseeCode ?code }}""")
    return {str(r[0]) for r in rows}


def test_every_valid_pvd_town_is_in_the_programme(ds, shared_data, national_build):
    expected = _valid_pvd_codes(shared_data)
    assert _programme_towns(ds, "pvd") == expected
    with open(national_build / resources.REJECTS_CSV, encoding="utf-8") as fh:
        rejected = [r for r in csv.DictReader(fh) if r["source"] == "anct-pvd" and r["outcome"] == "row rejected"]
    with open(shared_data / "anct_pvd_communes_2021.csv", encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    assert len(expected) + len(rejected) == rows, "every PVD row is either in the graph or in rejects.csv"


def test_every_acv_town_and_convention_date(ds, shared_data):
    features = json.loads((shared_data / "anct_acv_communes_2024.geojson").read_text(encoding="utf-8"))["features"]
    assert _programme_towns(ds, "acv") == {normalise_insee(f["properties"]["insee_com"]) for f in features}
    expected_dates, towns = {}, defaultdict(set)
    for f in features:
        p = f["properties"]
        towns[p["id_acv"]].add(normalise_insee(p["insee_com"]))
        if p["date_signature"]:
            expected_dates[p["id_acv"]] = dt.datetime.strptime(p["date_signature"], "%d/%m/%Y").date()
    rows = store.query(ds, f"""PREFIX pvd: <{PVD}>
        SELECT ?id ?date ?code WHERE {{
          ?c pvd:underProgramme <https://w3id.org/pvd-graph/id/programme/acv> ; pvd:programmeId ?id ;
             pvd:concerns ?t . ?t a pvd:Commune ; pvd:inseeCode ?code .
          OPTIONAL {{ ?c pvd:signedOn ?date }} }}""")
    got_dates, got_towns = {}, defaultdict(set)
    for id_, date, code in rows:
        got_towns[str(id_)].add(str(code))
        if date is not None:
            got_dates[str(id_)] = date.toPython()
    assert got_dates == expected_dates
    assert got_towns == towns
    assert any(len(v) == 2 for v in towns.values()), "some ACV ids cover two towns"


def test_albertville_and_ugine_are_pvd_towns_in_arlysere(ds, shared_data):
    epci = {e["code"]: {m["code"] for m in e["membres"]} for e in load(shared_data, "epci.json")}
    arlysere = normalise_siren("200068997")
    assert {"73011", "73303"} <= epci[arlysere]
    rows = set(store.query(ds, f"""PREFIX pvd: <{PVD}>
        SELECT ?code WHERE {{ ?t pvd:inseeCode ?code ; pvd:participatesIn <https://w3id.org/pvd-graph/id/programme/pvd> ;
                               pvd:memberOf <https://w3id.org/pvd-graph/id/epci/{arlysere}> }}"""))
    assert {"73011", "73303"} <= {str(r[0]) for r in rows}


def test_every_commune_traces_back_to_a_source_and_the_imported_sources_are_described(ds):
    """No commune without prov:wasDerivedFrom; COG communes and EPCI, PVD and ACV are distributions with a URL."""
    rows = list(store.query(ds, f"""PREFIX pvd: <{PVD}> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT (COUNT(?t) AS ?n) WHERE {{ ?t a pvd:Commune FILTER NOT EXISTS {{ ?t prov:wasDerivedFrom ?src }} }}"""))
    assert int(rows[0][0]) == 0
    sources = {str(r[0]) for r in store.query(ds, """PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcat: <http://www.w3.org/ns/dcat#>
        SELECT ?s WHERE { ?s a prov:Entity , dcat:Distribution ; dcat:downloadURL ?u }""")}
    assert {s.rsplit("/", 1)[1] for s in sources} >= {"cog-communes", "cog-epci", "anct-pvd", "anct-acv"}


def test_the_national_graph_conforms(ds):
    report = validate(ds)
    assert report.conforms, report.to_text(limit=20)
