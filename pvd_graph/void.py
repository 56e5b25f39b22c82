"""A VoID + DCAT description of the built dataset (``void.ttl`` in a build folder).

The whole graph is one ``void:Dataset``/``dcat:Dataset``; each named graph
(one per source: ontology, curated data, each import, provenance, alignments)
is a ``void:subset`` with its own triple count and licence. Counts come from
SPARQL on the store.

Licences: taken from the provenance graph (``dcterms:license`` of each
``pvd:Source``, written by the importers) when present; otherwise from
:data:`FALLBACK_LICENCES` — ANCT data is published under the Licence Ouverte
2.0 (Etalab), the COG JSON comes from the npm package
``@etalab/decoupage-administratif`` whose LICENSE file is MIT (see
``../shared/data/README.md``), and the project's own ontology, curated data
and derived graphs are MIT like the code.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID, XSD

from pvd_graph import namespaces, ntriples, store
from pvd_graph.importers import KNOWN_SOURCES
from pvd_graph.namespaces import (
    GRAPHS,
    ID,
    LICENCE_ETALAB_2,
    LICENCE_MIT,
    ONTOLOGY,
    PREFIXES,
    PROJECT_LICENCE,
    PVD,
    ids,
    media_type_iri,
    named_graph_iri,
)
from pvd_graph.resources import DATASET_NQ, GRAPH_NT, GRAPH_TTL
from pvd_graph.store import Store

#: The dataset's own IRI and the namespace of its partitions and distributions.
DATASET = URIRef(namespaces.DATASET)
VD = Namespace(namespaces.DATASET_PARTS)

LICENCE_OUVERTE_2 = URIRef(LICENCE_ETALAB_2)
MIT = URIRef(LICENCE_MIT)

#: Licence of a named graph when the provenance graph says nothing, by source-id prefix: the importers'
#: record of each known source, else the project's licence (ontology, curated, provenance, alignments).
FALLBACK_LICENCES = (*((imp.id, URIRef(imp.licence)) for imp in KNOWN_SOURCES.values()),
                     ("", URIRef(PROJECT_LICENCE)))

#: Example resources, shown when present in the graph.
EXAMPLES = (ids.commune("73011"), ids.epci("200068997"), ids.programme("pvd"),
            ids.convention("pvd-arlysere-convention-cadre-2023"))

#: Export formats described as distributions, by ``pvd-graph export`` format name: (file name, media type,
#: W3C format IRI, title). The titles say what ``export -f NAME`` writes: the union of the named graphs
#: (each triple once) or the dataset, one named graph per source (:data:`pvd_graph.export.DATASET_FORMATS`);
#: files named ``graph.*`` hold the union, ``dataset.*`` the named graphs.
DISTRIBUTIONS = {
    "nt": ("graph.nt", "application/n-triples", "http://www.w3.org/ns/formats/N-Triples",
           "Graphe complet, union des graphes nommés (chaque triplet une fois), N-Triples triés"),
    "ttl": ("graph.ttl", "text/turtle", "http://www.w3.org/ns/formats/Turtle",
            "Graphe complet, union des graphes nommés, Turtle"),
    "nq": ("dataset.nq", "application/n-quads", "http://www.w3.org/ns/formats/N-Quads",
           "Jeu de données, un graphe nommé par source, N-Quads triés"),
    "trig": ("dataset.trig", "application/trig", "http://www.w3.org/ns/formats/TriG",
             "Jeu de données, un graphe nommé par source, TriG"),
    "jsonld": ("dataset.jsonld", "application/ld+json", "http://www.w3.org/ns/formats/JSON-LD",
               "Jeu de données, un graphe nommé par source, JSON-LD compacté avec le contexte "
               "ontology/context.jsonld"),
    "jsonld-union": ("graph.jsonld", "application/ld+json", "http://www.w3.org/ns/formats/JSON-LD",
                     "Graphe complet, union des graphes nommés, JSON-LD compacté avec le contexte "
                     "ontology/context.jsonld"),
    "rdfxml": ("graph.rdf", "application/rdf+xml", "http://www.w3.org/ns/formats/RDF_XML",
               "Graphe complet, union des graphes nommés, RDF/XML"),
}
#: The distributions that a build folder holds; the others are written by ``pvd-graph export``.
BUILD_FILES = (GRAPH_NT, GRAPH_TTL, DATASET_NQ)

_GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
_TOTALS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } } }
"""
_ENTITIES = f"""
SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?s), "{ID}")) }}
"""
_CLASSES = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?class } } GROUP BY ?class ORDER BY ?class
"""
_PROPERTIES = """
SELECT ?p (COUNT(*) AS ?n) WHERE { { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } } }
GROUP BY ?p ORDER BY ?p
"""
_SOURCES = f"""
PREFIX dcterms: <{PREFIXES['dcterms']}>
SELECT ?src ?licence ?title WHERE {{
  GRAPH ?g {{ ?src a <{PVD.Source}> ; dcterms:license ?licence . OPTIONAL {{ ?src dcterms:title ?title }} }}
}}"""
_ASK_SUBJECT = "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1"


@dataclass(frozen=True)
class Counts:
    """The statistics of a VoID description, over the union of the named graphs (each triple once)."""

    triples: int
    subjects: int
    objects: int
    entities: int  # distinct subjects in the project's URI space
    classes: list[tuple[URIRef, int]]  # (class, distinct instances), ordered by class IRI
    properties: list[tuple[URIRef, int]]  # (property, triples), ordered by property IRI
    graphs: list[tuple[URIRef, int]]  # (named graph, triples), ordered by graph IRI


def counts_by_sparql(ds: Store) -> Counts:
    """:class:`Counts` by SPARQL on *ds*."""
    (triples, subjects, objects), = _select(ds, _TOTALS)
    (entities,), = _select(ds, _ENTITIES)
    return Counts(int(triples), int(subjects), int(objects), int(entities),
                  [(c, int(n)) for c, n in _select(ds, _CLASSES)],
                  [(p, int(n)) for p, n in _select(ds, _PROPERTIES)],
                  graph_counts(ds))


_TYPE = str(ox.NamedNode(str(RDF.type))).encode()


def counts_from_ntriples(nt: bytes, ds: Store) -> Counts | None:
    """:class:`Counts` from a build's ``graph.nt`` (the union, each triple once) and its store *ds*.

    A regular-expression pass over the text instead of SPARQL aggregates over the
    union of the named graphs (~4× faster on the national graph); the statements of each
    named graph are counted by SPARQL on *ds* (a third of the time of a pass over
    ``dataset.nq``'s 435 MB on the enlarged national build). Every statement of *ds* must be in
    a named graph named by an IRI (as in a build). ``None`` when a class is not an IRI (then
    use :func:`counts_by_sparql`).
    """
    # one pass over the lines, keeping only the distinct terms (a list of every line's terms was
    # ~800 MB at the national build's peak)
    triples, subjects, objects, classes, properties = 0, set(), set(), Counter(), Counter()
    for s, p, o in ntriples.iter_triple_terms(nt):
        triples += 1
        subjects.add(s)
        objects.add(o)
        properties[p] += 1
        if p == _TYPE:
            classes[o] += 1
    if not all(c.startswith(b"<") for c in classes):
        return None
    uri_space = b"<" + ID.encode()  # the start of the N-Triples form of the project's IRIs

    def iris(counter: Mapping[bytes, int]) -> list[tuple[URIRef, int]]:
        return [(URIRef(ntriples.iri(k)), n) for k, n in sorted(counter.items())]

    return Counts(triples, len(subjects), len(objects),
                  sum(1 for s in subjects if s.startswith(uri_space)),
                  iris(classes), iris(properties), graph_counts(ds))


def graph_counts(ds: Store) -> list[tuple[URIRef, int]]:
    """(named graph, statements) of *ds*, ordered by graph IRI."""
    return sorted(((g, int(n)) for g, n in _select(ds, _GRAPH_COUNTS)), key=lambda gn: str(gn[0]))


def _select(ds: Store, sparql: str) -> list[tuple]:
    """Rows of a SELECT over the named graphs, as rdflib terms for the description graph."""
    return [tuple(None if t is None else store.to_rdflib(t) for t in row) for row in ds.select(sparql)]


def _slug(iri: str) -> str:
    """A fragment-safe name for a partition of *iri* (prefix:local → prefix-local)."""
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns):
            return re.sub(r"[^A-Za-z0-9_-]", "-", f"{prefix}-{iri[len(ns):]}")
    return re.sub(r"[^A-Za-z0-9_-]", "-", iri.split("://", 1)[-1])


def source_licences(ds: Store) -> dict[str, URIRef]:
    """Named graph IRI → licence IRI, from the provenance records of the imports."""
    out = {}
    for src, licence, _title in _select(ds, _SOURCES):
        source_id = str(src).rstrip("/").rsplit("/", 1)[-1]
        out[named_graph_iri(source_id)] = licence
    return out


def _licence_for(graph: str, recorded: Mapping[str, URIRef]) -> URIRef:
    if graph in recorded:
        return recorded[graph]
    name = graph.removeprefix(GRAPHS)
    for prefix, licence in FALLBACK_LICENCES:
        if name.startswith(prefix):
            return licence
    return MIT  # pragma: no cover - the "" prefix always matches


def describe_dataset(ds: Store, endpoint: str | None = None, download_base: str | None = None,
                     formats: tuple[str, ...] = tuple(DISTRIBUTIONS), counts: Counts | None = None) -> Graph:
    """VoID + DCAT description of *ds* (*counts*, by default by SPARQL on its store).

    *endpoint*: URL of the SPARQL endpoint serving it (``void:sparqlEndpoint``).
    *download_base*: URL of the folder holding the export files; each of
    *formats* becomes a ``dcat:Distribution`` (with ``dcat:downloadURL`` when
    the base is known).
    """
    g = Graph()
    for prefix in ("void", "dcat", "dcterms", "xsd", "pvd", "id", "rdfs"):
        g.bind(prefix, PREFIXES[prefix])
    g.bind("vd", str(VD))
    d = DATASET
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, Literal("pvd-graph : programmes territoriaux français (PVD, ACV, ORT, CRTE)", lang="fr")))
    g.add((d, DCTERMS.title, Literal("pvd-graph: French territorial programmes (PVD, ACV, ORT, CRTE)", lang="en")))
    g.add((d, DCTERMS.description, Literal(
        "Graphe de connaissances des programmes Petites villes de demain, Action cœur de ville, ORT et CRTE, "
        "des territoires et collectivités qui y participent et des conventions signées.", lang="fr")))
    g.add((d, VOID.uriSpace, Literal(ID)))
    g.add((d, VOID.vocabulary, URIRef(ONTOLOGY.rstrip("#"))))

    counts = counts or counts_by_sparql(ds)
    g.add((d, VOID.triples, Literal(counts.triples, datatype=XSD.integer)))
    g.add((d, VOID.distinctSubjects, Literal(counts.subjects, datatype=XSD.integer)))
    g.add((d, VOID.distinctObjects, Literal(counts.objects, datatype=XSD.integer)))
    g.add((d, VOID.entities, Literal(counts.entities, datatype=XSD.integer)))

    for cls, n in counts.classes:
        part = VD["class-" + _slug(str(cls))]
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))

    vocabularies = set()
    for prop, n in counts.properties:
        part = VD["property-" + _slug(str(prop))]
        g.add((d, VOID.propertyPartition, part))
        g.add((part, VOID.property, prop))
        g.add((part, VOID.triples, Literal(n, datatype=XSD.integer)))
        for ns in PREFIXES.values():
            if str(prop).startswith(ns) and ns != ONTOLOGY:
                vocabularies.add(ns)
    for ns in sorted(vocabularies):
        g.add((d, VOID.vocabulary, URIRef(ns)))

    for example in EXAMPLES:
        if _select(ds, _ASK_SUBJECT.replace("?s ?p ?o", f"<{example}> ?p ?o").replace("SELECT ?s", "SELECT ?p")):
            g.add((d, VOID.exampleResource, URIRef(example)))

    recorded = source_licences(ds)
    for graph, n in counts.graphs:
        graph = str(graph)
        g.add((d, VOID.subset, URIRef(graph)))
        g.add((URIRef(graph), RDF.type, VOID.Dataset))
        g.add((URIRef(graph), VOID.triples, Literal(n, datatype=XSD.integer)))
        licence = _licence_for(graph, recorded)
        if str(licence):  # a source whose licence its publisher does not state (anct-ngeo) gets none
            g.add((URIRef(graph), DCTERMS.license, licence))

    if endpoint:
        g.add((d, VOID.sparqlEndpoint, URIRef(endpoint)))
    for fmt in formats:
        name, media, w3c, title = DISTRIBUTIONS[fmt]
        dist = VD["distribution-" + fmt]
        g.add((d, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(title, lang="fr")))
        made = ("écrit par la construction dans son dossier" if name in BUILD_FILES
                else f"écrit par « pvd-graph export -f {fmt} -o {name} »")
        g.add((dist, DCTERMS.description, Literal(f"Fichier {name}, {made}.", lang="fr")))
        g.add((dist, DCAT.mediaType, URIRef(media_type_iri(media))))
        g.add((dist, DCTERMS["format"], URIRef(w3c)))
        if download_base:
            url = URIRef(download_base.rstrip("/") + "/" + name)
            g.add((dist, DCAT.downloadURL, url))
            g.add((d, VOID.dataDump, url))
    return g


def write_void(ds: Store, path: Path | str, endpoint: str | None = None, download_base: str | None = None,
               counts: Counts | None = None) -> Path:
    """Write :func:`describe_dataset` as Turtle to *path* (e.g. ``void.ttl`` of a build folder)."""
    path = Path(path)
    text = describe_dataset(ds, endpoint, download_base, counts=counts).serialize(format="turtle")
    path.write_text(text, encoding="utf-8")
    return path


