"""Counts per class and per property, by SPARQL over the union of the graph."""

from __future__ import annotations

from rdflib import Graph

from pvd_graph import store

CLASS_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class
"""
PROPERTY_COUNTS = """
SELECT ?property (COUNT(*) AS ?n) WHERE { ?s ?property ?o } GROUP BY ?property ORDER BY DESC(?n) ?property
"""


def graph_stats(ds: Graph) -> dict[str, list[tuple[str, int]]]:
    """``{"classes": [(iri, instances)], "properties": [(iri, triples)]}`` of the union graph."""
    return {
        "classes": [(str(c), int(n)) for c, n in store.query(ds, CLASS_COUNTS)],
        "properties": [(str(p), int(n)) for p, n in store.query(ds, PROPERTY_COUNTS)],
    }
