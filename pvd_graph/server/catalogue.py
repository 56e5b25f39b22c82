"""Catalogue queries on the endpoint (``/catalogue/NAME``): parameters bound as ``pvd-graph query --param`` binds them.

Runs in a query worker, on its graph: the values are checked by form and by
meaning (a code must name a commune, EPCI, département… of the graph, a
programme must be one of the graph's; a commune may be given by name), then
bound as RDF terms (Oxigraph substitutions), never pasted into the query text.
A wrong value is a 400 with the catalogue's one-line reason. The lines saying
how a value was read (``insee 7301 read as 07301``) travel back to the web
process in the :data:`NOTES_HEADER` header, which it shows on the HTML table
and does not send to clients.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pvd_graph.errors import UserError
from pvd_graph.server.engine import Limits, Reply, error, run_sparql

if TYPE_CHECKING:
    from pvd_graph.store import Store

NOTES_HEADER = "X-Pvd-Catalogue-Notes"
_CATALOGUE = None


def _catalogue():
    global _CATALOGUE
    if _CATALOGUE is None:
        from pvd_graph.query import load_catalogue
        _CATALOGUE = load_catalogue()
    return _CATALOGUE


def run_catalogue(store: Store, request: dict, limits: Limits) -> Reply:
    """Answer ``request`` (``name``, ``values``: parameter → text, ``query``: the text, else the catalogue's)."""
    cq = _catalogue().get(request["name"])
    if cq is None:
        return error(404, f"no catalogue query {request['name']!r}")
    notes: list[str] = []
    try:
        bindings = cq.bindings(request["values"], ds=store, notes=notes)
    except UserError as exc:
        return error(400, str(exc))
    from pvd_graph.query import catalogue_text

    text = catalogue_text(cq, bindings, request.get("query"))  # with a date, its dated text if it has one
    reply = run_sparql(store, {**request, "query": text, "bindings": bindings}, limits)
    if notes:
        reply.headers[NOTES_HEADER] = json.dumps(notes)  # ASCII: json escapes the rest
    return reply
