"""The Métropole de Lyon typed as what it is in every part of the project (issue 14 follow-ups).

The COG lists it with the EPCI (epci.json, type MET69) but it is a collectivité à statut particulier
(CGCT art. L3611-1), typed ``pvd:SpecialStatusCollectivity``: every source's graph says so, the shapes
accept it where it is legitimate, the alignments give it its SIREN, and ``epci=`` parameters and EPCI
names find it. Expectations are computed here from the COG files and the CRTE list.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from pvd_graph import importers, lookup, query, store
from pvd_graph.errors import UserError
from pvd_graph.identifiers import commune_iri, convention_iri, epci_iri
from pvd_graph.importers.crte import crte_slug
from pvd_graph.namespaces import named_graph_iri

MORE_DATA = Path(__file__).resolve().parents[2] / "shared" / "more-data"
CRTE_CSV = MORE_DATA / "crte_groupements_datagouv_2022-12.csv"
ORT_CSV = MORE_DATA / "ort_suivi_conventions_zlv_2024-10.csv"
PVD = "https://w3id.org/pvd-graph/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: the classes the ontology gives each COG EPCI type (pvd_graph.importers.common.EPCI_CLASSES)
SUBCLASS = {"CC": "CommunauteDeCommunes", "CA": "CommunauteDAgglomeration", "CU": "CommunauteUrbaine",
            "METRO": "Metropole"}


def _csv(path: Path) -> list[dict]:
    assert path.is_file(), f"missing {path} (see ../shared/more-data/README.md)"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def cog_epci(shared_data) -> list[dict]:
    return json.loads((shared_data / "cog" / "epci.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lyon(cog_epci) -> dict:
    (met69,) = [e for e in cog_epci if e["type"] == "MET69"]
    return met69


@pytest.fixture(scope="module")
def named(enlarged_build):
    return store.open_built(enlarged_build, graphs="named")


@pytest.fixture(scope="module")
def graph(enlarged_build):
    return query.open_graph(enlarged_build)


def test_lyon_is_a_special_status_collectivity_in_every_graph(named, enlarged_build, lyon, cog_epci):
    """No source's graph types the Métropole de Lyon pvd:EPCI or pvd:Metropole (the CRTE list names it,
    nature MET69); each EPCI class holds exactly the COG's EPCI of that type; the build conforms."""
    crte_rows = [r for r in _csv(CRTE_CSV) if r["siren_groupement"] == lyon["code"]]
    assert crte_rows and {r["nature_juridique"] for r in crte_rows} == {"MET69"}
    by_graph = defaultdict(set)
    for g, cls in named.select(f"SELECT ?g ?c WHERE {{ GRAPH ?g {{ <{epci_iri(lyon['code'])}> <{RDF_TYPE}> ?c }} }}"):
        by_graph[g.value].add(cls.value)
    assert named_graph_iri("anct-crte") in by_graph and named_graph_iri("cog-epci") in by_graph
    assert {g: c for g, c in by_graph.items() if c != {PVD + "SpecialStatusCollectivity"}} == {}

    def members(cls: str) -> set[str]:
        return {r[0].value for r in named.select(f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s a <{PVD}{cls}> }} }}")}

    assert members("EPCI") == {epci_iri(e["code"]) for e in cog_epci if e["type"] != "MET69"}
    for kind, cls in SUBCLASS.items():  # a list's other nature for an EPCI adds no class (conflicts.csv has it)
        assert members(cls) == {epci_iri(e["code"]) for e in cog_epci if e["type"] == kind}, cls
    report = (enlarged_build / "validation.txt").read_text(encoding="utf-8")
    assert report.startswith("graph conforms: 0 violations"), report.splitlines()[0]


def test_lyon_crte_covers_its_communes(named, lyon):
    """The CRTE whose grouping is the Métropole covers its COG member communes (graph/derived)."""
    (slug,) = {crte_slug(r["id_crte"]) for r in _csv(CRTE_CSV) if r["siren_groupement"] == lyon["code"]}
    rows = named.select(f"""SELECT ?t WHERE {{ GRAPH <{named_graph_iri('derived')}> {{
        <{convention_iri(slug)}> <{PVD}concerns> ?t }} }}""")
    assert {t.value for (t,) in rows} == {commune_iri(m["code"]) for m in lyon["membres"]}


def test_an_epci_parameter_accepts_the_metropole_de_lyon(graph, lyon, shared_data):
    """``towns-in-programme --param epci=200046977`` lists the Métropole's communes in the CRTE; the
    SIREN of the Ville de Paris (a collectivité à statut particulier outside the EPCI list) is refused."""
    _, rows = query.run_query(graph, "towns-in-programme", {"programme": "crte", "epci": lyon["code"]})
    assert {query.plain(r[0]) for r in rows} == {m["code"] for m in lyon["membres"]}
    assert {query.plain(r[3]) for r in rows} == {lyon["nom"]}
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    (paris,) = [c["siren"] for c in communes if c["code"] == "75056" and c["type"] == "commune-actuelle"]
    with pytest.raises(UserError, match=f"no EPCI with code {paris} in this graph"):
        query.run_query(graph, "towns-in-programme", {"programme": "crte", "epci": paris})


def test_an_epci_name_finds_the_metropole_de_lyon(graph, lyon):
    """``viz --focus "Métropole de Lyon"`` and other EPCI name look-ups find it, by name and by SIREN."""
    (match,) = lookup.by_name(graph, lyon["nom"], kinds=("epci",))
    assert (match.iri, match.code) == (epci_iri(lyon["code"]), lyon["code"])
    assert lookup.by_code(graph, "siren", lyon["code"], "EPCI") == epci_iri(lyon["code"])
    assert lookup.is_a(graph, epci_iri(lyon["code"]), "EPCI")
    assert not lookup.is_a(graph, commune_iri("75056"), "EPCI")


def test_the_metropole_de_lyon_has_its_siren_identifier_and_links(enlarged_build, lyon):
    """The alignments (alignments.nt) give it its SIREN identifier, its geo.api.gouv.fr /epcis/ route
    (the API serves the COG's EPCI list, Lyon included) and its Annuaire des entreprises page, like an EPCI."""
    from pvd_graph import resources

    aligned = ox.Store()
    aligned.load(path=str(enlarged_build / resources.ALIGNMENTS_NT), format=ox.RdfFormat.N_TRIPLES)
    s = epci_iri(lyon["code"])
    links = {(p.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1], o.value)
             for p, o in aligned.query(f"SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}")}
    assert ("identifier", s + "#siren") in links
    assert ("seeAlso", f"https://geo.api.gouv.fr/epcis/{lyon['code']}") in links
    assert ("seeAlso", f"https://annuaire-entreprises.data.gouv.fr/entreprise/{lyon['code']}") in links
    paris = [o.value for (o,) in aligned.query(
        f"SELECT ?o WHERE {{ <{commune_iri('75056')}> <http://www.w3.org/2000/01/rdf-schema#seeAlso> ?o }}")]
    assert paris and not [o for o in paris if "/epcis/" in o]  # linked as a commune, not as an EPCI


def test_an_ort_in_the_metropole_is_signed_by_it_typed_as_a_collectivity(tmp_path, shared_data, lyon):
    """An ORT row of a commune of the Métropole (the table has none today: one is made from a real signed
    row) names the Métropole as its EPCI: typed as the COG types it, never pvd:EPCI."""
    table = _csv(ORT_CSV)
    row = next(r for r in table if r["Signée ?"] == "Signée" and r["Si signée, date de signature"])
    member = lyon["membres"][0]
    row = {**row, "Commune": f"{member['code'][:2]} - {member['nom']}", "EPCI": lyon["nom"],
           "Code commune": member["code"], "Département": "Rhône", "Remarques": "", "Actualisé par": "",
           "longitude": "", "latitude": ""}
    src = tmp_path / "src"
    src.mkdir()
    (src / "cog").symlink_to(shared_data / "cog")
    with (src / ORT_CSV.name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerow(row)
    results, _ = importers.import_directory(src)
    (ort,) = [r for r in results if r.source.id == "anct-ort"]
    assert ort.error is None, ort.error
    g = ox.Store()
    g.load(ort.ntriples(), format=ox.RdfFormat.N_TRIPLES)
    s = epci_iri(lyon["code"])
    assert {c.value for (c,) in g.query(f"SELECT ?c WHERE {{ <{s}> a ?c }}")} == {PVD + "SpecialStatusCollectivity"}
    assert bool(g.query(f"ASK {{ ?c a <{PVD}ORTConvention> ; <{PVD}signatory> <{s}> }}"))
