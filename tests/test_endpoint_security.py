"""Hostile requests against ``pvd-graph serve`` (issue 9, "The endpoint").

Every request here is refused or limited with the right status, and the
server keeps answering ordinary queries while and after they run.
"""

from __future__ import annotations

import http.client
import http.server
import threading
import time

import pytest
import requests

from serve_support import Server

ID = "https://w3id.org/pvd-graph/id/"
EVIL = '<script>alert("pwned")</script> & <b>bold</b>'
CHAIN = 400  # resources in a chain: enough for a cartesian product to run for minutes


@pytest.fixture(scope="module")
def hostile_graph(tmp_path_factory):
    """A small graph with script in a label and a chain of links, written as N-Triples."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.nt"
    lines = [
        f'<{ID}commune/99999> <http://www.w3.org/2000/01/rdf-schema#label> "{EVIL.replace(chr(34), chr(92) + chr(34))}"@fr .',
        f"<{ID}commune/99999> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/pvd-graph/ontology#Commune> .",
        f"<{ID}commune/99999> <https://w3id.org/pvd-graph/ontology#memberOf> <{ID}epci/200068997> .",
        f'<{ID}epci/200068997> <http://www.w3.org/2000/01/rdf-schema#label> "EPCI </td></table><img src=x onerror=alert(1)>"@fr .',
    ]
    for i in range(CHAIN):
        lines.append(f"<{ID}chain/{i}> <https://w3id.org/pvd-graph/ontology#partOf> <{ID}chain/{i + 1}> .")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines)


@pytest.fixture(scope="module")
def server(hostile_graph, tmp_path_factory):
    srv = Server(hostile_graph[0], "--timeout", "2", "--max-results", "100", "--workers", "2",
                 log_dir=tmp_path_factory.mktemp("logs"))
    yield srv
    srv.stop()


def count(server) -> int:
    r = requests.get(server.base + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
                     headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_normal_query_answers(server, hostile_graph):
    assert count(server) == hostile_graph[1]


UPDATES = [
    "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "PREFIX x: <http://e/> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:1/x.ttl>",
    "LOAD SILENT <file:///etc/passwd> INTO GRAPH <http://e/g>",
    "CLEAR ALL", "CLEAR DEFAULT", "DROP GRAPH <http://e/g>", "DROP ALL",
    "CREATE GRAPH <http://e/g>", "COPY DEFAULT TO <http://e/g>", "MOVE DEFAULT TO <http://e/g>",
    "ADD DEFAULT TO <http://e/g>",
    "select * {} ; insert data { <http://e/a> <http://e/b> <http://e/c> }",
]


@pytest.mark.parametrize("update", UPDATES)
def test_update_refused_in_every_form(server, hostile_graph, update):
    sparql = server.base + "/sparql"
    answers = [
        requests.get(sparql, params={"query": update}, timeout=10),
        requests.post(sparql, data={"update": update}, timeout=10),
        requests.post(sparql, data={"query": update}, timeout=10),
        requests.post(sparql, data=update.encode(), headers={"Content-Type": "application/sparql-update"}, timeout=10),
        requests.post(sparql, data=update.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=10),
        requests.get(sparql, params={"update": update}, timeout=10),
    ]
    for r in answers:
        assert r.status_code == 403, (r.request.method, r.request.headers.get("Content-Type"), r.status_code, r.text)
        assert "read-only" in r.text
    assert count(server) == hostile_graph[1]  # nothing changed


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.end_headers()
        self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    _Recorder.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_service_refused_and_no_outgoing_request(server, recorder):
    """A SERVICE clause is refused in every spelling, and the listening 'remote' server sees no call."""
    queries = [
        f"SELECT * WHERE {{ SERVICE <{recorder}/a> {{ ?s ?p ?o }} }}",
        f"select * {{ service silent <{recorder}/b> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SeRvIcE <{recorder}/c> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ SERVICE <{recorder.replace('//', '/' + chr(92) + 'u002F')}/d> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{recorder}/e> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ # comment }}\n SERVICE <{recorder}/f> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ <http://a{chr(92)}u0022> SERVICE <{recorder}/g> {{ ?s ?p ?o }} # \" \n }}",
    ]
    for q in queries:
        for r in (requests.get(server.base + "/sparql", params={"query": q}, timeout=10),
                  requests.post(server.base + "/sparql", data=q.encode(),
                                headers={"Content-Type": "application/sparql-query"}, timeout=10)):
            assert r.status_code == 403, (q, r.status_code, r.text)
            assert "SERVICE" in r.text
    # FROM <http://...> only names a graph of the store: no download either
    r = requests.get(server.base + "/sparql", params={"query": f"SELECT * FROM <{recorder}/h> {{ ?s ?p ?o }}"}, timeout=10)
    assert r.status_code == 200 and r.json()["results"]["bindings"] == []
    assert _Recorder.hits == []


def test_words_inside_strings_and_names_are_not_refused(server):
    q = ('SELECT ?service ?load WHERE { BIND("SERVICE INSERT DELETE" AS ?service) '
         'BIND(<http://example.org/service/load> AS ?load) } # DROP ALL')
    r = requests.get(server.base + "/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"][0]["service"]["value"] == "SERVICE INSERT DELETE"


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
PATHS = "SELECT (COUNT(*) AS ?n) WHERE { ?a (<https://w3id.org/pvd-graph/ontology#partOf>|^<https://w3id.org/pvd-graph/ontology#partOf>)* ?b . ?c ?d ?e . ?f ?g ?h }"


@pytest.mark.slow
@pytest.mark.parametrize("query", [SLOW, PATHS], ids=["cartesian", "property-path"])
def test_exploding_query_is_cut_while_others_are_served(server, hostile_graph, query):
    result = {}

    def slow():
        t0 = time.monotonic()
        r = requests.get(server.base + "/sparql", params={"query": query}, timeout=60)
        result.update(status=r.status_code, text=r.text, seconds=time.monotonic() - t0)

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.3)
    # while the explosion runs in one worker, the other one answers
    assert count(server) == hostile_graph[1]
    assert worker.is_alive(), "the exploding query should still be running"
    worker.join(60)
    assert result["status"] == 503, result
    assert "time limit" in result["text"]
    # the killed worker was replaced: both workers answer afterwards
    for _ in range(4):
        assert count(server) == hostile_graph[1]


def test_result_size_limit(server):
    r = requests.get(server.base + "/sparql", params={"query": "SELECT * { ?s ?p ?o }"}, timeout=10)
    assert r.status_code == 422 and "more than 100 rows" in r.text
    r = requests.get(server.base + "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, timeout=10)
    assert r.status_code == 422 and "more than 100 triples" in r.text
    r = requests.get(server.base + "/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 100"},
                     headers={"Accept": "text/tab-separated-values"}, timeout=10)
    assert r.status_code == 200 and len(r.text.splitlines()) == 101


def test_huge_query_string_and_body(server, hostile_graph):
    filler = "# " + "x" * 200_000 + "\nASK {}"
    r = requests.get(server.base + "/sparql", params={"query": filler}, timeout=10)
    assert r.status_code == 414, r.status_code
    assert "POST the query" in r.text
    # beyond what the HTTP parser buffers (256 KiB), the connection is refused outright
    status, _ = _raw(server, "GET", "/sparql?query=" + "x" * 2_000_000)
    assert status in (400, None)
    r = requests.post(server.base + "/sparql", data={"query": "#" + "x" * 2_000_000 + "\nASK {}"}, timeout=10)
    assert r.status_code == 413, r.status_code
    assert count(server) == hostile_graph[1]


def _raw(server, method: str, target: str, body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, target, body=body or None, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    except (ConnectionError, http.client.HTTPException):
        return None, b""
    finally:
        conn.close()


def test_invalid_utf8_is_a_400(server):
    """In a GET query, a form body or a query body; in an entity path it is a 404 (no such entity)."""
    assert _raw(server, "GET", "/sparql?query=SELECT%20%FF%FE%20WHERE%20%7B%7D")[0] == 400
    assert _raw(server, "POST", "/sparql", b"query=ASK%7B%7D%C3%28",
                {"Content-Type": "application/x-www-form-urlencoded"})[0] == 400
    assert _raw(server, "POST", "/sparql", b"ASK {} # \xff\xfe",
                {"Content-Type": "application/sparql-query"})[0] == 400
    assert _raw(server, "GET", "/id/commune/%FF%FE")[0] == 404


@pytest.mark.parametrize("target", [
    "/id/../../etc/passwd", "/id/..%2F..%2Fetc%2Fpasswd", "/id/%2e%2e/%2e%2e/etc/passwd",
    "/id/commune/..%5C..%5Cwindows", "/id/commune/%00", "/id//etc/passwd", "/id/commune/73011%0d%0aX-Evil:%201",
    "/id/", "/id/commune/99999/../../../etc/passwd", "/../../etc/passwd",
])
def test_path_traversal_is_a_400_or_404_and_reads_no_file(server, target):
    """A path climbing out of /id/ (plain, percent-encoded, NUL, CR LF) is refused, never a file's text."""
    status, body = _raw(server, "GET", target)
    assert status in (400, 404), (target, status)
    assert b"root:" not in body


def test_script_in_labels_is_escaped(server):
    r = requests.get(server.base + "/id/commune/99999", headers={"Accept": "text/html"}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the EPCI's label, shown as a link text
    assert "<img" not in page and "<b>bold" not in page
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none' forbids scripts
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_query_page_escapes_prefilled_query(server):
    r = requests.get(server.base + "/sparql", params={"edit": "</textarea><script>alert(1)</script>"}, timeout=10)
    assert r.status_code == 200
    assert "<script>" not in r.text and "&lt;/textarea&gt;&lt;script&gt;" in r.text


def test_other_methods_and_content_types(server):
    assert requests.put(server.base + "/sparql", data="x", timeout=10).status_code == 405
    assert requests.delete(server.base + "/id/commune/99999", timeout=10).status_code == 405
    r = requests.post(server.base + "/sparql", data=b"ASK {}", headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.status_code == 415
    r = requests.get(server.base + "/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"}, timeout=10)
    assert r.status_code == 406
    r = requests.get(server.base + "/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")], timeout=10)
    assert r.status_code == 400


def test_the_guard_remembers_texts_that_passed_never_a_refusal():
    """check_query keeps the verdict of a text that passed (the catalogue's texts come again and
    again); a refused text is scanned, and refused, every time it comes."""
    from pvd_graph.server.guard import Refused, check_query

    check_query.cache_clear()
    text = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
    first = check_query(text)
    assert check_query(text) is first and not first.update
    for _ in range(3):
        with pytest.raises(Refused, match="read-only"):
            check_query("DELETE WHERE { ?s ?p ?o }")
    info = check_query.cache_info()
    assert (info.hits, info.currsize) == (1, 1)
