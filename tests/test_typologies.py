"""Commune typologies (density, centre level, rurality, massif) as SKOS concept schemes, and the QPV 2024
located in their communes (issue 16). Every commune of each file is checked, computed here from the CSV
and GeoJSON files of ``../shared/more-data/typologies``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from pvd_graph import importers, query
from pvd_graph.importers.qpv import SHARED_POINT, qpv_iri
from pvd_graph.importers.typologies import TYPOLOGIES, UNDEFINED, scheme_iri
from pvd_graph.namespaces import OX, OX_SKOS, ids

FOLDER = Path(__file__).resolve().parents[2] / "shared" / "more-data" / "typologies"
QPV_FILE = FOLDER / "qpv-centroides.geojson"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PREFIXES = ("PREFIX pvd: <https://w3id.org/pvd-graph/ontology#> "
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ")


def _rows(slug: str) -> list[dict]:
    path = FOLDER / f"ot-grille-{slug}.csv"
    assert path.is_file(), f"missing {path} (see ../shared/more-data/README.md)"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def expected_level(cell: str) -> tuple[str | None, str] | None:
    """(notation, label) as the file gives the level: ``06 - Massif Central`` → (``06``, ``Massif Central``);
    `` - undefined`` → None (no level)."""
    text = cell.strip()
    if text == "- undefined":
        return None
    number, sep, rest = text.partition(" - ")
    return (number, rest) if sep and number.isdigit() else (None, text)


@pytest.fixture(scope="module")
def run(shared_data):
    r = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", run=r)
    return r


@pytest.fixture(scope="module")
def results(run):
    return {t.slug: importers.import_file(FOLDER / f"ot-grille-{t.slug}.csv", run=run) for t in TYPOLOGIES}


def _store(result) -> ox.Store:
    store = ox.Store()
    store.bulk_load(result.ntriples(), format=ox.RdfFormat.N_TRIPLES)
    return store


@pytest.mark.parametrize("typology", TYPOLOGIES, ids=lambda t: t.slug)
def test_every_commune_has_its_level(typology, results):
    rows = _rows(typology.slug)
    result = results[typology.slug]
    assert result.source.id == f"ot-{typology.slug}" and result.error is None and not result.rejects
    expected = {ids.commune(r["insee_com"]): expected_level(r[typology.column]) for r in rows}
    undefined = [k for k, v in expected.items() if v is None]
    assert result.skipped == ({UNDEFINED: len(undefined)} if undefined else {})
    store = _store(result)
    found = {}
    for row in store.query(PREFIXES + f"SELECT ?c ?label ?n {{ ?c <{typology.prop.value}> ?l . "
                           f"?l skos:prefLabel ?label ; skos:inScheme <{scheme_iri(typology.slug)}> . "
                           "OPTIONAL { ?l skos:notation ?n } }"):
        assert row[0].value not in found, f"{row[0].value} has two levels"
        found[row[0].value] = (row[2].value if row[2] is not None else None, row[1].value)
    assert found == {k: v for k, v in expected.items() if v is not None}
    assert result.rows_accepted == len(found) == len(rows) - len(undefined)
    levels = {v for v in expected.values() if v is not None}
    assert result.figures["levels"] == len(levels)
    concepts = {row[0].value for row in store.query(
        PREFIXES + f"SELECT ?l {{ ?l a skos:Concept ; skos:inScheme <{scheme_iri(typology.slug)}> }}")}
    assert len(concepts) == len(levels)
    scheme = ox.NamedNode(scheme_iri(typology.slug))
    assert {q.object for q in store.quads_for_pattern(scheme, ox.NamedNode(RDF_TYPE), None)} == {
        OX_SKOS.ConceptScheme, OX.Typology}


def test_the_quirks_of_the_cleaned_levels(results):
    """Numbers stripped by ANCT (README: "first 4 characters removed"): no label starts with a space or a
    dash; the massifs keep their number as the notation; centralité's `` - undefined`` is no level."""
    labels = {slug: {row[0].value for row in _store(r).query(PREFIXES + "SELECT ?l { ?c skos:prefLabel ?l }")}
              for slug, r in results.items()}
    assert all(not l.startswith((" ", "-")) and "undefined" not in l for ls in labels.values() for l in ls)
    assert results["centralite"].skipped[UNDEFINED] == sum(
        1 for r in _rows("centralite") if r["niveau_centralite"].strip() == "- undefined") > 0
    notations = {row[0].value for row in _store(results["montagne"]).query(PREFIXES + "SELECT ?n { ?c skos:notation ?n }")}
    assert notations == {r["niveau_montagne"].split(" - ")[0] for r in _rows("montagne")}


@pytest.fixture(scope="module")
def qpv_features() -> list[dict]:
    assert QPV_FILE.is_file(), f"missing {QPV_FILE}"
    return json.loads(QPV_FILE.read_text(encoding="utf-8"))["features"]


def test_every_qpv_located_in_its_communes(run, qpv_features):
    result = importers.import_file(QPV_FILE, run=run)
    assert result.source.id == "anct-qpv" and result.error is None and not result.rejects
    assert result.rows_accepted == len(qpv_features)
    pairs, names, points = set(), {}, {}
    for f in qpv_features:
        p = f["properties"]
        codes, labels = p["code_qp"].split(", "), p["lib_qp"].split(", ")
        assert len(codes) == len(labels)
        for code, label in zip(codes, labels):
            pairs.add((qpv_iri(code), ids.commune(p["insee_com"])))
            names[qpv_iri(code)] = label
        if len(codes) == 1:
            points[(qpv_iri(codes[0]), p["insee_com"])] = tuple(f["geometry"]["coordinates"])
    store = _store(result)
    assert {(q.subject.value, q.object.value) for q in store.quads_for_pattern(None, OX.locatedIn, None)} == pairs
    labels = {row[0].value: row[1].value for row in store.query(
        PREFIXES + "SELECT ?q ?l { ?q a pvd:PriorityNeighbourhood ; rdfs:label ?l }")}
    assert labels == names
    wkt = {}
    for row in store.query("SELECT ?q ?g ?w { ?q <http://www.opengis.net/ont/geosparql#hasGeometry> ?g . "
                           "?g <http://www.opengis.net/ont/geosparql#asWKT> ?w }"):
        insee = row[1].value.rsplit("-", 1)[1]
        lon, lat = (float(v) for v in row[2].value.removeprefix("POINT(").removesuffix(")").split())
        wkt[(row[0].value, insee)] = (lon, lat)
    assert wkt == points
    assert result.figures[SHARED_POINT] == len(qpv_features) - len(points)


def test_enlarged_build_typologies_and_qpv(enlarged_build, qpv_features):
    ds = query.open_graph(enlarged_build)
    for t in TYPOLOGIES:
        rows = _rows(t.slug)
        per_level = Counter(expected_level(r[t.column])[1] for r in rows if expected_level(r[t.column]))
        found = {row[0].value: int(row[1].value) for row in ds.query(
            PREFIXES + f"SELECT ?label (COUNT(?c) AS ?n) {{ ?c <{t.prop.value}> ?l . ?l skos:prefLabel ?label }} "
            "GROUP BY ?label")}
        assert found == dict(per_level), t.slug
    titles = {row[0].value: row[1].value for row in ds.query(
        PREFIXES + "SELECT ?s ?t { ?s a pvd:Typology ; skos:prefLabel ?t }")}
    assert titles == {scheme_iri(t.slug): t.title for t in TYPOLOGIES}  # curated, data/typologies.ttl
    qpv = {c for f in qpv_features for c in f["properties"]["code_qp"].split(", ")}
    n = next(iter(ds.query(PREFIXES + "SELECT (COUNT(?q) AS ?n) { ?q a pvd:PriorityNeighbourhood }")))
    assert int(n[0].value) == len(qpv)
    report = (enlarged_build / "validation.txt").read_text(encoding="utf-8")
    assert "typology" not in report and "/qpv/" not in report
