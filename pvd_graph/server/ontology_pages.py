"""The vocabulary at its own IRIs: ``/ontology``, ``/shapes`` and the dataset description ``/.well-known/void``.

``https://w3id.org/pvd-graph/ontology#Commune`` resolves (through the w3id.org
rules kept in ``deploy/w3id/``) to ``/ontology`` of a deployment, whose HTML page
has one anchor per term (``#Commune``); RDF clients get the ontology file
itself (Turtle) or another serialisation, by ``Accept`` or ``?format=``, like
entity pages. ``/shapes`` serves the SHACL shapes the build validates with,
``/.well-known/void`` the build's ``void.ttl`` (the well-known path of VoID,
https://www.w3.org/TR/void/#well-known), with the alignments linkset the
endpoint loads beside it (:func:`alignments_linkset`).

The documents are read once, when the application is made: they are small and
do not change while the server runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import OWL, SH, VOID

from pvd_graph import resources
from pvd_graph.namespaces import (
    DATASET,
    OX_DCTERMS,
    OX_RDF,
    OX_RDFS,
    OX_SKOS,
    ONTOLOGY,
    PREFIXES,
    PROJECT_LICENCE,
    SHAPES,
    OxTerms,
)

_OWL, _SH, _VOID = OxTerms(OWL), OxTerms(SH), OxTerms(VOID)


@dataclass
class Document:
    """One RDF document: its triples, and the original Turtle text served as it is."""

    turtle: bytes
    triples: list

    @classmethod
    def read(cls, paths: list[Path]) -> Document:
        text = paths[0].read_bytes() if len(paths) == 1 else None
        triples = []
        for p in paths:
            with open(p, "rb") as fh:
                triples.extend(ox.parse(fh, format=ox.RdfFormat.TURTLE))
        if text is None:  # several files: one Turtle document (prefixes declared once)
            text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))
        return cls(text, triples)

    def with_triples(self, more: list) -> Document:
        """This document and the triples *more*, as one Turtle text."""
        triples = self.triples + more
        return Document(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES)), triples)

    def serialize(self, fmt) -> bytes:
        if fmt.ox_format == ox.RdfFormat.TURTLE:
            return self.turtle
        return ox.serialize(self.triples, format=fmt.ox_format, prefixes=dict(PREFIXES))

    def values(self, subject, prop: ox.NamedNode) -> list:
        return [t.object for t in self.triples if t.subject == subject and t.predicate == prop]

    def text(self, subject, prop: ox.NamedNode, lang: str = "fr") -> str:
        values = [v for v in self.values(subject, prop) if isinstance(v, ox.Literal)]
        best = next((v for v in values if v.language == lang), values[0] if values else None)
        return best.value if best else ""

    def of_type(self, *types: ox.NamedNode) -> list:
        found = {t.subject for t in self.triples if t.predicate == OX_RDF.type and t.object in types
                 and isinstance(t.subject, ox.NamedNode)}
        return sorted(found, key=lambda n: n.value)


@dataclass
class Documents:
    ontology: Document
    shapes: Document
    void: Document | None  # None: the server does not serve a build folder

    @classmethod
    def load(cls, graph: str | None, alignments: int | None = None) -> Documents:
        """The documents; *alignments*: triples of the alignments graph the endpoint loaded (``None``: none)."""
        folder = Path(graph) if graph else resources.DEFAULT_BUILD_DIR
        void = folder / resources.VOID_TTL
        void_doc = Document.read([void]) if folder.is_dir() and void.is_file() else None
        if void_doc is not None and alignments is not None:
            void_doc = void_doc.with_triples(alignments_linkset(alignments))
        return cls(Document.read([resources.ONTOLOGY_FILE]), Document.read(resources.shapes_files()), void_doc)


def alignments_linkset(triples: int) -> list:
    """The VoID description of the named graph ``graph/alignments`` (the build's ``alignments.nt``).

    The build's ``void.ttl`` describes ``dataset.nq``, which does not hold the
    alignments; the endpoint serves them as a subset of the dataset of their
    own, a ``void:Linkset`` whose links are ``rdfs:seeAlso`` from the dataset's
    entities (it also holds their ``adms:Identifier`` nodes).
    """
    from pvd_graph.alignments import ALIGNMENTS_GRAPH

    void = _VOID
    dataset, graph = ox.NamedNode(DATASET), ox.NamedNode(ALIGNMENTS_GRAPH)
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    return [
        ox.Triple(dataset, void.subset, graph),
        ox.Triple(graph, OX_RDF.type, void.Dataset),
        ox.Triple(graph, OX_RDF.type, void.Linkset),
        ox.Triple(graph, void.triples, ox.Literal(str(triples), datatype=integer)),
        ox.Triple(graph, void.linkPredicate, OX_RDFS.seeAlso),
        ox.Triple(graph, void.subjectsTarget, dataset),
        ox.Triple(graph, OX_DCTERMS.license, ox.NamedNode(PROJECT_LICENCE)),
        ox.Triple(graph, OX_DCTERMS.description, ox.Literal(
            "Identifiants INSEE et SIREN (adms:Identifier) et liens rdfs:seeAlso vers geo.api.gouv.fr et "
            "annuaire-entreprises.data.gouv.fr (fichier alignments.nt de la construction)", language="fr")),
    ]


def _short(node, ns: str) -> str:
    if isinstance(node, ox.NamedNode):
        if node.value.startswith(ns):
            return node.value[len(ns):]
        for p, base in PREFIXES.items():
            if node.value.startswith(base) and p != "id":
                return f"{p}:{node.value[len(base):]}"
        return node.value
    return "(expression)"


def _term_link(node) -> str:
    if isinstance(node, ox.NamedNode) and node.value.startswith(ONTOLOGY):
        local = node.value[len(ONTOLOGY):]
        return f'<a href="/ontology#{escape(local)}">{escape(local)}</a>'
    return escape(_short(node, ONTOLOGY))


def ontology_html(doc: Document, page) -> str:
    """The ontology's page: title, then each class and property with its labels, definitions and axioms."""
    onto = ox.NamedNode(ONTOLOGY.rstrip("#"))
    sections = []
    for title, types in (("Classes", (_OWL.Class,)),
                         ("Propriétés", (_OWL.ObjectProperty, _OWL.DatatypeProperty))):
        rows = []
        for term in doc.of_type(*types):
            if not term.value.startswith(ONTOLOGY):
                continue
            local = term.value[len(ONTOLOGY):]
            axioms = []
            for prop, name in ((OX_RDFS.subClassOf, "sous-classe de"), (OX_RDFS.subPropertyOf, "sous-propriété de"),
                               (OX_RDFS.domain, "domaine"), (OX_RDFS.range, "portée")):
                values = doc.values(term, prop)
                if values:
                    axioms.append(f"{name} : " + ", ".join(_term_link(v) for v in values))
            rows.append(
                f'<tr id="{escape(local)}"><td><b>{escape(doc.text(term, OX_RDFS.label))}</b><br>'
                f'<code>pvd:{escape(local)}</code><br><i>{escape(doc.text(term, OX_RDFS.label, "en"))}</i></td>'
                f"<td>{escape(doc.text(term, OX_SKOS.definition))}<br><i>{escape(doc.text(term, OX_SKOS.definition, 'en'))}</i>"
                + (f"<br>{'<br>'.join(axioms)}" if axioms else "") + "</td></tr>")
        sections.append(f"<h2>{title} ({len(rows)})</h2><table>{''.join(rows)}</table>")
    version = doc.text(onto, _OWL.versionInfo)
    body = (f"<h1>{escape(doc.text(onto, OX_DCTERMS.title))}</h1><p class=iri>{escape(ONTOLOGY)} — version "
            f"{escape(version)}</p><p>{escape(doc.text(onto, OX_DCTERMS.description))}</p>"
            '<p>Formats : <a href="?format=turtle">Turtle</a> <a href="?format=jsonld">JSON-LD</a> '
            '<a href="?format=ntriples">N-Triples</a> · <a href="/shapes">formes SHACL</a> · '
            '<a href="/sparql">point d’accès SPARQL</a></p>' + "".join(sections))
    return page(doc.text(onto, OX_DCTERMS.title) or "Ontologie", body)


def shapes_html(doc: Document, page) -> str:
    """The shapes' page: each node shape, its target and the constraints of its properties, with their messages."""
    rows = []
    for shape in doc.of_type(_SH.NodeShape):
        local = _short(shape, SHAPES)
        targets = ", ".join(_term_link(v) for v in doc.values(shape, _SH.targetClass)) or "(cible SPARQL)"
        props = []
        for prop in doc.values(shape, _SH.property):
            path = ", ".join(_term_link(v) for v in doc.values(prop, _SH.path))
            message = doc.text(prop, _SH.message)
            props.append(f"<li>{path}{' — ' + escape(message) if message else ''}</li>")
        message = doc.text(shape, _SH.message)
        rows.append(f'<tr id="{escape(local)}"><td><code>pvdsh:{escape(local)}</code></td><td>{targets}</td>'
                    f"<td>{escape(message)}<ul>{''.join(props)}</ul></td></tr>")
    body = (f"<h1>Formes SHACL de pvd-graph</h1><p class=iri>{escape(SHAPES)}</p>"
            "<p>Les contraintes que chaque construction vérifie (<code>pvd-graph validate</code>). "
            'Formats : <a href="?format=turtle">Turtle</a> <a href="?format=jsonld">JSON-LD</a> · '
            '<a href="/ontology">ontologie</a></p>'
            f"<table><tr><th>forme</th><th>cible</th><th>contraintes</th></tr>{''.join(rows)}</table>")
    return page("Formes SHACL de pvd-graph", body)
