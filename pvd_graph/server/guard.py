"""Refuse what a public, read-only endpoint must never run: SPARQL Update, ``SERVICE``, and queries
so deeply nested or so long that the engine would overflow its stack.

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

Why a size check: Oxigraph's parser and evaluator recurse over the syntax
tree, and a long chain is a deep tree too (``A UNION B UNION …`` or ``1+1+…``
nests to the left). Measured with pyoxigraph 0.4 on an 8 MiB stack, the
process dies with SIGSEGV, which no Python code can catch, from braces nested
3,000 deep, parentheses 5,000 deep, 10,000 ``UNION``s, ``!`` or ``+``, or a
``DESCRIBE`` of 2,500 IRIs. The worker therefore runs queries on a
:data:`~pvd_graph.server.pool.WORKER_STACK` stack (32 times larger), and this
module refuses, with 400 and the reason, a query nested deeper than
:data:`MAX_DEPTH` brackets of any kind or longer than :data:`MAX_TOKENS`
tokens (each IRI, literal, name, keyword and punctuation mark counts one):
far beyond any hand-written or generated query of this project (the longest
catalogue query has a few hundred tokens) and far below a crash.
"""

from __future__ import annotations

import functools
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


#: Deepest nesting of ``{ ( [`` (together) accepted.
MAX_DEPTH = 100
#: Most tokens accepted in one query.
MAX_TOKENS = 10_000
_TOKEN = re.compile(r"[?$]?[\w:.\-]+|\|\||&&|!=|<=|>=|\^\^|\S")


class Refused(Exception):
    """The query is not allowed here; ``str()`` is the message for the client, ``status`` the HTTP status."""

    status = 403


class TooComplex(Refused):
    """The query is nested too deeply or too long for the engine to run safely."""

    status = 400


def check_size(query: str) -> None:
    """Raise :class:`TooComplex` past :data:`MAX_DEPTH` or :data:`MAX_TOKENS`.

    Strings, IRIs and comments are first replaced by one token each (brackets
    inside them do not count); what remains is counted in one pass.
    """
    text = _SCAN.sub(" t ", query)
    depth = deepest = 0
    for char in text:
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise TooComplex(f"query refused: brackets nested {deepest} deep, more than this endpoint accepts "
                         f"({MAX_DEPTH}); such a query would crash the engine")
    for tokens, _ in enumerate(_TOKEN.finditer(text), 1):
        if tokens > MAX_TOKENS:  # stop counting here: the web process must not spend long on a refusal
            raise TooComplex(f"query refused: more than {MAX_TOKENS:,} tokens, the most this endpoint accepts; "
                             "such a query would crash the engine: split it into smaller queries")


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


@functools.lru_cache(maxsize=64)
def inspect(query: str) -> Verdict:
    """Whether *query* contains an update operation or a ``SERVICE`` clause (the verdicts of the last
    texts are kept, as :func:`check_query`'s: ``pvd-graph query`` and ``run_query`` inspect every text
    they send)."""
    found = _keywords(query) | _keywords(_decode_escapes(query))
    return Verdict(update=bool(found & set(UPDATE_KEYWORDS)), service="SERVICE" in found,
                   from_clause="FROM" in found, named_graphs=bool(found & {"FROM", "GRAPH"}))


@functools.lru_cache(maxsize=64)
def check_query(query: str) -> Verdict:
    """Raise :class:`Refused` for an update, a federated (``SERVICE``) query, or one too large (:func:`check_size`).

    The verdicts of the last texts that passed are kept (a refusal is not: it is computed again).
    The same texts come again and again (a catalogue query's, a dashboard's), and scanning one
    took a third of the web process's time per ``/catalogue`` request on the national graph.
    """
    check_size(query)
    verdict = inspect(query)
    if verdict.update:
        raise Refused("SPARQL Update is not allowed: this endpoint is read-only")
    if verdict.service:
        raise Refused("SERVICE (federated query) is disabled on this endpoint: it would make the server call other servers")
    return verdict
