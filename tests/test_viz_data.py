"""``pvd-graph viz`` on the real builds: the curated Albertville data and the national graph.

Expected nodes are read from the curated Turtle (data/*.ttl) and the source files
in ../shared/data with rdflib/csv/json, independently of the SPARQL projection.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import RDFS, Graph, URIRef

from browser import body_data, drawn_dom, screenshot
from graphml_schema import schema_errors
from pvd_graph import network, resources, store, visualise
from pvd_graph.cli import main
from pvd_graph.identifiers import commune_iri, convention_iri, departement_iri, programme_iri
from pvd_graph.namespaces import PVD

FRAMEWORK = convention_iri("pvd-arlysere-convention-cadre-2023")


@pytest.fixture(scope="module")
def curated() -> Graph:
    g = Graph()
    for path in resources.curated_files():
        g.parse(path)
    return g


def _albertville_partners(curated: Graph) -> set[str]:
    """Signatories of Albertville's conventions, its programmes and their leaders and partners."""
    town = URIRef(commune_iri("73011"))
    conventions = set(curated.subjects(PVD.signatory, town))
    assert URIRef(FRAMEWORK) in conventions
    programmes = set(curated.objects(town, PVD.participatesIn)) | {
        p for part in curated.subjects(PVD.participant, town) for p in curated.objects(part, PVD.inProgramme)}
    assert URIRef(programme_iri("pvd")) in programmes
    nodes = conventions | programmes
    nodes |= {s for c in conventions for s in curated.objects(c, PVD.signatory)}
    nodes |= {o for p in programmes for rel in (PVD.ledBy, PVD.partner) for o in curated.objects(p, rel)}
    return {str(n) for n in nodes}


def test_albertville_page_shows_its_partners(curated_build, curated, tmp_path):
    out = tmp_path / "albertville.html"
    assert main(["viz", "--graph", str(curated_build), "--focus", "73011", "--out", str(out), "-q"]) == 0
    graph = network.build_network(store.open_built(curated_build), focus="73011")
    expected = _albertville_partners(curated)
    # Albertville, Ugine, CA Arlysère, the State, ANCT, Banque des Territoires, ANAH, the conventions.
    assert {commune_iri("73303"), "https://w3id.org/pvd-graph/id/epci/200068997",
            "https://w3id.org/pvd-graph/id/organisation/etat", "https://w3id.org/pvd-graph/id/organisation/anct",
            "https://w3id.org/pvd-graph/id/organisation/anah",
            "https://w3id.org/pvd-graph/id/organisation/banque-des-territoires"} <= expected
    assert expected <= set(graph)
    page = out.read_text(encoding="utf-8")
    for iri in expected:
        label = str(curated.value(URIRef(iri), RDFS.label))
        assert json.dumps(label, ensure_ascii=False).replace("<", "\\u003c") in page, label
    assert int(body_data(drawn_dom(out))["nodes"]) == graph.number_of_nodes()
    screenshot(out, "viz-albertville")


def test_albertville_graphml_keeps_every_attribute(curated_build, tmp_path):
    out = tmp_path / "albertville.graphml"
    assert main(["viz", "--graph", str(curated_build), "--focus", "73011", "--out", str(out), "-q"]) == 0
    graph = network.build_network(store.open_built(curated_build), focus="73011")
    read = visualise.read_graphml(out)
    assert schema_errors(out) == []
    assert dict(read.nodes(data=True)) == dict(graph.nodes(data=True))
    assert sorted((*sorted((u, v)), k, sorted(a.items())) for u, v, k, a in read.edges(keys=True, data=True)) == \
           sorted((*sorted((u, v)), k, sorted(a.items())) for u, v, k, a in graph.edges(keys=True, data=True))
    assert read.nodes[FRAMEWORK]["signed_on"] == "2023-07-03"


def _savoie_towns(shared_data: Path, curated: Graph) -> set[str]:
    """INSEE codes of Savoie towns in PVD (CSV), ACV (GeoJSON) or the curated conventions."""
    import csv

    from pvd_graph.identifiers import normalise_insee

    with open(shared_data / "anct_pvd_communes_2021.csv", encoding="utf-8") as fh:
        towns = {normalise_insee(r["insee_com"]) for r in csv.DictReader(fh) if r["insee_dep"].strip() == "73"}
    acv = json.loads((shared_data / "anct_acv_communes_2024.geojson").read_text(encoding="utf-8"))
    towns |= {normalise_insee(f["properties"]["insee_com"]) for f in acv["features"]
              if str(f["properties"]["insee_dep"]).strip() == "73"}
    dep = URIRef(departement_iri("73"))
    towns |= {str(c).rsplit("/", 1)[-1] for c in curated.subjects(PVD.inDepartement, dep)}
    return towns


def test_savoie_view_renders_in_chromium(national_build, shared_data, curated, tmp_path):
    out = tmp_path / "savoie.html"
    assert main(["viz", "--graph", str(national_build), "--departement", "73", "--out", str(out), "-q"]) == 0
    graph = network.build_network(store.open_built(national_build), departement="73")
    towns = {a["insee"] for _, a in graph.nodes(data=True) if a["type"] == "commune"}
    assert towns == _savoie_towns(shared_data, curated)
    assert {"73011", "73303", "73065"} <= towns  # Albertville, Ugine (PVD), Chambéry (ACV)
    assert int(body_data(drawn_dom(out))["nodes"]) == graph.number_of_nodes()
    screenshot(out, "viz-savoie")


def test_national_view_is_aggregated_and_renders(national_build, tmp_path):
    out = tmp_path / "france.html"
    graph = network.build_network(store.open_built(national_build))
    assert graph.number_of_nodes() > visualise.HTML_AGGREGATE_ABOVE
    drawn = visualise.write_network(graph, out)
    assert drawn.graph["aggregated"] and not [n for n, t in drawn.nodes(data="type") if t == "commune"]
    assert int(body_data(drawn_dom(out, budget_ms=10000))["nodes"]) == drawn.number_of_nodes()
    screenshot(out, "viz-france")


def test_network_stats_on_the_national_graph(national_build, capsys):
    assert main(["network-stats", "--graph", str(national_build), "--format", "json", "-q", "--top", "5"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["betweenness_sources"] < stats["nodes"]  # sampled on a big graph
    # The State co-signs every ACV convention: the most connected organisation of the country.
    assert stats["central"][0]["iri"] == "https://w3id.org/pvd-graph/id/organisation/etat"


ETAT = "https://w3id.org/pvd-graph/id/organisation/etat"


def _network_stats(build: Path, capsys, *filters: str) -> dict:
    """``network-stats --format json`` with every actor ranked (``--top`` above any node count)."""
    assert main(["network-stats", "--graph", str(build), "--format", "json", "-q", "--top", "100000", *filters]) == 0
    return json.loads(capsys.readouterr().out)


def test_issue_12_state_in_the_acv_network(national_build, shared_data, capsys):
    """Each ACV convention is signed by its town(s), their EPCI and the State (see importers/anct_acv.py)."""
    from pvd_graph.identifiers import normalise_insee, normalise_siren

    acv = json.loads((shared_data / "anct_acv_communes_2024.geojson").read_text(encoding="utf-8"))
    signatories: dict[str, set[str]] = {}
    for feature in acv["features"]:
        props = feature["properties"]
        signatories.setdefault(props["id_acv"], set()).update(
            {commune_iri(normalise_insee(props["insee_com"])),
             f"https://w3id.org/pvd-graph/id/epci/{normalise_siren(props['siren_epci'])}"})
    stats = _network_stats(national_build, capsys, "--programme", "acv")
    state = next((r for r in stats["central"] if r["iri"] == ETAT), None)
    assert state is not None, "the State is missing from network-stats --programme acv"
    assert state["degree"] == len(set().union(*signatories.values()))
    assert state["weighted_degree"] == sum(len(s) for s in signatories.values())
    assert state["betweenness"] > 0.5  # the hub of every ACV convention
    savoie = _network_stats(national_build, capsys, "--departement", "73")
    assert ETAT in {r["iri"] for r in savoie["central"]}


@pytest.mark.parametrize("filters", [("--programme", "acv"), ("--programme", "pvd"), ("--departement", "73"),
                                     ("--departement", "2A")])
def test_issue_12_viz_and_network_stats_show_the_same_nodes(national_build, capsys, tmp_path, filters):
    drawn = {}
    for name, extra in (("with", []), ("without", ["--no-conventions"])):
        out = tmp_path / f"{name}.graphml"
        assert main(["viz", "--graph", str(national_build), *filters, *extra, "--out", str(out), "-q"]) == 0
        assert schema_errors(out) == []
        drawn[name] = visualise.read_graphml(out)
    actors = {n for n, t in drawn["with"].nodes(data="type") if t != "convention"}
    assert set(drawn["without"]) == actors
    stats = _network_stats(national_build, capsys, *filters)
    assert stats["nodes"] == len(actors)
    # network-stats ranks every actor but the programmes.
    assert {r["iri"] for r in stats["central"]} == {n for n in actors if drawn["with"].nodes[n]["type"] != "programme"}
