"""Publish a build to an external triplestore over the SPARQL 1.1 Graph Store HTTP Protocol.

Graph naming: the build keeps one named graph per source
(``https://w3id.org/pvd-graph/graph/<source>``). ``graph_iri`` chooses where
they land:

* ``None``: as they are;
* an IRI ending with ``/`` or ``#``: a new base, ``<base><source>`` per source
  (graphs outside the project's graph namespace keep their name);
* any other IRI: one graph holding the union of all sources (triples found in
  several sources counted once).

Each target graph is replaced: the first chunk is sent with ``PUT`` (which
replaces the graph), the following ones with ``POST`` (which adds). Triples
with blank nodes all go in the first chunk: a store mints new blank nodes per
request, so splitting them would break their links. Afterwards the number of
triples of every target graph is read back with ``SELECT (COUNT(*) …)`` on the
store's query endpoint and compared with what was sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pvd_graph.errors import UserError
from pvd_graph.namespaces import GRAPHS

#: Graph Store endpoint path → query endpoint path, for stores whose layout is known.
KNOWN_QUERY_PATHS = {
    "/sparql-graph-crud-auth": "/sparql",  # Virtuoso
    "/sparql-graph-crud": "/sparql",  # Virtuoso (anonymous)
    "/data": "/sparql",  # Apache Jena Fuseki: /<dataset>/data → /<dataset>/sparql
    "/store": "/query",  # Oxigraph server
}
DEFAULT_CHUNK = 50_000
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
    """Where the build's graph *name* is published (see the module docstring)."""
    if graph_iri is None:
        return name
    if graph_iri.endswith(("/", "#")):
        return graph_iri + name[len(GRAPHS):] if name.startswith(GRAPHS) else name
    return graph_iri


def _graph_name(g) -> str:
    return GRAPHS + _DEFAULT_GRAPH_NAME if isinstance(g, ox.DefaultGraph) else g.value


def _plan(store: ox.Store, graph_iri: str | None) -> dict[str, tuple[list[str], list[ox.Triple]]]:
    """target graph → (source graph names, distinct triples), blank-node triples first."""
    plan: dict[str, tuple[list[str], set]] = {}
    graphs = list(store.named_graphs()) + [ox.DefaultGraph()]
    for g in graphs:
        triples = {q.triple for q in store.quads_for_pattern(None, None, None, g)}
        if not triples:
            continue
        target = target_graph(_graph_name(g), graph_iri)
        names, acc = plan.setdefault(target, ([], set()))
        names.append(_graph_name(g))
        acc.update(triples)

    def has_bnode(t: ox.Triple) -> bool:
        return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)

    return {target: (names, sorted(acc, key=lambda t: (not has_bnode(t), str(t))))
            for target, (names, acc) in sorted(plan.items())}


def _chunks(triples: list[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    first = sum(1 for t in triples if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode))
    start = max(size, first)
    yield triples[:start]
    for i in range(start, len(triples), size):
        yield triples[i:i + size]


def _check(response, what: str) -> None:
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
        raise UserError(f"{query_endpoint}: cannot query: {exc}") from None
    _check(r, f"{query_endpoint}: count of <{graph}>")
    try:
        bindings = r.json()["results"]["bindings"]
        return int(bindings[0]["n"]["value"]) if bindings else 0
    except (ValueError, KeyError, IndexError, TypeError):
        raise UserError(f"{query_endpoint}: unexpected answer to a COUNT query: {r.text[:200]!r}") from None


def publish(build: Path | str | None, endpoint: str, graph_iri: str | None = None, *,
            query_endpoint: str | None = None, user: str | None = None, password: str | None = None,
            auth: str = "digest", chunk_size: int = DEFAULT_CHUNK, timeout: float = 600,
            log: Callable[[str], None] | None = None) -> PublishReport:
    """Replace each named graph of the build in the store at *endpoint*, then compare triple counts."""
    import requests
    from requests.auth import HTTPBasicAuth, HTTPDigestAuth

    from pvd_graph.store import open_built, oxigraph_store

    log = log or (lambda _m: None)
    if chunk_size < 1:
        raise UserError("--chunk-size must be positive")
    query_endpoint = query_endpoint or query_endpoint_for(endpoint)
    session = requests.Session()
    if user is not None:
        session.auth = (HTTPDigestAuth if auth == "digest" else HTTPBasicAuth)(user, password or "")
    store = oxigraph_store(open_built(build, graphs="named"))
    plan = _plan(store, graph_iri)
    if not plan:
        raise UserError(f"{build}: no triples to publish")
    report = PublishReport(endpoint, query_endpoint)
    for target, (names, triples) in plan.items():
        sent = 0
        for i, chunk in enumerate(_chunks(triples, chunk_size)):
            body = ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES)
            method = "PUT" if i == 0 else "POST"
            try:
                r = session.request(method, endpoint, params={"graph": target}, data=body,
                                    headers={"Content-Type": "application/n-triples"}, timeout=timeout)
            except requests.RequestException as exc:
                raise UserError(f"{endpoint}: cannot send <{target}>: {exc}") from None
            _check(r, f"{endpoint}: {method} <{target}>")
            sent += len(chunk)
            log(f"<{target}>: {sent}/{len(triples)} triples sent")
        report.graphs.append(GraphReport(", ".join(names), target, len(triples)))
    for g in report.graphs:
        g.found = count_triples(session, query_endpoint, g.target)
        log(f"<{g.target}>: {g.found} triples in the store, {g.sent} sent")
    return report
