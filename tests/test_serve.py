"""``pvd-graph serve`` on the curated build: SPARQL protocol in every format, entity pages.

Expected answers come from rdflib (a different SPARQL engine and parser) run
on the same build file, and from the curated Turtle source files.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import socket
import subprocess
import tempfile
import xml.dom.minidom

import pytest
import requests
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.util import from_n3
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper

from pvd_graph import resources
from pvd_graph.identifiers import commune_iri, convention_iri, departement_iri, epci_iri
from pvd_graph.namespaces import ID
from serve_support import Server, build_figures, free_port, run_serve

ALBERTVILLE = commune_iri("73011")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
SELECT = """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?commune ?nom WHERE { ?commune a pvd:Commune ; rdfs:label ?nom }"""
CONSTRUCT = """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
CONSTRUCT { ?c pvd:memberOf ?e ; pvd:inseeCode ?code } WHERE { ?c pvd:memberOf ?e ; pvd:inseeCode ?code }"""
ASK = "ASK { <%s> ?p ?o }" % ALBERTVILLE


@pytest.fixture(scope="module")
def server(curated_build, tmp_path_factory):
    srv = Server(curated_build, "--workers", "2", log_dir=tmp_path_factory.mktemp("logs"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def reference(curated_build) -> Dataset:
    """The build read by rdflib's own parser and store: the independent reference."""
    ds = Dataset(default_union=True)
    ds.parse(curated_build / resources.DATASET_NQ, format="nquads")
    return ds


@pytest.fixture(scope="module")
def expected_rows(reference) -> set[tuple[str, str]]:
    rows = {(str(r.commune), str(r.nom)) for r in reference.query(SELECT)}
    assert (ALBERTVILLE, "Albertville") in rows
    return rows


@pytest.fixture(scope="module")
def expected_graph(reference) -> Graph:
    g = Graph()
    for t in reference.query(CONSTRUCT):
        g.add(t)
    assert len(g) > 0
    return g


def _wrapper(server, query, fmt, method=None):
    w = SPARQLWrapper(server.base + "/sparql")
    w.setQuery(query)
    w.setReturnFormat(fmt)
    if method == POST:
        w.setMethod(POST)
    elif method == POSTDIRECTLY:
        w.setMethod(POST)
        w.setRequestMethod(POSTDIRECTLY)
    return w


def _rows_from(fmt, raw) -> set[tuple[str, str]]:
    if fmt == JSON:
        return {(b["commune"]["value"], b["nom"]["value"]) for b in raw["results"]["bindings"]}
    if fmt == XML:
        rows = set()
        for result in raw.getElementsByTagName("result"):
            values = {b.getAttribute("name"): b.firstChild.firstChild.nodeValue
                      for b in result.getElementsByTagName("binding")}
            rows.add((values["commune"], values["nom"]))
        return rows
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if fmt == CSV:
        return {(r["commune"], r["nom"]) for r in csv.DictReader(io.StringIO(text))}
    lines = text.splitlines()
    assert lines[0].split("\t") == ["?commune", "?nom"]
    rows = set()
    for line in lines[1:]:
        commune, nom = line.split("\t")
        assert commune.startswith("<") and nom.startswith('"')
        rows.add((commune[1:-1], str(from_n3(nom))))
    return rows


@pytest.mark.parametrize("method", [None, POST, POSTDIRECTLY], ids=["GET", "POST-form", "POST-direct"])
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select_in_every_format(server, expected_rows, fmt, method):
    result = _wrapper(server, SELECT, fmt, method).query()
    media = {JSON: "application/sparql-results+json", XML: "application/sparql-results+xml",
             CSV: "text/csv", TSV: "text/tab-separated-values"}[fmt]
    assert result.info()["content-type"].startswith(media)
    assert _rows_from(fmt, result.convert()) == expected_rows


@pytest.mark.parametrize("fmt", [TURTLE, JSONLD, N3])
def test_sparqlwrapper_construct(server, expected_graph, fmt):
    result = _wrapper(server, CONSTRUCT, fmt).query()
    graph = result.convert()
    if not isinstance(graph, Graph):
        graph = Graph().parse(data=graph, format="turtle")
    assert isomorphic(graph, expected_graph)


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(server, fmt):
    raw = _wrapper(server, ASK, fmt).query().convert()
    value = raw["boolean"] if fmt == JSON else raw.getElementsByTagName("boolean")[0].firstChild.nodeValue == "true"
    assert value is True


def _curl(server, query, accept, *extra):
    assert shutil.which("curl"), "curl is required by this test: apt-get install -y curl"
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "30", "-H", f"Accept: {accept}", "-w", "\n%{http_code} %{content_type}",
         *extra, "--data-urlencode", f"query={query}", server.base + "/sparql"],
        capture_output=True, check=True)
    body, _, meta = out.stdout.rpartition(b"\n")
    status, ctype = meta.decode().split(" ", 1)
    return int(status), ctype, body


@pytest.mark.parametrize("accept,fmt", [
    ("application/sparql-results+json", JSON), ("application/sparql-results+xml", XML),
    ("text/csv", CSV), ("text/tab-separated-values", TSV)])
@pytest.mark.parametrize("method", [["-G"], []], ids=["GET", "POST"])
def test_curl_select_in_every_format(server, expected_rows, accept, fmt, method):
    status, ctype, body = _curl(server, SELECT, accept, *method)
    assert status == 200 and ctype.startswith(accept)
    raw = {JSON: lambda b: json.loads(b), XML: lambda b: xml.dom.minidom.parseString(b)}.get(fmt, lambda b: b)(body)
    assert _rows_from(fmt, raw) == expected_rows


@pytest.mark.parametrize("accept,rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml")])
def test_curl_construct_in_every_format(server, expected_graph, accept, rdflib_format):
    status, ctype, body = _curl(server, CONSTRUCT, accept, "-G")
    assert status == 200 and ctype.startswith(accept)
    assert isomorphic(Graph().parse(data=body, format=rdflib_format), expected_graph)


def test_describe(server, reference):
    status, _, body = _curl(server, f"DESCRIBE <{ALBERTVILLE}>", "text/turtle", "-G")
    assert status == 200
    got = Graph().parse(data=body, format="turtle")
    expected = {(URIRef(ALBERTVILLE), p, o) for p, o in reference.predicate_objects(URIRef(ALBERTVILLE))}
    assert expected and expected <= set(got)


def test_query_page_lists_the_catalogue(server):
    r = requests.get(server.base + "/sparql", headers={"Accept": "text/html"}, timeout=10)
    assert r.status_code == 200 and "<form" in r.text
    for path in resources.query_files():
        title = next((ln.split(":", 1)[1].strip() for ln in path.read_text(encoding="utf-8").splitlines()
                      if ln.startswith("# title:")), path.stem)
        assert title.replace("'", "&#x27;") in r.text


def _albertville_facts(curated_ttl_graph) -> tuple[set, set]:
    node = URIRef(ALBERTVILLE)
    return set(curated_ttl_graph.triples((node, None, None))), set(curated_ttl_graph.triples((None, None, node)))


@pytest.fixture(scope="module")
def curated_sources() -> Graph:
    g = Graph()
    for path in resources.curated_files():
        g.parse(path, format="turtle")
    return g


@pytest.mark.parametrize("accept,rdflib_format", [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt")])
def test_entity_rdf(server, curated_sources, accept, rdflib_format):
    r = requests.get(server.base + "/id/commune/73011", headers={"Accept": accept}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    assert "Accept" in r.headers["vary"]
    got = set(Graph().parse(data=r.content, format=rdflib_format))
    outgoing, incoming = _albertville_facts(curated_sources)
    assert (URIRef(ALBERTVILLE), RDFS_LABEL, Literal("Albertville", lang="fr")) in got
    assert outgoing <= got and incoming <= got
    assert any(s == URIRef(convention_iri("pvd-arlysere-convention-cadre-2023")) for s, _, _ in incoming)


def test_every_resource_has_a_page(server, reference):
    subjects = {s for s in reference.subjects() if isinstance(s, URIRef) and str(s).startswith(ID)}
    assert URIRef(ALBERTVILLE) in subjects
    with requests.Session() as http:
        for s in sorted(subjects):
            r = http.get(server.base + "/id/" + str(s)[len(ID):], headers={"Accept": "text/turtle"}, timeout=10)
            assert r.status_code == 200, s
            assert (s, None, None) in Graph().parse(data=r.content, format="turtle")
            r = http.get(server.base + "/id/" + str(s)[len(ID):], headers={"Accept": "text/html"}, timeout=10)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), s


def test_unknown_entity_is_404(server):
    for path in ("/id/commune/00000", "/id/nothing", "/id/commune/73011/extra"):
        assert requests.get(server.base + path, headers={"Accept": "text/html"}, timeout=10).status_code == 404


@pytest.mark.browser
def test_entity_page_in_headless_chromium(server, curated_sources):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is required by this test: apt-get install -y chromium"
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--virtual-time-budget=5000",
             "--dump-dom", server.base + "/id/commune/73011"],
            capture_output=True, text=True, timeout=120)
    dom = out.stdout
    assert "<h1>Albertville</h1>" in dom, out.stderr[-2000:]
    label = lambda iri: str(curated_sources.value(URIRef(iri), RDFS_LABEL))  # noqa: E731
    for iri, path in ((epci_iri("200068997"), "/id/epci/200068997"), (departement_iri("73"), "/id/departement/73"),
                      (convention_iri("pvd-arlysere-convention-cadre-2023"),
                       "/id/convention/pvd-arlysere-convention-cadre-2023")):
        assert f'<a href="{path}">{label(iri)}</a>' in dom, (path, label(iri))


def test_serve_missing_graph_is_one_line(tmp_path, capsys):
    from pvd_graph.cli import main

    assert main(["serve", "--graph", str(tmp_path / "nope"), "--port", str(free_port())]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("pvd-graph serve: error:") and "nope" in err[-1]


# --- issue 12: the address is checked before anything is loaded; honest figures; the dataset view


@pytest.mark.parametrize("port", ["99999", "0", "-1", "65536"])
def test_port_out_of_range_is_one_line(curated_build, port, capsys):
    from pvd_graph.cli import main

    assert main(["serve", "--graph", str(curated_build), "--port", port]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pvd-graph serve: error: --port") and "65535" in err[0]


def _refused_before_loading(result, address: str, reason: str) -> None:
    err = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stderr + result.stdout
    assert "loading" not in result.stderr  # refused before the workers load the graph
    assert err == [f"pvd-graph serve: error: cannot listen on {address}: {reason}"
                   + (" (another server is using this port?)" if reason == os.strerror(errno.EADDRINUSE) else "")]


def test_port_in_use_is_refused_before_loading(national_build):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve("--graph", str(national_build), "--port", str(port))
    _refused_before_loading(result, f"127.0.0.1:{port}", os.strerror(errno.EADDRINUSE))


def test_host_not_on_this_machine_is_refused_before_loading(curated_build):
    """192.0.2.1 is TEST-NET-1 (RFC 5737): no interface has it, so bind fails; nothing is sent to it."""
    port = free_port()
    result = run_serve("--graph", str(curated_build), "--host", "192.0.2.1", "--port", str(port))
    _refused_before_loading(result, f"192.0.2.1:{port}", os.strerror(errno.EADDRNOTAVAIL))


def test_service_description_states_the_dataset_view(server, curated_build):
    """The counts are stated in the VoID vocabulary (rdflib's VOID namespace, the one the build's void.ttl
    uses): a client asking for void:triples finds them."""
    from rdflib.namespace import VOID

    assert str(VOID) in (curated_build / "void.ttl").read_text(encoding="utf-8")
    default, named = build_figures(curated_build)
    r = requests.get(server.base + "/sparql", headers={"Accept": "text/turtle"}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    sd = Graph().parse(data=r.text, format="turtle")
    answer = sd.query("""PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
        PREFIX void: <%s>
        SELECT ?n WHERE { ?s a sd:Service ; sd:endpoint ?s ;
                          sd:defaultDataset/sd:defaultGraph/void:triples ?n }""" % VOID)
    assert [int(row.n) for row in answer] == [default]
    # the default graph is the union of the source graphs, not of every named graph: the alignments
    # graph is outside it, so sd:UnionDefaultGraph is not claimed
    from pvd_graph.alignments import ALIGNMENTS_GRAPH
    assert ALIGNMENTS_GRAPH in named and "UnionDefaultGraph" not in r.text
    graphs = sd.query("""PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
        PREFIX void: <%s>
        SELECT ?g ?n WHERE { [] sd:defaultDataset/sd:namedGraph [ sd:name ?g ; sd:graph/void:triples ?n ] }""" % VOID)
    assert {str(row.g): int(row.n) for row in graphs} == named
    # and the endpoint does what it says: default graph = the sources' union, each triple once; named graphs beside it
    counts = {}
    for name, text in (("default", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
                       ("named", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")):
        r = requests.get(server.base + "/sparql", params={"query": text},
                         headers={"Accept": "application/sparql-results+json"}, timeout=10)
        counts[name] = int(r.json()["results"]["bindings"][0]["n"]["value"])
    assert counts == {"default": default, "named": sum(named.values())}


def test_query_page_states_the_dataset_view(server, curated_build):
    _, named = build_figures(curated_build)
    page = requests.get(server.base + "/sparql", headers={"Accept": "text/html"}, timeout=10).text
    assert "l’union de toutes les sources, chaque triplet une fois" in page
    for name in named:
        assert f"<li><code>{name}</code>" in page


def test_alignments_are_served_as_their_own_graph(server, curated_build):
    """Issue 18: the build's alignments.nt was not loaded (the endpoint had one rdfs:seeAlso). Now every
    rdfs:seeAlso of the file is in the named graph graph/alignments (from the on-disk store, or loaded
    from the file), the default graph stays graph.nt's (what `pvd-graph query` sees: no
    sd:UnionDefaultGraph claimed then), and /.well-known/void describes the linkset with its count."""
    import pyoxigraph as ox

    from pvd_graph.alignments import ALIGNMENTS_GRAPH
    from serve_support import alignment_triples

    triples = alignment_triples(curated_build)
    see = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
    see_also = {(t.subject.value, t.object.value) for t in triples if t.predicate.value == see}
    assert see_also  # the curated towns have codes: the file links them
    in_graph_nt = {(t.subject.value, t.object.value) for t in ox.parse(path=str(curated_build / "graph.nt"),
                                                                       format=ox.RdfFormat.N_TRIPLES)
                   if t.predicate.value == see}
    for where, expected in ((f"GRAPH <{ALIGNMENTS_GRAPH}> {{ ?s rdfs:seeAlso ?o }}", see_also),
                            ("?s rdfs:seeAlso ?o", in_graph_nt)):
        r = requests.get(server.base + "/sparql", timeout=30, headers={"Accept": "application/sparql-results+json"},
                         params={"query": "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                                          f"SELECT ?s ?o WHERE {{ {where} }}"})
        assert r.status_code == 200, r.text
        assert {(b["s"]["value"], b["o"]["value"]) for b in r.json()["results"]["bindings"]} == expected, where
    sd = requests.get(server.base + "/sparql", headers={"Accept": "text/turtle"}, timeout=10)
    assert sd.status_code == 200 and "UnionDefaultGraph" not in sd.text and str(ALIGNMENTS_GRAPH) in sd.text
    r = requests.get(server.base + "/.well-known/void", headers={"Accept": "text/turtle"}, timeout=10)
    assert r.status_code == 200
    void = Graph().parse(data=r.text, format="turtle")
    rows = list(void.query(f"""PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?n WHERE {{ <https://w3id.org/pvd-graph/dataset> void:subset <{ALIGNMENTS_GRAPH}> .
                          <{ALIGNMENTS_GRAPH}> a void:Linkset ; void:linkPredicate
                          <http://www.w3.org/2000/01/rdf-schema#seeAlso> ; void:triples ?n }}"""))
    assert [int(row.n) for row in rows] == [len(triples)]


def test_memory_option_serves_the_build_parsed_into_memory(server, curated_build, tmp_path):
    """``serve --memory`` parses the build's files instead of opening its on-disk store (the start-up line
    says which), and serves the same dataset: the default graph and each named graph as the files hold them."""
    default, named = build_figures(curated_build)
    assert "the build's on-disk store, opened read-only by each worker" in server.output()
    srv = Server(curated_build, "--workers", "1", "--memory", log_dir=tmp_path)
    try:
        assert "in memory, shared by the workers (forks)" in srv.output()
        counts = {}
        for name, text in (("default", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
                           ("named", "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")):
            r = requests.get(srv.base + "/sparql", params={"query": text},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
            assert r.status_code == 200, r.text
            counts[name] = {b.get("g", {}).get("value", ""): int(b["n"]["value"]) for b in r.json()["results"]["bindings"]}
        assert counts == {"default": {"": default}, "named": named}
    finally:
        srv.stop()
