"""VoID/DCAT description: counts checked against independent counts of the build files."""

from __future__ import annotations

from collections import Counter

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID

from pvd_graph import export, resources, store
from pvd_graph.void import DATASET, LICENCE_OUVERTE_2, MIT, VD, describe_dataset, write_void

PVD = "https://w3id.org/pvd-graph/ontology#"
ID = "https://w3id.org/pvd-graph/id/"


def _nt(line: str) -> tuple[str, str, str]:
    s, p, rest = line.split(" ", 2)
    return s, p, rest.rsplit(" .", 1)[0]


def test_curated_description_counts(curated_build, tmp_path):
    ds = store.open_built(curated_build, graphs="named")
    path = write_void(ds, tmp_path / "void.ttl", endpoint="http://127.0.0.1:8000/sparql")
    g = Graph().parse(path, format="turtle")
    lines = (curated_build / resources.GRAPH_NT).read_text(encoding="utf-8").splitlines()
    assert g.value(DATASET, VOID.triples).toPython() == len(lines)
    props = Counter(_nt(x)[1] for x in lines)
    for part in g.objects(DATASET, VOID.propertyPartition):
        prop = g.value(part, VOID.property)
        assert g.value(part, VOID.triples).toPython() == props[f"<{prop}>"], prop
    assert len(list(g.objects(DATASET, VOID.propertyPartition))) == len(props)
    communes = {_nt(x)[0] for x in lines if _nt(x)[1:] == ("<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", f"<{PVD}Commune>")}
    (part,) = [p for p in g.objects(DATASET, VOID.classPartition) if g.value(p, VOID["class"]) == URIRef(PVD + "Commune")]
    assert g.value(part, VOID.entities).toPython() == len(communes)
    assert URIRef(ID + "commune/73011") in set(g.objects(DATASET, VOID.exampleResource))
    assert g.value(DATASET, VOID.uriSpace) == Literal(ID)
    assert g.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://127.0.0.1:8000/sparql")
    assert (DATASET, RDF.type, DCAT.Dataset) in g
    assert len(list(g.objects(DATASET, DCAT.distribution))) == len(export.SYNTAX)


def test_national_subsets_have_counts_and_licences(national_build):
    g = describe_dataset(store.open_built(national_build, graphs="named"), download_base="https://example.org/dl/")
    quads = Counter(line.rsplit(" ", 2)[-2] for line in
                    (national_build / resources.DATASET_NQ).read_text(encoding="utf-8").splitlines())
    subsets = {str(s): s for s in g.objects(DATASET, VOID.subset)}
    assert {f"<{s}>" for s in subsets} == set(quads)
    for name, s in subsets.items():
        assert g.value(s, VOID.triples).toPython() == quads[f"<{name}>"]
    graphs = "https://w3id.org/pvd-graph/graph/"
    anct = [s for name, s in subsets.items() if name.startswith(graphs + "anct-")]
    cog = [s for name, s in subsets.items() if name.startswith(graphs + "cog-")]
    assert anct and cog
    # what the importers recorded in the provenance graph, whatever IRI they chose for the licence
    assert {g.value(s, DCTERMS.license) for s in anct} <= {LICENCE_OUVERTE_2, URIRef("https://spdx.org/licenses/etalab-2.0.html")}
    assert {g.value(s, DCTERMS.license) for s in cog} <= {MIT, URIRef("https://spdx.org/licenses/MIT.html")}
    dumps = set(g.objects(DATASET, VOID.dataDump))
    assert URIRef("https://example.org/dl/graph.nt") in dumps
    assert g.value(DATASET, VOID.sparqlEndpoint) is None


def test_counts_from_build_files_equal_the_sparql_counts(national_build):
    from pvd_graph.void import counts_by_sparql, counts_from_ntriples

    named = store.open_built(national_build, graphs="named")
    text = counts_from_ntriples((national_build / resources.GRAPH_NT).read_bytes(), named)
    assert text == counts_by_sparql(named)
    lines = (national_build / resources.DATASET_NQ).read_text(encoding="utf-8").splitlines()
    per_graph = Counter(line[line.rindex(" <") + 2:line.rindex(">")] for line in lines)
    assert [(str(g), n) for g, n in text.graphs] == sorted(per_graph.items())


def test_distributions_say_what_each_file_holds(curated_build, tmp_path):
    """Issue 20: each distribution's title says what ``pvd-graph export -f FORMAT`` writes into its file,
    checked by writing that file and reading it back: "un graphe nommé par source" when it holds the
    named graphs of the build, "union des graphes" when it holds their union in the default graph
    (``-f jsonld`` is the dataset, ``graph.jsonld`` the union). The files a build folder holds are
    said to be written by the build, and are there; the others name the export command."""
    g = describe_dataset(store.open_built(curated_build, graphs="named"), download_base="https://example.org/dl/")
    dists = set(g.objects(DATASET, DCAT.distribution))
    assert {str(d).removeprefix(str(VD) + "distribution-") for d in dists} == set(export.SYNTAX)
    names = set()
    for fmt in export.SYNTAX:
        dist = VD["distribution-" + fmt]
        title, description = str(g.value(dist, DCTERMS.title)), str(g.value(dist, DCTERMS.description))
        name = str(g.value(dist, DCAT.downloadURL)).removeprefix("https://example.org/dl/")
        names.add(name)
        out = tmp_path / name
        export.export_file(export.open_for_export(curated_build, fmt), fmt, out)
        back = export.read_back(out, fmt)
        named = {str(n) for n in back.named_graphs()}
        if "un graphe nommé par source" in title:
            assert "union" not in title and named and back.default_graph_is_empty(), fmt
            assert name.startswith("dataset.")
        else:
            assert "union des graphes" in title and not named, fmt
            assert name.startswith("graph.")
        assert ("JSON-LD compacté avec le contexte ontology/context.jsonld" in title) == (export.SYNTAX[fmt] == "jsonld")
        if "écrit par la construction" in description:
            assert (curated_build / name).is_file(), name
        else:
            assert f"pvd-graph export -f {fmt} -o {name}" in description and not (curated_build / name).exists()
    assert len(names) == len(export.SYNTAX)  # one file per format
