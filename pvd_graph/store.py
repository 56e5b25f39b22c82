"""The storage seam: every module opens, fills and queries graphs through here.

A :class:`Store` is an RDF dataset held by Oxigraph (``pyoxigraph.Store``):
one default graph and named graphs (one per source in a build). Its methods
are the whole interface the package uses — bulk loading, SPARQL with bound
variables, quad patterns, removal, dumps — and terms are pyoxigraph terms
throughout. rdflib terms appear only where a library needs them:
:meth:`Store.rdflib_graph` for pySHACL, :func:`rdflib_graph` for rdflib's
JSON-LD compaction, and :func:`query` for callers that read rdflib terms.

A store queries the union of its graphs by default (``default_union=True``):
a query sees curated data, each import and the ontology at once, while exports
can still tell the graphs apart.

A build folder also holds an on-disk Oxigraph store (``store/ID/``, RocksDB,
:func:`write_disk_store`) with what ``open_built(graphs="both")`` parses from
its files; :func:`open_built` opens it read-only instead of parsing, in a few
milliseconds, when it still matches those files (:func:`open_disk_store`).
The trade-off: Oxigraph answers string-heavy queries several times slower from
RocksDB than from memory, so opening is instant but long queries are slower.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from pvd_graph import ntriples

#: The RDF syntaxes that :meth:`Store.load_file` reads and ``pvd-graph export`` writes:
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

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class Store:
    """An RDF dataset in Oxigraph, querying the union of its graphs unless *default_union* is false.

    In memory by default. With *path*, the on-disk store a build writes
    (:func:`write_disk_store`), opened read-only unless *read_only* is false; with *only_default_graph* too,
    the store is seen as its default graph alone (the ``"union"`` layout of
    :func:`open_built`): named graphs are neither counted, iterated, dumped nor
    reachable by ``GRAPH`` in queries. *length*, when known (from the build's
    manifest), spares counting the statements of an on-disk store.
    """

    def __init__(self, default_union: bool = True, path: Path | str | None = None,
                 only_default_graph: bool = False, length: int | None = None, read_only: bool = True):
        self._path = path
        if path is None:
            self._ox = ox.Store()
        else:
            self._ox = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        #: an on-disk store opened read-only: nothing can be added to it
        self.read_only = path is not None and read_only
        self.default_union = default_union
        self._only_default = only_default_graph
        self._length = length
        #: ``{"default": triples, "named": {graph IRI: statements}}`` when the build recorded them (on-disk store)
        self.figures: dict | None = None
        self._sorted_union: tuple[Path, tuple[int, int, int]] | None = None  # see sorted_union_file

    def note_sorted_union(self, path: Path) -> None:
        """Record that the union of this store's graphs is, line for line, the sorted N-Triples file *path*
        (a build's ``graph.nt``, as :func:`open_built` loads it); any change to the store forgets it."""
        stat = path.stat()
        self._sorted_union = (path, (stat.st_ino, stat.st_size, stat.st_mtime_ns))

    def sorted_union_file(self) -> Path | None:
        """The file noted by :meth:`note_sorted_union`, while neither the store nor the file has changed
        since (the same inode, size and time: a rebuild swapping the folder is a new file); else ``None``.

        Exports read it instead of dumping and sorting the store: the same lines, already sorted.
        """
        if self._sorted_union is None:
            return None
        path, stamp = self._sorted_union
        try:
            stat = path.stat()
        except OSError:
            return None
        return path if (stat.st_ino, stat.st_size, stat.st_mtime_ns) == stamp else None

    def opener_for_forks(self) -> Callable[[], Store]:
        """How a process forked from this one gets this store (call it in the child).

        In memory: the store itself, shared copy-on-write with the forks. On disk:
        RocksDB runs background threads, which a fork does not carry over, so a child
        does not use the parent's open database; it opens the store read-only itself
        (milliseconds; the files' pages are shared between processes by the
        operating system's cache, no child holds a copy of the graph).
        """
        if self._path is None:
            return lambda: self
        path, options = self._path, {"default_union": self.default_union, "only_default_graph": self._only_default,
                                     "length": self._length}
        figures = self.figures

        def reopen() -> Store:
            ds = Store(path=path, **options)
            ds.figures = figures
            return ds

        return reopen

    @property
    def on_disk(self) -> bool:
        """Whether this store is an on-disk one (a build's ``store/``), rather than in memory."""
        return self._path is not None

    def __len__(self) -> int:
        """Statements held: one per (triple, graph), so a fact stated by two sources counts twice."""
        if not self.read_only:  # a store that can change is counted each time
            return sum(1 for _ in self.quads()) if self._only_default else len(self._ox)
        if self._length is None:
            self._length = sum(1 for _ in self.quads()) if self._only_default else len(self._ox)
        return self._length

    def __iter__(self) -> Iterator[ox.Quad]:
        """Every quad of every graph."""
        return self.quads() if self._only_default else iter(self._ox)

    # --- filling -----------------------------------------------------------------------------

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads (bulk insert: blank nodes keep their labels)."""
        self._sorted_union = None
        self._ox.bulk_extend(quads)

    def load(self, data: bytes | str, format: ox.RdfFormat, graph: ox.NamedNode | None = None) -> None:
        """Bulk-load RDF (bytes, text or a binary file); triples go to *graph* (default graph when ``None``).

        Oxigraph's bulk loader gives blank nodes fresh labels: use :meth:`extend`
        where labels must survive.
        """
        self._sorted_union = None
        kwargs = {} if graph is None else {"to_graph": graph}
        self._ox.bulk_load(data, format=format, **kwargs)

    def load_file(self, path: Path | str, graph: str | None = None, union: bool = False) -> None:
        """Parse an RDF file, into named graph *graph* for triple formats.

        A dataset file (N-Quads, TriG, JSON-LD) keeps its named graphs, unless
        *union*: then its statements go into one graph (*graph*, or the default
        graph) as triples, each once however many graphs state it.

        Blank nodes: an N-Triples or N-Quads file keeps its labels (so a build's
        files read back are written again byte for byte, and ``graph.nt`` and
        ``dataset.nq`` loaded together share their blank nodes). In the other
        syntaxes the loader picks labels (anonymous nodes have none), so the
        file's blank nodes get canonical ones (:func:`pvd_graph.ntriples.canonical_quads`):
        what is written from it does not change from one run to the next.

        Parse errors propagate as Oxigraph's own exception (``SyntaxError``);
        callers turn them into a one-line message with
        :func:`pvd_graph.errors.describe_parse_error`.
        """
        self._sorted_union = None
        path = Path(path)
        ox_format = SYNTAXES[syntax_of(path)][0]
        target = ox.NamedNode(graph) if graph is not None else ox.DefaultGraph()
        union = union and ox_format.supports_datasets  # a triple format is one graph already
        as_triples = union or not ox_format.supports_datasets  # statements go to *target*
        line_format = ox_format in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)
        if line_format and not union:
            self._load_line_file(path, ox_format, target if as_triples else None)
            return
        base = path.resolve().as_uri()  # relative IRIs (<>) resolve against the file, as rdflib does
        before = set() if line_format else set(self._blank_quads())
        if union:  # ox.parse keeps the labels written in the file
            self._ox.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, target)
                                 for q in ox.parse(path=str(path), format=ox_format, base_iri=base))
        else:
            kwargs = {"base_iri": base} if not as_triples or graph is None else {"to_graph": target, "base_iri": base}
            with open(path, "rb") as fh:
                self._ox.bulk_load(fh, format=ox_format, **kwargs)
        if line_format:
            return
        loaded = list(set(self._blank_quads()) - before)  # with labels picked by the loader
        if loaded:
            for q in loaded:
                self._ox.remove(q)
            self._ox.bulk_extend(ntriples.canonical_quads(loaded))

    def _load_lines(self, data: bytes, ox_format: ox.RdfFormat, graph) -> None:
        """Load N-Triples/N-Quads text; the lines that may hold a blank node keep its label.

        Oxigraph's bulk loader renames blank nodes: those lines are parsed here instead.
        """
        self._sorted_union = None
        kwargs = {} if graph is None else {"to_graph": graph}
        if b"_:" not in data:
            self._ox.bulk_load(data, format=ox_format, **kwargs)
            return
        text, blank = _blank_lines_aside(data)
        self._ox.bulk_load(text, format=ox_format, **kwargs)
        self._extend_lines(blank, ox_format, graph)

    def _load_line_file(self, path: Path, ox_format: ox.RdfFormat, graph, lenient: bool = False) -> None:
        """:meth:`_load_lines` of a file, streamed to the bulk loader: the file is never held in memory.

        *lenient*: for a file this package has just written from a store (a build's own output), the
        loader skips validating its IRIs again (Oxigraph's ``lenient``; valid data loads the same).
        """
        self._sorted_union = None
        kwargs = {} if graph is None else {"to_graph": graph}
        with open(path, "rb") as fh:
            reader = _BlankLinesAside(fh)
            self._ox.bulk_load(reader, format=ox_format, lenient=lenient, **kwargs)
        self._extend_lines(reader.aside, ox_format, graph)

    def _extend_lines(self, lines: list[bytes], ox_format: ox.RdfFormat, graph) -> None:
        """Add the statements of *lines* (N-Triples/N-Quads), blank-node labels kept."""
        self._sorted_union = None
        if not lines:
            return
        parsed = ox.parse(b"".join(lines), format=ox_format)
        self._ox.bulk_extend(parsed if graph is None else
                             (ox.Quad(q.subject, q.predicate, q.object, graph) for q in parsed))

    def _blank_quads(self) -> list[ox.Quad]:
        """The statements of every graph that hold a blank node."""
        rows = self._ox.query("SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } "
                              "FILTER(isBlank(?s) || isBlank(?o)) }")
        return [ox.Quad(s, p, o, ox.DefaultGraph() if g is None else g) for s, p, o, g in rows]

    def remove(self, quad: ox.Quad) -> None:
        self._sorted_union = None
        self._ox.remove(quad)

    def add_union_to_default_graph(self) -> None:
        """Copy every named graph's triples into the default graph (the same blank nodes, each triple once)."""
        self._sorted_union = None
        self._ox.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")

    # --- reading -----------------------------------------------------------------------------

    def query(self, sparql: str, bindings: Mapping[str, object] | None = None,
              prefixes: Mapping[str, str] | None = None, union: bool | None = None,
              default_graph: list | None = None, named_graphs: list | None = None, base_iri: str | None = None):
        """Run a SPARQL query; Oxigraph's own result (solutions, boolean or triples).

        *bindings* bind variables (by name, without ``?``) to terms, pyoxigraph's or
        rdflib's; *prefixes* are declared; *union* (default: the store's
        ``default_union``) makes the default graph the union of every graph;
        *default_graph* (graph names) replaces the default graph instead;
        *base_iri* resolves the query's relative IRIs.
        """
        kwargs: dict = {"prefixes": dict(prefixes) if prefixes else None, "base_iri": base_iri}
        union = self.default_union if union is None else union
        if self._only_default:  # the default graph is the union: no named graph is in view
            named_graphs = [] if named_graphs is None else named_graphs
            if union and default_graph is None:
                default_graph = [ox.DefaultGraph()]
            union = False
        if default_graph is not None:
            kwargs["default_graph"] = default_graph
        else:
            kwargs["use_default_graph_as_union"] = union
        if named_graphs is not None:
            kwargs["named_graphs"] = named_graphs
        if bindings:
            kwargs["substitutions"] = {ox.Variable(k): to_ox(v) for k, v in bindings.items()}
        return self._ox.query(sparql, **kwargs)

    def select(self, sparql: str, **kwargs) -> list[tuple]:
        """The rows of a SELECT query as tuples of pyoxigraph terms (``None`` when unbound); see :meth:`query`."""
        return [tuple(solution) for solution in self.query(sparql, **kwargs)]

    def quads(self, subject=None, predicate=None, object=None, graph=None) -> Iterator[ox.Quad]:
        """The quads matching a pattern (``None`` matches anything; ``ox.DefaultGraph()`` the default graph)."""
        if self._only_default:
            if graph is not None and graph != ox.DefaultGraph():
                return iter(())
            graph = ox.DefaultGraph()
        return self._ox.quads_for_pattern(subject, predicate, object, graph)

    def named_graphs(self) -> list:
        return [] if self._only_default else list(self._ox.named_graphs())

    def default_graph_is_empty(self) -> bool:
        return next(iter(self.quads(graph=ox.DefaultGraph())), None) is None

    def dump(self, format: ox.RdfFormat = ox.RdfFormat.N_QUADS, graph=None, output=None,
             prefixes: Mapping[str, str] | None = None) -> bytes | None:
        """The dataset (or one graph, for a triple format) as text, unsorted; into *output* when given."""
        kwargs: dict = {"format": format}
        if graph is None and self._only_default:
            graph = ox.DefaultGraph()
        if graph is not None:
            kwargs["from_graph"] = graph
        if prefixes:
            kwargs["prefixes"] = dict(prefixes)
        return self._ox.dump(output, **kwargs) if output is not None else self._ox.dump(**kwargs)

    def rdflib_graph(self) -> Graph:
        """The union of every graph as one rdflib graph, each triple once: for pySHACL, which needs one."""
        return rdflib_graph(q.triple for q in self)



def _blank_lines_aside(data: bytes) -> tuple[bytes | bytearray, list[bytes]]:
    """*data* (N-Triples/N-Quads) with every line holding ``_:`` (few in a build's files) made a
    comment, and those lines: the bulk loader skips them, they are parsed apart (their labels kept)."""
    if b"_:" not in data:
        return data, []
    text = bytearray(data)
    blank = []
    pos = data.find(b"_:")
    while pos != -1:
        start, end = data.rfind(b"\n", 0, pos) + 1, data.find(b"\n", pos)
        end = len(data) if end == -1 else end + 1
        blank.append(data[start:end])
        text[start] = ord("#")
        pos = data.find(b"_:", end)
    return text, blank


class _BlankLinesAside:
    """A binary file read by Oxigraph's bulk loader block by block, whole lines at a time, with
    the lines holding ``_:`` set aside in :attr:`aside` (see :func:`_blank_lines_aside`)."""

    BLOCK = 1 << 20

    def __init__(self, fh):
        self._fh = fh
        self._block: bytes | bytearray = b""
        self._pos = 0
        self.aside: list[bytes] = []

    def read(self, size: int = -1) -> bytes:
        if self._pos >= len(self._block):
            block = self._fh.read(self.BLOCK)
            if not block:
                return b""
            if not block.endswith(b"\n"):
                block += self._fh.readline()  # a line is never cut between two blocks
            block, blank = _blank_lines_aside(block)
            self.aside += blank
            self._block, self._pos = block, 0
        end = len(self._block) if size is None or size < 0 else self._pos + size
        chunk = bytes(self._block[self._pos:end])
        self._pos += len(chunk)
        return chunk


def new_dataset(default_union: bool = True) -> Store:
    """An empty :class:`Store`, querying the union of its graphs by default."""
    return Store(default_union=default_union)


def rdflib_graph(triples: Iterable[ox.Triple]) -> Graph:
    """An rdflib graph of pyoxigraph triples, for libraries that work on rdflib graphs only."""
    g = Graph()
    g.addN((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object), g) for t in triples)
    return g


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
    """rdflib term → pyoxigraph term (a pyoxigraph term is returned as it is)."""
    if isinstance(term, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return term
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if not isinstance(term, Literal):
        raise TypeError(f"cannot bind {term!r}")
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is not None:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def query(ds: Store, sparql: str, bindings: Mapping[str, object] | None = None,
          prefixes: Mapping[str, str] | None = None):
    """Run a SPARQL query over *ds*, answered as an rdflib :class:`~rdflib.query.Result` of rdflib terms.

    For callers that read rdflib terms (``row.asdict()``, ``int(n)``); the rest use
    :meth:`Store.query` and pyoxigraph terms.
    """
    from rdflib.query import Result
    from rdflib.term import Variable

    result = ds.query(sparql, bindings=bindings, prefixes=prefixes)
    if isinstance(result, ox.QueryBoolean):
        out = Result("ASK")
        out.askAnswer = bool(result)
    elif isinstance(result, ox.QueryTriples):
        out = Result("CONSTRUCT")
        out.graph = rdflib_graph(result)
    else:
        out = Result("SELECT")
        out.vars = [Variable(v.value) for v in result.variables]
        out.bindings = [{v: to_rdflib(t) for v, t in zip(out.vars, solution) if t is not None}
                        for solution in result]
    return out


def triple_count(ds: Store) -> int:
    return len(ds)


def syntax_of(path: Path) -> str:
    """The name (a key of :data:`SYNTAXES`) of the RDF syntax a file name's extension announces."""
    suffix = Path(path).suffix.lower()
    for name, (_ox, _rdflib, extensions) in SYNTAXES.items():
        if suffix in extensions:
            return name
    known = ", ".join(ext for _ox, _rdflib, extensions in SYNTAXES.values() for ext in extensions)
    what = f"unknown RDF file extension {suffix!r}" if suffix else "no file extension"
    raise ValueError(f"{path}: {what} (known: {known})")


GRAPH_LAYOUTS = ("union", "named", "both")


def open_built(path: Path | str | None = None, graphs: str = "union", use_store: bool = True) -> Store:
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
      dataset then queries its default graph only. The files the build's store
      holds as named graphs of their own (``alignments.nt`` as ``graph/alignments``,
      recorded in ``manifest.json``) are loaded so too, outside the default graph.

    An RDF file (any extension of :data:`SYNTAXES`, so every file ``pvd-graph
    export`` writes) is read with the same layouts: a triple file lands in the
    default graph; a dataset file (N-Quads, TriG, JSON-LD) gives the union of
    its graphs with ``"union"``, its named graphs with ``"named"``, both with
    ``"both"``.

    A build folder's ``"union"`` and ``"both"`` layouts are opened from its
    on-disk store (:func:`open_disk_store`: read-only, nothing parsed) when it
    matches the folder's files; else the files are parsed, after one warning
    line on stderr saying why. ``"named"`` always parses ``dataset.nq``, and so
    does every layout with *use_store* false: an in-memory store answers
    string-heavy queries several times faster than RocksDB (README
    "Performance"), so a long-running caller may prefer to pay the parse.

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
            dataset_file = SYNTAXES[syntax_of(path)][0].supports_datasets
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
    if path.is_dir() and graphs != "named" and use_store:
        disk = open_disk_store(path, graphs)
        if disk is not None:
            return disk
    ds = new_dataset(default_union=graphs != "both")
    for file, union in files:
        try:
            ds.load_file(file, union=union)
        except (SyntaxError, ValueError, OSError) as exc:
            raise UserError(describe_parse_error(file, exc)) from None
    if graphs == "both" and not path.is_dir() and dataset_file:
        ds.add_union_to_default_graph()
    if graphs == "both" and path.is_dir():
        # as the on-disk store holds them: the files it loads into named graphs of their own (the
        # alignments), outside the default graph (the union of the sources)
        for name, iri in _store_graphs(path).items():
            try:
                ds.load_file(path / name, graph=iri)
            except (SyntaxError, ValueError, OSError) as exc:
                raise UserError(describe_parse_error(path / name, exc)) from None
    if graphs == "union" and path.is_dir():
        ds.note_sorted_union(path / resources.GRAPH_NT)  # graph.nt: sorted, each triple once (pvd_graph.ntriples)
    return ds


def _store_graphs(folder: Path) -> dict[str, str]:
    """File name → named graph IRI of the files beside the dataset that the build's store holds
    (from ``manifest.json``; none for a build that recorded no store)."""
    import json

    from pvd_graph import resources

    try:
        record = json.loads((folder / resources.MANIFEST_JSON).read_text(encoding="utf-8")).get("store") or {}
    except (OSError, ValueError, AttributeError):
        return {}
    graphs = record.get("graphs") if isinstance(record, dict) else None
    return {str(n): str(g) for n, g in (graphs or {}).items() if (folder / str(n)).is_file() and "/" not in str(n)}



# --- the on-disk store of a build ------------------------------------------------------------

#: The files a build's on-disk store is made from, in the order they are loaded.
STORE_SOURCES = ("dataset.nq", "graph.nt")


def write_disk_store(folder: Path, files: Sequence[str] = STORE_SOURCES,
                     graphs: Mapping[str, tuple[str, Callable[[], bool]]] | None = None) -> dict:
    """Write the on-disk Oxigraph store of the build in *folder*; what the manifest records of it.

    The store is ``store/ID/``, *ID* new at each build: a process that holds the
    store of a build open (RocksDB opens its files lazily, by name) can never
    read the files of the build that replaced it at the same place; it gets an
    error instead.

    *files* names ``dataset.nq`` and ``graph.nt``, written in *folder*, which are loaded as
    :func:`open_built` loads them with ``graphs="both"`` (the same code, so the
    same statements and blank-node labels): the sources as named graphs and the
    union, each triple once, as the default graph. They are streamed from the files
    (the build does not hold their bytes for the store). The record names, for each
    file, its size and SHA-256, against which :func:`open_disk_store` checks
    that the store still matches the files beside it. *graphs*: more files of *folder*,
    each loaded into a named graph of its own (file name → (graph IRI, a callable that
    waits until the file is written and says whether it was: ``False``, nothing more is
    loaded)); the record names them too.
    """
    import uuid

    from pvd_graph import resources

    where = f"{resources.STORE_DIR}/{uuid.uuid4().hex[:16]}"
    (folder / resources.STORE_DIR).mkdir()
    disk = Store(path=folder / where, read_only=False)
    dataset, union = files
    disk._load_line_file(folder / dataset, ox.RdfFormat.N_QUADS, None, lenient=True)
    disk._load_line_file(folder / union, ox.RdfFormat.N_TRIPLES, ox.DefaultGraph(), lenient=True)
    made_from, named = list(files), {}
    for name, (iri, ready) in (graphs or {}).items():
        if not ready():
            break
        disk._load_line_file(folder / name, ox.RdfFormat.N_TRIPLES, ox.NamedNode(iri), lenient=True)
        made_from.append(name)
        named[name] = iri
    disk._ox.optimize()  # one compaction: queries on the bulk loader's many files are about 2× slower
    del disk  # closes the store before the build folder is swapped into place
    return {"folder": where, "pyoxigraph": ox.__version__, "graphs": named,
            "made_from": {name: _file_record(folder / name, lines=name in named) for name in made_from}}


def _file_record(path: Path, lines: bool) -> dict:
    """Size and SHA-256 of *path* (and, with *lines*, its lines: N-Triples, one statement a line), read once."""
    import hashlib

    digest, size, count = hashlib.sha256(), 0, 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
            if lines:
                count += block.count(b"\n")
    return {"bytes": size, "sha256": digest.hexdigest(), **({"lines": count} if lines else {})}


def _store_mismatch(folder: Path, record: dict | None) -> str | None:
    """Why the on-disk store of build *folder* cannot stand for its files (``None`` when it can).

    Sizes are compared first; the SHA-256 of a file is computed only when its
    modification time is not the one the build recorded (a copy, a touch).
    """
    import hashlib

    from pvd_graph import resources

    if not record or not isinstance(record.get("made_from"), dict):
        return "the manifest records no on-disk store (a build by an older pvd-graph?)"
    where = Path(str(record.get("folder")))
    if where.parts[:1] != (resources.STORE_DIR,) or ".." in where.parts or not (folder / where).is_dir():
        return f"no {where}/ folder"
    for name in dict.fromkeys([*STORE_SOURCES, *record["made_from"]]):  # the alignments too, when it holds them
        made = record["made_from"].get(name) or {}
        if not (folder / name).is_file():
            return f"{name} is missing beside it"
        stat = (folder / name).stat()
        if stat.st_size != made.get("bytes"):
            return f"{name} has changed since the store was written ({stat.st_size:,} bytes, was {made.get('bytes')})"
        if stat.st_mtime_ns != made.get("mtime_ns"):
            with open(folder / name, "rb") as fh:
                if hashlib.file_digest(fh, "sha256").hexdigest() != made.get("sha256"):
                    return f"{name} has changed since the store was written (its SHA-256 differs)"
    return None


def open_disk_store(folder: Path, graphs: str = "both") -> Store | None:
    """The on-disk store of build *folder*, opened read-only, in layout *graphs* (``"union"`` or ``"both"``).

    ``None``, after one warning line on stderr saying why, when the store is
    missing, does not match the folder's ``graph.nt`` and ``dataset.nq``
    (see :func:`write_disk_store`) or cannot be opened: the caller then parses
    the files, so the graph is the same either way, only slower.
    """
    import json
    import sys

    from pvd_graph import resources

    store_dir = folder / resources.STORE_DIR
    try:
        manifest = json.loads((folder / resources.MANIFEST_JSON).read_text(encoding="utf-8"))
        record = manifest.get("store")
        why = _store_mismatch(folder, record)
        if why is None:
            counts = {"union": manifest.get("triples"), "both": None}
            if isinstance(manifest.get("triples"), int) and isinstance(manifest.get("quads"), int):
                # the default graph, the sources' named graphs, and the files held as named graphs of their own
                held = sum(made.get("lines", 0) for name, made in record["made_from"].items()
                           if name in (record.get("graphs") or {}))
                counts["both"] = manifest["triples"] + manifest["quads"] + held
            disk = Store(default_union=graphs != "both", path=folder / record["folder"],
                         only_default_graph=graphs == "union", length=counts[graphs])
            figures = record.get("figures")
            if isinstance(figures, dict) and isinstance(figures.get("named"), dict):
                disk.figures = {"default": figures.get("default"),
                                "named": dict(sorted(figures["named"].items())) if graphs == "both" else {}}
            return disk
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        why = f"cannot be opened ({' '.join(str(exc).split()) or type(exc).__name__})"
    print(f"pvd-graph: warning: {store_dir}: on-disk store not used: {why}; parsing the build's files instead "
          "(slower, same graph)", file=sys.stderr)
    return None
