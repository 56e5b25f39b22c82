"""The OWL ontology: header, one declaration per vocabulary term, labels, definitions, alignments."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from pvd_graph import resources
from pvd_graph.namespaces import ONTOLOGY, PVD, PVD_TERMS

ORG = Namespace("http://www.w3.org/ns/org#")
IGEO = Namespace("http://rdf.insee.fr/def/geo#")
PROV = Namespace("http://www.w3.org/ns/prov#")
VANN = Namespace("http://purl.org/vocab/vann/")
ONTOLOGY_IRI = URIRef("https://w3id.org/pvd-graph/ontology")
_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)


def test_header(ontology):
    """owl:Ontology with a version, the MIT licence, French and English title and description, vann prefix."""
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef("https://opensource.org/licenses/MIT")
    for prop in (DCTERMS.title, DCTERMS.description):
        assert {lit.language for lit in ontology.objects(ONTOLOGY_IRI, prop)} == {"fr", "en"}
    assert str(ontology.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix)) == "pvd"
    assert str(ontology.value(ONTOLOGY_IRI, VANN.preferredNamespaceUri)) == ONTOLOGY


@pytest.mark.parametrize("name", PVD_TERMS)
def test_term_declared_with_labels_and_definitions(ontology, name):
    """Declared once as a class or property, one label and definition in French and English, a range for a
    property, and the case of its name (classes UpperCamelCase, properties lowerCamelCase)."""
    term = PVD[name]
    types = set(ontology.objects(term, RDF.type)) & set(_TYPES)
    assert len(types) == 1, f"pvd:{name} must be declared exactly once as a class or property"
    for prop in (RDFS.label, SKOS.definition):
        languages = sorted(lit.language for lit in ontology.objects(term, prop) if isinstance(lit, Literal))
        assert languages == ["en", "fr"], f"pvd:{name} needs one {prop} in French and one in English"
    if OWL.Class not in types:
        assert ontology.value(term, RDFS.range) is not None, f"pvd:{name} has no range"
    # classes are UpperCamelCase, properties lowerCamelCase
    assert name[0].isupper() == (OWL.Class in types), name


def test_ontology_declares_nothing_outside_the_closed_vocabulary(ontology):
    declared = {
        str(s)[len(ONTOLOGY):] for t in _TYPES for s in ontology.subjects(RDF.type, t) if str(s).startswith(ONTOLOGY)
    }
    assert declared == set(PVD_TERMS)


def _pvd_terms_in(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    found = set(re.findall(r"(?<![\w/])pvd:([A-Za-z][A-Za-z0-9_]*)", text))
    found |= set(re.findall(re.escape(ONTOLOGY) + r"([A-Za-z][A-Za-z0-9_]*)", text))
    return found


def test_every_pvd_term_used_in_shapes_data_and_checks_is_declared():
    fixtures = Path(__file__).resolve().parent / "fixtures" / "shapes"
    files = [*resources.shapes_files(), *resources.curated_files(), *resources.check_files(),
             *sorted(fixtures.glob("*/*.ttl"))]
    assert files
    unknown = {f"{path.name}: pvd:{term}" for path in files for term in _pvd_terms_in(path) - set(PVD_TERMS)}
    assert not unknown, sorted(unknown)


@pytest.mark.parametrize(("sub", "sup"), [
    (PVD.Commune, IGEO.Commune), (PVD.Departement, IGEO.Departement), (PVD.Region, IGEO.Region),
    (PVD.EPCI, ORG.FormalOrganization), (PVD.LocalAuthority, ORG.FormalOrganization),
    (PVD.Organisation, ORG.Organization), (PVD.Agency, PVD.Organisation), (PVD.State, PVD.Organisation),
    (PVD.LocalAuthority, PVD.Organisation),
    *[(c, sup) for c in (PVD.Commune, PVD.EPCI) for sup in (PVD.LocalAuthority, PVD.Territory)],
    # a département or région of the COG is a territory; its authority, when it has one, a class of its own
    (PVD.Departement, PVD.Territory), (PVD.Region, PVD.Territory),
    (PVD.DepartementCollectivity, PVD.Departement), (PVD.RegionCollectivity, PVD.Region),
    (PVD.DepartementCollectivity, PVD.LocalAuthority), (PVD.RegionCollectivity, PVD.LocalAuthority),
    *[(c, sup) for c in (PVD.SingleCollectivity, PVD.SpecialStatusCollectivity, PVD.OverseasCollectivity)
      for sup in (PVD.LocalAuthority, PVD.Territory)],
    *[(c, PVD.EPCI) for c in (PVD.CommunauteDeCommunes, PVD.CommunauteDAgglomeration,
                               PVD.CommunauteUrbaine, PVD.Metropole)],
    *[(c, PVD.Convention) for c in (PVD.FrameworkConvention, PVD.ORTConvention,
                                     PVD.TownConvention, PVD.CRTEContract)],
    (PVD.Convention, PROV.Entity), (PVD.Source, PROV.Entity),
])
def test_class_alignment(ontology, sub, sup):
    assert (sub, RDFS.subClassOf, sup) in ontology


@pytest.mark.parametrize(("sub", "sup"), [
    (PVD.inseeCode, IGEO.codeINSEE), (PVD.inseeCode, DCTERMS.identifier), (PVD.siren, DCTERMS.identifier),
    (PVD.memberOf, ORG.memberOf), (PVD.signedOn, DCTERMS.date), (PVD.partOf, DCTERMS.isPartOf),
])
def test_property_alignment(ontology, sub, sup):
    assert (sub, RDFS.subPropertyOf, sup) in ontology


@pytest.mark.parametrize(("prop", "domain", "range_"), [
    (PVD.inDepartement, PVD.Commune, PVD.Departement),
    (PVD.inRegion, PVD.Departement, PVD.Region), (PVD.signatory, PVD.Convention, PVD.Organisation),
    (PVD.underProgramme, PVD.Convention, PVD.Programme), (PVD.partOf, PVD.Convention, PVD.Convention),
    (PVD.population, PVD.Territory, URIRef("http://www.w3.org/2001/XMLSchema#integer")),
    (PVD.signedOn, PVD.Convention, URIRef("http://www.w3.org/2001/XMLSchema#date")),
])
def test_domains_and_ranges_of_the_core_properties(ontology, prop, domain, range_):
    assert ontology.value(prop, RDFS.domain) == domain
    assert ontology.value(prop, RDFS.range) == range_


def test_member_of_an_epci_or_the_metropole_de_lyon(ontology):
    """The COG lists the Métropole de Lyon's communes as its members; it is not an EPCI (CGCT L3611-1)."""
    from rdflib.collection import Collection

    assert ontology.value(PVD.memberOf, RDFS.domain) == PVD.Commune
    union = ontology.value(ontology.value(PVD.memberOf, RDFS.range), OWL.unionOf)
    assert list(Collection(ontology, union)) == [PVD.EPCI, PVD.SpecialStatusCollectivity]
