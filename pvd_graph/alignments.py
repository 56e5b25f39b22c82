"""Alignment links to official identifier schemes and pages (named graph ``graph/alignments``).

Only schemes whose identifier pattern is documented by their publisher are
used; nothing is guessed:

* INSEE codes and SIREN numbers become ``adms:Identifier`` nodes
  (``skos:notation``, ``adms:schemeAgency`` "INSEE", ``dcterms:title`` the
  scheme's name) linked with ``adms:identifier``; the plain code stays
  as ``pvd:inseeCode`` / ``pvd:siren`` (sub-properties of
  ``dcterms:identifier``).
* ``rdfs:seeAlso`` (never ``owl:sameAs``: an API answer or a web page is not
  the town itself) to:

  - API Découpage administratif (geo.api.gouv.fr, Etalab/DINUM), whose routes
    ``/communes/{code INSEE}``, ``/epcis/{SIREN}``, ``/departements/{code}``
    and ``/regions/{code}`` are documented by the publisher
    (https://geo.api.gouv.fr/decoupage-administratif and the release notes of
    github.com/datagouv/api-geo). Overseas collectivities (codes 975 and
    above: Saint-Pierre-et-Miquelon 975, ...) are served by ``/departements`` and ``/regions`` only with a
    ``zone=com`` option, so they get no link there.
  - Annuaire des entreprises (annuaire-entreprises.data.gouv.fr, DINUM):
    ``/entreprise/{SIREN}`` is the page of a legal unit of the SIRENE
    register, for EPCI and for communes (which have a SIREN too).

* No link to INSEE's linked data (``id.insee.fr``): its current commune IRIs
  are opaque UUIDs (``http://id.insee.fr/geo/commune/<uuid>``), not derivable
  from the INSEE code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import Graph

from pvd_graph import store
from pvd_graph.namespaces import GRAPHS, ONTOLOGY, PREFIXES

ALIGNMENTS_GRAPH = GRAPHS + "alignments"

GEO_API = "https://geo.api.gouv.fr/"
ANNUAIRE = "https://annuaire-entreprises.data.gouv.fr/entreprise/"

_ADMS = PREFIXES["adms"]
_T = {
    "type": ox.NamedNode(PREFIXES["rdf"] + "type"),
    "seeAlso": ox.NamedNode(PREFIXES["rdfs"] + "seeAlso"),
    "identifier": ox.NamedNode(_ADMS + "identifier"),
    "Identifier": ox.NamedNode(_ADMS + "Identifier"),
    "schemeAgency": ox.NamedNode(_ADMS + "schemeAgency"),
    "notation": ox.NamedNode(PREFIXES["skos"] + "notation"),
    "title": ox.NamedNode(PREFIXES["dcterms"] + "title"),
}

#: Names of the identifier schemes (dcterms:title of the identifiers).
SCHEMES = {"insee": "Code officiel géographique (INSEE)", "siren": "Numéro SIREN (répertoire SIRENE, INSEE)"}

#: (class, code property, scheme, geo.api route or None, code pattern the route serves)
_RULES = (
    ("Commune", "inseeCode", "insee", "communes/", r".*"),
    ("Departement", "inseeCode", "insee", "departements/", r"[0-9]{2}|2[AB]|97[12346]"),
    ("Region", "inseeCode", "insee", "regions/", r"[0-9]{2}"),
    ("EPCI", "siren", "siren", "epcis/", r".*"),
    ("Commune", "siren", "siren", None, r""),
)

_QUERY = """
SELECT DISTINCT ?s ?code WHERE {{ ?s a <{cls}> ; <{prop}> ?code }}
"""


def identifier_node(entity: str, scheme: str) -> ox.NamedNode:
    """The ``adms:Identifier`` of *entity* in *scheme* ("insee" or "siren"): a fragment of its IRI."""
    return ox.NamedNode(f"{entity}#{scheme}")


def _rows(ds: Graph) -> Iterator[tuple[ox.NamedNode, str, str | None, str]]:
    """(entity, scheme, geo.api route or None, code) for every rule and matching entity, unordered."""
    inner = store.oxigraph_store(ds)
    for cls, prop, frag, route, pattern in _RULES:
        sparql = _QUERY.format(cls=ONTOLOGY + cls, prop=ONTOLOGY + prop)
        if inner is not None:
            rows = [(sol[0], sol[1].value) for sol in inner.query(sparql, use_default_graph_as_union=True)]
        else:
            rows = [(ox.NamedNode(str(s)), str(code)) for s, code in store.query(ds, sparql)]
        served = re.compile(pattern)
        for entity, code in rows:
            yield entity, frag, route if route and served.fullmatch(code) else None, code


def alignment_quads(ds: Graph, graph: str = ALIGNMENTS_GRAPH) -> Iterator[ox.Quad]:
    """Identifier nodes and ``rdfs:seeAlso`` links for every commune, EPCI, département and région."""
    g = ox.NamedNode(graph)
    for s, frag, route, code in _rows(ds):
        ident = identifier_node(s.value, frag)
        yield ox.Quad(s, _T["identifier"], ident, g)
        yield ox.Quad(ident, _T["type"], _T["Identifier"], g)
        yield ox.Quad(ident, _T["notation"], ox.Literal(code), g)
        yield ox.Quad(ident, _T["schemeAgency"], ox.Literal("INSEE"), g)
        yield ox.Quad(ident, _T["title"], ox.Literal(SCHEMES[frag], language="fr"), g)
        if route:
            yield ox.Quad(s, _T["seeAlso"], ox.NamedNode(GEO_API + route + code), g)
        if frag == "siren":
            yield ox.Quad(s, _T["seeAlso"], ox.NamedNode(ANNUAIRE + code), g)


def alignment_ntriples(ds: Graph) -> bytes:
    """The triples of :func:`alignment_quads` as sorted, duplicate-free N-Triples.

    Formatted as text line by line (no pyoxigraph term per triple): ~4× faster on the
    ~430,000 national triples. Every term goes through pyoxigraph's own N-Triples form
    once per distinct value, so escaping is the library's.
    """
    nt = {k: str(v) for k, v in _T.items()}
    insee = str(ox.Literal("INSEE"))
    titles = {k: str(ox.Literal(v, language="fr")) for k, v in SCHEMES.items()}
    lines = []
    add = lines.append
    for entity, frag, route, code in _rows(ds):
        s = str(entity)
        ident = str(identifier_node(entity.value, frag))
        add(f"{s} {nt['identifier']} {ident} .")
        add(f"{ident} {nt['type']} {nt['Identifier']} .")
        add(f"{ident} {nt['notation']} {ox.Literal(code)} .")
        add(f"{ident} {nt['schemeAgency']} {insee} .")
        add(f"{ident} {nt['title']} {titles[frag]} .")
        if route:
            add(f"{s} {nt['seeAlso']} {ox.NamedNode(GEO_API + route + code)} .")
        if frag == "siren":
            add(f"{s} {nt['seeAlso']} {ox.NamedNode(ANNUAIRE + code)} .")
    lines.sort()  # code-point order of str = byte order of UTF-8
    text = "\n".join(dict.fromkeys(lines))  # sorted, so duplicates are neighbours; dict keeps order
    return (text + "\n").encode("utf-8") if lines else b""


def add_alignments(ds: Graph) -> int:
    """Add :func:`alignment_quads` to *ds* (named graph ``graph/alignments``); returns the count."""
    quads = list(alignment_quads(ds))
    store.add_quads(ds, quads)
    return len(quads)
