"""The vocabulary and the IRIs of the project: the one module that puts IRIs together.

* ``PVD.Commune`` — the ``pvd:`` terms as an rdflib :class:`~rdflib.namespace.DefinedNamespace`,
  generated from ``ontology/pvd.ttl`` into :mod:`pvd_graph._pvd_terms` (``python -m
  pvd_graph.namespaces`` rewrites it; a test fails while it differs from the ontology). A term that
  the ontology does not declare raises :class:`AttributeError` instead of minting a wrong IRI.
* ``OX.Commune`` — the same terms as :class:`pyoxigraph.NamedNode`, for the importers, which emit
  pyoxigraph terms because creating them is several times cheaper than rdflib terms on the
  ~300,000 triples of the national graph. ``OX_RDF.type``, ``OX_XSD.integer``… are the pyoxigraph
  views of the external vocabularies: one source (the rdflib namespace), two views.
* ``ids.commune("73011")`` — the resource IRIs ``https://w3id.org/pvd-graph/id/<type>/<key>``;
  :func:`named_graph_iri` the named graphs; a few functions the addresses of outside services.

No other module builds an IRI by concatenation or f-string (``tests/test_namespaces.py`` scans the
package for it).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from types import SimpleNamespace

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
    DefinedNamespace,
)

from pvd_graph._pvd_terms import PVD

ONTOLOGY = "https://w3id.org/pvd-graph/ontology#"
ID = "https://w3id.org/pvd-graph/id/"
SHAPES = "https://w3id.org/pvd-graph/shapes#"
GRAPHS = "https://w3id.org/pvd-graph/graph/"
#: The dataset as a whole (its VoID description) and the namespace of its partitions and distributions.
DATASET = "https://w3id.org/pvd-graph/dataset"
DATASET_PARTS = "https://w3id.org/pvd-graph/dataset#"

#: The classes and properties of the ontology, in the order of the generated module (alphabetical).
PVD_TERMS: tuple[str, ...] = tuple(PVD.__annotations__)

PVDSH = Namespace(SHAPES)
IDNS = Namespace(ID)

#: External terms that rdflib has no (or no correct) namespace for, closed to the terms the code uses.
#: (rdflib's ``WGS`` is ``https://www.w3.org/2003/01/geo/wgs84_pos#``; the vocabulary's IRI is http.)
GEO = ClosedNamespace("http://www.w3.org/2003/01/geo/wgs84_pos#", ["lat", "long"])
#: OGC GeoSPARQL 1.1: a feature's points as ``geo:hasGeometry`` / ``geo:asWKT`` (prefix ``geosparql``, as
#: ``geo`` is taken by the W3C WGS84 vocabulary the graph used first).
GEOSPARQL = ClosedNamespace("http://www.opengis.net/ont/geosparql#",
                            ["Feature", "Geometry", "hasGeometry", "asWKT", "wktLiteral"])
SPDX = ClosedNamespace("http://spdx.org/rdf/terms#",
                       ["checksum", "Checksum", "algorithm", "checksumAlgorithm_sha256", "checksumValue"])
ADMS = ClosedNamespace("http://www.w3.org/ns/adms#", ["identifier", "Identifier", "schemeAgency"])

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
    "geo": str(GEO),
    "geosparql": str(GEOSPARQL),
    "adms": str(ADMS),
    "vann": "http://purl.org/vocab/vann/",
}


class OxTerms:
    """The :class:`pyoxigraph.NamedNode` view of a closed rdflib namespace.

    ``OxTerms(PVD).Commune == NamedNode(str(PVD.Commune))``. Closed even where rdflib's own
    namespace is not (``XSD``, ``DCAT`` mint any name): a name the namespace does not define raises
    :class:`AttributeError`. Each node is made once and kept as an attribute (a plain lookup after).
    """

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name: str) -> ox.NamedNode:
        ns = self.__dict__.get("_namespace")
        if ns is None or name.startswith("__"):
            raise AttributeError(name)
        if isinstance(ns, type) and issubclass(ns, DefinedNamespace):
            if name not in ns.__annotations__ and name not in getattr(ns, "_extras", ()):
                raise AttributeError(f"term {name!r} is not in the vocabulary {ns._NS}")
            term = ns[name]
        else:
            try:
                term = ns[name]  # a ClosedNamespace raises for a name it does not hold
            except (AttributeError, KeyError):
                raise AttributeError(f"term {name!r} is not in the vocabulary {ns}") from None
        node = ox.NamedNode(str(term))
        setattr(self, name, node)
        return node

    __getitem__ = __getattr__


OX = OxTerms(PVD)
OX_RDF = OxTerms(RDF)
OX_RDFS = OxTerms(RDFS)
OX_XSD = OxTerms(XSD)
OX_PROV = OxTerms(PROV)
OX_DCTERMS = OxTerms(DCTERMS)
OX_DCAT = OxTerms(DCAT)
OX_SKOS = OxTerms(SKOS)
OX_GEO = OxTerms(GEO)
OX_GEOSPARQL = OxTerms(GEOSPARQL)
OX_SPDX = OxTerms(SPDX)
OX_ADMS = OxTerms(ADMS)
#: The external terms the importers emit most, under short names (kept for the tests that use them):
#: views of the namespaces above, not IRIs of their own.
OXC = SimpleNamespace(type=OX_RDF.type, label=OX_RDFS.label, wasDerivedFrom=OX_PROV.wasDerivedFrom,
                      identifier=OX_DCTERMS.identifier, integer=OX_XSD.integer, date=OX_XSD.date,
                      gYear=OX_XSD.gYear, decimal=OX_XSD.decimal, lat=OX_GEO.lat, long=OX_GEO.long)


# --- Per-type prefixes of the resource IRIs, for serialisations ----------------------------------

#: The types of resource IRIs ``https://w3id.org/pvd-graph/id/<type>/<key>`` (see :mod:`pvd_graph.identifiers`).
ID_TYPES = ("commune", "epci", "departement", "region", "programme", "organisation", "convention",
            "participation", "ort", "source", "grouping", "membership", "territory", "france-services", "qpv",
            "typology")
#: ``commune:`` = ``https://w3id.org/pvd-graph/id/commune/``..., the prefixes of ``ontology/context.jsonld``:
#: Turtle then reads ``commune:73011``, where ``id:`` alone makes writers escape the slash (``id:commune\/73011``).
ID_PREFIXES = {name: f"{ID}{name}/" for name in ID_TYPES}
#: The prefixes that Turtle and TriG files declare: :data:`PREFIXES`, the per-type prefixes and ``graph:``
#: for the named graphs. ``id:`` is left out so that an IRI of a type not listed above is written in
#: full, never as ``id:type\/key``.
SERIALISATION_PREFIXES = {**{k: v for k, v in PREFIXES.items() if k != "id"}, **ID_PREFIXES, "graph": GRAPHS}


def _minter(kind: str) -> Callable[[str], str]:
    """The function ``key → id/<kind>/<key>``."""
    prefix = ID_PREFIXES[kind]

    def mint(key: str) -> str:
        return prefix + key

    mint.__name__ = mint.__qualname__ = kind
    mint.__doc__ = f"``{prefix}<key>``"
    return mint


class ResourceIRIs:
    """The resource IRIs ``https://w3id.org/pvd-graph/id/<type>/<key>``, one function per type.

    ``ids.commune("73011")`` → ``https://w3id.org/pvd-graph/id/commune/73011``. The key must already
    be the normalised code or slug (:mod:`pvd_graph.identifiers` normalises and checks them). An
    imported source is ``ids.source(source id)`` (a ``prov:Entity`` / ``dcat:Distribution``).
    """

    commune = staticmethod(_minter("commune"))
    epci = staticmethod(_minter("epci"))
    departement = staticmethod(_minter("departement"))
    region = staticmethod(_minter("region"))
    programme = staticmethod(_minter("programme"))
    organisation = staticmethod(_minter("organisation"))
    convention = staticmethod(_minter("convention"))
    participation = staticmethod(_minter("participation"))
    ort = staticmethod(_minter("ort"))
    source = staticmethod(_minter("source"))
    grouping = staticmethod(_minter("grouping"))
    membership = staticmethod(_minter("membership"))
    territory = staticmethod(_minter("territory"))
    qpv = staticmethod(_minter("qpv"))
    typology = staticmethod(_minter("typology"))

    @staticmethod
    def path(path: str) -> str:
        """The resource at ``id/<path>`` (a path read from a URL, e.g. by the server's ``/id/…`` pages)."""
        return ID + path

    @staticmethod
    def fragment(iri: str, name: str) -> str:
        """A node that belongs to the resource *iri*: ``<iri>#<name>`` (e.g. its ``adms:Identifier``)."""
        return f"{iri}#{name}"


# a type whose name is not a Python identifier: ``getattr(ids, "france-services")("2927")``
setattr(ResourceIRIs, "france-services", staticmethod(_minter("france-services")))

ids = ResourceIRIs()


def named_graph_iri(name: str) -> str:
    """The named graph ``https://w3id.org/pvd-graph/graph/<name>`` (a source id, ``ontology``, ``union``…)."""
    return GRAPHS + name


# --- Single-valued properties ---------------------------------------------------------------------

_SINGLE_VALUED = """PREFIX sh: <http://www.w3.org/ns/shacl#>
SELECT DISTINCT ?p WHERE { ?shape sh:path ?p ; sh:maxCount 1 . FILTER(isIRI(?p)) } ORDER BY ?p"""


@functools.lru_cache(maxsize=1)
def single_valued_properties() -> tuple[str, ...]:
    """The properties that take at most one value per subject (per language for a literal): the
    simple paths of the shapes' ``sh:maxCount 1`` (``ontology/shapes/*.ttl``), sorted.

    Read from the shapes rather than declared ``owl:FunctionalProperty`` in the ontology: for an OWL
    reasoner a functional datatype property makes two values *the same* (``"18899" owl:sameAs
    "19978"`` for two populations), while these are constraints on the data as published, which the
    build enforces by source precedence (see ontology/README.md, "Single-valued properties").
    """
    from pvd_graph import resources
    from pvd_graph.store import new_dataset

    shapes = new_dataset()
    for path in resources.shapes_files():
        shapes.load(path.read_bytes(), ox.RdfFormat.TURTLE)
    return tuple(p.value for (p,) in shapes.select(_SINGLE_VALUED, union=True))


# --- Licences and addresses outside the project -----------------------------------------------------

#: Licences, as their SPDX licence-list IRIs (see ontology/README.md, "Licences"): one IRI per licence.
LICENCE_ETALAB_2 = "https://spdx.org/licenses/etalab-2.0.html"
LICENCE_MIT = "https://spdx.org/licenses/MIT.html"
#: The licence of the project's own graphs (ontology, curated data, provenance, alignments), as of its code.
PROJECT_LICENCE = LICENCE_MIT

#: Code de la construction et de l'habitation, art. L303-2 (the ORT), on Légifrance
CCH_L303_2 = "https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000037653140"

GEO_API = "https://geo.api.gouv.fr/"
ANNUAIRE = "https://annuaire-entreprises.data.gouv.fr/entreprise/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"


def geo_api_url(route: str, code: str) -> str:
    """API Découpage administratif: ``geo_api_url("communes/", "73011")``."""
    return GEO_API + route + code


def annuaire_url(siren: str) -> str:
    """Annuaire des entreprises page of a legal unit of the SIRENE register."""
    return ANNUAIRE + siren


def datagouv_resource_url(resource_id: str) -> str:
    """The stable data.gouv.fr address of a resource (it redirects to the current file)."""
    return f"https://www.data.gouv.fr/api/1/datasets/r/{resource_id}"


def media_type_iri(media_type: str) -> str:
    """IANA's IRI of a media type (``text/turtle``)."""
    return IANA_MEDIA_TYPES + media_type


def npm_tarball_url(package: str, version: str) -> str:
    """The npm registry tarball of a scoped package: ``@scope/name`` → ``…/@scope/name/-/name-<version>.tgz``."""
    return f"https://registry.npmjs.org/{package}/-/{package.rsplit('/', 1)[-1]}-{version}.tgz"


def unpkg_url(package: str, version: str, path: str) -> str:
    """A file of an npm package version on the unpkg CDN."""
    return f"https://unpkg.com/{package}@{version}/{path}"


# --- Generating pvd_graph/_pvd_terms.py from the ontology -------------------------------------------

_GENERATED_HEADER = f'''"""The ``pvd:`` vocabulary as an rdflib DefinedNamespace, generated from ``ontology/pvd.ttl``.

Do not edit: after changing the ontology, run ``python -m pvd_graph.namespaces`` (rdflib's
DefinedNamespace creator lists the terms); ``tests/test_namespaces.py`` fails until this file matches.
Each comment is the term's ``skos:definition`` (French, then English).
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef


class PVD(DefinedNamespace):
    """The classes and properties declared in ``ontology/pvd.ttl``; any other name raises."""

    _NS = Namespace("{ONTOLOGY}")
    _fail = True

'''


def generate() -> str:
    """The text of :mod:`pvd_graph._pvd_terms` for the current ``ontology/pvd.ttl``.

    The terms are what rdflib's ``defined_namespace_creator`` finds (every subject of ``rdf:type``
    in the namespace), written without its time stamp so that the file is reproducible.
    """
    from rdflib import Graph
    from rdflib.tools.defined_namespace_creator import get_target_namespace_elements

    from pvd_graph import resources

    graph = Graph().parse(resources.ONTOLOGY_FILE, format="turtle")
    _elements, lines, not_identifiers = get_target_namespace_elements(graph, ONTOLOGY)
    if not_identifiers:
        raise ValueError(f"pvd.ttl declares terms that are not Python identifiers: {''.join(not_identifiers)}")
    return _GENERATED_HEADER + "".join(lines)


if __name__ == "__main__":  # python -m pvd_graph.namespaces
    from pathlib import Path

    target = Path(__file__).with_name("_pvd_terms.py")
    target.write_text(generate(), encoding="utf-8")
    sys.stderr.write(f"wrote {target}\n")
