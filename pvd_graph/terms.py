"""Terms written for a reader: ``pvd:siren`` rather than the whole IRI, in reports and log lines.

A module of its own so that the build, the statistics and the validation report
format terms alike without importing one another.
"""

from __future__ import annotations

from pvd_graph.namespaces import PREFIXES


def shorten(iri: str) -> str:
    """``https://w3id.org/pvd-graph/ontology#siren`` → ``pvd:siren``, for readable reports."""
    best = None
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(PREFIXES[best])):
            best = prefix
    if best is None:
        return iri
    local = iri[len(PREFIXES[best]):]
    return f"{best}:{local}"
