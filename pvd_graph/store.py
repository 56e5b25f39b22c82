"""The storage seam: every module opens, fills and queries graphs through here.

Two backends behind the same rdflib :class:`~rdflib.Dataset` interface:

* ``"oxigraph"`` — rdflib on the Oxigraph store (``oxrdflib``): parsing and
  SPARQL run in Oxigraph's native engine. The default, and the one used for
  the national graph.
* ``"memory"`` — rdflib's own in-memory store: the reference implementation,
  used in tests to show both backends give the same answers.

Datasets are opened with ``default_union=True``: a query sees the union of
every named graph (curated data, each import, the ontology), while exports can
still tell the graphs apart.

Never mix the two: parsing with Oxigraph into rdflib's memory store makes
plain literals stop comparing equal to ``xsd:string`` ones (see
``COMPONENTS.md``), so each backend is filled with its own parser here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from xml.sax import SAXException

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Identifier

BACKENDS = ("oxigraph", "memory")

#: The RDF syntaxes that :func:`load_file` reads and ``pvd-graph export`` writes:
#: name → (Oxigraph format, rdflib parser name, file extensions; the first is the one export writes).
#: Every extension here is read by every command that takes ``--graph``.
SYNTAXES = {
    "ttl": (ox.RdfFormat.TURTLE, "turtle", (".ttl",)),
    "nt": (ox.RdfFormat.N_TRIPLES, "nt", (".nt",)),
    "nq": (ox.RdfFormat.N_QUADS, "nquads", (".nq",)),
    "trig": (ox.RdfFormat.TRIG, "trig", (".trig",)),
    "jsonld": (ox.RdfFormat.JSON_LD, "json-ld", (".jsonld", ".json")),
    "rdfxml": (ox.RdfFormat.RDF_XML, "xml", (".rdf", ".rdfxml", ".xml", ".owl")),
}


def new_dataset(backend: str = "oxigraph", default_union: bool = True) -> Dataset:
    """An empty dataset on the chosen backend, querying the union of its graphs by default."""
    if backend == "oxigraph":
        return Dataset(store="Oxigraph", default_union=default_union)
    if backend == "memory":
        return Dataset(default_union=default_union)
    raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")


def backend_of(ds: Graph) -> str:
    return "oxigraph" if hasattr(ds.store, "_inner") else "memory"


def oxigraph_store(ds: Graph) -> ox.Store | None:
    """The native Oxigraph store behind *ds*, or ``None`` on the memory backend."""
    return getattr(ds.store, "_inner", None)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(term):
    """pyoxigraph term → rdflib term, keeping plain literals plain (no ``xsd:string``)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def to_ox(term):
    """rdflib term → pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is not None:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def add_quads(ds: Dataset, quads: Iterable[ox.Quad]) -> None:
    """Add pyoxigraph quads (as produced by the importers) to *ds*.

    On Oxigraph this is a native bulk insert; on the memory backend each term
    is converted to its rdflib equivalent.
    """
    inner = oxigraph_store(ds)
    if inner is not None:
        inner.bulk_extend(quads)
        return
    ds.addN(
        (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object),
         ds.graph(_graph_identifier(q.graph_name)))
        for q in quads
    )


def _graph_identifier(name) -> URIRef | None:
    if isinstance(name, ox.DefaultGraph):
        return None
    return URIRef(name.value)


def syntax_of(path: Path) -> str:
    """The name (a key of :data:`SYNTAXES`) of the RDF syntax a file name's extension announces."""
    suffix = Path(path).suffix.lower()
    for name, (_ox, _rdflib, extensions) in SYNTAXES.items():
        if suffix in extensions:
            return name
    known = ", ".join(ext for _ox, _rdflib, extensions in SYNTAXES.values() for ext in extensions)
    what = f"unknown RDF file extension {suffix!r}" if suffix else "no file extension"
    raise ValueError(f"{path}: {what} (known: {known})")


def rdf_format(path: Path) -> tuple[ox.RdfFormat, str]:
    """(Oxigraph format, rdflib format name) for a file name's extension."""
    ox_format, rdflib_format, _extensions = SYNTAXES[syntax_of(path)]
    return ox_format, rdflib_format


def load_file(ds: Dataset, path: Path, graph: str | None = None, union: bool = False) -> None:
    """Parse an RDF file into *ds*, into named graph *graph* for triple formats.

    A dataset file (N-Quads, TriG, JSON-LD) keeps its named graphs, unless
    *union*: then its statements go into one graph (*graph*, or the default
    graph) as triples, each once however many graphs state it.

    Parse errors propagate as the parser's own exception (``SyntaxError`` from
    Oxigraph, ``rdflib`` parser errors otherwise); callers turn them into a
    one-line message with :func:`pvd_graph.errors.describe_parse_error`.
    """
    path = Path(path)
    ox_format, rdflib_format = rdf_format(path)
    keeps_graphs = ox_format.supports_datasets and not union
    inner = oxigraph_store(ds)
    if inner is not None:
        target = ox.NamedNode(graph) if graph is not None else ox.DefaultGraph()
        if union and ox_format.supports_datasets:
            inner.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, target)
                              for q in ox.parse(path=str(path), format=ox_format))
            return
        kwargs = {} if keeps_graphs or graph is None else {"to_graph": target}
        with open(path, "rb") as fh:
            inner.bulk_load(fh, format=ox_format, **kwargs)
        return
    if keeps_graphs:
        ds.parse(path, format=rdflib_format)
        return
    target = ds.graph(URIRef(graph)) if graph else ds.default_graph
    if ox_format.supports_datasets:  # union of a dataset file's graphs
        parsed = Dataset()
        parsed.parse(path, format=rdflib_format)
        target.addN((s, p, o, target) for s, p, o, _g in parsed.quads((None, None, None, None)))
    else:
        target.parse(path, format=rdflib_format)


def query(ds: Graph, sparql: str, bindings: Mapping[str, Identifier] | None = None,
          prefixes: Mapping[str, str] | None = None):
    """Run a SPARQL query over *ds*; *bindings* are RDF terms bound to variables, *prefixes* declared ones."""
    return ds.query(sparql, initBindings=dict(bindings or {}), initNs=dict(prefixes or {}))


def triple_count(ds: Graph) -> int:
    inner = oxigraph_store(ds)
    if inner is not None:
        return len(inner)
    return sum(1 for _ in ds.quads((None, None, None, None)))


GRAPH_LAYOUTS = ("union", "named", "both")


def open_built(path: Path | str | None = None, backend: str = "oxigraph", graphs: str = "union") -> Dataset:
    """Open the output of ``pvd-graph build`` without re-importing anything.

    *path* is a build folder (default: the last build's) or any RDF file. For a
    build folder, *graphs* picks what is loaded:

    * ``"union"`` (default, for queries): ``graph.nt``, every triple once, in
      the default graph. Loading ``dataset.nq`` instead would make a fact stated
      by three sources match three times in Oxigraph's union of named graphs:
      duplicate rows, and joins several times slower.
    * ``"named"`` (for exports and publishing): ``dataset.nq``, one named graph
      per source; queries see their union, duplicates included.
    * ``"both"`` (for the SPARQL endpoint): the union in the default graph and
      the named graphs beside it, the usual layout of a SPARQL dataset; the
      dataset then queries its default graph only.

    An RDF file (any extension of :data:`SYNTAXES`, so every file ``pvd-graph
    export`` writes) is read with the same layouts: a triple file lands in the
    default graph; a dataset file (N-Quads, TriG, JSON-LD) gives the union of
    its graphs with ``"union"``, its named graphs with ``"named"``, both with
    ``"both"``.

    A missing or unreadable file, or a folder left by an interrupted build (no
    ``manifest.json``, the file a build writes last), is a :class:`~pvd_graph.errors.UserError`.
    """
    from pvd_graph import resources
    from pvd_graph.errors import UserError, describe_parse_error

    if graphs not in GRAPH_LAYOUTS:
        raise ValueError(f"graphs must be one of {GRAPH_LAYOUTS}")
    path = Path(path) if path is not None else resources.DEFAULT_BUILD_DIR
    files: list[tuple[Path, bool]] = []  # (file, load the union of its graphs)
    dataset_file = False
    if path.is_dir():
        wanted = {"union": [resources.GRAPH_NT], "named": [resources.DATASET_NQ],
                  "both": [resources.DATASET_NQ, resources.GRAPH_NT]}[graphs]
        for name in wanted:
            if not (path / name).is_file():
                raise UserError(f"{path}: no {name} here; run 'pvd-graph build' first or pass --graph FILE")
            files.append((path / name, False))
        if not (path / resources.MANIFEST_JSON).is_file():  # written last: its absence means an interrupted build
            raise UserError(f"{path}: incomplete build folder (no {resources.MANIFEST_JSON}); "
                            "an interrupted build? run 'pvd-graph build' again")
    elif path.exists():
        try:
            dataset_file = rdf_format(path)[0].supports_datasets
        except ValueError as exc:
            raise UserError(str(exc)) from None
        # the same layouts as a build folder: "union" is each triple once in the default graph
        # (a triple stated in several named graphs of an N-Quads, TriG or JSON-LD file counts once)
        files.append((path, graphs == "union"))
    else:
        hint = " (run 'pvd-graph build' first)" if path == resources.DEFAULT_BUILD_DIR else ""
        if any(path.parent.glob(f".{path.name}.old-*")):
            hint = f" (a build was interrupted while swapping folders: the next build restores .{path.name}.old-*)"
        raise UserError(f"{path}: no such file or folder{hint}")
    ds = new_dataset(backend, default_union=graphs != "both")
    for file, union in files:
        try:
            load_file(ds, file, union=union)
        except (SyntaxError, ValueError, OSError, SAXException) as exc:
            raise UserError(describe_parse_error(file, exc)) from None
    if graphs == "both" and not path.is_dir() and dataset_file:
        _add_union_to_default_graph(ds)
    return ds


def _add_union_to_default_graph(ds: Dataset) -> None:
    """Copy every named graph's triples into the default graph (the same blank nodes, each triple once)."""
    inner = oxigraph_store(ds)
    if inner is not None:
        inner.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        return
    default = ds.default_graph
    default.addN((s, p, o, default) for s, p, o, g in list(ds.quads((None, None, None, None)))
                 if getattr(g, "identifier", g) not in (None, default.identifier))
