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
    ``/communes/{code INSEE}``, ``/epcis/{SIREN}`` (the EPCI and the Métropole de Lyon, which its
    EPCI list serves with them), ``/departements/{code}``
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
from pvd_graph import ntriples
from pvd_graph.lookup import of_class
from pvd_graph.namespaces import (
    OX_ADMS,
    OX_DCTERMS,
    OX_RDF,
    OX_RDFS,
    OX_SKOS,
    PVD,
    annuaire_url,
    geo_api_url,
    ids,
    named_graph_iri,
)
from pvd_graph.store import Store

ALIGNMENTS_GRAPH = named_graph_iri("alignments")


_T = {
    "type": OX_RDF.type,
    "seeAlso": OX_RDFS.seeAlso,
    "identifier": OX_ADMS.identifier,
    "Identifier": OX_ADMS.Identifier,
    "schemeAgency": OX_ADMS.schemeAgency,
    "notation": OX_SKOS.notation,
    "title": OX_DCTERMS.title,
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

#: the entities of a class (``pvd:EPCI`` with the Métropole de Lyon: :func:`pvd_graph.lookup.of_class`)
_QUERY = """PREFIX pvd: <{pvd}>
SELECT DISTINCT ?iri ?code WHERE {{ {of_class} ?iri <{prop}> ?code }}
"""


def identifier_node(entity: str, scheme: str) -> ox.NamedNode:
    """The ``adms:Identifier`` of *entity* in *scheme* ("insee" or "siren"): a fragment of its IRI."""
    return ox.NamedNode(ids.fragment(entity, scheme))


def _rows(ds: Store) -> Iterator[tuple[ox.NamedNode, str, str | None, str]]:
    """(entity, scheme, geo.api route or None, code) for every rule and matching entity, unordered."""
    for cls, prop, frag, route, pattern in _RULES:
        sparql = _QUERY.format(pvd=PVD, of_class=of_class(cls), prop=PVD[prop])
        rows = [(s, code.value) for s, code in ds.select(sparql, union=True)]
        served = re.compile(pattern)
        for entity, code in rows:
            yield entity, frag, route if route and served.fullmatch(code) else None, code


def _quads(s: ox.NamedNode, frag: str, route: str | None, code: str, g) -> Iterator[ox.Quad]:
    ident = identifier_node(s.value, frag)
    yield ox.Quad(s, _T["identifier"], ident, g)
    yield ox.Quad(ident, _T["type"], _T["Identifier"], g)
    yield ox.Quad(ident, _T["notation"], ox.Literal(code), g)
    yield ox.Quad(ident, _T["schemeAgency"], ox.Literal("INSEE"), g)
    yield ox.Quad(ident, _T["title"], ox.Literal(SCHEMES[frag], language="fr"), g)
    if route:
        yield ox.Quad(s, _T["seeAlso"], ox.NamedNode(geo_api_url(route, code)), g)
    if frag == "siren":
        yield ox.Quad(s, _T["seeAlso"], ox.NamedNode(annuaire_url(code)), g)


def alignment_quads(ds: Store, graph: str = ALIGNMENTS_GRAPH) -> Iterator[ox.Quad]:
    """Identifier nodes and ``rdfs:seeAlso`` links for every commune, EPCI, département and région."""
    g = ox.NamedNode(graph)
    for s, frag, route, code in _rows(ds):
        yield from _quads(s, frag, route, code, g)


_HOLE_IRI = "http://hole.invalid/entity"
_HOLE_CODE = "0hole0"


def alignment_ntriples(ds: Store) -> bytes:
    """The triples of :func:`alignment_quads` as N-Triples, unsorted, possibly repeated.

    Written as :class:`pvd_graph.ntriples.Template` text, one template per (scheme,
    route), filled per entity (~430,000 national triples: 1.6 s → 0.5 s). Entity IRIs
    come from the store; codes that are not plain letters and digits are written
    term by term.
    """
    templates: dict = {}
    chunks = []
    for entity, frag, route, code in _rows(ds):
        if not ntriples.PLAIN.fullmatch(code):
            chunks.append(ntriples.write(_quads(entity, frag, route, code, ox.DefaultGraph())).decode("utf-8"))
            continue
        template = templates.get((frag, route))
        if template is None:
            shape = _quads(ox.NamedNode(_HOLE_IRI), frag, route, _HOLE_CODE, ox.DefaultGraph())
            template = templates[frag, route] = ntriples.Template(shape, _HOLE_IRI, _HOLE_CODE)
        chunks.append(template.fill(entity.value, code))
    return "".join(chunks).encode("utf-8")


def add_alignments(ds: Store) -> int:
    """Add :func:`alignment_quads` to *ds* (named graph ``graph/alignments``); returns the count."""
    quads = list(alignment_quads(ds))
    ds.extend(quads)
    return len(quads)
