"""What the endpoint serves, said three ways: the start-up line, the query page, the service description.

The dataset view of a build folder (see the README, "The dataset view"): the
default graph is the union of every source graph, each triple once (the
build's ``graph.nt``), and each source is also a named graph (``dataset.nq``).
A bare RDF file is served as it is; if it has named graphs and an empty
default graph, queries see the union of its named graphs as default graph.

The service description follows SPARQL 1.1 Service Description
(https://www.w3.org/TR/sparql11-service-description/): it is the answer to a
GET on ``/sparql`` without a query when the client asks for RDF.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from pvd_graph.alignments import ALIGNMENTS_GRAPH

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"  # the VoID vocabulary (as in the build's void.ttl); w3.org/ns/void is not one
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                   "Turtle", "N-Triples", "JSON-LD", "RDF_XML")

DEFAULT_GRAPH_TEXT = "the union of every source graph, each triple once"
UNION_OF_NAMED_TEXT = "the union of the named graphs (a triple stated in several of them matches once per graph)"


@dataclass
class DatasetView:
    """The figures a query worker reports (:func:`~pvd_graph.server.engine.dataset_figures`) and their meaning."""

    default: int  # triples in the default graph as loaded
    named: dict[str, int]  # named graph IRI → quads
    build: bool  # loaded from a build folder: the default graph is the union of the sources

    @classmethod
    def of(cls, figures: dict, build: bool) -> DatasetView:
        return cls(figures["default"], dict(figures["named"]), build)

    @property
    def quads(self) -> int:
        return sum(self.named.values())

    @property
    def default_meaning(self) -> str | None:
        """What the default graph is, when it is a union; ``None`` for a file served as it is."""
        if self.build:
            return DEFAULT_GRAPH_TEXT
        if self.named and not self.default:
            return UNION_OF_NAMED_TEXT
        return None

    def summary(self) -> str:
        """The start-up line: what was loaded, triples and quads kept apart."""
        graphs = f"{len(self.named)} named graph{'s' if len(self.named) != 1 else ''}"
        if self.build:
            return (f"{self.default:,} triples in the default graph ({DEFAULT_GRAPH_TEXT}) "
                    f"and {self.quads:,} quads in {graphs}, one per source")
        text = f"{self.default:,} triples in the default graph and {self.quads:,} quads in {graphs}"
        if self.default_meaning and not self.default:
            text += f"; queries see {UNION_OF_NAMED_TEXT} as default graph"
        return text


def service_description(endpoint: str, view: DatasetView, fmt: ox.RdfFormat) -> bytes:
    """The ``sd:Service`` of the endpoint at URL *endpoint*, with its dataset, in *fmt*."""
    def iri(ns: str, local: str = "") -> ox.NamedNode:
        return ox.NamedNode(ns + local)

    service, dataset, default = ox.NamedNode(endpoint), ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(service, RDF_TYPE, iri(SD, "Service")),
        ox.Triple(service, iri(SD, "endpoint"), service),
        ox.Triple(service, iri(SD, "supportedLanguage"), iri(SD, "SPARQL11Query")),
        *(ox.Triple(service, iri(SD, "resultFormat"), iri("http://www.w3.org/ns/formats/", f))
          for f in _RESULT_FORMATS),
        ox.Triple(service, iri(SD, "defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, iri(SD, "Dataset")),
        ox.Triple(dataset, iri(SD, "defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, iri(SD, "Graph")),
    ]
    if view.default or not view.default_meaning:  # an empty default graph read as the union has no count of its own
        triples.append(ox.Triple(default, iri(VOID, "triples"), ox.Literal(str(view.default), datatype=XSD_INTEGER)))
    if view.default_meaning:
        triples.append(ox.Triple(default, iri(DCTERMS, "description"), ox.Literal(view.default_meaning, language="en")))
    # an RDF merge of the named graphs, as sd:UnionDefaultGraph means: not when the alignments are
    # served, a named graph kept out of the default graph (see store.open_built)
    if view.build and ALIGNMENTS_GRAPH not in view.named:
        triples.append(ox.Triple(service, iri(SD, "feature"), iri(SD, "UnionDefaultGraph")))
    for name, count in view.named.items():
        node, graph = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, iri(SD, "namedGraph"), node),
            ox.Triple(node, RDF_TYPE, iri(SD, "NamedGraph")),
            ox.Triple(node, iri(SD, "name"), ox.NamedNode(name)),
            ox.Triple(node, iri(SD, "graph"), graph),
            ox.Triple(graph, RDF_TYPE, iri(SD, "Graph")),
            ox.Triple(graph, iri(VOID, "triples"), ox.Literal(str(count), datatype=XSD_INTEGER)),
        ]
    return ox.serialize(triples, format=fmt, prefixes={"sd": SD, "void": VOID, "dcterms": DCTERMS})
