"""Action cœur de ville in every vintage, ACV 2, titles, points (issue 14).

Expectations are computed from the files of ../shared/data and ../shared/more-data, read here
with json/csv (see ../shared/more-data/README.md for each file's layout).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import SHARED_MORE_DATA
from pvd_graph import importers, store
from pvd_graph.build import build_graph
from pvd_graph.identifiers import commune_iri, convention_iri, normalise_insee, programme_iri
from pvd_graph.importers.common import departement_of
from pvd_graph.namespaces import GRAPHS, ID, OX, PREFIXES
from pvd_graph.namespaces import ids as iri

PVD = PREFIXES["pvd"]
ACV_DATA = "anct_acv_communes_2024.geojson"
JS = "acv_coeurdeville_2024-09.js"
FLAT = "superposeur-anct_acv_geom_2024-02_flat.geojson"
V2 = "superposeur-anct_acv_geom_2024-09.geojson"
ACV2 = "superposeur-anct_acv2_geom_2024-09.geojson"
#: file → (source id, folder)
SOURCES = {ACV_DATA: ("anct-acv", "data"), JS: ("anct-acv-map-2024-09", "more"),
           FLAT: ("anct-acv-2024-02", "more"), V2: ("anct-acv-2024-09", "more"), ACV2: ("anct-acv2", "more")}


def _path(shared_data: Path, name: str) -> Path:
    return (shared_data if SOURCES[name][1] == "data" else SHARED_MORE_DATA) / name


def _doc(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".js":  # var JS_coeurdeville = {…}
        text = text[text.index("=") + 1:].strip().rstrip(";")
    return json.loads(text)


def _date(text):
    if not text:
        return None
    if re.fullmatch(r"\d{2}/\d{2}/\d{4}", text):
        return dt.datetime.strptime(text, "%d/%m/%Y").date().isoformat()
    return dt.date.fromisoformat(text).isoformat()


def vintage(shared_data: Path, name: str) -> dict:
    """What a file says, read here: {id: {"date", "towns": {code: name}, "points": {code: (lon, lat)}}}."""
    out: dict = {}
    for f in _doc(_path(shared_data, name))["features"]:
        p = f["properties"]
        pid = (p.get("id_acv") or p["id_territoire"]).lower()
        entry = out.setdefault(pid, {"date": None, "towns": {}, "points": {}})
        entry["date"] = entry["date"] or _date(p.get("date_signature"))
        if "liste_geo" in p:
            towns = {normalise_insee(c): n for n, c in re.findall(r"\s*(.*?) \((\w{5})\)", p["liste_geo"])}
        else:
            towns = {normalise_insee(p["insee_com"]): p.get("lib_com") or p["lib_com.x"]}
        entry["towns"].update(towns)
        if f["geometry"]["type"] == "Point" and len(towns) == 1:
            entry["points"][next(iter(towns))] = tuple(f["geometry"]["coordinates"])
    return out


@pytest.fixture(scope="module")
def imported(shared_data):
    results, _ = importers.import_directory([shared_data, SHARED_MORE_DATA])
    return {r.source.id: r for r in results if not r.error}


@pytest.fixture(scope="module")
def ds(enlarged_build):
    """The enlarged national build: the union in the default graph, each source's named graph beside it."""
    return store.open_built(enlarged_build, graphs="both")


def _rows(ds, text):
    return [tuple(None if t is None else t.value for t in row) for row in ds.select(text, prefixes=PREFIXES)]


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_acv_file_is_a_vintage_of_its_own_source_and_every_feature_is_accounted_for(imported, shared_data):
    for name, (sid, _) in SOURCES.items():
        r = imported[sid]
        features = _doc(_path(shared_data, name))["features"]
        assert r.source.path.name == name and r.error is None
        assert r.rows_read == len(features) == r.rows_accepted + r.rows_rejected, name
        assert r.rows_rejected == 0  # every feature of these files names its towns and id
    assert len({imported[sid].source.id for sid, _ in SOURCES.values()}) == len(SOURCES)


def test_conventions_and_their_dates_per_vintage(ds, enlarged_build, shared_data):
    """Each vintage's named graph holds its ids, towns and dates as the file gives them; the union
    has one date per convention: the one of the most authoritative vintage that gives it (the
    .js adds the dates the 2024 GeoJSON lacks, if any), and a disagreement is in conflicts.csv."""
    final: dict = {}
    for name in (ACV_DATA, JS, V2, FLAT):  # precedence order: lower wins
        sid = SOURCES[name][0]
        expected = vintage(shared_data, name)
        rows = _rows(ds, f"""SELECT ?id ?town ?date WHERE {{ GRAPH <{GRAPHS}{sid}> {{
            ?c pvd:programmeId ?id ; pvd:concerns ?town OPTIONAL {{ ?c pvd:signedOn ?date }} }} }}""")
        got: dict = defaultdict(lambda: {"date": None, "towns": set()})
        for pid, town, date in rows:
            got[pid]["date"] = date
            got[pid]["towns"].add(town.rsplit("/", 1)[1])
        assert {k: (v["date"], v["towns"]) for k, v in got.items()} == \
            {k: (v["date"], set(v["towns"])) for k, v in expected.items()}, name
        for pid, v in expected.items():
            if final.get(pid) is None:
                final[pid] = v["date"]
    union = dict(_rows(ds, "SELECT ?id ?date WHERE { ?c pvd:underProgramme <%s> ; pvd:programmeId ?id "
                           "OPTIONAL { ?c pvd:signedOn ?date } }" % programme_iri("acv")))
    assert union == final
    added = {pid for pid, v in vintage(shared_data, JS).items()
             if v["date"] and not vintage(shared_data, ACV_DATA).get(pid, {}).get("date")}
    assert all(union[pid] for pid in added)
    disagree = set()
    for name in (JS, V2, FLAT):
        for pid, v in vintage(shared_data, name).items():
            if v["date"] and final[pid] and v["date"] != final[pid]:
                disagree.add((convention_iri(pid), final[pid], v["date"], SOURCES[name][0]))
    logged = {(r["subject"], r["kept"], r["dropped"], r["dropped_source"]) for r in _csv(enlarged_build / "conflicts.csv")
              if r["property"] == PVD + "signedOn" and "/convention/acv-" in r["subject"]}
    assert logged == disagree


@pytest.fixture(scope="module")
def disagreeing(tmp_path_factory, shared_data):
    """A build of three vintages: the 2024 GeoJSON with one date removed, the map's .js as it is, and
    a February 2024 file in which one date and one town name differ."""
    folder = tmp_path_factory.mktemp("acv-vintages")
    geojson = _doc(shared_data / ACV_DATA)
    undated = next(f["properties"] for f in geojson["features"][2:] if f["properties"]["date_signature"])
    js_date = _date(undated["date_signature"])
    undated["date_signature"] = ""
    (folder / ACV_DATA).write_text(json.dumps(geojson, ensure_ascii=False), encoding="utf-8")
    shutil.copy(SHARED_MORE_DATA / JS, folder / JS)
    doc = _doc(SHARED_MORE_DATA / FLAT)
    first, second = doc["features"][0]["properties"], doc["features"][1]["properties"]
    assert undated["id_acv"] not in (first["id_acv"], second["id_acv"])
    first["date_signature"] = "2019-01-02"
    second["lib_com.x"] = second["lib_com.x"] + " (ancien nom)"
    (folder / FLAT).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    build_graph(folder, folder / "build", run_validation=False)
    dates = dict(_rows(store.open_built(folder / "build"), "SELECT ?id ?d WHERE { ?c pvd:programmeId ?id ; pvd:signedOn ?d }"))
    return first, second, _csv(folder / "build" / "conflicts.csv"), (undated["id_acv"], js_date, dates)


def test_vintages_that_disagree_are_in_conflicts_never_merged(disagreeing, shared_data):
    first, second, conflicts, _ = disagreeing
    kept = {p["insee_com"]: p for p in (f["properties"] for f in _doc(shared_data / ACV_DATA)["features"])}
    date = [c for c in conflicts if c["property"] == PVD + "signedOn"]
    assert [(c["subject"], c["kept"], c["kept_source"], c["dropped"], c["dropped_source"]) for c in date] == [
        (convention_iri(first["id_acv"]), _date(kept[first["insee_com"]]["date_signature"]), "anct-acv",
         "2019-01-02", "anct-acv-2024-02")]
    titles = [c for c in conflicts if c["subject"] == convention_iri(second["id_acv"])]
    assert len(titles) == 1 and titles[0]["dropped_source"] == "anct-acv-2024-02"
    assert "(ancien nom)" in titles[0]["dropped"] and "(ancien nom)" not in titles[0]["kept"]


def test_the_map_data_dates_a_convention_the_geojson_leaves_undated(disagreeing):
    *_, (pid, js_date, dates) = disagreeing
    assert dates[pid] == js_date


def test_participations_every_vintage_adds_its_listing(ds, shared_data):
    listed: dict = defaultdict(set)
    joined: dict = {}
    for name in (ACV_DATA, JS, V2, FLAT):
        for pid, v in vintage(shared_data, name).items():
            for code in v["towns"]:
                listed[code].add(iri.source(SOURCES[name][0]))
                joined[code] = convention_iri(pid)
    rows = _rows(ds, """SELECT ?town ?src ?conv WHERE {
        ?p a pvd:Participation ; pvd:inProgramme <%s> ; pvd:participant ?town ; pvd:listedIn ?src ;
           pvd:joinedThrough ?conv }""" % programme_iri("acv"))
    got: dict = defaultdict(set)
    for town, src, conv in rows:
        got[town.rsplit("/", 1)[1]].add(src)
        assert conv == joined[town.rsplit("/", 1)[1]]
    assert got == listed
    towns = {t for (t,) in _rows(ds, "SELECT ?t WHERE { ?t pvd:participatesIn <%s> }" % programme_iri("acv"))}
    assert towns == {commune_iri(c) for c in listed}


def test_acv2_laureates_are_participations_in_the_second_phase(ds, shared_data, imported):
    laureates = {code for v in vintage(shared_data, ACV2).values() for code in v["towns"]}
    assert len(_doc(SHARED_MORE_DATA / ACV2)["features"]) == 45 and len(laureates) > 45  # some cover two towns
    rows = _rows(ds, """SELECT ?town ?src WHERE { ?p pvd:inProgramme <%s> ; pvd:participant ?town ;
        pvd:listedIn ?src }""" % programme_iri("acv2"))
    assert {t.rsplit("/", 1)[1] for t, _ in rows} == laureates
    assert {s for _, s in rows} == {iri.source("anct-acv2")}
    assert _rows(ds, "SELECT ?x WHERE { <%s> <http://purl.org/dc/terms/isPartOf> ?x }" % programme_iri("acv2")) \
        == [(programme_iri("acv"),)]
    # the file names no convention and no date: none is emitted for ACV 2
    assert not [t for t in imported["anct-acv2"].triples
                if t.predicate in (OX.joinedThrough, OX.signedOn, OX.underProgramme)]


def test_convention_titles_are_readable_and_never_a_town_name(ds, shared_data):
    """"Convention-cadre Action cœur de ville — A, B": the names of its towns (in one order, the same
    from every vintage: no title conflict, see above), one title each, typed Convention + FrameworkConvention."""
    expected: dict = {}
    for name in (ACV_DATA, JS, V2, FLAT):  # precedence order: the first vintage that lists an id titles it
        for pid, v in vintage(shared_data, name).items():
            expected.setdefault(convention_iri(pid), set(v["towns"].values()))
    rows = _rows(ds, """SELECT ?c ?label WHERE { ?c pvd:underProgramme <%s> ; a pvd:Convention ;
        a pvd:FrameworkConvention ; rdfs:label ?label }""" % programme_iri("acv"))
    prefix = "Convention-cadre Action cœur de ville — "
    assert all(label.startswith(prefix) for _, label in rows) and len(rows) == len(expected)
    assert {c: set(label.removeprefix(prefix).split(", ")) for c, label in rows} == expected
    town_labels = {lab for (lab,) in _rows(ds, "SELECT ?l WHERE { ?t a pvd:Commune ; rdfs:label ?l }")}
    assert not town_labels & {label for _, label in rows}
    assert prefix + "Chambéry" in {label for _, label in rows}


def test_overseas_inset_positions_are_dropped_and_said(ds, enlarged_build, shared_data):
    """The overseas towns of the 2024 GeoJSON and the .js sit at the map insets (Le Port, 97407, at
    44.79 N): no point from those files, one "value dropped" line each in rejects.csv."""
    dropped = {(r["source"], int(r["line"])) for r in _csv(enlarged_build / "rejects.csv")
               if r["field"] == "geometry" and r["outcome"] == "value dropped" and "inset" in r["reason"]}
    expected = set()
    for name in (ACV_DATA, JS):
        for i, f in enumerate(_doc(_path(shared_data, name))["features"]):
            if departement_of(f["properties"]["insee_com"]).startswith("97"):
                expected.add((SOURCES[name][0], i))
    assert dropped == expected and len(expected) == 2 * 16
    le_port = _rows(ds, f"SELECT ?wkt ?src WHERE {{ <{commune_iri('97407')}> geosparql:hasGeometry ?g . "
                        "?g geosparql:asWKT ?wkt ; prov:wasDerivedFrom ?src }")
    assert le_port and all(src not in (iri.source("anct-acv"), iri.source("anct-acv-map-2024-09"))
                           for _, src in le_port)


def _bbox(points, margin):
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin


def _flatten(coords):
    if isinstance(coords[0], (int, float)):
        yield coords
    else:
        for c in coords:
            yield from _flatten(c)


def departement_boxes() -> dict:
    """Bounding box (lon0, lat0, lon1, lat1) of each département.

    Metropolitan: the outline of ``contours/departements-version-simplifiee.geojson`` (IGN Admin
    Express, simplified), with 0.05° for the simplification. Overseas (no outline held): the box of
    each overseas département's territory (``pvd_graph.maps.ZONES``, geographic facts); an inset
    position is thousands of kilometres off. (The PVD towns' own points, widened by 0.6°, served
    while only programme towns had points; France services offices reach the interior of Guyane.)
    """
    from pvd_graph.maps import ZONES

    boxes = {}
    for f in json.loads((SHARED_MORE_DATA / "contours" / "departements-version-simplifiee.geojson").read_text())["features"]:
        boxes[f["properties"]["code"]] = _bbox(list(_flatten(f["geometry"]["coordinates"])), 0.05)
    boxes.update({dep: (x0, y0, x1, y1) for dep, (x0, x1, y0, y1) in ZONES.items() if dep != "metro"})
    return boxes


def test_every_point_lies_inside_its_departement(ds):
    boxes = departement_boxes()
    rows = _rows(ds, "SELECT ?t ?wkt WHERE { ?t a pvd:Commune ; geosparql:hasGeometry/geosparql:asWKT ?wkt }")
    assert len(rows) > 240
    outside = []
    for town, wkt in rows:
        lon, lat = (float(x) for x in re.fullmatch(r"POINT\((\S+) (\S+)\)", wkt).groups())
        x0, y0, x1, y1 = boxes[departement_of(town.removeprefix(ID + "commune/"))]
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            outside.append((town, wkt))
    assert outside == []
    overseas = {t for t, _ in rows if "/commune/97" in t}
    assert commune_iri("97407") in overseas  # from the vintages that give real positions


def test_no_geo_lat_long_and_no_violation_from_acv(ds, enlarged_build):
    assert not _rows(ds, "SELECT ?s WHERE { ?s <http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?o } LIMIT 1")
    report = (enlarged_build / "validation.txt").read_text(encoding="utf-8").splitlines()
    assert not [line for line in report if line.startswith("Violation") and "acv" in line]


@pytest.mark.parametrize("text, error", [
    ("var JS_coeurdeville = %s;", None),
    ("alert(1); var JS_coeurdeville = %s;", "not a JavaScript assignment"),
    ("var JS_coeurdeville = %s; fetch('x')", "not a JavaScript assignment"),
    ("var JS_coeurdeville = %s", None),
    ("var JS_coeurdeville = {\"type\": ", "not a JavaScript assignment"),
])
def test_the_map_file_is_read_only_as_one_assignment(tmp_path, text, error):
    """Only ``var NAME = {…};`` is read (nothing is run); anything else is refused in one line."""
    from pvd_graph.importers.anct_acv_map import IMPORTER

    doc = _doc(SHARED_MORE_DATA / JS)
    doc["features"] = doc["features"][:3]
    path = tmp_path / JS
    path.write_text(text.replace("%s", json.dumps(doc)) if "%s" in text else text, encoding="utf-8")
    result = IMPORTER.run(path)
    if error is None:
        assert result.error is None and result.rows_accepted == 3
    else:
        assert result.error and error in result.error and "\n" not in result.error and not result.lines


def test_a_bad_liste_geo_entry_rejects_its_feature_with_the_reason(tmp_path):
    """A malformed entry, or a code the COG of the import does not have, rejects the feature (all its towns)."""
    from pvd_graph.importers.anct_acv2 import IMPORTER

    doc = _doc(SHARED_MORE_DATA / ACV2)
    doc["features"][0]["properties"]["liste_geo"] = "Agen 47001"
    doc["features"][1]["properties"]["liste_geo"] = "Ajaccio (2A004); Nulle part (99999)"
    path = tmp_path / ACV2
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    current = {normalise_insee(c) for c in re.findall(r"\((\w{5})\)", " ".join(
        f["properties"]["liste_geo"] for f in doc["features"])) if c != "99999"}
    result = IMPORTER.run(path, run=importers.ImportRun(earlier=importers.Earlier(current_communes=current)))
    assert [(r.line, r.field, r.value) for r in result.rejects] == [(0, "liste_geo", "Agen 47001"),
                                                                    (1, "liste_geo", "99999")]
    assert result.rows_accepted == len(doc["features"]) - 2
    assert not [t for t in result.triples if t.subject.value in (commune_iri("47001"), commune_iri("2A004"))]
