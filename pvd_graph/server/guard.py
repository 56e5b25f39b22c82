"""Refuse what a public, read-only endpoint must never run: SPARQL Update and ``SERVICE``.

Why a lexical check rather than the parsed algebra: the engine that runs the
query is Oxigraph, whose Python API exposes no parsed form, and asking a
second parser (rdflib's) would open a parser differential (a text one parser
reads without ``SERVICE`` and the other with it). Oxigraph *does* make real
outgoing HTTP requests for ``SERVICE`` (measured), so this check is the
barrier and must not miss.

The scan follows the SPARQL grammar's terminals: string literals (the four
quote forms), IRI references and ``#`` comments are removed first, left to
right, so a keyword inside them is ignored; what remains is searched for the
forbidden keywords as whole tokens (not ``ex:service``, ``?service``,
``"x"@service``). Oxigraph does not decode ``\\uXXXX`` escapes in keywords
(``\\u0053ERVICE`` is a syntax error there), but the scan runs both on the raw
text and on the text with escapes decoded and refuses if either finds a
keyword: a false alarm only refuses an odd query, a miss would be a hole.
None of the update keywords can appear as a bare token in a valid query, so
finding one means the text is an update (or invalid anyway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ESCAPE = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_SCAN = re.compile(
    r"""'''(?:[^'\\]|\\.|'(?!''))*'''"""  # STRING_LITERAL_LONG1
    r'''|"""(?:[^"\\]|\\.|"(?!""))*"""'''  # STRING_LITERAL_LONG2
    r"""|'(?:[^'\\\n\r]|\\.)*'"""  # STRING_LITERAL1
    r'''|"(?:[^"\\\n\r]|\\.)*"'''  # STRING_LITERAL2
    r"""|<(?:[^<>"{}|^`\\\x00-\x20]|""" + _ESCAPE + r""")*>"""  # IRIREF
    r"""|\#[^\n\r]*""",  # comment
    re.S,
)
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
_KEYWORD = re.compile(
    r"(?<![\w:?$@\-.])(" + "|".join(("SERVICE", "FROM", "GRAPH") + UPDATE_KEYWORDS) + r")(?![\w:\-])", re.I
)
_UNESCAPE = re.compile(_ESCAPE)


class Refused(Exception):
    """The query is not allowed here; ``str()`` is the message for the client."""


@dataclass(frozen=True)
class Verdict:
    update: bool
    service: bool
    from_clause: bool  # the query names its own dataset (FROM / FROM NAMED)
    named_graphs: bool  # the query can reach a named graph (GRAPH, FROM, FROM NAMED)


def _keywords(text: str) -> set[str]:
    stripped = _SCAN.sub(" ", text)
    return {m.group(1).upper() for m in _KEYWORD.finditer(stripped)}


def _decode_escapes(text: str) -> str:
    def repl(m: re.Match) -> str:
        try:
            return chr(int(m.group(0)[2:], 16))
        except (ValueError, OverflowError):
            return " "
    return _UNESCAPE.sub(repl, text)


def inspect(query: str) -> Verdict:
    """Whether *query* contains an update operation or a ``SERVICE`` clause."""
    found = _keywords(query) | _keywords(_decode_escapes(query))
    return Verdict(update=bool(found & set(UPDATE_KEYWORDS)), service="SERVICE" in found,
                   from_clause="FROM" in found, named_graphs=bool(found & {"FROM", "GRAPH"}))


def check_query(query: str) -> Verdict:
    """Raise :class:`Refused` for an update or a federated (``SERVICE``) query."""
    verdict = inspect(query)
    if verdict.update:
        raise Refused("SPARQL Update is not allowed: this endpoint is read-only")
    if verdict.service:
        raise Refused("SERVICE (federated query) is disabled on this endpoint: it would make the server call other servers")
    return verdict
