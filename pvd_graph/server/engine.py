"""What runs inside a query worker process: SPARQL on the native Oxigraph store.

Every answer is a :class:`Reply` (status, media type, body), built here so the
serialisation work is spread over the worker processes, not the web process.

Result-size limit without evaluating twice: results are first serialised
natively as TSV (SELECT) or N-Triples (CONSTRUCT/DESCRIBE) into a writer that
counts lines and stops as soon as the limit is passed; in both formats one
line is one row or triple (line breaks inside literals are escaped). The
bounded text is then converted natively to the format the client asked for.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from pvd_graph import ntriples
from pvd_graph.server import formats
from pvd_graph.server.guard import Refused, check_query

if TYPE_CHECKING:
    from pvd_graph.store import Store


@dataclass
class Reply:
    status: int
    media_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str) -> Reply:
    return Reply(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode())


class _TooBig(Exception):
    pass


class _LineLimit(io.RawIOBase):
    """A binary sink that raises once it has received more than ``limit`` lines or ``max_bytes``."""

    def __init__(self, limit: int, max_bytes: int):
        self.limit, self.max_bytes = limit, max_bytes
        self.lines, self.size, self.parts = 0, 0, []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        self.lines += data.count(b"\n")
        self.size += len(data)
        if self.lines > self.limit or self.size > self.max_bytes:
            raise _TooBig()
        self.parts.append(data)
        return len(data)

    def value(self) -> bytes:
        return b"".join(self.parts)


def _bounded(serialize, limit: int, max_bytes: int) -> bytes:
    sink = _LineLimit(limit, max_bytes)
    try:
        serialize(sink)
    except _TooBig:
        raise
    except OSError as exc:  # pyoxigraph wraps the sink's exception
        if sink.lines > sink.limit or sink.size > sink.max_bytes:
            raise _TooBig() from None
        raise exc
    return sink.value()


@dataclass
class Limits:
    max_results: int = 10_000
    max_bytes: int = 64 * 1024 * 1024


def dataset_figures(store: Store) -> dict:
    """What the worker holds: triples in the default graph, and quads per named graph (IRI → count)."""
    if getattr(store, "figures", None):  # recorded by the build for its on-disk store (counting it takes seconds)
        return store.figures
    (default,), = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", union=False)
    per_graph = {g.value: int(n.value) for g, n in store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    return {"default": int(default.value), "named": dict(sorted(per_graph.items()))}


def run_sparql(store: Store, request: dict, limits: Limits) -> Reply:
    """Answer one SPARQL protocol request (already checked for size and encoding)."""
    text = request["query"]
    try:
        verdict = check_query(text)
    except Refused as exc:
        return error(exc.status, str(exc))
    # A build folder is served with the union of the sources stored in the default graph
    # (each triple once) and the sources as named graphs. A bare .nq/.trig file has an
    # empty default graph: then the default graph is the union of the named graphs,
    # unless the query says FROM (Oxigraph would otherwise ignore its FROM clauses) or the
    # request gives default-graph-uri.
    union = not verdict.from_clause and store.default_graph_is_empty()
    # bindings: the parameters of a catalogue query (/catalogue/NAME), RDF terms, never pasted into the text
    kwargs = {"union": union, "prefixes": _prefixes(), "base_iri": request.get("base_iri"),
              "bindings": request.get("bindings")}
    # SPARQL 1.1 Protocol §2.1.4: protocol graphs replace the query's FROM / FROM NAMED, and
    # either one alone makes the dataset: default-graph-uri alone leaves no named graph,
    # named-graph-uri alone an empty default graph (Oxigraph reads [] as "none").
    default, named = request.get("default_graph_uri"), request.get("named_graph_uri")
    if default or named:
        try:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default or ()]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named or ()]
        except ValueError as exc:
            return error(400, f"default-graph-uri / named-graph-uri must be absolute IRIs: {exc}")
    try:
        result = store.query(text, **kwargs)
    except (SyntaxError, ValueError) as exc:
        return error(400, f"invalid SPARQL query: {' '.join(str(exc).split())}")
    graph_like = isinstance(result, ox.QueryTriples)
    offers = formats.GRAPHS if graph_like else formats.RESULTS
    try:
        fmt = formats.negotiate(offers, request.get("accept"), request.get("format"))
    except formats.NotAcceptable as exc:
        return error(406, str(exc))
    too_big = (f"the result has more than {limits.max_results} "
               f"{'triples' if graph_like else 'rows'} (the limit of this endpoint); add a LIMIT or narrow the query")
    try:
        if isinstance(result, ox.QueryBoolean):
            body = result.serialize(format=fmt.ox_format)
        elif graph_like:
            nt = _bounded(lambda sink: result.serialize(sink, format=ox.RdfFormat.N_TRIPLES),
                          limits.max_results, limits.max_bytes)
            body = nt if fmt.ox_format == ox.RdfFormat.N_TRIPLES else ox.serialize(
                ntriples.read(nt), format=fmt.ox_format, prefixes=_prefixes())
        else:
            tsv = _bounded(lambda sink: result.serialize(sink, format=ox.QueryResultsFormat.TSV),
                           limits.max_results + 1, limits.max_bytes)
            body = tsv if fmt.ox_format == ox.QueryResultsFormat.TSV else ox.parse_query_results(
                tsv, format=ox.QueryResultsFormat.TSV).serialize(format=fmt.ox_format)
    except _TooBig:
        return error(422, too_big)
    except (OSError, RuntimeError, ValueError) as exc:
        return error(500, f"query failed: {' '.join(str(exc).split())}")
    media = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
    return Reply(200, media, body)


_PREFIX_CACHE: dict[str, str] | None = None


def _prefixes() -> dict[str, str]:
    global _PREFIX_CACHE
    if _PREFIX_CACHE is None:
        from pvd_graph.namespaces import PREFIXES
        _PREFIX_CACHE = dict(PREFIXES)
    return _PREFIX_CACHE


#: Incoming links shown per entity (a programme has thousands of participants).
MAX_INCOMING = 2000


def _unique(triples):
    seen, out = set(), []
    for t in triples:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def _part_of(value, subject) -> bool:
    """Whether *value* is a part of *subject*'s description: a blank node, or a hash IRI of the subject
    (``…/commune/73011#point-anct-ort``: a point as one source gives it)."""
    return isinstance(value, ox.BlankNode) or (
        isinstance(value, ox.NamedNode) and value.value.startswith(subject.value + "#"))


def _outgoing(store: Store, subject, graph=None) -> list[ox.Triple]:
    """Facts about *subject*, with those of its blank-node and hash-IRI values (a concise bounded description).

    Read in *graph* and, for a build's default graph, in the alignments graph too (a town's
    identifiers and ``rdfs:seeAlso``, kept out of the default graph: see :func:`pvd_graph.store.open_built`).
    """
    from pvd_graph.alignments import ALIGNMENTS_GRAPH

    graphs = [graph] if graph is None else [graph, ox.NamedNode(ALIGNMENTS_GRAPH)]
    found, todo, done = [], [subject], set()
    while todo and len(done) < 100:
        node = todo.pop()
        done.add(node)
        for q in (q for g in graphs for q in store.quads(node, graph=g)):
            found.append(q.triple)
            if _part_of(q.object, subject) and q.object not in done:
                todo.append(q.object)
    return _unique(found)


def describe_entity(store: Store, request: dict) -> Reply:
    """The page or RDF description of one resource, in both directions; 404 if unknown."""
    node = ox.NamedNode(request["iri"])
    try:
        fmt = formats.negotiate(formats.GRAPHS + (formats.HTML,), request.get("accept"), request.get("format"))
    except formats.NotAcceptable as exc:
        return error(406, str(exc))
    # A build's default graph is the union of its sources, each triple once: its facts are read
    # there, not also in the named graphs, where the same blank node (a source's checksum) has
    # another identity and would show twice. A bare file with an empty default graph: every graph.
    graph = None if store.default_graph_is_empty() else ox.DefaultGraph()
    outgoing = _outgoing(store, node, graph)
    incoming = _unique(q.triple for q in store.quads(object=node, graph=graph))
    total_in = len(incoming)
    if not outgoing and not incoming:
        return error(404, f"no resource {request['iri']} in this graph")
    headers = {"Vary": "Accept"}
    if fmt is formats.HTML:
        from pvd_graph.server import entity_page, pages

        view = entity_page.gather(store, node, outgoing, incoming, graph, request.get("page") or 1)
        body = pages.entity_page(view, request.get("id_base"), _prefixes())
        return Reply(200, "text/html; charset=utf-8", body.encode(), headers)
    incoming = incoming[:MAX_INCOMING]
    cut = total_in > len(incoming)
    if cut:  # said, never silently dropped: a header, and a comment where the syntax has comments
        headers["X-Incoming-Links"] = f"{len(incoming)} of {total_in} shown; the rest: SPARQL on /sparql"
    body = ox.serialize(outgoing + incoming, format=fmt.ox_format, prefixes=_prefixes())
    if cut and fmt.ox_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES):
        body = (f"# {len(incoming)} of the {total_in} incoming links of <{node.value}> are shown here; "
                f"ask the SPARQL endpoint (/sparql) for all of them\n").encode() + body
    media = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
    return Reply(200, media, body, headers)
