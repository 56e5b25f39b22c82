"""Bound parameter values written into a SELECT query as serialised RDF terms, so that they narrow its plan.

Oxigraph plans a query before its ``substitutions`` are applied: a bound town or
programme never narrows the plan, and ``?town pvd:inseeCode ?insee`` with ``?insee``
bound still joins every commune (measured: 150 ms against 0.07 ms for the same
lookup with the code written in the pattern). :func:`inline_bindings` rewrites the
text so that each bound variable is a constant where the engine sees it, with the
meaning substitutions give it:

* in the scope of the query, and of every sub-query that projects it (Oxigraph
  binds a substituted variable inside a sub-query only then), each occurrence of
  ``?name`` becomes the term: in patterns, ``FILTER``, ``OPTIONAL``, ``MINUS``,
  ``EXISTS``, ``GROUP BY``/``ORDER BY`` keys (as ``(term)``);
* a sub-query stops projecting it (its value is the same constant on both sides of
  the join); the top-level ``SELECT`` projects it as ``(term AS ?name)``, so the
  columns, their order and their values are those of the substitution path;
* a sub-query that does not project it keeps its own, unbound, ``?name``.

Values are never pasted as the user typed them: a term is what pyoxigraph writes for
an ``ox.NamedNode`` (an IRI it has validated: no ``>``, space, quote or brace) or an
``ox.Literal`` (N-Triples form, quotes, backslashes and line ends escaped). A written
term is accepted only if it is one IRI or one string token with ECHAR escapes only:
SPARQL reads ``\\u`` escapes before parsing the query, so a term containing ``\\u``
(a control character, or a user's backslash followed by ``u``) is not inlined.
Whatever cannot be rewritten safely (ASK/CONSTRUCT/DESCRIBE, ``SELECT *``, a bound
variable assigned by ``AS``/``BIND``/``VALUES`` or read by ``BOUND``, a term of that
kind) returns the bindings untouched for the substitution path, which is always
correct, only slower. The rewrite is planned once per (text, bound names).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import pyoxigraph as ox

_TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]\w+)
  | (?P<word>[A-Za-z_][\w-]*(?::[\w.-]*)?|:[\w.-]*)
  | (?P<open>[{(])
  | (?P<close>[})])
  | (?P<other>.)
''', re.X | re.S)

#: one IRI, or one N-Triples literal whose escapes are all ECHAR (no \u: SPARQL unescapes it before parsing)
_SAFE_TERM = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>'
                        r'|"(?:[^"\\\n\r]|\\[tbnrf"\'\\])*"(?:\^\^<[^<>"{}|^`\\\x00-\x20]*>|@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?')


class _Refuse(Exception):
    """The text cannot be rewritten safely for these names: use substitutions."""


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m[0]) for m in _TOKEN.finditer(text)]


def _matching(tokens) -> dict[int, int]:
    """Index of each opening bracket → index of its closing one."""
    stack, pairs = [], {}
    for i, (kind, tok) in enumerate(tokens):
        if kind == "open":
            stack.append(i)
        elif kind == "close":
            if not stack or (tokens[stack[-1]][1] == "{") != (tok == "}"):
                raise _Refuse("unbalanced brackets")
            pairs[stack.pop()] = i
    if stack:
        raise _Refuse("unbalanced brackets")
    return pairs


def _word(tokens, i) -> str:
    kind, tok = tokens[i]
    return tok.upper() if kind == "word" else ""


def _significant_before(tokens, i) -> int:
    i -= 1
    while i >= 0 and tokens[i][0] in ("ws", "comment"):
        i -= 1
    return i


@functools.lru_cache(maxsize=256)
def _plan(text: str, names: frozenset[str]) -> tuple[tuple[str, ...], tuple[tuple[int, str, str], ...]] | None:
    """The tokens of *text* and, for each occurrence of a bound variable to rewrite, (index, name, role):
    ``term``, ``key`` (``(term)``), ``project`` (``(term AS ?name)``) or ``drop``; ``None`` if refused."""
    tokens = _tokens(text)
    try:
        pairs = _matching(tokens)
        first = _query_form(tokens)
        if _word(tokens, first) != "SELECT":
            raise _Refuse("not a SELECT query")
        edits: list[tuple[int, str, str]] = []
        _select(tokens, pairs, first, len(tokens), set(names), True, edits)
    except _Refuse:
        return None
    return tuple(tok for _k, tok in tokens), tuple(edits)


def _query_form(tokens) -> int:
    """Index of the query form's keyword (after the PREFIX and BASE declarations)."""
    i, skip = 0, 0
    for i, (kind, _tok) in enumerate(tokens):
        if kind in ("ws", "comment"):
            continue
        if skip:
            skip -= 1
        elif _word(tokens, i) in ("PREFIX", "BASE"):
            skip = 2 if _word(tokens, i) == "PREFIX" else 1
        else:
            return i
    raise _Refuse("no query form")


def _select(tokens, pairs, start: int, end: int, live: set[str], top: bool, edits: list) -> None:
    """Plan the rewrite of the SELECT at *start* (its solution modifiers end before *end*)."""
    i, depth, projected, star = start + 1, 0, set(), False
    while True:  # the projection, up to WHERE or the group
        kind, tok = tokens[i]
        if depth == 0 and (kind == "open" and tok == "{" or _word(tokens, i) in ("WHERE", "FROM")):
            break
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "var" and depth == 0:
            projected.add(tok[1:])
        elif kind == "other" and tok == "*" and depth == 0:
            star = True
        i += 1
    projection_end = i
    if star:
        raise _Refuse("SELECT *")
    if top and live - projected:
        raise _Refuse("a bound variable is not projected")  # the substitution path says so
    live = live & projected
    kept = 0
    for j in range(start + 1, projection_end):
        kind, tok = tokens[j]
        if kind == "var" and tok[1:] in live:
            if _word(tokens, _significant_before(tokens, j)) == "AS":
                raise _Refuse(f"{tok} assigned")
            in_expression = any(k < j < pairs[k] for k in pairs if start < k < projection_end)
            if in_expression:
                edits.append((j, tok[1:], "term"))
            else:
                edits.append((j, tok[1:], "project" if top else "drop"))
                continue
        if kind in ("var", "open") and not any(k < j < pairs[k] for k in pairs if start < k < projection_end):
            kept += 1
    if not live:
        return
    if kept == 0:
        raise _Refuse("a sub-query would project nothing")
    while tokens[i][1] != "{":
        i += 1
    group_end = pairs[i]
    j = i
    while j < end:
        kind, tok = tokens[j]
        if kind == "word" and _word(tokens, j) == "SELECT":
            opening = _significant_before(tokens, j)  # a sub-query fills the group it opens
            if tokens[opening][1] != "{":
                raise _Refuse("SELECT not at the start of a group")
            _select(tokens, pairs, j, pairs[opening], live, False, edits)
            j = pairs[opening]
            continue
        if kind == "word" and _word(tokens, j) == "VALUES":
            k = j + 1
            while tokens[k][1] != "{":
                if tokens[k][0] == "var" and tokens[k][1][1:] in live:
                    raise _Refuse(f"{tokens[k][1]} in VALUES")
                k += 1
        if kind == "var" and tok[1:] in live:
            before = _significant_before(tokens, j)
            if _word(tokens, before) == "AS" or (tokens[before][1] == "(" and
                                                 _word(tokens, _significant_before(tokens, before)) == "BOUND"):
                raise _Refuse(f"{tok} assigned or tested by BOUND")
            modifier_key = j > group_end and not any(k < j < pairs[k] for k in pairs if group_end < k < end)
            edits.append((j, tok[1:], "key" if modifier_key else "term"))
        j += 1


def term_text(term: ox.NamedNode | ox.Literal) -> str | None:
    """The SPARQL text of *term* as pyoxigraph serialises it, or ``None`` if it is not a safe single token."""
    if not isinstance(term, ox.NamedNode | ox.Literal):
        return None
    text = str(term)
    return text if _SAFE_TERM.fullmatch(text) and not re.search(r"\\[uU]", text) else None


def inline_bindings(text: str, bindings: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    """*text* with the *bindings* (pyoxigraph or rdflib terms, by variable name) written in as terms, and the
    bindings left for substitution: ``{}`` when inlined, all of *bindings* when the text or a term was refused."""
    if not bindings:
        return text, {}
    from pvd_graph.store import to_ox

    terms = {name: term_text(to_ox(value)) for name, value in bindings.items()}
    if None in terms.values():
        return text, dict(bindings)
    plan = _plan(text, frozenset(terms))
    if plan is None:
        return text, dict(bindings)
    tokens, edits = plan
    out = list(tokens)
    for index, name, role in edits:
        term = terms[name]
        out[index] = {"term": term, "key": f"({term})", "project": f"({term} AS ?{name})", "drop": ""}[role]
    return "".join(out), {}
