"""The SHACL shapes and what checking them reports, shared by both engines.

:mod:`pvd_graph.validate` runs pySHACL, the reference engine, and the SPARQL
checks; :mod:`pvd_graph.shacl_sparql` compiles the same shapes to SPARQL. Both
read the shapes with :func:`load_shapes` and report :class:`Result` objects
named the same way, from here, so that neither engine imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from pvd_graph import resources
from pvd_graph.errors import UserError, describe_parse_error

SEVERITIES = ("Violation", "Warning", "Info")


@dataclass(frozen=True)
class Result:
    """One validation result, in the terms a reader needs."""

    severity: str  # Violation | Warning | Info
    focus: str
    path: str
    message: str
    value: str = ""
    shape: str = ""  # the named shape (or check query) that produced it
    constraint: str = ""  # SHACL constraint component, or "sparql-check"


def load_shapes() -> Graph:
    """All shapes files as one rdflib graph; a malformed file is a one-line UserError."""
    g = Graph()
    for path in resources.shapes_files():
        try:
            g.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several parser exception types
            raise UserError(describe_parse_error(path, exc)) from None
    return g


def severity_name(iri) -> str:
    """``sh:Warning`` → ``Warning``; anything that is not a SHACL severity counts as a violation."""
    name = str(iri).rsplit("#", 1)[-1]
    return name if name in SEVERITIES else "Violation"


def named_shape(shapes: Graph, shape) -> str:
    """The IRI of a result's shape; for an anonymous property shape, its named parent."""
    if isinstance(shape, URIRef):
        return str(shape)
    for parent in shapes.subjects(SH.property, shape):
        if isinstance(parent, URIRef):
            return str(parent)
    return ""
