"""The curated Albertville data: conforms to the shapes, and says what its sources say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SH, XSD

from pvd_graph import resources
from pvd_graph.identifiers import (
    commune_iri, convention_iri, departement_iri, epci_iri, organisation_iri, programme_iri, region_iri,
)
from pvd_graph.namespaces import ID, PVD, PVDSH

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
COG = SHARED / "data" / "cog"
SEED = SHARED / "seeds" / "000_2df4dee725bdcaf7.txt"
LUHN_CHECK = resources.CHECKS_DIR / "siren-luhn-violation.rq"

FRAMEWORK = URIRef(convention_iri("pvd-arlysere-convention-cadre-2023"))
TOWN_CONVENTION = URIRef(convention_iri("pvd-albertville-ort-2023"))
ALBERTVILLE, UGINE = URIRef(commune_iri("73011")), URIRef(commune_iri("73303"))
ARLYSERE = URIRef(epci_iri("200068997"))
ETAT = URIRef(organisation_iri("etat"))
PAGE = URIRef(ID + "source/albertville-page")


def _cog(name: str) -> list[dict]:
    return json.loads((COG / f"{name}.json").read_text(encoding="utf-8"))


def _validate(data: Graph, shapes: Graph):
    return pyshacl.validate(data, shacl_graph=shapes, inference="none")


def _luhn_rows(data: Graph) -> list:
    return list(data.query(LUHN_CHECK.read_text(encoding="utf-8")))


@pytest.fixture()
def assembled(ontology, curated) -> Graph:
    """Ontology + curated data, the way the build assembles them (a fresh copy per test)."""
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    for triple in curated:
        graph.add(triple)
    return graph


def test_ontology_shapes_and_curated_data_conform(assembled, shapes):
    conforms, _, text = _validate(assembled, shapes)
    assert conforms, text


def test_luhn_check_finds_nothing_in_curated_data(curated):
    assert _luhn_rows(curated) == []


def test_framework_convention_has_four_signatories_and_its_date(curated):
    assert set(curated.objects(FRAMEWORK, PVD.signatory)) == {ALBERTVILLE, UGINE, ARLYSERE, ETAT}
    assert list(curated.objects(FRAMEWORK, PVD.signedOn)) == [Literal("2023-07-03", datatype=XSD.date)]
    assert (FRAMEWORK, RDF.type, PVD.FrameworkConvention) in curated
    assert {ARLYSERE, ALBERTVILLE, UGINE} <= set(curated.objects(FRAMEWORK, PVD.concerns))
    # it describes the ORT and its link with the CRTE (seed page)
    assert URIRef(programme_iri("ort")) in set(curated.objects(FRAMEWORK, PVD.underProgramme))
    assert (FRAMEWORK, DCTERMS.relation, URIRef(programme_iri("crte"))) in curated


def test_town_convention_is_part_of_the_framework(curated):
    assert list(curated.objects(TOWN_CONVENTION, PVD.partOf)) == [FRAMEWORK]
    assert list(curated.objects(TOWN_CONVENTION, PVD.signedOn)) == [Literal("2023-07-11", datatype=XSD.date)]
    assert (TOWN_CONVENTION, PVD.concerns, ALBERTVILLE) in curated


def test_albertville_in_pvd_since_2021(curated):
    pvd = URIRef(programme_iri("pvd"))
    assert (ALBERTVILLE, PVD.participatesIn, pvd) in curated
    participations = list(curated.subjects(PVD.participant, ALBERTVILLE))
    assert len(participations) == 1
    assert curated.value(participations[0], PVD.inProgramme) == pvd
    assert curated.value(participations[0], PVD.startYear) == Literal("2021", datatype=XSD.gYear)


def test_programme_led_by_anct_with_partners_from_the_page(curated):
    pvd = URIRef(programme_iri("pvd"))
    assert curated.value(pvd, PVD.ledBy) == URIRef(organisation_iri("anct"))
    assert set(curated.objects(pvd, PVD.partner)) == {
        URIRef(organisation_iri("banque-des-territoires")), URIRef(organisation_iri("anah"))}
    page = SEED.read_text(encoding="utf-8")
    assert "piloté par l’Agence nationale de la cohésion des territoires" in page
    assert "Banque des Territoires ou l’ANAH" in page


def test_codes_names_and_memberships_match_the_official_geographic_code(curated):
    communes = {c["code"]: c for c in _cog("communes") if c["type"] == "commune-actuelle"}
    epcis = {e["code"]: e for e in _cog("epci")}
    deps = {d["code"]: d for d in _cog("departements")}
    regions = {r["code"]: r for r in _cog("regions")}
    for commune in curated.subjects(RDF.type, PVD.Commune):
        code = str(curated.value(commune, PVD.inseeCode))
        cog = communes[code]
        assert commune == URIRef(commune_iri(code))
        assert str(curated.value(commune, RDFS.label)) == cog["nom"]
        assert str(curated.value(commune, PVD.siren)) == cog["siren"]
        assert curated.value(commune, PVD.inDepartement) == URIRef(departement_iri(cog["departement"]))
        epci = curated.value(commune, PVD.memberOf)
        member_codes = {m["code"] for m in epcis[str(curated.value(epci, PVD.siren))]["membres"]}
        assert code in member_codes
    for epci in curated.subjects(RDF.type, PVD.EPCI):
        siren = str(curated.value(epci, PVD.siren))
        assert epci == URIRef(epci_iri(siren))
        assert str(curated.value(epci, RDFS.label)) == epcis[siren]["nom"]
        assert str(curated.value(epci, PVD.epciType)) == epcis[siren]["type"]
    dep = URIRef(departement_iri("73"))
    assert str(curated.value(dep, RDFS.label)) == deps["73"]["nom"]
    assert curated.value(dep, PVD.inRegion) == URIRef(region_iri(deps["73"]["region"]))
    assert str(curated.value(URIRef(region_iri("84")), RDFS.label)) == regions["84"]["nom"]


def test_every_curated_entity_cites_a_source(curated):
    """The Albertville page is a described source and the page's facts cite it; every other typed entity
    cites a source too, except the programme and organisation catalogue (background labels)."""
    sources = set(curated.subjects(RDF.type, PVD.Source))
    assert PAGE in sources
    assert str(curated.value(PAGE, DCTERMS.title)) == "Petites Villes de Demain — Ville d'Albertville"
    assert curated.value(PAGE, DCTERMS.date) == Literal("2026-11-26", datatype=XSD.date)
    assert SEED.name in str(curated.value(PAGE, DCTERMS.identifier))
    page_facts = {ALBERTVILLE, UGINE, ARLYSERE, FRAMEWORK, TOWN_CONVENTION, URIRef(programme_iri("pvd"))}
    for entity in page_facts:
        assert (entity, PROV.wasDerivedFrom, PAGE) in curated, entity
    for entity in set(curated.subjects(RDF.type, None)) - sources:
        if str(entity).startswith(ID + "programme/") or entity == ETAT:
            continue  # background labels of the programme/organisation catalogue
        assert set(curated.objects(entity, PROV.wasDerivedFrom)) & sources, entity


def test_no_email_address_and_no_person(curated):
    """Personal data kept out: no literal holds an e-mail address, nothing is a foaf:Person."""
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    for _, _, obj in curated:
        assert not (isinstance(obj, Literal) and email.search(str(obj))), obj
    assert not list(curated.subjects(RDF.type, URIRef("http://xmlns.com/foaf/0.1/Person")))


def _as_ort(graph: Graph) -> Graph:
    """The framework convention, retyped as an ORT convention (the small ORT fixture)."""
    graph.add((FRAMEWORK, RDF.type, PVD.ORTConvention))
    return graph


def _results(report: Graph, focus: URIRef) -> list[tuple]:
    return [
        (report.value(r, SH.sourceShape), report.value(r, SH.resultPath), report.value(r, SH.resultMessage))
        for r in report.subjects(SH.focusNode, focus)
    ]


def test_ort_convention_signed_by_epci_and_state_conforms(assembled, shapes):
    conforms, _, text = _validate(_as_ort(assembled), shapes)
    assert conforms, text


def test_removing_the_state_from_an_ort_convention_fails(assembled, shapes):
    graph = _as_ort(assembled)
    graph.remove((FRAMEWORK, PVD.signatory, ETAT))
    conforms, report, _ = _validate(graph, shapes)
    assert not conforms
    results = _results(report, FRAMEWORK)
    assert len(results) == 1
    source, path, message = results[0]
    assert (PVDSH.ORTConventionShape, SH.property, source) in shapes
    assert path == PVD.signatory
    assert "l'État" in str(message)


def test_removing_the_epci_from_an_ort_convention_fails(assembled, shapes):
    graph = _as_ort(assembled)
    graph.remove((FRAMEWORK, PVD.signatory, ARLYSERE))
    conforms, report, _ = _validate(graph, shapes)
    assert not conforms
    assert any("EPCI" in str(m) for _, _, m in _results(report, FRAMEWORK))


def test_a_broken_siren_checksum_is_reported(assembled):
    assembled.set((ARLYSERE, PVD.siren, Literal("200068998")))
    rows = _luhn_rows(assembled)
    assert [(r.focus, r.path, str(r.value)) for r in rows] == [(ARLYSERE, PVD.siren, "200068998")]
    assert "200068998" in str(rows[0].message)


def test_a_siren_of_eight_digits_fails_the_shapes(assembled, shapes):
    assembled.set((ARLYSERE, PVD.siren, Literal("20006899")))
    conforms, report, _ = _validate(assembled, shapes)
    assert not conforms
    assert [p for _, p, _ in _results(report, ARLYSERE)] == [PVD.siren]
