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

import pyoxigraph as ox
from rdflib import Literal, URIRef

from pvd_graph import store
from pvd_graph.errors import UserError
from pvd_graph.namespaces import OX, OX_RDF, OX_RDFS, PVD

_PREFIXES = """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""

#: what a name can designate: (class, code property, what it is called in messages, plural)
KINDS = {
    "commune": ("Commune", "inseeCode", "commune", "communes"),
    "epci": ("EPCI", "siren", "EPCI", "EPCI"),
}

#: what a class name finds beyond its own instances: the COG lists the Métropole de Lyon with the EPCI
#: (epci.json, type MET69; IRI ``id/epci/200046977``), but it is a collectivité à statut particulier (CGCT
#: art. L3611-1), typed so and not ``pvd:EPCI``: an EPCI name or SIREN finds it too. The Ville de Paris,
#: also of that class but not in the EPCI list (no ``pvd:epciType``), is not found as an EPCI.
ALSO = {"EPCI": "?iri a pvd:SpecialStatusCollectivity ; pvd:epciType ?epciType"}


def of_class(cls: str) -> str:
    """A SPARQL group pattern binding ``?iri`` to each ``pvd:<cls>`` (and what :data:`ALSO` adds);
    prefix ``pvd:`` assumed."""
    own = f"{{ ?iri a pvd:{cls} }}"
    return f"{own} UNION {{ {ALSO[cls]} }}" if cls in ALSO else own


_BY_LABEL = _PREFIXES + """SELECT ?iri ?code ?label ?dep ?name WHERE {
  ?iri rdfs:label ?label . FILTER (STR(?label) = ?name)
  %(of_class)s
  ?iri pvd:%(prop)s ?code .
  OPTIONAL { ?iri pvd:inDepartement/pvd:inseeCode ?dep }
}"""

_ALL = _PREFIXES + """SELECT ?iri ?code ?label ?dep WHERE {
  %(of_class)s
  ?iri pvd:%(prop)s ?code ; rdfs:label ?label .
  OPTIONAL { ?iri pvd:inDepartement/pvd:inseeCode ?dep }
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
    """Rows of rdflib terms (``None`` when unbound) of one of this module's SELECT queries, the bound values
    written in as terms so that they narrow the plan (:mod:`pvd_graph.inline`; a name: 2.6 s → 0.5 s)."""
    from pvd_graph.inline import inline_bindings

    return [tuple(row) for row in store.query(ds, *inline_bindings(text, bindings))]


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
        exact += _matches(_select(ds, _BY_LABEL % {"of_class": of_class(cls), "prop": prop}, {"name": Literal(name)}))
    if exact:
        return exact
    key = fold(name)
    loose: list[Match] = []
    for kind in kinds:
        cls, prop = KINDS[kind][:2]
        loose += [m for m in _matches(_select(ds, _ALL % {"of_class": of_class(cls), "prop": prop}, {}))
                  if fold(m.label) == key]
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
            ds, _ALL % {"of_class": of_class(KINDS[kind][0]), "prop": KINDS[kind][1]}, {})})
        close = difflib.get_close_matches(name.strip(), labels, n=5, cutoff=0.8)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UserError(f"{where}no {kind_words} named {name.strip()!r} in this graph{hint}")
    listed = "; ".join(m.describe() for m in found)
    plural = " or ".join(KINDS[k][3] for k in kinds)
    raise UserError(f"{where}{len(found)} {plural} named {name.strip()!r}: {listed}; give the code instead")


def by_code(ds, prop: str, code: str, cls: str) -> str | None:
    """The IRI of the ``pvd:<cls>`` (or what :data:`ALSO` adds) whose ``pvd:<prop>`` is *code*, or ``None``.

    Read from the store's indexes (the few subjects with that code, then their type), not by
    SPARQL: Oxigraph plans a query before its substitutions are known, so the query
    ``?iri pvd:inseeCode ?code . ?iri a pvd:Commune`` with ``?code`` bound joins every commune
    (~0.1–0.2 s on the national graph, paid for each town parameter of a catalogue query).
    """
    literal = ox.Literal(code)
    subjects = sorted({q.subject.value for q in ds.quads(None, getattr(OX, prop), literal)
                       if isinstance(q.subject, ox.NamedNode)})
    for iri in subjects:
        if _typed(ds, iri, cls):
            return iri
    return None


def _typed(ds, iri: str, cls: str) -> bool:
    """Whether *iri* is stated ``a pvd:<cls>`` (no subclass reasoning, as :func:`of_class`) or what
    :data:`ALSO` adds."""
    if next(iter(ds.quads(ox.NamedNode(iri), OX_RDF.type, getattr(OX, cls))), None) is not None:
        return True
    return bool(_also(ds, cls, {"iri": URIRef(iri)}))


def _also(ds, cls: str, bindings: dict) -> set[str]:
    """IRIs that :data:`ALSO` adds to *cls*."""
    return {str(r[0]) for r in _select(ds, _PREFIXES + f"SELECT ?iri WHERE {{ {ALSO[cls]} }}", bindings)} \
        if cls in ALSO else set()


def is_a(ds, iri: str, cls: str) -> bool:
    """Whether *iri* is a ``pvd:<cls>`` (directly or through ``rdfs:subClassOf``), or what :data:`ALSO` adds."""
    return bool(_select(ds, _OF_CLASS, {"iri": URIRef(iri), "cls": URIRef(str(PVD[cls]))})
                or _also(ds, cls, {"iri": URIRef(iri)}))


def members(ds, cls: str) -> list[str]:
    """IRIs of every ``pvd:<cls>`` in the graph (and what :data:`ALSO` adds), sorted."""
    return sorted({str(r[0]) for r in _select(ds, _OF_CLASS, {"cls": URIRef(str(PVD[cls]))})} | _also(ds, cls, {}))


@dataclass(frozen=True)
class FormerEPCI:
    """An EPCI of an older code that the current one no longer lists (``pvd:FormerEPCI``), with its
    derived period: ``valid_from`` the first day of the oldest vintage showing it, ``valid_until`` that of
    the first vintage read without it (``YYYY-MM-DD``; ``None`` when the graph gives none)."""

    iri: str
    siren: str
    label: str
    valid_from: str | None
    valid_until: str | None

    def period(self) -> str:
        return f"in the code from {self.valid_from or '?'} until {self.valid_until or '?'}"

    def note(self, name: str, day: str | None) -> str | None:
        """One line when the *name* parameter naming this EPCI cannot answer at *day* (``None``: today), else ``None``.

        Only a dated membership reaches a former EPCI (it has no ``pvd:memberOf``): without a date, or at a
        date outside its period, no commune is in it, and 0 rows would be silent."""
        said = f"{name} {self.siren} is a former EPCI ({self.label}, {self.period()})"
        if day is None:
            return (f"{said}: without a date the answer is today's state, in which it has no member; "
                    f"give a date of its period (date=YYYY-MM-DD)")
        if self.valid_until is not None and day >= self.valid_until:
            return f"{said}: at {day} it no longer exists, no commune is in it"
        if self.valid_from is not None and day < self.valid_from:
            return f"{said}: at {day}, before the oldest code that shows it, no membership in it is known"
        return None


def former_epci(ds, iri: str) -> FormerEPCI | None:
    """The :class:`FormerEPCI` *iri* names, or ``None`` when it is not stated ``a pvd:FormerEPCI``."""
    node = ox.NamedNode(iri)
    if next(iter(ds.quads(node, OX_RDF.type, OX.FormerEPCI)), None) is None:
        return None

    def one(prop) -> str | None:
        values = sorted(q.object.value for q in ds.quads(node, prop, None))
        return values[0] if values else None

    return FormerEPCI(iri, one(OX.siren) or iri.rsplit("/", 1)[-1], one(OX_RDFS.label) or "",
                      one(OX.validFrom), one(OX.validUntil))
