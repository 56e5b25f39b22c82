"""Find communes and EPCI by name, and check that a code or slug names something in the graph.

Used by ``pvd-graph query`` (``--param insee=Albertville``, ``programme=foo``)
and ``pvd-graph viz --focus Albertville``. Every answer comes from a SPARQL
query on the opened graph, so it holds for whatever build is read.

Names: an exact label wins; only when none matches are accents, case,
hyphens and apostrophes ignored (``saint denis`` finds ``Saint-Denis``). Two
or more matches are refused with the candidates and their département, never
guessed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from rdflib import Literal, URIRef

from pvd_graph import store
from pvd_graph.errors import UserError
from pvd_graph.namespaces import PVD

_PREFIXES = """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""

#: what a name can designate: (class, code property, what it is called in messages, plural)
KINDS = {
    "commune": ("Commune", "inseeCode", "commune", "communes"),
    "epci": ("EPCI", "siren", "EPCI", "EPCI"),
}

_BY_LABEL = _PREFIXES + """SELECT ?iri ?code ?label ?dep ?name WHERE {
  ?iri rdfs:label ?label . FILTER (STR(?label) = ?name)
  ?iri a pvd:%(cls)s ; pvd:%(prop)s ?code .
  OPTIONAL { ?iri pvd:inDepartement/pvd:inseeCode ?dep }
}"""

_ALL = _PREFIXES + """SELECT ?iri ?code ?label ?dep WHERE {
  ?iri a pvd:%(cls)s ; pvd:%(prop)s ?code ; rdfs:label ?label .
  OPTIONAL { ?iri pvd:inDepartement/pvd:inseeCode ?dep }
}"""

_BY_CODE = _PREFIXES + """SELECT ?iri ?code ?cls WHERE {
  ?iri pvd:%(prop)s ?code ; a ?cls .
}"""

_OF_CLASS = _PREFIXES + """SELECT DISTINCT ?iri ?cls WHERE {
  ?iri a/rdfs:subClassOf* ?cls .
}"""


@dataclass(frozen=True)
class Match:
    """A resource found by name or code."""

    iri: str
    code: str
    label: str
    departement: str | None = None

    def describe(self) -> str:
        dep = f", {self.departement}" if self.departement else ""
        return f"{self.code} ({self.label}{dep})"


def _select(ds, text: str, bindings: dict) -> list[tuple]:
    """Rows of rdflib terms (``None`` when unbound) of one of this module's SELECT queries."""
    return [tuple(row) for row in store.query(ds, text, bindings)]


def _matches(rows) -> list[Match]:
    found = {Match(str(r[0]), str(r[1]), str(r[2]), None if r[3] is None else str(r[3])) for r in rows}
    return sorted(found, key=lambda m: (m.code, m.label))


def fold(name: str) -> str:
    """A name without accents, case, hyphens, apostrophes or repeated spaces (for loose matching)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[-‐‑'’`´_.]", " ", text).split())


def looks_like_name(text: str) -> bool:
    """Whether *text* is a name rather than a code: no French commune or EPCI name has a digit."""
    text = text.strip()
    return bool(text) and not any(c.isdigit() for c in text) and not text.startswith(("http://", "https://"))


def by_name(ds, name: str, kinds: tuple[str, ...] = ("commune",)) -> list[Match]:
    """Every resource of *kinds* labelled *name*: the exact label if any has it, else loose matches."""
    name = name.strip()
    exact: list[Match] = []
    for kind in kinds:
        cls, prop = KINDS[kind][:2]
        exact += _matches(_select(ds, _BY_LABEL % {"cls": cls, "prop": prop}, {"name": Literal(name)}))
    if exact:
        return exact
    key = fold(name)
    loose: list[Match] = []
    for kind in kinds:
        cls, prop = KINDS[kind][:2]
        loose += [m for m in _matches(_select(ds, _ALL % {"cls": cls, "prop": prop}, {})) if fold(m.label) == key]
    return loose


def resolve_name(ds, name: str, kinds: tuple[str, ...] = ("commune",), what: str = "") -> Match:
    """The one resource called *name*; a one-line :class:`UserError` when there are none or several."""
    where = f"{what}: " if what else ""
    kind_words = " or ".join(KINDS[k][2] for k in kinds)
    found = by_name(ds, name, kinds)
    if len(found) == 1:
        return found[0]
    if not found:
        labels = sorted({str(r[2]) for kind in kinds for r in _select(
            ds, _ALL % {"cls": KINDS[kind][0], "prop": KINDS[kind][1]}, {})})
        close = difflib.get_close_matches(name.strip(), labels, n=5, cutoff=0.8)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UserError(f"{where}no {kind_words} named {name.strip()!r} in this graph{hint}")
    listed = "; ".join(m.describe() for m in found)
    plural = " or ".join(KINDS[k][3] for k in kinds)
    raise UserError(f"{where}{len(found)} {plural} named {name.strip()!r}: {listed}; give the code instead")


def by_code(ds, prop: str, code: str, cls: str) -> str | None:
    """The IRI of the ``pvd:<cls>`` whose ``pvd:<prop>`` is *code*, or ``None``."""
    rows = _select(ds, _BY_CODE % {"prop": prop}, {"code": Literal(code), "cls": URIRef(str(PVD[cls]))})
    return str(rows[0][0]) if rows else None


def is_a(ds, iri: str, cls: str) -> bool:
    """Whether *iri* is a ``pvd:<cls>`` (directly or through ``rdfs:subClassOf``)."""
    return bool(_select(ds, _OF_CLASS, {"iri": URIRef(iri), "cls": URIRef(str(PVD[cls]))}))


def members(ds, cls: str) -> list[str]:
    """IRIs of every ``pvd:<cls>`` in the graph, sorted."""
    return sorted({str(r[0]) for r in _select(ds, _OF_CLASS, {"cls": URIRef(str(PVD[cls]))})})
