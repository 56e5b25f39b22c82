"""Publish a build to an external triplestore over the SPARQL 1.1 Graph Store HTTP Protocol.

What lands where (the README's "Publish to a triplestore" says why the default is the union):

* ``union_graph`` IRI: one graph holding the union of every source, each
  triple once — what the endpoint and the command line see as their default
  graph;
* ``graph_iri``, an IRI ending with ``/`` or ``#``: one graph per source,
  ``<base><source>`` (graphs outside the project's graph namespace keep their
  name); a triple stated by several sources is then published once per graph;
* both: the union and the sources side by side, the whole dataset view;
* neither: the union, in :data:`UNION_GRAPH`.

Each target graph is replaced: the first chunk is sent with ``PUT`` (which
replaces the graph), the following ones with ``POST`` (which adds). Triples
with blank nodes all go in the first chunk: a store mints new blank nodes per
request, so splitting them would break their links. Afterwards the number of
triples of every target graph is read back with ``SELECT (COUNT(*) …)`` on the
store's query endpoint and compared with what was sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from pvd_graph import http_client, ntriples
from pvd_graph.errors import UserError
from pvd_graph.namespaces import GRAPHS, named_graph_iri

if TYPE_CHECKING:
    from pvd_graph.store import Store

#: Graph Store endpoint path → query endpoint path, for stores whose layout is known.
KNOWN_QUERY_PATHS = {
    "/sparql-graph-crud-auth": "/sparql",  # Virtuoso
    "/sparql-graph-crud": "/sparql",  # Virtuoso (anonymous)
    "/data": "/sparql",  # Apache Jena Fuseki: /<dataset>/data → /<dataset>/sparql
    "/store": "/query",  # Oxigraph server
}
DEFAULT_CHUNK = 50_000
#: Where the union goes when no graph option is given.
UNION_GRAPH = named_graph_iri("union")
_DEFAULT_GRAPH_NAME = "default"


@dataclass
class GraphReport:
    source: str  # graph name in the build
    target: str  # graph IRI in the store
    sent: int  # distinct triples sent
    found: int | None = None  # triples counted in the store afterwards

    @property
    def ok(self) -> bool:
        return self.found == self.sent


@dataclass
class PublishReport:
    endpoint: str
    query_endpoint: str
    graphs: list[GraphReport] = field(default_factory=list)
    shared: int = 0  # distinct triples published in more than one graph

    @property
    def ok(self) -> bool:
        return all(g.ok for g in self.graphs)

    def mismatches(self) -> list[str]:
        return [f"{g.target}: sent {g.sent} triples, the store has {g.found}" for g in self.graphs if not g.ok]


def query_endpoint_for(endpoint: str) -> str:
    """The query endpoint next to a Graph Store endpoint, for the stores in :data:`KNOWN_QUERY_PATHS`."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(endpoint)
    path = parts.path.rstrip("/")
    for suffix, replacement in KNOWN_QUERY_PATHS.items():
        if path.endswith(suffix):
            return urlunsplit(parts._replace(path=path[: -len(suffix)] + replacement, query=""))
    raise UserError(f"cannot tell the query endpoint of {endpoint}; pass --query-endpoint URL")


def target_graph(name: str, graph_iri: str | None) -> str:
    """Where the build's graph *name* is published with the per-source base *graph_iri* (``None``: as it is)."""
    if graph_iri is None:
        return name
    return graph_iri + name[len(GRAPHS):] if name.startswith(GRAPHS) else name


def check_targets(graph_iri: str | None, union_graph: str | None) -> None:
    """Refuse graph options that are not absolute IRIs, or a per-source base that is no base."""
    for option, iri in (("--graph-iri", graph_iri), ("--union-graph", union_graph)):
        if iri is None:
            continue
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise UserError(f"{option} {iri}: not an absolute IRI ({exc})") from None
        if ":" not in iri:
            raise UserError(f"{option} {iri}: not an absolute IRI (no scheme)")
    if graph_iri is not None and not graph_iri.endswith(("/", "#")):
        raise UserError(f"--graph-iri {graph_iri}: a base for one graph per source ends with / or #; "
                        "for one graph holding every triple once, use --union-graph IRI")


def _graph_name(g) -> str:
    return named_graph_iri(_DEFAULT_GRAPH_NAME) if isinstance(g, ox.DefaultGraph) else g.value


def _plan(store: Store, graph_iri: str | None,
          union_graph: str | None) -> tuple[dict[str, tuple[list[str], list[ox.Triple]]], int]:
    """(target graph → (source graph names, distinct triples, blank-node triples first),
    number of distinct triples that go to more than one target graph)."""
    plan: dict[str, tuple[list[str], set]] = {}
    for g in store.named_graphs() + [ox.DefaultGraph()]:
        triples = {q.triple for q in store.quads(graph=g)}
        if not triples:
            continue
        name = _graph_name(g)
        if graph_iri is not None:
            target = target_graph(name, graph_iri)
            if target == union_graph:
                raise UserError(f"--union-graph {union_graph} is also where the source graph {name} goes; "
                                "choose another IRI")
            plan.setdefault(target, ([], set()))[0].append(name)
            plan[target][1].update(triples)
        if union_graph is not None:
            plan.setdefault(union_graph, ([], set()))[0].append(name)
            plan[union_graph][1].update(triples)
    copies = Counter(t for _names, acc in plan.values() for t in acc)
    shared = sum(1 for n in copies.values() if n > 1)
    return {target: (names, sorted(acc, key=lambda t: (not ntriples.has_blank(t), ntriples.statement_key(t))))
            for target, (names, acc) in sorted(plan.items())}, shared


def _chunks(triples: list[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    first = sum(1 for t in triples if ntriples.has_blank(t))
    start = max(size, first)
    yield triples[:start]
    for i in range(start, len(triples), size):
        yield triples[i:i + size]


def login_problem(response, auth) -> str:
    """Why the store answered 401 to a request sent with *auth* (a ``requests`` auth object or ``None``)."""
    asked = response.headers.get("WWW-Authenticate", "").split(" ", 1)[0].strip().lower()
    if auth is None:
        return "the store wants a login: give --user and --password (or set PVD_PUBLISH_PASSWORD)"
    scheme = "basic" if type(auth).__name__ == "HTTPBasicAuth" else "digest"
    if asked in ("basic", "digest") and asked != scheme:
        return f"the store asks for {asked.title()} authentication: add --auth {asked}"
    if not auth.password:
        return (f"no password given for user {auth.username!r}: "
                "give --password (or set PVD_PUBLISH_PASSWORD)")
    return f"the store refused user {auth.username!r} with this password: --user or --password is wrong"


def _check(response, what: str, auth=None) -> None:
    if response.status_code == 401:
        raise UserError(f"{what}: HTTP 401 {response.reason}: {login_problem(response, auth)}")
    if response.status_code >= 400:
        text = " ".join(response.text.split())[:300]
        raise UserError(f"{what}: HTTP {response.status_code} {response.reason}" + (f": {text}" if text else ""))


def count_triples(session, query_endpoint: str, graph: str, timeout: float = 120) -> int:
    """Triples in *graph* according to the store's SPARQL endpoint."""
    import requests

    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    try:
        r = session.get(query_endpoint, params={"query": query},
                        headers={"Accept": "application/sparql-results+json"}, timeout=timeout)
    except requests.RequestException as exc:
        raise UserError(f"{query_endpoint}: cannot query: {http_client.reason(exc)}") from None
    _check(r, f"{query_endpoint}: count of <{graph}>", session.auth)
    try:
        bindings = r.json()["results"]["bindings"]
        return int(bindings[0]["n"]["value"]) if bindings else 0
    except (ValueError, KeyError, IndexError, TypeError):
        raise UserError(f"{query_endpoint}: unexpected answer to a COUNT query: {r.text[:200]!r}") from None


def publish(build: Path | str | None, endpoint: str, graph_iri: str | None = None, *,
            union_graph: str | None = None, query_endpoint: str | None = None, user: str | None = None,
            password: str | None = None, auth: str = "digest", chunk_size: int = DEFAULT_CHUNK,
            timeout: float = 600, log: Callable[[str], None] | None = None) -> PublishReport:
    """Replace the target graphs (see the module docstring) in the store at *endpoint*, then compare triple counts.

    Without *graph_iri* nor *union_graph*, the union goes to :data:`UNION_GRAPH`.
    """
    import requests
    from requests.auth import HTTPBasicAuth, HTTPDigestAuth

    from pvd_graph.store import open_built

    log = log or (lambda _m: None)
    if chunk_size < 1:
        raise UserError("--chunk-size must be positive")
    check_targets(graph_iri, union_graph)
    if graph_iri is None and union_graph is None:
        union_graph = UNION_GRAPH
    query_endpoint = query_endpoint or query_endpoint_for(endpoint)
    session = http_client.session()
    if user is not None:
        session.auth = (HTTPDigestAuth if auth == "digest" else HTTPBasicAuth)(user, password or "")
    store = open_built(build, graphs="named")
    plan, shared = _plan(store, graph_iri, union_graph)
    if not plan:
        raise UserError(f"{build}: no triples to publish")
    report = PublishReport(endpoint, query_endpoint, shared=shared)
    for target, (names, triples) in plan.items():
        sent = 0
        for i, chunk in enumerate(_chunks(triples, chunk_size)):
            body = ntriples.write(chunk)
            method = "PUT" if i == 0 else "POST"
            try:
                r = session.request(method, endpoint, params={"graph": target}, data=body,
                                    headers={"Content-Type": "application/n-triples"}, timeout=timeout)
            except requests.RequestException as exc:
                raise UserError(f"{endpoint}: cannot send <{target}>: {http_client.reason(exc)}") from None
            _check(r, f"{endpoint}: {method} <{target}>", session.auth)
            sent += len(chunk)
            log(f"<{target}>: {sent}/{len(triples)} triples sent")
        report.graphs.append(GraphReport(", ".join(names), target, len(triples)))
    for g in report.graphs:
        g.found = count_triples(session, query_endpoint, g.target)
        log(f"<{g.target}>: {g.found} triples in the store, {g.sent} sent")
    return report
