"""What an entity's HTML page needs from the graph, gathered in the query worker; :func:`pages.entity_page` writes it.

* labels of every resource shown and of every property, read from the graph
  itself (the ontology is loaded with the data: ``rdfs:label`` in French first),
  else a source's ``dcterms:title``, else for a participation
  "Participation : <participant> — <programme>" (participations have no label);
* the type of each incoming resource (its most specific ones);
* the incoming links counted by property and type (one SPARQL aggregate), and
  shown a page of :data:`PAGE_SIZE` at a time (``?page=N``): a programme has
  thousands of participants, every one reachable, none silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from pvd_graph.namespaces import OX

if TYPE_CHECKING:
    from pvd_graph.store import Store

PAGE_SIZE = 200
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
_PARTICIPANT = OX.participant
_IN_PROGRAMME = OX.inProgramme


@dataclass
class EntityView:
    node: ox.NamedNode
    outgoing: list  # triples of the node and of its blank-node values
    incoming: list  # the incoming triples of this page
    total_in: int
    page: int
    pages: int
    counts: list  # (property, type or None, number of resources)
    types: dict  # incoming subject → its types
    labels: dict  # node → label


def _text(store: Store, node, prop, graph) -> str | None:
    best = None
    for q in store.quads(node, prop, None, graph):
        if isinstance(q.object, ox.Literal):
            if q.object.language == "fr":
                return q.object.value
            best = best or q.object.value
    return best


def label(store: Store, node, graph=None) -> str | None:
    """French ``rdfs:label``, else any label, else ``dcterms:title``, else a participation's own description."""
    found = _text(store, node, _LABEL, graph) or _text(store, node, _TITLE, graph)
    if found:
        return found
    who = next(iter(store.quads(node, _PARTICIPANT, None, graph)), None)
    what = next(iter(store.quads(node, _IN_PROGRAMME, None, graph)), None)
    if who is not None and what is not None:
        names = [_text(store, n, _LABEL, graph) or n.value.rsplit("/", 1)[-1] for n in (who.object, what.object)]
        return f"Participation : {names[0]} — {names[1]}"
    return None


def specific_types(store: Store, node, graph=None) -> list:
    """The types of *node* less those that another of its types is a subclass of (a town convention is also
    ``pvd:Convention``, materialised by the build: the page says "convention communale" once)."""
    return _specific(store, {q.object for q in store.quads(node, RDF_TYPE, None, graph)}, graph)


def _specific(store: Store, types: set, graph) -> list:
    broader = {t for t in types for u in types if u != t and _subclass(store, u, t, graph)}
    return sorted(types - broader, key=lambda o: o.value)


def _counts(store: Store, node, graph) -> list:
    """(property, specific type or ``None``, resources) of the links to *node*: one aggregate over the
    resources' sets of types (a few rows, even for the 100,000 links to a COG source), reduced here."""
    rows = store.query(
        "SELECT ?p ?types (COUNT(*) AS ?n) WHERE { SELECT ?p ?s (GROUP_CONCAT(DISTINCT STR(?t); separator=' ') AS ?types) "
        f"WHERE {{ ?s ?p {node} OPTIONAL {{ ?s a ?t }} }} GROUP BY ?p ?s }} GROUP BY ?p ?types", union=graph is None)
    found: dict = {}
    for p, types, n in rows:
        kinds = _specific(store, {ox.NamedNode(t) for t in types.value.split()}, graph) or [None]
        for kind in kinds:
            found[(p, kind)] = found.get((p, kind), 0) + int(n.value)
    return sorted(((p, t, n) for (p, t), n in found.items()), key=lambda r: (r[0].value, -r[2], r[1].value if r[1] else ""))


def _subclass(store: Store, sub, sup, graph) -> bool:
    todo, seen = [sub], set()
    while todo:
        c = todo.pop()
        for q in store.quads(c, _SUBCLASS, None, graph):
            if q.object == sup:
                return True
            if q.object not in seen:
                seen.add(q.object)
                todo.append(q.object)
    return False


def gather(store: Store, node: ox.NamedNode, outgoing: list, incoming: list, graph, page: int) -> EntityView:
    """The page *page* (from 1) of *node*'s view; *graph* is where facts are read (``None``: every graph)."""
    incoming = sorted(incoming, key=lambda t: (t.predicate.value, t.subject.value))
    pages = max(1, -(-len(incoming) // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = incoming[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    counts = _counts(store, node, graph) if incoming else []
    types = {t.subject: specific_types(store, t.subject, graph) for t in shown}
    linked = ({node} | {t.predicate for t in outgoing} | {t.object for t in outgoing} | {t.subject for t in shown}
              | {t.predicate for t in shown} | {x for ts in types.values() for x in ts}
              | {p for p, _, _ in counts} | {t for _, t, _ in counts if t is not None})
    labels = {n: label(store, n, graph) for n in linked if isinstance(n, ox.NamedNode)}
    return EntityView(node, outgoing, shown, len(incoming), page, pages, counts, types, labels)
