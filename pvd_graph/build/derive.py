"""Facts the build derives from the imported and curated graphs, kept in a graph of their own.

Nothing here is stated by a source: every triple is computed from triples that are, by a rule
documented in ``ontology/README.md``, and lands in the named graph ``graph/derived`` (its VoID
and provenance say so), so that a reader can always tell a derived fact from a sourced one. Each
derivation is a function of the assembled store (after conflicts are resolved) that returns its
triples and, where sources disagree in a way the rule sees, :class:`Conflict` lines for
``conflicts.csv``.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from pvd_graph.build.assemble import ONTOLOGY_GRAPH, Conflict
from pvd_graph.build.derive_asof import convention_participations, in_programme_from
from pvd_graph.build.derive_crte import crte_coverage
from pvd_graph.build.derive_history import carried_on, former_participants
from pvd_graph.build.derive_memberships import periods
from pvd_graph.build.derive_ort import ort_dates
from pvd_graph.build.derive_programmes import programme_names
from pvd_graph.build.derive_pvd import pvd_status
from pvd_graph.build.derive_ngeo import ngeo_cross_check
from pvd_graph.build.derive_ti import ti_communes
from pvd_graph.namespaces import OX, OX_RDF, RDFS, named_graph_iri
from pvd_graph.store import Store

DERIVED_GRAPH = named_graph_iri("derived")

#: (store) → (derived triples, conflicts found)
Derivation = Callable[[Store], tuple[list[ox.Triple], list[Conflict]]]


def class_hierarchy(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """Every resource typed with a subclass of ``pvd:Convention`` is also typed with its superclasses.

    The convention hierarchy is materialised (``rdfs:subClassOf``, the RDFS entailment rule rdfs9)
    so that plain SPARQL without inference finds every convention with ``?c a pvd:Convention``
    (and every ORT convention, whatever finer class it has). Only the conventions: typing each of
    the 35,000 communes also ``pvd:Territory``, ``pvd:LocalAuthority`` and ``pvd:Organisation``
    would add ~105,000 triples that no query needs (the importers already emit ``pvd:EPCI`` beside
    each EPCI's finer class).
    """
    rows = ds.select(f"""
        SELECT DISTINCT ?s ?super WHERE {{
          GRAPH <{ONTOLOGY_GRAPH}> {{ ?c <{RDFS.subClassOf}>+ ?super . ?super <{RDFS.subClassOf}>* <{OX.Convention.value}> }}
          GRAPH ?g {{ ?s a ?c }}
          FILTER(?g != <{ONTOLOGY_GRAPH}>)
          FILTER NOT EXISTS {{ GRAPH ?h {{ ?s a ?super }} }}
        }}""")
    return [ox.Triple(s, OX_RDF.type, sup) for s, sup in rows], []


#: The derivations, in order (a later one sees the triples of the earlier ones).
DERIVATIONS: list[Derivation] = [class_hierarchy, crte_coverage, pvd_status, ort_dates, carried_on,
                                 former_participants, periods, ti_communes, convention_participations,
                                 in_programme_from,
                                 programme_names, ngeo_cross_check]


def derive(ds: Store, derivations: list[Derivation] | None = None) -> list[Conflict]:
    """Run the derivations on *ds*, adding their triples to :data:`DERIVED_GRAPH`; their conflicts."""
    graph = ox.NamedNode(DERIVED_GRAPH)
    conflicts: list[Conflict] = []
    for derivation in DERIVATIONS if derivations is None else derivations:
        triples, found = derivation(ds)
        ds.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        conflicts.extend(found)
    return conflicts
