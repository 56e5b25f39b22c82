"""Export a built graph to the usual RDF formats, streaming from the Oxigraph store.

Formats (``FORMATS``): Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML.
Triple formats (Turtle, N-Triples, JSON-LD, RDF/XML) hold the *union* of the
named graphs, each triple once; dataset formats (N-Quads, TriG) keep one named
graph per source.

Memory: nothing here builds a second copy of the graph. TriG is written by
Oxigraph's own ``Store.dump`` straight into the output. The other formats walk
the store subject by subject (the sorted list of subjects is the only thing
held besides the store): each subject's triples are looked up in the native
indexes, de-duplicated across graphs, sorted and written. Walking subjects in
the order of their N-Triples form makes N-Triples/N-Quads output byte-sorted
(identical to sorting every line, :mod:`pvd_graph.ntriples`): the N-Triples
and N-Quads of a build are its ``graph.nt`` and ``dataset.nq``, byte for byte.

JSON-LD is compacted with the published context ``ontology/context.jsonld``
(Oxigraph writes expanded JSON-LD only): subjects are compacted in batches by
rdflib's JSON-LD serializer and the node objects are streamed into one
``@graph`` array, so only one batch is ever held as rdflib objects.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from pvd_graph import ntriples, resources, store
from pvd_graph.errors import UserError
from pvd_graph.namespaces import SERIALISATION_PREFIXES
from pvd_graph.store import Store

_DESCRIPTIONS = {
    "ttl": ("Turtle, union of the graphs, project prefixes", "text/turtle"),
    "nt": ("N-Triples, union of the graphs, sorted", "application/n-triples"),
    "nq": ("N-Quads, one named graph per source, sorted", "application/n-quads"),
    "trig": ("TriG, one named graph per source", "application/trig"),
    "jsonld": ("JSON-LD compacted with ontology/context.jsonld, union", "application/ld+json"),
    "rdfxml": ("RDF/XML, union of the graphs", "application/rdf+xml"),
}
#: format name → (description, file extension, media type); the extension is the one the loader
#: (:data:`pvd_graph.store.SYNTAXES`) reads the format by, so every export can be read back with ``--graph``.
FORMATS = {name: (description, store.SYNTAXES[name][2][0], media_type)
           for name, (description, media_type) in _DESCRIPTIONS.items()}

#: Other names users type for the formats (compared in lower case).
ALIASES = {
    "turtle": "ttl",
    "ntriples": "nt", "n-triples": "nt",
    "nquads": "nq", "n-quads": "nq",
    "json-ld": "jsonld", "json": "jsonld",
    "rdf/xml": "rdfxml", "rdf-xml": "rdfxml", "xml": "rdfxml", "rdf": "rdfxml",
}

#: rdflib parser names, to read an export back (round-trip tests, consumers).
RDFLIB_FORMATS = {name: store.SYNTAXES[name][1] for name in FORMATS}
#: Oxigraph formats of the same exports.
OX_FORMATS = {name: store.SYNTAXES[name][0] for name in FORMATS}
DATASET_FORMATS = ("nq", "trig")

#: Subjects compacted together by rdflib's JSON-LD serializer.
JSONLD_BATCH = 500
_PROGRESS_EVERY = 20_000


@dataclass
class ExportResult:
    format: str
    statements: int  # triples (or quads for dataset formats) written; 0 when not counted (TriG)
    subjects: int
    bytes: int


class _CountingWriter(io.RawIOBase):
    """A binary sink that counts bytes (Oxigraph writes into any object with ``write``)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        n = self.raw.write(data)
        n = len(data) if n is None else n
        self.count += n
        return n


def load_context() -> dict:
    """The published JSON-LD context (the ``@context`` object of ``ontology/context.jsonld``)."""
    with open(resources.CONTEXT_FILE, encoding="utf-8") as fh:
        return json.load(fh)["@context"]


_SUBJECTS = "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } }"


class _Walk:
    """The statements of a store, subject by subject, in the byte order of their N-Triples/N-Quads lines.

    Triples (``quads=False``) are the union of the graphs, each once. Blank
    nodes keep the store's labels: those of an N-Triples/N-Quads file, canonical
    ones for the other syntaxes (see :meth:`pvd_graph.store.Store.load_file`),
    so a build's ``graph.nt`` and ``dataset.nq`` are written back byte for byte.
    """

    def __init__(self, ds: Store, quads: bool):
        self.ds = ds
        self.quads = quads
        subjects = {sol[0] for sol in ds.query(_SUBJECTS)}
        subjects.update(sol[0] for sol in ds.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }", union=False))
        self.subjects = sorted(subjects, key=ntriples.subject_key)

    def statements(self, subject) -> list:
        """Statements of *subject*, once each, sorted like their lines."""
        items = {q if self.quads else q.triple for q in self.ds.quads(subject)}
        return sorted(items, key=ntriples.statement_key)

    def __call__(self, progress: Callable[[str], None], what: str) -> Iterator[tuple[object, list]]:
        progress(f"{what}: {len(self.subjects)} subjects")
        for i, s in enumerate(self.subjects, 1):
            yield s, self.statements(s)
            if i % _PROGRESS_EVERY == 0:
                progress(f"{what}: {i}/{len(self.subjects)} subjects")


def _union_triples(ds: Store, progress, what, counter: list[int]) -> Iterator[ox.Triple]:
    for _s, triples in _Walk(ds, quads=False)(progress, what):
        counter[0] += 1
        counter[1] += len(triples)
        yield from triples


def _write_lines(ds: Store, out: BinaryIO, quads: bool, progress) -> tuple[int, int]:
    subjects = statements = 0
    for _s, items in _Walk(ds, quads)(progress, "N-Quads" if quads else "N-Triples"):
        out.write(ntriples.write(items))
        subjects += 1
        statements += len(items)
    return subjects, statements


def _write_jsonld(ds: Store, out: BinaryIO, progress) -> tuple[int, int]:
    context = load_context()
    counter = [0, 0]
    batch: list[ox.Triple] = []
    nbatch = 0
    out.write(b'{\n"@context": ')
    out.write(json.dumps(context, ensure_ascii=False, indent=1).encode("utf-8"))
    out.write(b',\n"@graph": [')
    first = True

    def flush():
        nonlocal first
        if not batch:
            return
        for node in _compact_nodes(batch, context):
            out.write(b"\n" if first else b",\n")
            out.write(json.dumps(node, ensure_ascii=False, sort_keys=True).encode("utf-8"))
            first = False
        batch.clear()

    for _s, triples in _Walk(ds, quads=False)(progress, "JSON-LD"):
        counter[0] += 1
        counter[1] += len(triples)
        batch.extend(triples)
        nbatch += 1
        if nbatch == JSONLD_BATCH:
            flush()
            nbatch = 0
    flush()
    out.write(b"\n]\n}\n")
    return counter[0], counter[1]


def _compact_nodes(triples: list[ox.Triple], context: dict) -> list[dict]:
    """Node objects of *triples*, compacted with *context* by rdflib's JSON-LD serializer."""
    from rdflib.plugins.serializers.jsonld import from_rdf

    doc = from_rdf(store.rdflib_graph(triples), context_data=context)
    nodes = doc.get("@graph") if isinstance(doc, dict) and "@graph" in doc else [doc]
    for node in nodes:
        node.pop("@context", None)
    order = {ntriples.subject_key(t.subject): i for i, t in reversed(list(enumerate(triples)))}
    ctx = _rdflib_context(json.dumps(context))
    return sorted(nodes, key=lambda n: order.get(_nt_subject(ctx.expand(n["@id"])), len(order)))


@functools.lru_cache(maxsize=2)
def _rdflib_context(data: str):
    from rdflib.plugins.shared.jsonld.context import Context

    return Context(json.loads(data))


def _nt_subject(iri: str) -> str:
    return ntriples.subject_key(ox.BlankNode(iri[2:]) if iri.startswith("_:") else ox.NamedNode(iri))


def format_name(text: str) -> str:
    """The format (a key of :data:`FORMATS`) that *text* names, an alias such as ``turtle`` included."""
    name = text.strip().lower()
    name = ALIASES.get(name, name)
    if name not in FORMATS:
        raise UserError(f"unknown export format {text!r}; known: {known_formats()}")
    return name


def known_formats() -> str:
    """``ttl (turtle), nt (ntriples, n-triples), ...``: the formats and their aliases, for messages and help."""
    aliases: dict[str, list[str]] = {name: [] for name in FORMATS}
    for alias, name in ALIASES.items():
        aliases[name].append(alias)
    return ", ".join(f"{name} ({', '.join(a)})" if a else name for name, a in aliases.items())


def resolve_format(fmt: str | None, path: Path | str | None) -> str:
    """The format to write: *fmt* (a name or alias), else the one *path*'s extension names, else Turtle.

    A file is refused when its extension would make ``--graph`` read it as
    another format (``-f nt -o x.ttl``) or not at all (``x.txt``): every file
    written here can be read back by every command.
    """
    name = format_name(fmt) if fmt is not None else None
    if path is None:
        return name or "ttl"
    try:
        announced = store.syntax_of(Path(path))
    except ValueError as exc:
        raise UserError(f"{exc}; name it *{FORMATS[name or 'ttl'][1]} so that --graph can read it back") from None
    if name is not None and announced != name:
        raise UserError(f"{path}: the extension {Path(path).suffix!r} announces {announced}, not {name}; "
                        f"name it {FORMATS[name][1]} or choose -f {announced}")
    return announced


def export(ds: Store, fmt: str, output: BinaryIO, progress: Callable[[str], None] | None = None) -> ExportResult:
    """Write *ds* in format *fmt* (a key of :data:`FORMATS`) to the binary stream *output*."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    progress = progress or (lambda _m: None)
    sink = _CountingWriter(output)
    subjects = statements = 0
    if fmt == "trig":
        progress("TriG: writing every named graph")
        ds.dump(ox.RdfFormat.TRIG, output=sink, prefixes=SERIALISATION_PREFIXES)
    elif fmt in ("nt", "nq"):
        subjects, statements = _write_lines(ds, sink, fmt == "nq", progress)
    elif fmt == "jsonld":
        subjects, statements = _write_jsonld(ds, sink, progress)
    else:
        counter = [0, 0]
        what = "Turtle" if fmt == "ttl" else "RDF/XML"
        ox.serialize(_union_triples(ds, progress, what, counter), sink, OX_FORMATS[fmt], prefixes=SERIALISATION_PREFIXES)
        subjects, statements = counter
    progress(f"wrote {sink.count / 1e6:.1f} MB")
    return ExportResult(fmt, statements, subjects, sink.count)


def export_file(ds: Store, fmt: str | None, path: Path | str | None,
                progress: Callable[[str], None] | None = None) -> ExportResult:
    """Export to *path* (written to a temporary file, then renamed) or to stdout when ``None``.

    *fmt* is a format name or alias, or ``None`` for the one *path*'s extension names
    (see :func:`resolve_format`).
    """
    fmt = resolve_format(fmt, path)
    if path is None:
        result = export(ds, fmt, sys.stdout.buffer, progress)
        sys.stdout.buffer.flush()
        return result
    path = Path(path)
    if not path.parent.is_dir():
        raise UserError(f"{path}: cannot write: folder {path.parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:  # name the user's file, not the temporary sibling
        raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            result = export(ds, fmt, fh, progress)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def read_back(path: Path | str, fmt: str) -> Store:
    """Parse an export into a fresh store (triple formats land in the default graph)."""
    s = Store()
    with open(path, "rb") as fh:
        s.load(fh, OX_FORMATS[fmt])
    return s
