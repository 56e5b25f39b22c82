"""The partner network projection (pvd_graph.network) and ``pvd-graph network-stats``.

Unit tests run on tests/fixtures/network/albertville.ttl (the facts of the
Albertville PVD page); expected values are recomputed here from that file with
rdflib's triple API, independently of the SPARQL projection under test.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef

from pvd_graph import network, store
from pvd_graph.cli import main
from pvd_graph.errors import UserError
from pvd_graph.identifiers import commune_iri, convention_iri, epci_iri, organisation_iri, programme_iri
from pvd_graph.namespaces import PVD

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "network" / "albertville.ttl"

ALBERTVILLE, UGINE, MERCURY, ABLIS = (commune_iri(c) for c in ("73011", "73303", "73154", "78003"))
ARLYSERE = epci_iri("200068997")
ETAT, ANCT, ANAH, BDT = (organisation_iri(s) for s in ("etat", "anct", "anah", "banque-des-territoires"))
PVD_PROG = programme_iri("pvd")
FRAMEWORK = convention_iri("pvd-arlysere-convention-cadre-2023")
ORT = convention_iri("pvd-albertville-ort-2023")


@pytest.fixture(scope="module")
def rdf() -> Graph:
    return Graph().parse(FIXTURE)


@pytest.fixture(scope="module")
def ds():
    return store.open_built(FIXTURE)


def test_the_store_finds_the_relations_rdflib_finds(ds, rdf):
    """The relations the network is built from, read through the store, are those rdflib's own
    SPARQL engine finds in an independent parse of the same file."""
    ours = {tuple(map(str, row)) for row in store.query(ds, network.RELATIONS_QUERY)}
    assert ours == {tuple(map(str, row)) for row in rdf.query(network.RELATIONS_QUERY)}
    assert len(ours) > 10


def test_every_relation_of_the_file_is_a_typed_edge(ds, rdf):
    graph = network.build_network(ds)
    expected = Counter()
    for prop in ("signatory", "concerns", "participatesIn", "ledBy", "partner", "underProgramme", "partOf"):
        expected[prop] = len(set(rdf.subject_objects(PVD[prop])))
    # memberOf only for communes taking part in something: Mercury does not.
    expected["memberOf"] = sum(1 for c, _ in rdf.subject_objects(PVD.memberOf)
                               if (c, PVD.participatesIn, None) in rdf or (None, PVD.signatory, c) in rdf)
    assert Counter(k for _, _, k in graph.edges(keys=True)) == expected
    assert MERCURY not in graph
    # Two relations between the same two nodes stay two typed edges.
    assert set(graph[ALBERTVILLE][FRAMEWORK]) == {"signatory", "concerns"}


def test_node_attributes_come_from_the_graph(ds, rdf):
    graph = network.build_network(ds)
    assert graph.nodes[ARLYSERE] == {
        "iri": ARLYSERE, "label": str(rdf.value(URIRef(ARLYSERE), RDFS.label)),
        "type": "epci", "subtype": "CommunauteDAgglomeration", "code": "200068997", "siren": "200068997",
        "epci_type": "CA",
    }
    assert graph.nodes[FRAMEWORK]["signed_on"] == "2023-07-03"
    assert graph.nodes[ORT]["signed_on"] == "2023-07-11"
    assert graph.nodes[ETAT]["type"] == "state"  # State wins over Organisation
    assert {graph.nodes[n]["type"] for n in (ANCT, ANAH)} == {"agency"}
    assert all(v is not None for _, attrs in graph.nodes(data=True) for v in attrs.values())


def test_albertville_focus_shows_its_partners_and_the_conventions_between_them(ds):
    graph = network.build_network(ds, focus="73011")
    for node in (ALBERTVILLE, UGINE, ARLYSERE, ETAT, ANCT, ANAH, BDT, PVD_PROG, FRAMEWORK, ORT):
        assert node in graph, node
    # Not through the programme to every other PVD town, nor to the unrelated EPCI member.
    assert ABLIS not in graph and MERCURY not in graph
    # ANCT is tied to Albertville through the programme, not a signature.
    assert set(graph[PVD_PROG][ANCT]) == {"ledBy"}
    assert graph.nodes[ALBERTVILLE]["distance"] == 0
    assert graph.nodes[UGINE]["distance"] == 1


def test_depth_zero_keeps_the_focus_and_its_ties_only(ds):
    graph = network.build_network(ds, focus="73011", depth=0)
    assert set(graph) == {ALBERTVILLE, FRAMEWORK, ORT, PVD_PROG}


def test_focus_by_siren_and_iri(ds):
    by_siren = network.build_network(ds, focus="200 068 997")
    by_iri = network.build_network(ds, focus=ARLYSERE)
    assert set(by_siren) == set(by_iri)
    assert by_siren.nodes[ARLYSERE]["distance"] == 0
    assert {ALBERTVILLE, UGINE, ETAT} <= set(by_siren)


@pytest.mark.parametrize("value, message", [
    ("7301A", "INSEE code '7301A'"),
    ("200068998", "Luhn"),
    ("73154", "not in the partner network"),
    ("https://example.org/x", "not in the partner network"),
])
def test_bad_focus_is_a_one_line_user_error(ds, value, message):
    with pytest.raises(UserError, match=message) as info:
        network.build_network(ds, focus=value)
    assert "\n" not in str(info.value)


def test_cosigned_edges_weigh_the_shared_conventions(ds, rdf):
    graph = network.build_network(ds, include_conventions=False)
    assert not [n for n, t in graph.nodes(data="type") if t == "convention"]
    expected = Counter()
    for conv in set(rdf.subjects(PVD.signatory, None)):
        for a, b in itertools.combinations(sorted(map(str, rdf.objects(conv, PVD.signatory))), 2):
            expected[(a, b)] += 1
    got = {tuple(sorted((u, v))): w for u, v, k, w in graph.edges(keys=True, data="weight") if k == "cosigned"}
    assert got == dict(expected)
    assert got[tuple(sorted((ALBERTVILLE, ETAT)))] == 2  # the framework and the ORT conventions
    assert graph.edges[ALBERTVILLE, ETAT, "cosigned"]["conventions"] == " ".join(sorted((FRAMEWORK, ORT)))


def test_departement_view(ds):
    savoie = network.build_network(ds, departement="73")
    assert {ALBERTVILLE, UGINE, ARLYSERE, ETAT, ANCT, FRAMEWORK} <= set(savoie)
    assert ABLIS not in savoie and epci_iri("200073344") not in savoie
    yvelines = network.build_network(ds, departement="78")
    assert ABLIS in yvelines and ALBERTVILLE not in yvelines and ANCT in yvelines
    with pytest.raises(UserError, match="not a French département"):
        network.build_network(ds, departement="99")
    with pytest.raises(UserError, match="no commune of this département"):
        network.build_network(ds, departement="01")


def test_programme_view(ds):
    pvd = network.build_network(ds, programme="pvd")
    assert {ALBERTVILLE, UGINE, ABLIS, ARLYSERE, ANCT, ANAH, BDT, FRAMEWORK, ETAT} <= set(pvd)
    with pytest.raises(UserError, match=r"no such programme in this graph \(known: pvd\)"):
        network.build_network(ds, programme="acv")
    with pytest.raises(UserError, match="slug"):
        network.build_network(ds, programme="Not A Slug")


def test_aggregation_merges_communes_into_their_epci(ds):
    graph = network.build_network(ds)
    merged = network.aggregate_communes(graph)
    assert not [n for n, t in merged.nodes(data="type") if t == "commune"]
    assert merged.nodes[ARLYSERE]["communes"] == 2  # Albertville and Ugine (Mercury takes part in nothing)
    # Both towns signed the framework convention: their two ties now weigh 2 on the EPCI.
    assert merged.edges[ARLYSERE, FRAMEWORK, "signatory"]["weight"] == 3  # + the EPCI's own signature
    assert merged.edges[ARLYSERE, PVD_PROG, "participatesIn"]["weight"] == 2


def test_departement_aggregation_keeps_every_cosigned_convention(ds):
    """Ties folded from conventions keep the list of conventions when their ends merge into a département."""
    folded = network.fold_conventions(network.build_network(ds))
    cosigned = [(u, v, a) for u, v, k, a in folded.edges(keys=True, data=True) if "conventions" in a]
    merged = network.aggregate_departements(folded)
    into = {n: a["departement"] for n, a in folded.nodes(data=True) if a.get("type") == "commune" and a.get("departement")}
    for u, v, k in folded.edges(keys=True):  # an EPCI goes to its members' département (one each in the fixture)
        if k == "memberOf" and u in into and u != v and v not in merged:
            into[v] = into[u]
        elif k == "memberOf" and v in into and u not in merged:
            into[u] = into[v]
    expected: dict[frozenset, set] = {}
    for u, v, a in cosigned:
        ends = frozenset((into.get(u, u), into.get(v, v)))
        if len(ends) == 2:
            expected.setdefault(ends, set()).update(a["conventions"].split())
    assert expected
    for ends, convs in expected.items():
        a, b = sorted(ends)
        assert set(merged.edges[a, b, "cosigned"]["conventions"].split()) == convs


def test_network_stats(ds):
    graph = network.build_network(ds, include_conventions=False)
    stats = network.network_stats(graph, top=5)
    simple = network.collapse(graph)
    top = stats["central"][0]
    assert top["degree"] == max(simple.degree(n) for n, t in simple.nodes(data="type") if t != "programme")
    assert {r["type"] for r in stats["central"]}.isdisjoint({"programme", "convention"})
    assert stats["components"] == 1  # everything meets in the PVD programme
    assert sum(c["size"] for c in stats["communities"]) == simple.number_of_nodes()
    assert stats["betweenness_sources"] == simple.number_of_nodes()  # small graph: exact


def test_network_stats_cli_table_and_json(capsys):
    assert main(["network-stats", "--graph", str(FIXTURE), "--top", "3", "-q"]) == 0
    out = capsys.readouterr().out
    assert "Most central organisations" in out and "Albertville" in out and "Communities" in out
    assert main(["network-stats", "--graph", str(FIXTURE), "--format", "json", "-q", "--departement", "73"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert ABLIS not in {r["iri"] for r in stats["central"]}


def test_network_stats_cli_bad_filter(capsys):
    assert main(["network-stats", "--graph", str(FIXTURE), "--programme", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such programme" in err[0]


def test_state_is_reached_but_not_crossed(rdf, tmp_path):
    """With a convention that the State signs with Ablis only, Albertville's view at depth 2 holds the
    State but neither that convention nor Ablis (the State is not crossed); focused on the State itself,
    it is expanded: the convention, Ablis and Albertville are in."""
    other = URIRef(convention_iri("test-etat-ablis"))
    extended = Graph()
    extended += rdf
    extended.add((other, RDF.type, PVD.Convention))
    extended.add((other, RDFS.label, Literal("Convention État – Ablis", lang="fr")))
    for signatory in (ETAT, ABLIS):
        extended.add((other, PVD.signatory, URIRef(signatory)))
    path = tmp_path / "extended.nt"
    extended.serialize(path, format="nt", encoding="utf-8")
    ds = store.open_built(path)
    from_albertville = network.build_network(ds, focus="73011", depth=2)
    assert ETAT in from_albertville and from_albertville.nodes[ETAT]["distance"] == 1
    assert str(other) not in from_albertville and ABLIS not in from_albertville
    from_state = network.build_network(ds, focus=ETAT)
    assert {str(other), ABLIS, ALBERTVILLE, UGINE} <= set(from_state)


@pytest.mark.parametrize("filters", [{"programme": "pvd"}, {"departement": "73"}])
def test_issue_12_filters_see_conventions_before_they_are_folded(ds, rdf, filters):
    """The State, tied to the towns only through the conventions it signs, stays in a filtered view."""
    folded = network.build_network(ds, include_conventions=False, **filters)
    with_conventions = network.build_network(ds, **filters)
    assert set(folded) == {n for n, t in with_conventions.nodes(data="type") if t != "convention"}
    # Its ties: the co-signatories of the conventions of the selection, from the file.
    conventions = {c for c in rdf.subjects(PVD.signatory, URIRef(ETAT)) if str(c) in with_conventions}
    assert conventions
    cosignatories = {str(s) for c in conventions for s in rdf.objects(c, PVD.signatory)} - {ETAT}
    assert set(folded[ETAT]) == cosignatories
    assert folded.edges[ETAT, ALBERTVILLE, "cosigned"]["weight"] == \
        sum(1 for c in conventions if (c, PVD.signatory, URIRef(ALBERTVILLE)) in rdf)
