"""Export a built graph to the usual RDF formats, from the Oxigraph store.

Formats (``SYNTAX``): Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML, and
``jsonld-union``. Dataset formats (:data:`DATASET_FORMATS`: N-Quads, TriG,
JSON-LD) keep one named graph per source; the others (Turtle, N-Triples,
RDF/XML, ``jsonld-union``) hold the *union* of the graphs, each triple once.

Speed: Oxigraph's own serialisers write Turtle, TriG and RDF/XML straight from
the store. N-Triples and N-Quads are Oxigraph's dump with its lines sorted as
bytes (which is sorting statements term by term, :mod:`pvd_graph.ntriples`):
the N-Triples and N-Quads of a build are its ``graph.nt`` and ``dataset.nq``,
byte for byte. The price: the sorted lines are held in memory as bytes, about
1.3× the size of the file written (a walk subject by subject held nothing but
was 10-20× slower).

JSON-LD is compacted with the published context ``ontology/context.jsonld``
(Oxigraph writes expanded JSON-LD only) by :class:`_Compactor`, one subject at a
time, and streamed: held at any time are the sorted subjects of one graph and
a batch of encoded node objects, never the graph as Python objects. The
dataset form is one node object per named graph (``{"@id": "graph:anct-pvd",
"@graph": [...]}``), which JSON-LD processors read back as that named graph.
"""

from __future__ import annotations

import heapq
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from pvd_graph import resources, store
from pvd_graph.errors import UserError
from pvd_graph.namespaces import SERIALISATION_PREFIXES
from pvd_graph.store import Store

_DESCRIPTIONS = {
    "ttl": ("Turtle, union of the graphs, project prefixes", "text/turtle"),
    "nt": ("N-Triples, union of the graphs, sorted", "application/n-triples"),
    "nq": ("N-Quads, one named graph per source, sorted", "application/n-quads"),
    "trig": ("TriG, one named graph per source", "application/trig"),
    "jsonld": ("JSON-LD compacted with ontology/context.jsonld, one named graph per source", "application/ld+json"),
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

#: Formats written in the syntax of another (name → (description, syntax: a key of FORMATS)),
#: read back by that syntax's extension: the union of the graphs in JSON-LD.
VARIANTS = {
    "jsonld-union": ("JSON-LD compacted with ontology/context.jsonld, union of the graphs", "jsonld"),
}
#: Every format name → its syntax (a key of :data:`FORMATS` and :data:`pvd_graph.store.SYNTAXES`).
SYNTAX = {**{name: name for name in FORMATS}, **{name: syntax for name, (_d, syntax) in VARIANTS.items()}}

#: rdflib parser names, to read an export back (round-trip tests, consumers).
RDFLIB_FORMATS = {name: store.SYNTAXES[syntax][1] for name, syntax in SYNTAX.items()}
#: Oxigraph formats of the same exports.
OX_FORMATS = {name: store.SYNTAXES[syntax][0] for name, syntax in SYNTAX.items()}
#: The formats that keep the named graphs (the others write their union, each triple once).
DATASET_FORMATS = ("nq", "trig", "jsonld")

#: JSON-LD node objects encoded, then written together; N-Triples/N-Quads lines written together.
_NODES_PER_WRITE = 1000
_LINES_PER_WRITE = 20_000
#: Bytes of N-Triples sorted at once by the JSON-LD export (its memory bound, besides one node object).
_RUN_BYTES = 32 * 2**20
#: IRIs whose compact form is remembered (the properties, types and most node references of a build).
_CACHE = 200_000
#: a last IRI segment that compacts as the rest of its namespace does (see :meth:`_Compactor.iri`)
_PLAIN_LOCAL = re.compile(r"[0-9A-Za-z_.-]+")


@dataclass
class ExportResult:
    """What an export wrote. ``None`` is "not counted", never a false 0.

    *nodes* counts the JSON-LD node objects (one per subject and graph: the distinct
    subjects of each graph written), which the JSON-LD writer has in hand; the other
    formats are written by Oxigraph or as sorted lines, and counting their subjects
    would be a pass of its own over every statement (measured on the enlarged build,
    load 8: 2.3-2.6 s for N-Triples, 4.0-5.7 s for N-Quads, by SPARQL or in Python;
    the line exports themselves take about 11 s), so they leave it ``None``.
    """

    format: str
    statements: int | None  # triples (or quads for dataset formats) written; None when not counted (TriG)
    nodes: int | None  # JSON-LD node objects written (one per subject and graph); None for the other formats
    bytes: int

    def summary(self) -> str:
        """``2096701 statements, 563067 node objects, 104843904 bytes``: what was counted."""
        parts = [] if self.statements is None else [f"{self.statements} statements"]
        parts += [] if self.nodes is None else [f"{self.nodes} node objects"]
        return ", ".join([*parts, f"{self.bytes} bytes"])


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


def _graphs(ds: Store) -> list:
    """The graphs of *ds* that hold statements: the default graph first (when not empty), then the named ones by IRI."""
    named = sorted(ds.named_graphs(), key=str)
    return ([] if ds.default_graph_is_empty() else [ox.DefaultGraph()]) + named


def _sorted_lines(ds: Store, quads: bool) -> list[bytes]:
    """Every N-Quads line of *ds* (*quads*), or the N-Triples lines of the union of its graphs, sorted, each once.

    Oxigraph dumps each graph (native code, several times faster than a walk
    over the statements in Python); the lines are then sorted as bytes, which
    is sorting statements term by term (:mod:`pvd_graph.ntriples`).
    """
    if quads:
        data = [ds.dump(ox.RdfFormat.N_QUADS)]
    else:
        data = [ds.dump(ox.RdfFormat.N_TRIPLES, graph=g) for g in _graphs(ds)]
    lines = data[0].splitlines() if len(data) == 1 else [line for chunk in data for line in chunk.splitlines()]
    del data
    lines.sort()
    # a store holds each quad once; a triple stated in several graphs: neighbouring lines after the sort
    return lines if quads or len(_graphs(ds)) <= 1 else list(dict.fromkeys(lines))


def _write_lines(ds: Store, out: BinaryIO, quads: bool, progress) -> int:
    sorted_file = None if quads else ds.sorted_union_file()
    if sorted_file is not None:  # a build's graph.nt is these lines already
        progress(f"N-Triples: copying {sorted_file}, already sorted")
        count = 0
        with open(sorted_file, "rb") as fh:
            while block := fh.read(1 << 20):
                out.write(block)
                count += block.count(b"\n")
        return count
    progress("N-Quads: sorting the dump" if quads else "N-Triples: sorting the dump")
    lines = _sorted_lines(ds, quads)
    for i in range(0, len(lines), _LINES_PER_WRITE):
        out.write(b"\n".join(lines[i:i + _LINES_PER_WRITE]) + b"\n")
    return len(lines)


def _write_triples(ds: Store, fmt: str, out: BinaryIO) -> int:
    """Turtle or RDF/XML of the union of the graphs, by Oxigraph's own serialiser.

    A store holding one graph (a build opened as ``"union"``: ``graph.nt``) is
    dumped as it is; with several, their union (each triple once) is the
    sorted N-Triples of :func:`_sorted_lines`, parsed back by Oxigraph.
    """
    graphs = _graphs(ds)
    if len(graphs) <= 1:
        ds.dump(OX_FORMATS[fmt], graph=graphs[0] if graphs else ox.DefaultGraph(), output=out,
                prefixes=SERIALISATION_PREFIXES)
        return len(ds)
    lines = _sorted_lines(ds, quads=False)
    ox.serialize(ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_TRIPLES), out, OX_FORMATS[fmt],
                 prefixes=SERIALISATION_PREFIXES)
    return len(lines)


class _Compactor:
    """JSON-LD node objects compacted with the project's context, one subject at a time.

    rdflib reads the context (:class:`rdflib.plugins.shared.jsonld.context.Context`: its
    terms, prefixes and ``@vocab``); the compaction itself is done here, per statement,
    by rules simple enough to check: a property is written with a term only when the
    term's coercion is exactly the value's kind (``memberOf`` for an IRI, ``label`` for
    a French string, ``population`` for an ``xsd:integer``), else by a key that expands
    to the property with no coercion (an un-coerced term, a name under ``@vocab``, a
    compact IRI or the IRI itself) and an explicit value object. Every key, IRI and
    type written is checked to expand back to what it stands for (rdflib's ``expand``),
    so nothing is compacted into something that reads back as another IRI. Blank nodes
    keep their labels; RDF lists stay ``rdf:first``/``rdf:rest`` nodes; literals keep
    their lexical form (no native JSON numbers). The key, value kind and compaction of
    each (property, kind of value) is worked out once and cached.
    """

    _RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    _XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

    def __init__(self, context: dict):
        from rdflib.plugins.shared.jsonld.context import Context

        self.ctx = Context(context)
        self.type_key = self.ctx.type_key
        #: (property IRI, coercion) → term name; coercion: "@id", ("@type", datatype), ("@language", tag), None
        self.terms: dict = {}
        for name in sorted(self.ctx.terms, key=lambda n: (len(n), n)):
            term = self.ctx.terms[name]
            if term.reverse or term.container or not term.id or term.id.startswith("@"):
                continue
            if term.type == "@id":
                coercion = "@id"
            elif isinstance(term.type, str):
                coercion = None if term.type == "@vocab" else ("@type", term.type)
                if coercion is None:
                    continue
            elif isinstance(term.language, str):
                coercion = ("@language", term.language)
            elif term.language is None:  # "@language": null
                continue
            else:
                coercion = None
            self.terms.setdefault((term.id, coercion), name)
        #: (IRI, name) of the prefixes, longest IRI first
        self._prefixes = sorted(((t.id, name) for name, t in self.ctx.terms.items() if t.prefix and t.id),
                                key=lambda item: (-len(item[0]), item[1]))
        self._entries: dict = {}
        self._iris: dict = {}
        #: namespace (an IRI up to its last ``/``) → what its IRIs compact to before their last segment
        #: (``"commune:"``; ``""``: not compacted; ``None``: computed for each IRI), see :meth:`iri`
        self._namespaces: dict[str, str | None] = {}
        self._term_ids = {t.id for t in self.ctx.terms.values() if t.id}
        self._symbols: dict = {}
        #: ``b"<p> <o> .\n"`` → ``(key, value)`` of the statements whose object is an IRI or blank node
        self.statements: dict = {}

    def iri(self, text: bytes) -> str:
        """A node reference (``@id`` value) of an N-Triples IRI or blank node: a compact IRI when it
        expands back, else the IRI; blank nodes ``_:label``.

        Speed: most IRIs are the project's resources, each a subject once (~230,000 on the enlarged
        national graph), so the cache by IRI seldom helps. An IRI whose last segment is plain text
        (:data:`_PLAIN_LOCAL`) compacts as the other IRIs of its namespace do (the part before its
        last ``/``), the segment kept: the namespace's rule is learnt from the first such IRI the
        full computation compacts (:meth:`_compact`), then applied; never to an IRI that is a term's
        own (a term would compact it), nor where a prefix longer than the namespace could apply, nor
        when the compact form would be a term's name.
        """
        found = self._iris.get(text)
        if found is None:
            if text[:1] == b"_":
                return text.decode("utf-8")
            iri = text[1:-1].decode("utf-8")
            cut = iri.rfind("/") + 1
            local = iri[cut:]
            if cut and "#" not in iri and _PLAIN_LOCAL.fullmatch(local) and iri not in self._term_ids:
                ns = iri[:cut]
                lead = self._namespaces.get(ns, False)
                if lead is False:  # first IRI of the namespace: learn its rule
                    found, first = self._compact(iri), self.ctx.shrink_iri(iri)
                    lead = None  # computed for each IRI: a prefix longer than the namespace, or a candidate refused
                    if not any(base.startswith(ns) and len(base) > len(ns) for base, _name in self._prefixes):
                        if found == iri:
                            lead = "" if first == iri and self._by_prefix(iri) == iri else None
                        elif found.endswith(local) and first in (iri, found):
                            lead = found[:-len(local)]
                    self._namespaces[ns] = lead
                elif lead is None or (lead and lead + local in self.ctx.terms):
                    found = self._compact(iri)
                else:
                    found = lead + local if lead else iri
            else:
                found = self._compact(iri)
            if len(self._iris) < _CACHE:
                self._iris[text] = found
        return found

    def _compact(self, iri: str) -> str:
        """:meth:`iri` of *iri*, computed: the first compact form that expands back, else the IRI."""
        return next((c for c in (self.ctx.shrink_iri(iri), self._by_prefix(iri))
                     if c != iri and self._expands(c, iri, vocab=False)), iri)

    def symbol(self, iri: str) -> str:
        """A vocabulary-relative name (``@type`` values, keys): a term, a name under ``@vocab``, a compact IRI or the IRI."""
        found = self._symbols.get(iri)
        if found is None:
            found = iri
            for candidate in (self.ctx.to_symbol(iri), self.ctx.shrink_iri(iri), self._by_prefix(iri)):
                if candidate and candidate != iri and self._expands(candidate, iri, vocab=True):
                    found = candidate
                    break
            self._symbols[iri] = found
        return found

    def _by_prefix(self, iri: str) -> str:
        """*iri* under the longest prefix of the context it starts with (``id:participation/…``), else itself.

        rdflib's ``shrink_iri`` only tries the part of the IRI before its last ``/`` or
        ``#``: the resource types that have no prefix of their own would stay full IRIs.
        """
        for base, name in self._prefixes:
            if iri.startswith(base) and not iri[len(base):].startswith("//"):
                return f"{name}:{iri[len(base):]}"
        return iri

    def _expands(self, short: str, iri: str, vocab: bool) -> bool:
        term = self.ctx.terms.get(short) if vocab else None
        if term is not None and (term.type or isinstance(term.language, str) or term.container):
            return False  # a coerced term: its values would be read otherwise
        return not short.startswith("@") and self.ctx.expand(short, use_vocab=vocab) == iri

    def key(self, iri: str) -> str:
        """The key of property *iri* for explicit value objects: its un-coerced term, else :meth:`symbol`."""
        return self.terms.get((iri, None)) or self.symbol(iri)

    def entry(self, predicate: bytes, obj: bytes) -> tuple[str, object]:
        """``(key, value)`` of one statement of a node object, from the N-Triples text of its predicate and object."""
        if obj[:1] == b'"':
            end = obj.rindex(b'"')
            kind = (predicate, obj[end + 1:])
            how = self._entries.get(kind)
            if how is None:
                how = self._entries[kind] = self._literal(predicate[1:-1].decode("utf-8"), obj[end + 1:].decode("utf-8"))
            key, mode, extra = how
            lexical = obj[1:end].decode("utf-8")
            if "\\" in lexical:
                lexical = _unescape(lexical)
            if mode == 0:
                return key, lexical
            if mode == 1:
                return key, {"@value": lexical, "@language": extra}
            return key, {"@value": lexical, "@type": extra}
        kind = (predicate, None)
        how = self._entries.get(kind)
        if how is None:
            how = self._entries[kind] = self._reference(predicate[1:-1].decode("utf-8"))
        key, mode, _extra = how
        if mode == 0:
            return key, self.iri(obj)
        if mode == 1:
            return key, (self.symbol(obj[1:-1].decode("utf-8")) if obj[:1] == b"<" else obj.decode("utf-8"))
        return key, {"@id": self.iri(obj)}

    def _literal(self, predicate: str, suffix: str) -> tuple[str, int, str | None]:
        """(key, mode, extra) of a literal whose text ends with *suffix* (``@fr``, ``^^<IRI>`` or nothing):
        mode 0 the lexical form alone, 1 with ``@language`` (extra), 2 with ``@type`` (extra)."""
        if suffix.startswith("@"):
            language = suffix[1:]
            term = self.terms.get((predicate, ("@language", language)))
            return (term, 0, None) if term else (self.key(predicate), 1, language)
        datatype = suffix[3:-1] if suffix else self._XSD_STRING
        if datatype == self._XSD_STRING:  # a bare string under a key with no coercion (no default language here)
            if self.ctx.language is not None:
                return self.key(predicate), 2, self.symbol(datatype)
            return self.key(predicate), 0, None
        term = self.terms.get((predicate, ("@type", datatype)))
        return (term, 0, None) if term else (self.key(predicate), 2, self.symbol(datatype))

    def _reference(self, predicate: str) -> tuple[str, int, None]:
        """(key, mode, None) of an IRI or blank-node value: mode 0 the reference alone, 1 an ``@type``, 2 ``{"@id"}``."""
        if predicate == self._RDF_TYPE:
            return self.type_key, 1, None
        term = self.terms.get((predicate, "@id"))
        return (term, 0, None) if term else (self.key(predicate), 2, None)


_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    """The value of an N-Triples string body (its ``\\n``, ``\\"``, ``\\uXXXX``... escapes)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if m.group(3) is None else _ECHAR[m.group(3)],
                       text)


def _sorted_lines_bounded(ds: Store, graphs: list) -> Iterator[bytes]:
    """The N-Triples lines of *graphs* (their union, each triple once), sorted, in bounded memory.

    An external sort: Oxigraph dumps the graphs into a temporary file, which is
    read back in runs of about :data:`_RUN_BYTES`, each sorted and written to a
    temporary file of its own; the runs are then merged. Held at any time: one
    run, then a line of each run. A store opened from a build's ``graph.nt`` (one graph:
    :meth:`pvd_graph.store.Store.sorted_union_file`) holds these lines already: the file is read instead.
    """
    sorted_file = ds.sorted_union_file() if len(graphs) == 1 else None
    if sorted_file is not None:
        with open(sorted_file, "rb") as fh:
            yield from fh
        return
    with tempfile.TemporaryFile() as dump:
        for g in graphs:
            ds.dump(ox.RdfFormat.N_TRIPLES, graph=g, output=dump)
        dump.seek(0)
        runs = []
        try:
            while lines := dump.readlines(_RUN_BYTES):
                lines.sort()
                run = tempfile.TemporaryFile()
                runs.append(run)
                run.writelines(lines)
                run.seek(0)
            del lines
            previous = None
            for line in heapq.merge(*runs):
                if line != previous:
                    yield line
                    previous = line
        finally:
            for run in runs:
                run.close()


def _write_jsonld(ds: Store, out: BinaryIO, progress, dataset: bool) -> tuple[int, int]:
    """JSON-LD compacted with ``ontology/context.jsonld``, streamed one node object at a time.

    *dataset*: the default graph's nodes at the top, then one node object per named
    graph, its IRI as ``@id`` and its nodes in its ``@graph``; else the union of the
    graphs, each triple once. Subjects come in the byte order of their N-Triples
    form, and a node's values in the order of their lines (stable output).
    """
    context = load_context()
    compactor = _Compactor(context)
    counts = [0, 0]
    out.write(b'{\n"@context": ' + json.dumps(context, ensure_ascii=False, indent=1).encode("utf-8")
              + b',\n"@graph": [')
    graphs = _graphs(ds)
    if not dataset:
        progress("JSON-LD: the union of the graphs")
        _write_nodes(out, _sorted_lines_bounded(ds, graphs), compactor, counts, "\n")
    else:
        lead = "\n"
        for g in graphs:
            lines = _sorted_lines_bounded(ds, [g])
            if isinstance(g, ox.DefaultGraph):
                progress("JSON-LD: the default graph")
                _write_nodes(out, lines, compactor, counts, lead)
            else:
                progress(f"JSON-LD: graph {g}")
                name = json.dumps(compactor.iri(str(g).encode("utf-8")), ensure_ascii=False)
                out.write(f'{lead}{{"@id": {name}, "@graph": ['.encode("utf-8"))
                _write_nodes(out, lines, compactor, counts, "\n")
                out.write(b"\n]}")
            lead = ",\n"
    out.write(b"\n]\n}\n")
    return counts[0], counts[1]


def _write_nodes(out: BinaryIO, lines: Iterator[bytes], compactor: _Compactor, counts: list[int], lead: str) -> None:
    """The node objects of sorted N-Triples *lines*, one per subject, separated by commas, the first
    after *lead*; encoded, then written in batches.

    Speed: the loop is the export's Python hot path (one pass per statement), so the
    ``(key, value)`` of a statement whose object is an IRI or blank node is remembered
    by the text of its predicate and object (``<p> <o> .``): the types, programmes,
    sources and towns that recur are then one dictionary look-up, not a compaction.
    Remembered values are never mutated (several values under a key make a new list).
    """
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    entry, iri = compactor.entry, compactor.iri
    known = compactor.statements
    batch: list[str] = []
    subject, node = None, None
    subjects = statements = 0
    for line in lines:
        s, rest = line.split(b" ", 1)  # "<s> <p> object .\n"
        if s != subject:
            if node is not None:
                batch.append(encode(node))
                if len(batch) == _NODES_PER_WRITE:
                    out.write((lead + ",\n".join(batch)).encode("utf-8"))
                    lead = ",\n"
                    batch.clear()
            subject, node = s, {"@id": iri(s)}
            subjects += 1
        statements += 1
        found = known.get(rest)
        if found is None:
            p, o = rest[:-3].split(b" ", 1)
            found = entry(p, o)
            if o[:1] != b'"' and len(known) < _CACHE:
                known[rest] = found
        key, value = found
        have = node.get(key)
        if have is None:
            node[key] = value
        elif type(have) is list:
            have.append(value)
        else:
            node[key] = [have, value]
    if node is not None:
        batch.append(encode(node))
    if batch:
        out.write((lead + ",\n".join(batch)).encode("utf-8"))
    counts[0] += subjects
    counts[1] += statements


def format_name(text: str) -> str:
    """The format (a key of :data:`SYNTAX`) that *text* names, an alias such as ``turtle`` included."""
    name = text.strip().lower()
    name = ALIASES.get(name, name)
    if name not in SYNTAX:
        raise UserError(f"unknown export format {text!r}; known: {known_formats()}")
    return name


def known_formats() -> str:
    """``ttl (turtle), nt (ntriples, n-triples), ...``: the formats and their aliases, for messages and help."""
    aliases: dict[str, list[str]] = {name: [] for name in SYNTAX}
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
        raise UserError(f"{exc}; name it *{FORMATS[SYNTAX[name or 'ttl']][1]} so that --graph can read it back") from None
    if name is not None and announced != SYNTAX[name]:
        raise UserError(f"{path}: the extension {Path(path).suffix!r} announces {announced}, not {name}; "
                        f"name it {FORMATS[SYNTAX[name]][1]} or choose -f {announced}")
    return name or announced


def open_for_export(path: Path | str | None, fmt: str) -> Store:
    """The build (or RDF file) at *path* opened as the export of *fmt* reads it, in memory.

    Dataset formats read the named graphs (``dataset.nq``), the others the union
    (``graph.nt``). An export reads every statement, and Oxigraph decodes each term
    of its on-disk store from RocksDB: on the enlarged build, dumping the on-disk
    store took longer than parsing ``graph.nt`` and dumping it from memory together,
    so the export parses the files instead of opening ``store/``.
    """
    return store.open_built(path, graphs="named" if fmt in DATASET_FORMATS else "union", use_store=False)


def export(ds: Store, fmt: str, output: BinaryIO, progress: Callable[[str], None] | None = None) -> ExportResult:
    """Write *ds* in format *fmt* (a key of :data:`SYNTAX`) to the binary stream *output*.

    Dataset formats (:data:`DATASET_FORMATS`) write every graph of *ds*; the others the
    union of its graphs, each triple once.
    """
    if fmt not in SYNTAX:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(SYNTAX)}")
    progress = progress or (lambda _m: None)
    sink = _CountingWriter(output)
    nodes = statements = None
    if fmt == "trig":
        progress("TriG: writing every named graph")
        ds.dump(ox.RdfFormat.TRIG, output=sink, prefixes=SERIALISATION_PREFIXES)
    elif fmt in ("nt", "nq"):
        statements = _write_lines(ds, sink, fmt == "nq", progress)
    elif SYNTAX[fmt] == "jsonld":
        nodes, statements = _write_jsonld(ds, sink, progress, dataset=fmt in DATASET_FORMATS)
    else:
        progress("Turtle: writing the union of the graphs" if fmt == "ttl" else "RDF/XML: writing the union of the graphs")
        statements = _write_triples(ds, fmt, sink)
    progress(f"wrote {sink.count / 1e6:.1f} MB")
    return ExportResult(fmt, statements, nodes, sink.count)


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
