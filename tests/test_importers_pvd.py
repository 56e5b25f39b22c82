"""Petites villes de demain on the enlarged national build: vintages, participations, conventions d'adhésion.

Every expectation is computed here from the files (the three PVD lists, the COG's communes and EPCI,
the build's rejects.csv and conflicts.csv), read with csv/json; the graph is asked through SPARQL.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict

import pytest

from pvd_graph import query
from pvd_graph.importers import ImportRun, KNOWN_SOURCES, import_file
from pvd_graph.importers.anct_pvd_2024 import MODE_EMPLOI, TITLE
from pvd_graph.namespaces import OX, ids
from tests.conftest import SHARED_DATA, SHARED_MORE_DATA

AUGUST = SHARED_MORE_DATA / "superposeur-anct_pvd_geom_2024-09.geojson"
FEBRUARY = SHARED_MORE_DATA / "superposeur-anct_pvd_geom_2024-02_flat.geojson"
CSV_2021 = SHARED_DATA / "anct_pvd_communes_2021.csv"
PVD = ids.programme("pvd")


def _features(path):
    return json.loads(path.read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def files():
    return read_files()


def read_files() -> dict:
    """What the files say: per vintage {INSEE: date or None}, names, points; the COG's EPCI of each commune."""
    august, february, names, points = {}, {}, {}, {}
    for i, f in enumerate(_features(AUGUST)):
        name, code = re.fullmatch(r"(.+) \((\w{5})\)", f["properties"]["liste_geo"]).groups()
        august[code] = f["properties"]["date_signature"] or None
        names[code] = name
        points[code] = tuple(f["geometry"]["coordinates"])
    for f in _features(FEBRUARY):
        p = f["properties"]
        february[p["insee_com"]] = p["date_signature"] or None
        names.setdefault(p["insee_com"], p["lib_com.x"])
    with CSV_2021.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    communes = json.loads((SHARED_DATA / "cog/communes.json").read_text(encoding="utf-8"))
    current = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    epci_json = json.loads((SHARED_DATA / "cog/epci.json").read_text(encoding="utf-8"))
    epci_of = {}
    for e in epci_json:
        for m in e["membres"]:
            epci_of.setdefault(m["code"], e["code"])
    return {"2024-08": august, "2024-02": february, "2021-01": {r["insee_com"]: None for r in rows
                                                                 if r["insee_com"] in current},
            "names": names, "points": points, "epci_of": epci_of, "current": current,
            "epci_codes": {e["code"] for e in epci_json}, "rows_2021": rows,
            "population": {c["code"]: c.get("population") for c in communes if c["type"] == "commune-actuelle"},
            "epci_names": {e["code"]: e["nom"] for e in epci_json}}


@pytest.fixture(scope="module")
def graph(enlarged_build):
    return query.open_graph(enlarged_build)


def select(ds, text):
    _, rows = query.run_query(ds, "PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>\n"
                                  "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
                                  "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                                  "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + text)
    return [tuple(query.plain(v) for v in row) for row in rows]


def _csv(build, name):
    with (build / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def expected_joined(files) -> dict[str, str]:
    """The convention d'adhésion date of each town: the newest list that dates it."""
    joined = {c: d for c, d in files["2024-02"].items() if d}
    joined.update({c: d for c, d in files["2024-08"].items() if d})
    return joined


# --- item 1: the 2024 lists as sources, every feature accounted for --------------------------------

@pytest.mark.parametrize("vintage, source, path", [("2024-08", "anct-pvd-2024-08", AUGUST),
                                                   ("2024-02", "anct-pvd-2024-02", FEBRUARY),
                                                   ("2021-01", "anct-pvd", CSV_2021)])
def test_every_town_of_every_vintage_has_a_participation_listed_in_it(graph, enlarged_build, files,
                                                                      vintage, source, path):
    listed = {r[0] for r in select(graph, f"""SELECT ?code WHERE {{
        ?p a pvd:Participation ; pvd:inProgramme <{PVD}> ; pvd:listedIn <{ids.source(source)}> ;
           pvd:participant/pvd:inseeCode ?code }}""")}
    rejected = [r for r in _csv(enlarged_build, "rejects.csv") if r["source"] == source
                and r["outcome"] == "row rejected"]
    read = len(_features(path)) if path.suffix == ".geojson" else len(files["rows_2021"])
    assert listed == set(files[vintage]) and len(listed) + len(rejected) == read
    # the shortcut agrees with the participations
    shortcut = {r[0] for r in select(graph, f"SELECT ?code WHERE {{ ?t pvd:participatesIn <{PVD}> ; "
                                            f"pvd:inseeCode ?code }}")}
    assert listed <= shortcut


def test_a_code_that_is_no_longer_current_is_rejected_with_that_reason(tmp_path, files):
    """A feature of the August list whose code the COG 2026 lists only among a current commune's
    former codes (a merger) is rejected, saying why; the other features are kept."""
    communes = json.loads((SHARED_DATA / "cog/communes.json").read_text(encoding="utf-8"))
    merged, now = next((old, c["code"]) for c in communes if c["type"] == "commune-actuelle"
                       for old in c.get("anciensCodes") or [] if old not in files["current"])
    doc = json.loads(AUGUST.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:3]
    doc["features"][1]["properties"]["liste_geo"] = f"Ancienne commune ({merged})"
    path = tmp_path / "pvd_geom_2024-09.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    [r] = _import_with_cog(path)
    assert r.source.id == "anct-pvd-2024-08"  # recognised by its name
    assert (r.rows_read, r.rows_accepted) == (3, 2)
    [rej] = r.rejects
    assert (rej.line, rej.value) == (1, merged) and "not a current commune" in rej.reason
    assert f"a former code of commune {now}" in rej.reason  # the COG's anciensCodes tell the merger


def _import_with_cog(*paths):
    run = ImportRun()
    for name, sid in (("communes.json", "cog-communes"), ("epci.json", "cog-epci")):
        import_file(SHARED_DATA / "cog" / name, KNOWN_SOURCES[sid], run)
    return [import_file(p, None, run) for p in paths]


def _conventions(result) -> dict[str, set[str]]:
    towns = defaultdict(set)
    for t in result.triples:
        if t.predicate.value.endswith("#concerns") and "/commune/" in t.object.value:
            towns[t.subject.value].add(t.object.value.rsplit("/", 1)[-1])
    return towns


def test_the_february_list_alone_gives_its_own_conventions(files):
    """Without the August list in the import, the February one is a complete account: one convention per
    (EPCI, date) of its own dated towns, each town joined through it; with it, only the towns the August
    list leaves undated get a February convention of their own."""
    [alone] = _import_with_cog(FEBRUARY)
    groups = defaultdict(set)
    for code, date in files["2024-02"].items():
        if date:
            groups[(files["epci_of"].get(code) or code, date)].add(code)
    assert sorted(_conventions(alone).values(), key=min) == sorted(groups.values(), key=min)
    assert alone.rows_accepted == len(files["2024-02"])
    august, february = _import_with_cog(AUGUST, FEBRUARY)
    own = {c for c, d in files["2024-02"].items() if d and not files["2024-08"].get(c)}
    labelled = {t.subject.value for t in february.triples if t.predicate.value.endswith("#label")}
    assert labelled == {ids.convention(f"pvd-adhesion-{files['epci_of'].get(c) or c}-{files['2024-02'][c]}")
                        for c in own}


def test_points_are_the_lists_own_as_geosparql(graph, files):
    rows = select(graph, """SELECT ?code ?wkt WHERE {
        ?t pvd:inseeCode ?code ; <http://www.opengis.net/ont/geosparql#hasGeometry> ?g .
        ?g <http://www.opengis.net/ont/geosparql#asWKT> ?wkt ; prov:wasDerivedFrom
           <https://w3id.org/pvd-graph/id/source/anct-pvd-2024-08> }""")
    got = {code: tuple(float(x) for x in re.fullmatch(r"POINT\((\S+) (\S+)\)", wkt).groups()) for code, wkt in rows}
    assert got == files["points"] and len(rows) == len(got)


# --- item 3: conventions d'adhésion --------------------------------------------------------------

@pytest.fixture(scope="module")
def adhesion(graph):
    """{convention: (date, label, {communes concerned}, {signatories}, derived from the rule, note)}."""
    conv = {}
    for c, date, label in select(graph, """SELECT ?c ?d ?l WHERE { ?c a pvd:AdhesionConvention , pvd:Convention ;
            pvd:underProgramme <https://w3id.org/pvd-graph/id/programme/pvd> ; pvd:signedOn ?d ; rdfs:label ?l }"""):
        conv[c] = [date, label, set(), set(), False, False]
    for c, code in select(graph, "SELECT ?c ?code WHERE { ?c a pvd:AdhesionConvention ; pvd:concerns/pvd:inseeCode ?code }"):
        conv[c][2].add(code)
    for c, s in select(graph, "SELECT ?c ?s WHERE { ?c a pvd:AdhesionConvention ; pvd:signatory ?s }"):
        conv[c][3].add(s)
    for (c,) in select(graph, f"SELECT ?c WHERE {{ ?c a pvd:AdhesionConvention ; prov:wasDerivedFrom <{MODE_EMPLOI}> ; "
                              "skos:editorialNote ?n }"):
        conv[c][4] = conv[c][5] = True
    return conv


def test_each_dated_town_joined_through_its_convention_dated_by_the_newest_list(graph, files):
    joined = dict(select(graph, f"""SELECT ?code ?d WHERE {{
        ?p pvd:inProgramme <{PVD}> ; pvd:participant/pvd:inseeCode ?code ; pvd:joinedThrough/pvd:signedOn ?d }}"""))
    assert joined == expected_joined(files)
    assert joined["73303"] == files["2024-08"]["73303"]  # Ugine: 2021-05-20 in the file, not 2023-07-03


def test_towns_of_one_epci_signing_the_same_day_share_one_convention(adhesion, files):
    groups = defaultdict(set)
    for code, date in expected_joined(files).items():
        groups[(files["epci_of"].get(code) or code, date)].add(code)
    got = {(min(towns), date): towns for date, _, towns, *_ in adhesion.values()}
    assert sorted(got.values(), key=min) == sorted(groups.values(), key=min)
    # the EPCI is concerned too: the concerned communes are exactly the group, whatever the EPCI
    pays_basque = groups[("200067106", "2021-05-21")]
    assert len(pays_basque) == 5 and pays_basque in got.values()


def test_adhesion_conventions_are_titled_signed_by_towns_epci_and_state_and_marked_inferred(adhesion, files):
    state = ids.organisation("etat")
    for c, (date, label, towns, signatories, derived, noted) in adhesion.items():
        # a readable title naming its towns, never the bare town name
        assert label.startswith(TITLE) and set(label[len(TITLE):].split(", ")) <= {files["names"][t] for t in towns}
        epcis = {files["epci_of"][t] for t in towns if t in files["epci_of"]}
        assert signatories == {ids.commune(t) for t in towns} | {ids.epci(e) for e in epcis} | {state}, c
        assert derived and noted, c
    [(label, towns)] = [(v[1], v[2]) for v in adhesion.values() if "73303" in v[2]]
    assert label == TITLE + files["names"]["73303"] and towns == {"73303"}


def test_a_date_the_lists_disagree_on_is_kept_from_the_newer_and_the_other_in_conflicts(enlarged_build, files):
    differ = {c: (d, files["2024-02"][c]) for c, d in files["2024-08"].items()
              if d and files["2024-02"].get(c) and files["2024-02"][c] != d}
    assert differ  # the files do disagree (65 towns differ, some only by a missing date)
    conflicts = {(r["kept"], r["dropped"]) for r in _csv(enlarged_build, "conflicts.csv")
                 if r["property"].endswith("#signedOn") and r["kept_source"] == "anct-pvd-2024-08"
                 and r["dropped_source"] == "anct-pvd-2024-02" and "/convention/pvd-adhesion-" in r["subject"]}
    assert conflicts == set(differ.values())


# --- item 4: vintages compared, status derived ---------------------------------------------------

def test_status_is_derived_from_the_vintages_in_the_derived_graph(graph, files):
    joined = expected_joined(files)
    towns = set(files["2021-01"]) | set(files["2024-02"]) | set(files["2024-08"])
    expected = {c: ("plus listée en 2024-08" if c not in files["2024-08"] else
                    "adhérente" if c in joined else "lauréate") for c in towns}
    _, rows = query.run_query(graph, f"""PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
        SELECT ?code ?s WHERE {{ GRAPH <https://w3id.org/pvd-graph/graph/derived> {{ ?p pvd:participationStatus ?s }}
          ?p pvd:inProgramme <{PVD}> ; pvd:participant/pvd:inseeCode ?code }}""")
    got = {query.plain(c): query.plain(s) for c, s in rows}
    assert got == expected and len(rows) == len(got)
    assert {s for s in expected.values()} == {"plus listée en 2024-08", "adhérente", "lauréate"}


def test_the_curated_albertville_participation_is_the_lists_node(graph):
    rows = select(graph, f"""SELECT ?p ?list WHERE {{ ?p pvd:participant <{ids.commune("73011")}> ;
        pvd:inProgramme <{PVD}> ; pvd:listedIn ?list }}""")
    assert {p for p, _ in rows} == {ids.participation("commune-73011-pvd")}
    assert {s for _, s in rows} == {ids.source(s) for s in ("anct-pvd", "anct-pvd-2024-02", "anct-pvd-2024-08")}
    [(deprecated,)] = select(graph, "SELECT ?d WHERE { pvd:startYear <http://www.w3.org/2002/07/owl#deprecated> ?d }")
    assert deprecated is True or str(deprecated).lower() == "true"


# --- item 5: the former EPCI of the 2021 list ----------------------------------------------------

def test_a_former_epci_of_the_2021_list_is_not_presented_as_current(graph, enlarged_build, files):
    former = {r["siren_epci"] for r in files["rows_2021"]
              if re.fullmatch(r"\d{9}", r["siren_epci"]) and r["siren_epci"] not in files["epci_codes"]}
    assert "200067221" in former
    for siren in former:
        # the older geographic codes, read as history, type it a former EPCI (issue 15): never pvd:EPCI,
        # never a current membership
        types = {t for (t,) in select(graph, f"SELECT ?x WHERE {{ <{ids.epci(siren)}> a ?x }}")}
        assert types <= {OX.FormerEPCI.value}, siren
        assert not select(graph, f"SELECT ?x WHERE {{ ?x pvd:memberOf <{ids.epci(siren)}> }}"), siren
    towns = {r["insee_com"] for r in files["rows_2021"] if r["siren_epci"] in former}
    # read in the code of 2021 (issue 15), the list agrees with it: nothing dropped, no conflict; the
    # membership of 2021 is the code's
    dropped = [r for r in _csv(enlarged_build, "rejects.csv")
               if r["source"] == "anct-pvd" and r["field"] == "siren_epci" and r["value"] in former]
    assert dropped == []
    for r in files["rows_2021"]:
        if r["siren_epci"] in former:
            assert select(graph, f"""PREFIX org: <http://www.w3.org/ns/org#> SELECT ?m WHERE {{ ?m org:member <{ids.commune(r["insee_com"])}> ;
                org:organization <{ids.epci(r["siren_epci"])}> ; pvd:shownIn <{ids.source("cog-2021-epci")}> }}"""), r
    # the towns keep their current EPCI from the COG
    for code in towns:
        assert select(graph, f"SELECT ?e WHERE {{ <{ids.commune(code)}> pvd:memberOf ?e }}") == [
            (ids.epci(files["epci_of"][code]),)]


def test_no_violation_comes_from_the_pvd_part(enlarged_build):
    """The enlarged build's SHACL report: no violation on a PVD participation or convention d'adhésion."""
    from rdflib import Graph, Namespace

    sh = Namespace("http://www.w3.org/ns/shacl#")
    report = Graph().parse(enlarged_build / "validation.ttl")
    focus = {str(report.value(r, sh.focusNode)) for r in report.subjects(sh.resultSeverity, sh.Violation)}
    mine = {f for f in focus if "/convention/pvd-adhesion-" in f or "/participation/" in f
            or f == ids.programme("pvd")}
    assert not mine
    assert (None, sh.conforms, None) in report  # the report was read
