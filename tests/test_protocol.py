"""SPARQL 1.1 Protocol and Service Description on ``pvd-graph serve`` (issue 18, "Protocol completeness").

The first part is the query side of the W3C SPARQL 1.1 Protocol test suite
(``w3c/rdf-tests``, ``sparql/sparql11/protocol/manifest.ttl``), written again
here for this endpoint: each case keeps the manifest's name, request and
expected outcome; its remote data (``http://kasei.us/…/dataN.rdf``, each a
one-triple graph ``<dataN.rdf> a foaf:Document``) are named graphs of the test
file, and ``/sparql/`` is ``/sparql``. The update tests do not apply (a
read-only endpoint refuses every update: see test_endpoint_security.py).
"""

from __future__ import annotations

import gzip
import http.client
import json
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from serve_support import Server

KASEI = "http://kasei.us/2009/09/sparql/data/"
FOAF_DOCUMENT = "http://xmlns.com/foaf/0.1/Document"
ID = "https://w3id.org/pvd-graph/id/"
RESULT_TYPES = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values"}
RDF_TYPES = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
             "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/ld+json": ox.RdfFormat.JSON_LD}


def g(n: int) -> str:
    return f"{KASEI}data{n}.rdf"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("protocol") / "protocol.nq"
    lines = [f"<{g(n)}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{FOAF_DOCUMENT}> <{g(n)}> ." for n in (1, 2, 3)]
    lines += [f'<{ID}commune/99999> <http://www.w3.org/2000/01/rdf-schema#label> "Commune {i}"@fr <{g(1)}> .'
              for i in range(200)]  # a resource page long enough to be gzipped
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    srv = Server(path, "--workers", "1", log_dir=tmp_path_factory.mktemp("logs"))
    yield srv
    srv.stop()


def exchange(server, method: str, target: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def q(text: str) -> str:
    return quote(text, safe="")


ASK_BOTH_DEFAULT = f"ASK {{ <{g(1)}> a ?type . <{g(2)}> a ?type . }}"
ASK_BOTH_NAMED = f"ASK {{ GRAPH ?g1 {{ <{g(1)}> a ?type }} GRAPH ?g2 {{ <{g(2)}> a ?type }} }}"
FORM = {"content-type": "application/x-www-form-urlencoded"}
DIRECT = {"content-type": "application/sparql-query"}
D0 = f"default-graph-uri={q(g(0))}"
#: (manifest name, method, target, body, headers, expected status class, expected format, expected boolean)
W3C = [
    ("query_post_form", "POST", f"/sparql?{D0}", b"query=ASK%20%7B%7D", FORM, 2, "boolean", True),
    ("query_dataset_default_graphs_get", "GET",
     f"/sparql?query={q(ASK_BOTH_DEFAULT)}&default-graph-uri={q(g(1))}&default-graph-uri={q(g(2))}", None, {}, 2, "boolean", True),
    ("query_dataset_default_graphs_post", "POST", f"/sparql?default-graph-uri={q(g(1))}&default-graph-uri={q(g(2))}",
     ASK_BOTH_DEFAULT.encode(), DIRECT, 2, "boolean", True),
    ("query_dataset_named_graphs_post", "POST", f"/sparql?named-graph-uri={q(g(1))}&named-graph-uri={q(g(2))}",
     ASK_BOTH_NAMED.encode(), DIRECT, 2, "boolean", True),
    ("query_dataset_named_graphs_get", "GET",
     f"/sparql?query={q(ASK_BOTH_NAMED)}&named-graph-uri={q(g(1))}&named-graph-uri={q(g(2))}", None, {}, 2, "boolean", True),
    ("query_dataset_full", "POST", f"/sparql?default-graph-uri={q(g(3))}&named-graph-uri={q(g(1))}&named-graph-uri={q(g(2))}",
     f"ASK {{\n  <{g(3)}> a ?type\n  GRAPH ?g1 {{ <{g(1)}> a ?type }}\n  GRAPH ?g2 {{ <{g(2)}> a ?type }}\n}}".encode(),
     DIRECT, 2, "boolean", True),
    ("query_multiple_dataset", "POST", f"/sparql?named-graph-uri={q(g(1))}&named-graph-uri={q(g(2))}",
     f"ASK FROM <{g(3)}> {{ GRAPH ?g1 {{ <{g(1)}> a ?type }} GRAPH ?g2 {{ <{g(2)}> a ?type }} }}".encode(),
     DIRECT, 2, "boolean", True),
    ("query_get", "GET", f"/sparql?query=ASK%20%7B%7D&{D0}", None, {}, 2, "boolean", True),
    ("query_content_type_select", "POST", f"/sparql?{D0}", b"SELECT (1 AS ?value) {}", DIRECT, 2, "tabular", None),
    ("query_content_type_ask", "POST", f"/sparql?{D0}", b"ASK {}", DIRECT, 2, "boolean", None),
    ("query_content_type_describe", "POST", f"/sparql?{D0}", b"DESCRIBE <http://example.org/>", DIRECT, 2, "RDF", None),
    ("query_content_type_construct", "POST", f"/sparql?{D0}", b"CONSTRUCT { <s> <p> 1 } WHERE {}", DIRECT, 2, "RDF", None),
    ("query_post_direct", "POST", "/sparql", b"ASK {}", DIRECT, 2, "boolean", True),
    ("bad_query_method", "PUT", f"/sparql?query=ASK%20%7B%7D&{D0}", None, FORM, 4, None, None),
    ("bad_multiple_queries", "GET", "/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D", None, {}, 4, None, None),
    ("bad_query_wrong_media_type", "POST", "/sparql", b"ASK {}", {"content-type": "text/plain"}, 4, None, None),
    ("bad_query_missing_form_type", "POST", "/sparql", b"query=ASK%20%7B%7D", {}, 4, None, None),
    ("bad_query_missing_direct_type", "POST", "/sparql", b"ASK {}", {}, 4, None, None),
    ("bad_query_non_utf8", "POST", "/sparql", "ASK {}".encode("utf-16"),
     {"content-type": "application/sparql-query; charset=UTF-16"}, 4, None, None),
    ("bad_query_syntax", "GET", "/sparql?query=ASK%20%7B", None, {}, 4, None, None),
]


def boolean_of(media: str, body: bytes) -> bool:
    fmt = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
           "application/sparql-results+xml": ox.QueryResultsFormat.XML}[media]
    return bool(ox.parse_query_results(body, format=fmt))


@pytest.mark.parametrize("case", W3C, ids=[c[0] for c in W3C])
def test_w3c_protocol_query(server, case):
    _name, method, target, body, headers, status_class, expected_format, expected_boolean = case
    status, got, payload = exchange(server, method, target, body, headers)
    assert status // 100 in ((2, 3) if status_class == 2 else (4,)), (status, payload[:300])
    media = got.get("content-type", "").split(";")[0]
    if expected_format == "boolean":
        assert media in ("application/sparql-results+json", "application/sparql-results+xml"), media
        if expected_boolean is not None:
            assert boolean_of(media, payload) is expected_boolean
    elif expected_format == "tabular":
        assert media in RESULT_TYPES, media
    elif expected_format == "RDF":
        assert media in RDF_TYPES, media
        list(ox.parse(payload, format=RDF_TYPES[media]))  # well-formed


def ask(server, query: str, params: str = "", headers: dict | None = None) -> tuple[int, bytes]:
    status, _h, body = exchange(server, "GET", f"/sparql?query={q(query)}{params}", None,
                                {"accept": "application/sparql-results+json", **(headers or {})})
    return status, body


def test_construct_relative_iris_resolve_against_the_endpoint(server):
    status, headers, body = exchange(server, "POST", "/sparql", b"CONSTRUCT { <s> <p> 1 } WHERE {}",
                                     {**DIRECT, "accept": "application/n-triples"})
    assert status == 200, body
    (triple,) = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
    assert triple.subject == ox.NamedNode(f"http://127.0.0.1:{server.port}/s")
    assert triple.predicate == ox.NamedNode(f"http://127.0.0.1:{server.port}/p")


def test_dataset_parameters_alone_make_the_whole_dataset(server):
    """§2.1.4: default-graph-uri alone leaves no named graph; named-graph-uri alone an empty default graph."""
    status, body = ask(server, "ASK { GRAPH ?g { ?s ?p ?o } }", f"&default-graph-uri={q(g(1))}")
    assert status == 200 and json.loads(body)["boolean"] is False
    status, body = ask(server, "ASK { ?s ?p ?o }", f"&named-graph-uri={q(g(1))}")
    assert status == 200 and json.loads(body)["boolean"] is False
    # without parameters both are there (the control)
    assert json.loads(ask(server, "ASK { GRAPH ?g { ?s ?p ?o } }")[1])["boolean"] is True
    assert json.loads(ask(server, "ASK { ?s ?p ?o }")[1])["boolean"] is True


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_graph_parameter_not_an_iri_is_a_400(server, param):
    status, body = ask(server, "ASK {}", f"&{param}=not%20an%20iri")
    assert status == 400 and b"IRI" in body, (status, body)


def test_head_answers_like_get_without_a_body(server):
    status, headers, body = exchange(server, "HEAD", f"/sparql?query={q('ASK {}')}")
    assert status == 200 and body == b""
    assert headers["content-type"].startswith("application/sparql-results+json")


def test_cors_preflight_is_answered(server):
    status, headers, _ = exchange(server, "OPTIONS", "/sparql", None, {
        "origin": "http://elsewhere.example", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})
    assert status in (200, 204)
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()


def test_unknown_format_follows_accept(server):
    """SPARQLWrapper's RDF/XML: ``format=rdf+xml`` with ``Accept: application/rdf+xml``."""
    status, headers, body = exchange(server, "GET", f"/sparql?query={q('CONSTRUCT WHERE { ?s a ?t }')}&format=rdf%2Bxml",
                                     None, {"accept": "application/rdf+xml"})
    assert status == 200 and headers["content-type"].startswith("application/rdf+xml"), (status, body[:200])
    assert len(list(ox.parse(body, format=ox.RdfFormat.RDF_XML))) == 3


def test_application_json_on_a_graph_result_is_json_ld(server):
    status, headers, body = exchange(server, "GET", f"/sparql?query={q('CONSTRUCT WHERE { ?s a ?t }')}", None,
                                     {"accept": "application/json"})
    assert status == 200 and headers["content-type"].startswith("application/ld+json"), (status, body[:200])
    assert len(list(ox.parse(body, format=ox.RdfFormat.JSON_LD))) == 3


def test_service_description_when_rdf_is_asked(server):
    status, headers, body = exchange(server, "GET", "/sparql", None, {"accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    triples = [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.TURTLE)]
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert ox.Triple(ox.NamedNode(f"http://127.0.0.1:{server.port}/sparql"),
                     ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(sd + "Service")) in triples
    names = {t.object.value for t in triples if t.predicate.value == sd + "name"}
    assert names == {g(1), g(2), g(3)}


@pytest.mark.parametrize("target", [f"/sparql?query={q('SELECT ?l { ?s ?p ?l }')}", "/id/commune/99999"])
def test_vary_gzip_etag(server, target):
    status, headers, plain = exchange(server, "GET", target, None, {"accept": "text/csv" if "sparql" in target else "text/turtle"})
    assert status == 200 and "accept" in headers["vary"].lower()
    etag = headers["etag"]
    status, zipped_headers, zipped = exchange(server, "GET", target, None, {
        "accept": "text/csv" if "sparql" in target else "text/turtle", "accept-encoding": "gzip"})
    assert zipped_headers.get("content-encoding") == "gzip" and gzip.decompress(zipped) == plain
    assert zipped_headers["etag"] == etag
    status, again, body = exchange(server, "GET", target, None, {
        "accept": "text/csv" if "sparql" in target else "text/turtle", "if-none-match": etag})
    assert status == 304 and body == b"" and again["etag"] == etag
    status, _h, _b = exchange(server, "GET", target, None, {"accept": "text/csv" if "sparql" in target else "text/turtle",
                                                           "if-none-match": 'W/"other"'})
    assert status == 200
