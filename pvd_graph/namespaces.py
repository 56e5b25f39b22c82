"""Vocabulary terms used by the code, as closed namespaces.

Every IRI the code writes comes from here or from :mod:`pvd_graph.identifiers`:
a typo in a term name raises instead of minting a wrong IRI.

Two spellings of the same closed vocabulary are offered:

* ``PVD.Commune`` — an :class:`rdflib.URIRef`, for code working through rdflib;
* ``OX.Commune`` — a :class:`pyoxigraph.NamedNode`, for the importers, which
  emit pyoxigraph terms because creating them is several times cheaper than
  rdflib terms on the ~300,000 triples of the national graph.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Namespace
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    OWL,
    PROV,
    RDF,
    RDFS,
    SH,
    SKOS,
    VOID,
    XSD,
    ClosedNamespace,
)

ONTOLOGY = "https://w3id.org/pvd-graph/ontology#"
ID = "https://w3id.org/pvd-graph/id/"
SHAPES = "https://w3id.org/pvd-graph/shapes#"
GRAPHS = "https://w3id.org/pvd-graph/graph/"

PVD_TERMS = (
    # classes
    "Territory", "LocalAuthority", "Commune", "EPCI", "Departement", "Region",
    "CommunauteDeCommunes", "CommunauteDAgglomeration", "CommunauteUrbaine", "Metropole",
    "Organisation", "Agency", "State",
    "Programme", "Participation",
    "Convention", "FrameworkConvention", "ORTConvention", "TownConvention", "CRTEContract",
    "Source",
    # properties
    "inseeCode", "siren", "population", "memberOf", "inDepartement", "inRegion",
    "participatesIn", "ledBy", "partner", "underProgramme", "signatory", "signedOn",
    "concerns", "partOf", "epciType", "programmeId", "participant", "inProgramme",
    "startYear", "actionsInProgress", "actionsDelivered", "cogVintage",
    "rowsRead", "rowsAccepted", "rowsRejected",
)

PVD = ClosedNamespace(ONTOLOGY, PVD_TERMS)
PVDSH = Namespace(SHAPES)
IDNS = Namespace(ID)

PREFIXES = {
    "pvd": ONTOLOGY,
    "pvdsh": SHAPES,
    "id": ID,
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "sh": str(SH),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "prov": str(PROV),
    "void": str(VOID),
    "org": "http://www.w3.org/ns/org#",
    "igeo": "http://rdf.insee.fr/def/geo#",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "adms": "http://www.w3.org/ns/adms#",
    "vann": "http://purl.org/vocab/vann/",
}


class _OxNamespace:
    """A closed namespace of :class:`pyoxigraph.NamedNode` terms."""

    def __init__(self, base: str, names: tuple[str, ...]):
        self._terms = {n: ox.NamedNode(base + n) for n in names}

    def __getattr__(self, name: str) -> ox.NamedNode:
        try:
            return self._terms[name]
        except KeyError:
            raise AttributeError(f"term {name!r} is not in the pvd vocabulary") from None


OX = _OxNamespace(ONTOLOGY, PVD_TERMS)


class _OxCommon:
    """The few external terms the importers need, as pyoxigraph nodes."""

    type = ox.NamedNode(str(RDF.type))
    label = ox.NamedNode(str(RDFS.label))
    wasDerivedFrom = ox.NamedNode(str(PROV.wasDerivedFrom))
    identifier = ox.NamedNode(str(DCTERMS.identifier))
    integer = ox.NamedNode(str(XSD.integer))
    date = ox.NamedNode(str(XSD.date))
    gYear = ox.NamedNode(str(XSD.gYear))
    decimal = ox.NamedNode(str(XSD.decimal))
    lat = ox.NamedNode(PREFIXES["geo"] + "lat")
    long = ox.NamedNode(PREFIXES["geo"] + "long")


OXC = _OxCommon()


# --- Per-type prefixes of the resource IRIs, for serialisations ----------------------------------

#: The types of resource IRIs ``https://w3id.org/pvd-graph/id/<type>/<key>`` (see :mod:`pvd_graph.identifiers`).
ID_TYPES = ("commune", "epci", "departement", "region", "programme", "organisation", "convention",
            "participation", "source")
#: ``commune:`` = ``https://w3id.org/pvd-graph/id/commune/``..., the prefixes of ``ontology/context.jsonld``:
#: Turtle then reads ``commune:73011``, where ``id:`` alone makes writers escape the slash (``id:commune\/73011``).
ID_PREFIXES = {name: f"{ID}{name}/" for name in ID_TYPES}
#: The prefixes that Turtle and TriG files declare: :data:`PREFIXES`, the per-type prefixes and ``graph:``
#: for the named graphs. ``id:`` is left out so that an IRI of a type not listed above is written in
#: full, never as ``id:type\/key``.
SERIALISATION_PREFIXES = {**{k: v for k, v in PREFIXES.items() if k != "id"}, **ID_PREFIXES, "graph": GRAPHS}
