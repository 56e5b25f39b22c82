"""Every file ``pvd-graph export`` writes is read back by every command that takes a graph (issue #12).

Each export format is written under every file extension the loader knows for it
(``.jsonld`` and ``.json``, ``.rdf``, ``.rdfxml``...), then read by ``stats``,
``validate``, ``query``, ``export``, ``viz``, ``network-stats`` and ``serve``: the
answers must be those of the build folder it came from.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from pvd_graph import export, store
from pvd_graph.cli import main

#: (format, extension): every format ``export`` writes, under every extension it may be given.
EXPORTS = [(fmt, ext) for fmt in export.FORMATS for ext in store.SYNTAXES[fmt][2]]
IDS = [f"{fmt}{ext}" for fmt, ext in EXPORTS]

#: A date that is no xsd:date: three violations of pvdsh:ConventionShape.
BAD_LINE = ('<https://w3id.org/pvd-graph/id/convention/pvd-albertville-ort-2023> '
            '<https://w3id.org/pvd-graph/ontology#signedOn> "juillet 2023" .\n')

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _export_all(source, folder) -> dict:
    folder.mkdir()
    files = {}
    for fmt, ext in EXPORTS:
        path = folder / f"graph{ext}"
        assert main(["export", "--graph", str(source), "-f", fmt, "--out", str(path), "-q"]) == 0
        files[fmt, ext] = path
    return files


@pytest.fixture(scope="module")
def exported(curated_build, tmp_path_factory) -> dict:
    """The curated build exported in every format and extension."""
    return _export_all(curated_build, tmp_path_factory.mktemp("exports") / "curated")


@pytest.fixture(scope="module")
def bad_exports(curated_build, tmp_path_factory) -> tuple:
    """A graph with violations (the curated graph plus a bad date), as N-Triples and in every export."""
    folder = tmp_path_factory.mktemp("bad")
    bad = folder / "bad.nt"
    bad.write_text((curated_build / "graph.nt").read_text(encoding="utf-8") + BAD_LINE, encoding="utf-8")
    return bad, _export_all(bad, folder / "exports")


def _out(capsys, argv) -> tuple[int, str]:
    capsys.readouterr()
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out


@pytest.mark.parametrize("fmt, ext", EXPORTS, ids=IDS)
def test_stats_of_an_export_are_those_of_the_build(exported, curated_build, capsys, fmt, ext):
    status, expected = _out(capsys, ["stats", "--graph", str(curated_build), "--format", "json"])
    assert status == 0 and json.loads(expected)["properties"]
    assert _out(capsys, ["stats", "--graph", str(exported[fmt, ext]), "--format", "json"]) == (0, expected)


@pytest.mark.parametrize("fmt, ext", EXPORTS, ids=IDS)
def test_validate_of_an_export_gives_the_same_conformance(exported, bad_exports, curated_build, capsys, fmt, ext):
    def report(graph):
        status, out = _out(capsys, ["validate", str(graph), "--format", "json"])
        doc = json.loads(out)
        return status, doc["conforms"], sorted((r["focus"], r["path"], r["constraint"], r["value"])
                                               for r in doc["results"])

    good = report(curated_build)
    assert good[:2] == (0, True)
    assert report(exported[fmt, ext]) == good
    bad, bad_files = bad_exports
    expected = report(bad)
    assert expected[:2] == (1, False) and len(expected[2]) >= 2
    assert report(bad_files[fmt, ext]) == expected


def _triples(ds) -> set:
    """The triples of the default graph as queried, blank nodes left out (their labels differ by load)."""
    return {tuple(map(str, row)) for row in store.query(
        ds, "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) }")}


@pytest.mark.parametrize("graphs", store.GRAPH_LAYOUTS)
@pytest.mark.parametrize("fmt, ext", EXPORTS, ids=IDS)
def test_every_layout_of_an_export_queries_like_the_build(exported, curated_build, fmt, ext, graphs):
    """``union`` (stats, query, viz...), ``named`` (export, publish), ``both`` (serve): same answers."""
    folder = store.open_built(curated_build, graphs=graphs)
    file = store.open_built(exported[fmt, ext], graphs=graphs)
    assert _triples(file) == _triples(folder)
    count = int(next(iter(store.query(folder, COUNT)))[0])
    if graphs == "union" or fmt not in export.DATASET_FORMATS:
        assert int(next(iter(store.query(file, COUNT)))[0]) == count


TWO_SOURCES = """
@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/pvd-graph/graph/a> {
  <https://w3id.org/pvd-graph/id/commune/73011> a pvd:Commune ; rdfs:label "Albertville"@fr .
}
<https://w3id.org/pvd-graph/graph/b> {
  <https://w3id.org/pvd-graph/id/commune/73011> a pvd:Commune ; rdfs:label "Albertville"@fr , "Albertville"@en .
}
"""


@pytest.mark.parametrize("fmt", export.DATASET_FORMATS)
def test_a_triple_stated_by_two_sources_counts_once(tmp_path, capsys, fmt):
    """A dataset file read as a graph is the union of its graphs, as a build folder's graph.nt is."""
    source = tmp_path / "two.trig"
    source.write_text(TWO_SOURCES, encoding="utf-8")
    path = tmp_path / f"two{export.FORMATS[fmt][1]}"
    assert main(["export", "--graph", str(source), "-f", fmt, "--out", str(path), "-q"]) == 0
    status, out = _out(capsys, ["stats", "--graph", str(path), "--format", "json"])
    assert status == 0
    assert dict(map(tuple, json.loads(out)["properties"])) == {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": 1, "http://www.w3.org/2000/01/rdf-schema#label": 2}


@pytest.mark.parametrize("fmt, ext", EXPORTS, ids=IDS)
def test_query_export_viz_and_network_stats_read_every_export(exported, curated_build, capsys, tmp_path, fmt, ext):
    file = exported[fmt, ext]

    def same(argv):
        expected = _out(capsys, [*argv, "--graph", str(curated_build)])
        assert expected[0] == 0 and expected[1]
        assert _out(capsys, [*argv, "--graph", str(file)]) == expected

    same(["query", "--sparql", COUNT, "--format", "json"])
    same(["query", "partners-of-town", "--param", "insee=73011", "--format", "csv"])
    same(["network-stats", "--format", "json", "-q"])
    same(["export", "-f", "nt", "-q"])
    viz = tmp_path / "net.graphml"
    assert main(["viz", "--graph", str(file), "--out", str(viz), "-q"]) == 0
    assert "<graphml" in viz.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt, ext", [("jsonld", ".jsonld"), ("rdfxml", ".rdfxml"), ("trig", ".trig")])
def test_serve_reads_an_export(exported, curated_build, tmp_path, fmt, ext):
    from serve_support import Server

    expected = int(next(iter(store.query(store.open_built(curated_build, graphs="both"), COUNT)))[0])
    server = Server(exported[fmt, ext], "--workers", "1", "-q", log_dir=tmp_path)
    try:
        url = f"{server.base}/sparql?" + urllib.parse.urlencode({"query": COUNT})
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            doc = json.load(reply)
    finally:
        server.stop()
    assert int(doc["results"]["bindings"][0]["n"]["value"]) == expected > 400


# --- issue 13: one storage seam --------------------------------------------------------------

def test_no_module_but_the_store_reaches_for_oxigraph():
    """No module but pvd_graph/store.py creates or reaches into an Oxigraph store (``ox.Store``,
    oxrdflib's private ``_inner``): every caller goes through :class:`pvd_graph.store.Store`."""
    import re
    from pathlib import Path

    import pvd_graph

    package = Path(pvd_graph.__file__).parent
    reach = re.compile(r"\box\.Store\b|pyoxigraph\.Store\b|\._inner\b|oxigraph_store\(|store=\"Oxigraph\"")
    offenders = [f"{path.relative_to(package)}:{n}" for path in sorted(package.rglob("*.py"))
                 if path.name != "store.py" or path.parent != package
                 for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if reach.search(text)]
    assert offenders == []
