"""Catalogue queries on the endpoint (``/catalogue/NAME``): parameters bound as ``pvd-graph query --param`` binds them.

Runs in a query worker, on its graph: the values are checked by form and by
meaning (a code must name a commune, EPCI, département… of the graph, a
programme must be one of the graph's; a commune may be given by name), then
bound as RDF terms (Oxigraph substitutions), never pasted into the query text.
A wrong value is a 400 with the catalogue's one-line reason. The lines saying
how a value was read (``insee 7301 read as 07301``), and the notes on a query's
``date`` (:func:`pvd_graph.query.date_note`: outside the graph's dated span) or
on a former EPCI, travel back to the web process in the :data:`NOTES_HEADER`
header (internal: JSON, popped). It shows them on the HTML table and sends them
to every client in :data:`CLIENT_NOTES_HEADER` (:func:`notes_field`): a client
asking for CSV or SPARQL JSON gets the rows and, beside them, what
``pvd-graph query`` says on stderr; the JSON body stays the standard SPARQL one.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from pvd_graph.errors import UserError
from pvd_graph.server.engine import Limits, Reply, error, run_sparql

if TYPE_CHECKING:
    from pvd_graph.store import Store

NOTES_HEADER = "X-Pvd-Catalogue-Notes"
#: The notes as clients get them. Not ``Warning`` (RFC 7234 §5.5, obsoleted by RFC 9111: clients and
#: caches ignore or drop it) and no ``X-`` prefix (RFC 6648): the project's own field name, its value
#: a Structured Field List (RFC 9651) of one string per note, so that any structured-field parser reads it.
CLIENT_NOTES_HEADER = "Pvd-Notes"


def notes_field(notes: list[str]) -> str:
    """*notes* as an RFC 9651 List: a note in printable ASCII is a String (``"…"``, ``\\`` and ``\"``
    escaped, §3.3.3); another is a Display String (``%"…"``, §3.3.8: its UTF-8 bytes outside printable
    ASCII, ``%`` and ``"`` percent-encoded in lowercase hex), as header values are ASCII."""
    def item(note: str) -> str:
        note = " ".join(note.split())  # no control character in a field value
        if all(" " <= c <= "~" for c in note):
            return '"' + note.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return '%"' + "".join(chr(b) if 0x20 <= b <= 0x7E and b not in (0x25, 0x22) else f"%{b:02x}"
                              for b in note.encode("utf-8")) + '"'

    return ", ".join(item(n) for n in notes)
_CATALOGUE = None
_UNPROJECTED = re.compile(r"variable \?(\w+) in its SELECT projection")


def _unprojected(exc: Exception) -> str | None:
    """The variable of Oxigraph's refusal to bind a variable the query does not select, else ``None``."""
    m = _UNPROJECTED.search(str(exc))
    return m.group(1) if m else None


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
    try:
        reply = run_sparql(store, {**request, "query": text, "bindings": bindings}, limits)
    except RuntimeError as exc:
        # an edited text that no longer selects a variable the form binds: Oxigraph refuses the
        # substitution ("does not contains variable ?date in its SELECT projection"), a user's edit
        missing = _unprojected(exc)
        if missing is None:
            raise
        return error(400, f"the query text sent does not select ?{missing}, which this form binds "
                          f"({', '.join('?' + k for k in sorted(bindings))}): keep ?{missing} in its SELECT, "
                          "or clear the text to run the catalogue's own")
    if notes:
        reply.headers[NOTES_HEADER] = json.dumps(notes)  # ASCII: json escapes the rest
    return reply
