"""Alignment links: identifiers and documented URL patterns, computed from the COG files."""

from __future__ import annotations

import json

import pyoxigraph as ox

from pvd_graph import store
from pvd_graph.alignments import ALIGNMENTS_GRAPH, add_alignments, alignment_quads

ID = "https://w3id.org/pvd-graph/id/"
SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"


def _links(quads, subject):
    return {q.object.value for q in quads if q.subject.value == subject and q.predicate.value == SEE_ALSO}


def test_albertville_and_arlysere_on_the_curated_build(curated_build):
    ds = store.open_built(curated_build)
    quads = list(alignment_quads(ds))
    assert {q.graph_name.value for q in quads} == {ALIGNMENTS_GRAPH}
    assert _links(quads, ID + "commune/73011") >= {"https://geo.api.gouv.fr/communes/73011"}
    assert _links(quads, ID + "epci/200068997") == {
        "https://geo.api.gouv.fr/epcis/200068997",
        "https://annuaire-entreprises.data.gouv.fr/entreprise/200068997"}
    ident = ox.NamedNode(ID + "commune/73011#insee")
    notation = [q.object.value for q in quads if q.subject == ident and q.predicate.value.endswith("#notation")]
    assert notation == ["73011"]
    assert not any(q.predicate.value.endswith("#sameAs") for q in quads)


def test_national_links_follow_the_cog(national_build, shared_data):
    ds = store.open_built(national_build, use_store=False)  # alignments added in memory, never to the build's store
    before = store.triple_count(ds)
    added = add_alignments(ds)
    assert store.triple_count(ds) == before + added
    quads = list(ds.quads(graph=ox.NamedNode(ALIGNMENTS_GRAPH)))
    epci = json.loads((shared_data / "cog" / "epci.json").read_text(encoding="utf-8"))
    for e in epci[:50]:
        assert "https://geo.api.gouv.fr/epcis/" + e["code"] in _links(quads, ID + "epci/" + e["code"])
    deps = json.loads((shared_data / "cog" / "departements.json").read_text(encoding="utf-8"))
    linked = {q.object.value.rsplit("/", 1)[1] for q in quads if q.object.value.startswith("https://geo.api.gouv.fr/departements/")}
    expected = {d["code"] for d in deps if d["zone"] != "com"}  # overseas collectivities need zone=com
    assert linked == expected
    regions = json.loads((shared_data / "cog" / "regions.json").read_text(encoding="utf-8"))
    linked = {q.object.value.rsplit("/", 1)[1] for q in quads if q.object.value.startswith("https://geo.api.gouv.fr/regions/")}
    assert linked == {r["code"] for r in regions if r["zone"] != "com"}


def test_identifiers_are_those_rdflib_finds(curated_build):
    """Every identifier node minted through the store matches a (class, code) that rdflib's own
    SPARQL engine finds in an independent parse of graph.nt, and the other way round."""
    from rdflib import Graph

    from pvd_graph import resources
    from pvd_graph.alignments import _QUERY, _RULES
    from pvd_graph.lookup import of_class
    from pvd_graph.namespaces import ONTOLOGY

    graph = Graph().parse(curated_build / resources.GRAPH_NT, format="nt")
    expected = {(f"{s}#{frag}", str(code)) for cls, prop, frag, _route, _pattern in _RULES
                for s, code in graph.query(_QUERY.format(pvd=ONTOLOGY, of_class=of_class(cls), prop=ONTOLOGY + prop))}
    got = {(q.subject.value, q.object.value) for q in alignment_quads(store.open_built(curated_build))
           if q.predicate.value.endswith("#notation")}
    assert got == expected
    assert (ID + "commune/73011#insee", "73011") in expected and (ID + "epci/200068997#siren", "200068997") in expected
