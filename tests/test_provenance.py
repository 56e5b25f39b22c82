"""Provenance of imported sources: one prov:Entity / dcat:Distribution per file, with its counts."""

from __future__ import annotations

import datetime as dt
import hashlib

import pyoxigraph as ox

from pvd_graph import importers
from pvd_graph.provenance import provenance_quads

GRAPH = ox.NamedNode("https://w3id.org/pvd-graph/graph/provenance")
PREFIXES = """
PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX spdx: <http://spdx.org/rdf/terms#>
PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
"""


def test_each_source_described_with_checksum_counts_licence(shared_data):
    files = [shared_data / "anct_pvd_communes_2021.csv", shared_data / "cog" / "regions.json"]
    results = [importers.import_file(f) for f in files]
    store = ox.Store()
    store.extend(provenance_quads(results, GRAPH))
    rows = {str(b["src"].value): b for b in store.query(PREFIXES + """
        SELECT ?src ?url ?licence ?publisher ?sum ?read ?acc ?rej WHERE { GRAPH ?g {
          ?src a prov:Entity, dcat:Distribution ; dcat:downloadURL ?url ; dcterms:license ?licence ;
               dcterms:publisher ?publisher ;
               spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ; spdx:checksumValue ?sum ] ;
               pvd:rowsRead ?read ; pvd:rowsAccepted ?acc ; pvd:rowsRejected ?rej } }""")}
    assert set(rows) == {f"https://w3id.org/pvd-graph/id/source/{r.source.id}" for r in results}
    for path, r in zip(files, results):
        b = rows[f"https://w3id.org/pvd-graph/id/source/{r.source.id}"]
        assert b["sum"].value == hashlib.sha256(path.read_bytes()).hexdigest()
        assert (int(b["read"].value), int(b["acc"].value), int(b["rej"].value)) == (
            r.rows_read, r.rows_accepted, r.rows_rejected)
    assert int(rows["https://w3id.org/pvd-graph/id/source/anct-pvd"]["rej"].value) == len(results[0].rejects) > 0


def test_vintage_and_retrieval_time_from_fetch_manifest(tmp_path, shared_data):
    """The URL and retrieval time recorded by ``fetch`` land in the provenance, next to the importer's vintage."""
    src = shared_data / "cog" / "regions.json"
    (tmp_path / "regions.json").write_bytes(src.read_bytes())
    (tmp_path / importers.FETCH_MANIFEST).write_text(
        '{"files": {"regions.json": {"url": "https://example.org/regions.json", '
        '"retrieved": "2025-01-02T03:04:05+00:00"}}}', encoding="utf-8")
    results, _ = importers.import_directory(tmp_path)
    store = ox.Store()
    store.extend(provenance_quads(results, GRAPH))
    (b,) = list(store.query(PREFIXES + """SELECT ?url ?when ?vintage WHERE { GRAPH ?g {
        ?s dcat:downloadURL ?url ; prov:generatedAtTime ?when ; pvd:cogVintage ?vintage } }"""))
    assert b["url"].value == "https://example.org/regions.json"
    when = dt.datetime.fromisoformat(b["when"].value)
    assert when == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert b["vintage"].value == results[0].source.vintage


def test_failed_source_is_not_described(tmp_path):
    """A refused file is not part of the dataset: no source node, no row counts (rejects.csv says it)."""
    (tmp_path / "epci.json").write_bytes(b"")
    results, _ = importers.import_directory(tmp_path)
    assert results and all(r.error for r in results)
    assert provenance_quads(results, GRAPH) == []


def test_a_set_aside_cog_does_not_add_its_vintage_to_the_current_one(shared_data):
    """Issue 14: the 2021 and 2023 COG of more-data, set aside, gave source/cog-communes three
    cogVintage values (2021, 2023, 2026) and three checksums: only the imported file describes it."""
    from conftest import SHARED_MORE_DATA

    results, _ = importers.import_directory([shared_data / "cog", SHARED_MORE_DATA / "cog-2021"])
    vintages = {q.object.value for q in provenance_quads(results, GRAPH)
                if q.predicate.value.endswith("cogVintage") and q.subject.value.endswith("/cog-communes")}
    assert vintages == {"2026"}


# --- one record per source: licence, address and version live in the importers -------------------

def _addresses_in(module) -> list[str]:
    """The http(s) string literals and f-strings of *module*'s code (docstrings left out)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if id(node) in docs:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("http"):
            found.append(node.value)
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant) \
                and str(node.values[0].value).startswith("http"):
            found.append(ast.unparse(node))
    return found


def test_fetch_takes_addresses_and_versions_from_the_importer_records():
    """``fetch`` writes no address of its own: each download is the address of an importer's record."""
    from pvd_graph import fetch
    from pvd_graph.importers import anct_ort, anct_pvd, cog, crte

    assert _addresses_in(fetch) == []
    assert {r.name: r.url for r in fetch.REMOTES} == {
        "anct_pvd_communes.csv": anct_pvd.IMPORTER.url, "anct_crte_groupements.csv": crte.IMPORTER.url,
        "ort_suivi_conventions.xlsx": anct_ort.IMPORTER.url,
        fetch.COG_TARBALL: cog.TARBALL_URL}
    # the tarball that fetch downloads and the files the provenance cites are of the same package version
    assert fetch.COG_TARBALL == f"decoupage-administratif-{cog.PACKAGE_VERSION}.tgz"
    for imp in cog.IMPORTERS:
        assert f"@{cog.PACKAGE_VERSION}/" in imp.url and imp.url.endswith("/" + imp.filenames[0])


def test_void_licence_of_each_graph_is_its_source_record():
    """A graph without a provenance record gets the licence of its importer's record, the project's own
    graphs the project's licence: one IRI per licence, the importers', in the whole build."""
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS

    from pvd_graph import store, void
    from pvd_graph.namespaces import PROJECT_LICENCE, named_graph_iri

    ds = store.new_dataset()
    names = [*importers.KNOWN_SOURCES, "ontology", "curated", "alignments"]
    s = ox.NamedNode("https://w3id.org/pvd-graph/id/commune/73011")
    ds.extend([ox.Quad(s, s, ox.Literal(n), ox.NamedNode(named_graph_iri(n))) for n in names])
    g = void.describe_dataset(ds)
    licences = {str(graph)[len(named_graph_iri("")):]: str(g.value(graph, DCTERMS.license))
                for graph in g.objects(void.DATASET, URIRef("http://rdfs.org/ns/void#subset"))}
    expected = {sid: imp.licence or "None" for sid, imp in importers.KNOWN_SOURCES.items()}  # "": none stated
    assert licences == {**expected, "ontology": PROJECT_LICENCE, "curated": PROJECT_LICENCE,
                        "alignments": PROJECT_LICENCE}
    assert {str(o) for o in g.objects(None, DCTERMS.license)} == {*expected.values(), PROJECT_LICENCE} - {"None"}
