"""N-Triples and N-Quads lines: the one module that writes, reads, sorts and canonicalises them.

Every N-Triples/N-Quads text of the package goes through here: the build's
``graph.nt``, ``dataset.nq`` and ``alignments.nt``, the export's ``nt``/``nq``,
the VoID counts read from a build's files, the endpoint's bounded results and
the chunks ``publish`` sends. A line is one statement in Oxigraph's
N-Triples/N-Quads form (``str()`` of a pyoxigraph triple or quad, followed by
`` .``): terms escaped as RDF 1.1 says, ``xsd:string`` literals written plain.

Sorted files are sorted by the bytes of their lines, each line once; as no
escaped term holds a character below the space that ends it, sorting lines is
sorting statements term by term, so a subject's statements are consecutive.

Blank nodes get canonical labels from rdflib's RGDA1 canonicalisation
(:func:`canonical`): a label is a hash of the node's surroundings in the
graph, so it does not depend on the labels a parser picked nor on the order of
the statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

TRIPLES = ox.RdfFormat.N_TRIPLES
QUADS = ox.RdfFormat.N_QUADS


def write(statements: Iterable[ox.Triple | ox.Quad]) -> bytes:
    """The lines of *statements*, in their order (quads in the default graph are written as triples)."""
    return "".join(f"{s} .\n" for s in statements).encode("utf-8")


def read(data: bytes | str, quads: bool = False) -> Iterator:
    """The statements of N-Triples (or, with *quads*, N-Quads) text, blank-node labels kept."""
    return ox.parse(data, format=QUADS if quads else TRIPLES)


def sort_lines(data: bytes) -> bytes:
    """The lines of *data*, sorted, each once.

    Sorting the list as it comes (Oxigraph's dumps are partly ordered) and dropping
    neighbouring duplicates is ~5× faster than sorting a ``set`` (random order).
    """
    lines = data.splitlines()
    if not lines:
        return b""
    lines.sort()
    return b"\n".join(dict.fromkeys(lines)) + b"\n"


def union_and_dataset(nquads: bytes) -> tuple[bytes, bytes]:
    """``(N-Triples, N-Quads)``, both sorted, from the N-Quads dump of a store whose every
    statement is in a graph named by an IRI: the union (each triple once) and the dataset.

    One sort for both: the N-Triples are the sorted N-Quads without their graph term
    (the last `` <`` of a line), a triple in several graphs being on neighbouring lines.
    A store is a set: its dump holds no line twice.
    """
    return union_and_dataset_of_lines(nquads.splitlines())


def union_and_dataset_of_lines(lines: list[bytes]) -> tuple[bytes, bytes]:
    """:func:`union_and_dataset` of the lines of the dump, which it consumes (*lines* is left empty).

    The build splits the store's dump as soon as it has it (``ds.dump().splitlines()``), so that
    the dump's bytes are freed before the sort rather than held through it (~420 MB less at the
    peak of a national build: the caller's argument would keep them alive whatever this does).
    """
    if not lines:
        return b"", b""
    lines.sort()
    # Each text is joined with an empty last item for its final line end (``text + b"\n"`` would copy
    # the whole text once more), and the lines are freed before the N-Triples are joined: a few
    # hundred MB less at the peak of a national build.
    lines.append(b"")
    nquads_sorted = b"\n".join(lines)
    lines.pop()
    triples = list(dict.fromkeys(line[:line.rindex(b" <")] for line in lines))
    lines.clear()
    triples.append(b"")
    return b" .\n".join(triples), nquads_sorted


def subject_key(term) -> str:
    """Sort key of a subject: the start of its lines (its N-Triples form and the space that ends it)."""
    return f"{term} "


def statement_key(statement) -> str:
    """Sort key of a statement: its line."""
    return str(statement)


_TRIPLE_LINE = re.compile(rb"^(\S+) (\S+) (.*) \.$", re.MULTILINE)


def triple_terms(ntriples: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """``(subject, predicate, object)`` of every line of N-Triples written here, as N-Triples terms."""
    return _TRIPLE_LINE.findall(ntriples)


def iter_triple_terms(ntriples: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    """:func:`triple_terms`, one line at a time (no list of every line's terms: ~800 MB on the national graph)."""
    return (m.groups() for m in _TRIPLE_LINE.finditer(ntriples))


def iri(term: bytes) -> str:
    """The IRI of an N-Triples IRI term (``<…>``)."""
    return term[1:-1].decode("utf-8")


def has_blank(statement) -> bool:
    return isinstance(statement.subject, ox.BlankNode) or isinstance(statement.object, ox.BlankNode)


def canonical(triples: list[ox.Triple]) -> list[ox.Triple]:
    """*triples* with their blank nodes relabelled by rdflib's RGDA1 canonicalisation (``_:cb<hash>``).

    Triples without blank nodes come back as they are. rdflib reads and writes
    the N-Triples text of the triples: RGDA1 is rdflib's, and the text is the
    exact exchange of terms between the two libraries.
    """
    if not any(has_blank(t) for t in triples):
        return triples
    from rdflib import Graph
    from rdflib.compare import to_canonical_graph

    graph = Graph().parse(data=write(triples).decode("utf-8"), format="nt")
    return list(read(to_canonical_graph(graph).serialize(format="nt", encoding="utf-8")))


_IN_GRAPH = "urn:x-pvd-graph:in-graph:"


def canonical_quads(quads: list[ox.Quad]) -> list[ox.Quad]:
    """*quads* with their blank nodes relabelled as :func:`canonical` does, graphs included.

    Quads of one graph are canonicalised as its triples (the labels :func:`canonical`
    gives); across several graphs, each quad is canonicalised as a triple whose
    predicate also names the graph, so a blank node shared by two graphs stays one
    node. Graphs named by a blank node keep their name.
    """
    names = {q.graph_name for q in quads}
    if len(names) == 1:
        (graph,) = names
        return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in canonical([q.triple for q in quads])]

    def encoded(q: ox.Quad) -> ox.Triple:
        graph = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        return ox.Triple(q.subject, ox.NamedNode(f"{_IN_GRAPH}{_escape(graph)}/{_escape(str(q.predicate))}"),
                         q.object)

    by_text = {str(q.graph_name): q.graph_name for q in quads}
    out = []
    for t in canonical([encoded(q) for q in quads]):
        graph, predicate = (_unescape(x) for x in t.predicate.value.removeprefix(_IN_GRAPH).split("/"))
        out.append(ox.Quad(t.subject, ox.NamedNode(predicate[1:-1]), t.object,
                           by_text[graph] if graph else ox.DefaultGraph()))
    return out


def _escape(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _unescape(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)



class Template:
    """The lines of statements of one shape, written once and filled by string replacement.

    For many statements of the same shape (the alignments: ~430,000 triples),
    filling text is ~3× faster than one pyoxigraph term per statement. The
    statements are written with placeholder terms; each placeholder string
    becomes a hole, filled in the same order by :meth:`fill`. A value must need
    no escaping in N-Triples: an IRI read from a store, or text matching :data:`PLAIN`.
    """

    def __init__(self, statements: Iterable[ox.Triple | ox.Quad], *placeholders: str):
        text = write(statements).decode("utf-8")
        # control characters are escaped in N-Triples text: they cannot clash with it
        self.marks = [chr(1 + i) for i in range(len(placeholders))]
        for mark, placeholder in zip(self.marks, placeholders):
            text = text.replace(placeholder, mark)
        self.text = text

    def fill(self, *values: str) -> str:
        text = self.text
        for mark, value in zip(self.marks, values):
            text = text.replace(mark, value)
        return text


#: Text that goes into an N-Triples literal or IRI as it is.
PLAIN = re.compile(r"[0-9A-Za-z]+")
