"""``pvd-graph publish`` against a real Virtuoso Open Source server on 127.0.0.1.

The server is the one named by ``PVD_VIRTUOSO_URL`` (its HTTP root, with
``PVD_VIRTUOSO_PASSWORD`` for user ``dba``), else a private instance started
here with ``scripts/virtuoso.sh`` on free ports and stopped at the end.
Without Debian's ``virtuoso-opensource`` package the tests fail: CI installs it.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from collections import defaultdict

import pyoxigraph as ox
import pytest
import requests

from pvd_graph import resources
from pvd_graph.cli import main
from pvd_graph.identifiers import commune_iri
from pvd_graph.namespaces import GRAPHS
from pvd_graph.publish import UNION_GRAPH, count_triples, query_endpoint_for, target_graph
from serve_support import REPO, Server, free_port

SCRIPT = REPO / "scripts" / "virtuoso.sh"
ALBERTVILLE = commune_iri("73011")
AJACCIO = commune_iri("2A004")


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """(HTTP root URL, dba password) of a running Virtuoso."""
    url = os.environ.get("PVD_VIRTUOSO_URL")
    if url:
        yield url.rstrip("/"), os.environ.get("PVD_VIRTUOSO_PASSWORD", "dba")
        return
    assert shutil.which("virtuoso-t"), (
        "Virtuoso is required by the publish tests: apt-get install -y virtuoso-opensource "
        "(or set PVD_VIRTUOSO_URL and PVD_VIRTUOSO_PASSWORD to a running server)")
    folder = tmp_path_factory.mktemp("virtuoso")
    http_port, sql_port, password = free_port(), free_port(), "pvd-test-secret"
    started = subprocess.run([str(SCRIPT), "start", str(folder), str(http_port), str(sql_port), password],
                             capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stderr + started.stdout
    try:
        yield f"http://127.0.0.1:{http_port}", password
    finally:
        subprocess.run([str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=120)


def graph_counts(build) -> dict[str, int]:
    """Distinct triples per named graph, read from the build's dataset.nq by Oxigraph's parser."""
    per_graph = defaultdict(set)
    with open(build / resources.DATASET_NQ, "rb") as fh:
        for quad in ox.parse(fh, format=ox.RdfFormat.N_QUADS):
            per_graph[quad.graph_name.value].add(quad.triple)
    return {g: len(t) for g, t in per_graph.items()}


def test_script_binds_loopback_only(virtuoso):
    if os.environ.get("PVD_VIRTUOSO_URL"):
        pytest.skip("an external server was given; its configuration is not ours")  # not a feature stand-in
    port = int(virtuoso[0].rsplit(":", 1)[1])
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True)
    listening = [line.split()[3] for line in out.stdout.splitlines()]
    assert listening == [f"127.0.0.1:{port}"]


def _select(url: str, query: str) -> list[dict]:
    r = requests.get(url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"},
                     timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["results"]["bindings"]


def test_publish_national_graph(virtuoso, national_build, capsys):
    """Per-source graphs and the union side by side (the dataset view); the union holds each triple once."""
    url, password = virtuoso
    endpoint = url + "/sparql-graph-crud-auth"
    expected = graph_counts(national_build)
    assert len(expected) >= 4 and sum(expected.values()) > 100_000
    with open(national_build / resources.DATASET_NQ, "rb") as fh:
        union = {q.triple for q in ox.parse(fh, format=ox.RdfFormat.N_QUADS)}
    status = main(["publish", "--graph", str(national_build), "--endpoint", endpoint, "--user", "dba",
                   "--password", password, "--graph-iri", "urn:pvd-test:national/",
                   "--union-graph", "urn:pvd-test:national-union", "-q"])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert f"warning: {len(union):,} triples are in more than one of the graphs published" in err
    session = requests.Session()
    for graph, n in expected.items():
        target = target_graph(graph, "urn:pvd-test:national/")
        assert target == "urn:pvd-test:national/" + graph.removeprefix(GRAPHS)
        assert count_triples(session, url + "/sparql", target) == n, graph
    assert count_triples(session, url + "/sparql", "urn:pvd-test:national-union") == len(union)
    # Albertville landed with its label, in the curated graph
    rows = _select(url, "SELECT ?l WHERE { GRAPH <urn:pvd-test:national/curated> { "
                        f"<{ALBERTVILLE}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }}")
    assert [b["l"]["value"] for b in rows] == ["Albertville"]
    # Ajaccio's name is stated by several sources: once per source graph, once in the union
    label = ox.Triple(ox.NamedNode(AJACCIO), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                      ox.Literal("Ajaccio", language="fr"))
    with open(national_build / resources.DATASET_NQ, "rb") as fh:
        sources = [q.graph_name.value for q in ox.parse(fh, format=ox.RdfFormat.N_QUADS) if q.triple == label]
    assert len(sources) >= 2
    rows = _select(url, "SELECT ?g WHERE { GRAPH ?g { "
                        f"<{AJACCIO}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }} "
                        'FILTER(STRSTARTS(STR(?g), "urn:pvd-test:national/")) }')
    assert sorted(b["g"]["value"] for b in rows) == sorted(target_graph(g, "urn:pvd-test:national/") for g in sources)
    rows = _select(url, "SELECT ?l FROM <urn:pvd-test:national-union> WHERE { "
                        f"<{AJACCIO}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}")
    assert [b["l"]["value"] for b in rows] == ["Ajaccio"]


def test_republish_replaces_and_chunks(virtuoso, curated_build, capsys):
    """Publishing twice, in small chunks, leaves exactly one copy; blank nodes stay linked."""
    url, password = virtuoso
    args = ["publish", "--graph", str(curated_build), "--endpoint", url + "/sparql-graph-crud-auth",
            "--user", "dba", "--password", password, "--graph-iri", "urn:pvd-test:curated/", "--chunk-size", "7"]
    assert main(args) == 0
    assert main(args) == 0
    err = capsys.readouterr().err
    expected = graph_counts(curated_build)
    curated = expected[GRAPHS + "curated"]
    assert f"<urn:pvd-test:curated/curated>: {curated}/{curated} triples sent" in err
    session = requests.Session()
    for graph, n in expected.items():
        assert count_triples(session, url + "/sparql", target_graph(graph, "urn:pvd-test:curated/")) == n


def _union(build) -> set:
    with open(build / resources.DATASET_NQ, "rb") as fh:
        return {q.triple for q in ox.parse(fh, format=ox.RdfFormat.N_QUADS)}


def test_union_graph(virtuoso, curated_build, capsys):
    url, password = virtuoso
    assert main(["publish", "--graph", str(curated_build), "--endpoint", url + "/sparql-graph-crud-auth",
                 "--user", "dba", "--password", password, "--union-graph", "urn:pvd-test:union", "-q"]) == 0
    assert count_triples(requests.Session(), url + "/sparql", "urn:pvd-test:union") == len(_union(curated_build))
    assert "warning" not in capsys.readouterr().err  # one graph: nothing is published twice


def test_default_is_the_union(virtuoso, curated_build, capsys):
    url, password = virtuoso
    assert main(["publish", "--graph", str(curated_build), "--endpoint", url + "/sparql-graph-crud-auth",
                 "--user", "dba", "--password", password, "-q"]) == 0
    out = capsys.readouterr().out.splitlines()
    union = _union(curated_build)
    assert out == [f"{UNION_GRAPH}\t{len(union)}\t{len(union)}\tok"]
    assert count_triples(requests.Session(), url + "/sparql", UNION_GRAPH) == len(union)


@pytest.mark.parametrize("option,iri,message", [
    ("--graph-iri", "urn:pvd-test:one", "ends with / or #; for one graph holding every triple once, use --union-graph"),
    ("--union-graph", "not an iri", "not an absolute IRI"),
    ("--union-graph", "relative/path", "not an absolute IRI"),
])
def test_bad_graph_option_is_one_line(curated_build, option, iri, message, capsys):
    status = main(["publish", "--graph", str(curated_build), "--endpoint", f"http://127.0.0.1:{free_port()}/store",
                   option, iri, "-q"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "\n" not in err and f"{option} {iri}: " in err and message in err


def test_wrong_password_is_one_line(virtuoso, curated_build, capsys):
    url, _ = virtuoso
    status = main(["publish", "--graph", str(curated_build), "--endpoint", url + "/sparql-graph-crud-auth",
                   "--user", "dba", "--password", "wrong", "-q"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "\n" not in err
    assert "HTTP 401" in err and "the store refused user 'dba' with this password: --user or --password is wrong" in err


class _Refuses(http.server.BaseHTTPRequestHandler):
    """Answers every request 401, asking for the scheme in ``server.scheme``."""

    def _refuse(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(401)
        self.send_header("WWW-Authenticate", f'{self.server.scheme} realm="test"'
                         + (', nonce="abc", qop="auth"' if self.server.scheme == "Digest" else ""))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = do_POST = do_GET = _refuse

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("scheme,options,message", [
    ("Basic", [], "the store wants a login: give --user and --password"),
    ("Digest", [], "the store wants a login: give --user and --password"),
    ("Basic", ["--user", "u"], "the store asks for Basic authentication: add --auth basic"),
    ("Basic", ["--user", "u", "--auth", "basic"], "no password given for user 'u': give --password"),
    ("Basic", ["--user", "u", "--password", "p", "--auth", "basic"], "the store refused user 'u' with this password"),
    ("Digest", ["--user", "u", "--password", "p"], "the store refused user 'u' with this password"),
])
def test_401_says_what_is_wrong_with_the_login(curated_build, scheme, options, message, capsys, monkeypatch):
    monkeypatch.delenv("PVD_PUBLISH_PASSWORD", raising=False)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refuses)
    httpd.scheme = scheme
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        status = main(["publish", "--graph", str(curated_build), "--endpoint",
                       f"http://127.0.0.1:{httpd.server_address[1]}/store", *options, "-q"])
    finally:
        httpd.shutdown()
        httpd.server_close()
    err = capsys.readouterr().err.strip()
    assert status == 2 and "\n" not in err
    assert err.startswith("pvd-graph publish: error: ") and "HTTP 401" in err and message in err


def test_count_mismatch_exits_1(virtuoso, curated_build, tmp_path, capsys):
    """Counts read back from a query endpoint that does not hold the graph: mismatch, exit 1."""
    url, password = virtuoso
    other = Server(curated_build, "--workers", "1", log_dir=tmp_path)  # our own endpoint: no urn:pvd-test graphs
    try:
        status = main(["publish", "--graph", str(curated_build), "--endpoint", url + "/sparql-graph-crud-auth",
                       "--user", "dba", "--password", password, "--graph-iri", "urn:pvd-test:mismatch/",
                       "--query-endpoint", other.base + "/sparql", "-q"])
    finally:
        other.stop()
    err = capsys.readouterr().err
    assert status == 1
    assert "count mismatch: urn:pvd-test:mismatch/curated: sent" in err and "the store has 0" in err


def test_query_endpoint_guess():
    assert query_endpoint_for("http://h:8890/sparql-graph-crud-auth") == "http://h:8890/sparql"
    assert query_endpoint_for("http://h:3030/ds/data") == "http://h:3030/ds/sparql"
    assert query_endpoint_for("http://h:7878/store") == "http://h:7878/query"
    from pvd_graph.errors import UserError
    with pytest.raises(UserError, match="--query-endpoint"):
        query_endpoint_for("http://h/whatever")


def test_unreachable_store_is_one_line(curated_build, capsys):
    port = free_port()
    status = main(["publish", "--graph", str(curated_build), "--endpoint", f"http://127.0.0.1:{port}/store", "-q"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "\n" not in err and "cannot send" in err


def test_anonymous_read_back(virtuoso, curated_build):
    """The published graph is readable by anyone through the plain Graph Store endpoint (GET)."""
    url, password = virtuoso
    assert main(["publish", "--graph", str(curated_build), "--endpoint", url + "/sparql-graph-crud-auth",
                 "--user", "dba", "--password", password, "--graph-iri", "urn:pvd-test:read/", "-q"]) == 0
    r = requests.get(url + "/sparql-graph-crud", params={"graph-uri": "urn:pvd-test:read/curated"},
                     headers={"Accept": "text/turtle"}, timeout=60)
    assert r.status_code == 200
    assert "Albertville" in r.text


class _Records(http.server.BaseHTTPRequestHandler):
    """A store that accepts every graph and counts the N-Triples lines it was sent; records the headers."""

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.headers.append(dict(self.headers))
        self.server.lines = (0 if self.command == "PUT" else self.server.lines) + body.count(b"\n")
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT

    def do_GET(self):
        self.server.headers.append(dict(self.headers))
        body = ('{"results": {"bindings": [{"n": {"value": "%d"}}]}}' % self.server.lines).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_issue_13_publish_and_fetch_share_one_http_client(curated_build, capsys):
    """publish sends as pvd-graph, like fetch; an unreachable store is one line with the system's reason."""
    from pvd_graph import __version__

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Records)
    httpd.headers, httpd.lines = [], 0
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        status = main(["publish", "--graph", str(curated_build), "--endpoint",
                       f"http://127.0.0.1:{httpd.server_address[1]}/store", "-q"])
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert status == 0, capsys.readouterr().err
    assert httpd.headers and {h.get("User-Agent") for h in httpd.headers} == {f"pvd-graph/{__version__}"}
    port = free_port()
    status = main(["publish", "--graph", str(curated_build), "--endpoint", f"http://127.0.0.1:{port}/store", "-q"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "\n" not in err
    assert err.startswith(f"pvd-graph publish: error: http://127.0.0.1:{port}/store: cannot send <{UNION_GRAPH}>: ")
    assert err.endswith("[Errno 111] Connection refused")
