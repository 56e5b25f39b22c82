"""Provenance of the imported sources: one ``prov:Entity`` / ``dcat:Distribution`` per file.

Each source IRI (``id/source/{source id}``) carries its download URL, licence,
publisher, vintage, retrieval time when known (files from ``pvd-graph
fetch``), SHA-256 checksum (SPDX vocabulary) and the row counts of the import.
The importers link every entity they describe to it with
``prov:wasDerivedFrom``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from pvd_graph.importers.base import ImportResult
from pvd_graph.namespaces import OX, OX_DCAT, OX_DCTERMS, OX_PROV, OX_RDF, OX_RDFS, OX_SPDX, OX_XSD, ids

#: Publishers that are not among the model's organisations get a label here.
_PUBLISHER_LABELS = {"etalab": "Etalab (DINUM)"}


def _vintage_literal(vintage: str) -> ox.Literal:
    if re.fullmatch(r"\d{4}", vintage):
        return ox.Literal(vintage, datatype=OX_XSD.gYear)
    if re.fullmatch(r"\d{4}-\d{2}", vintage):
        return ox.Literal(vintage, datatype=OX_XSD.gYearMonth)
    return ox.Literal(vintage)


def provenance_quads(results: Iterable[ImportResult], graph_iri: ox.NamedNode | str) -> list[ox.Quad]:
    """Quads describing each imported source, in the named graph ``graph_iri``."""
    g = graph_iri if isinstance(graph_iri, ox.NamedNode) else ox.NamedNode(graph_iri)
    quads: list[ox.Quad] = []
    publishers: set[str] = set()

    def add(s, p, o) -> None:
        quads.append(ox.Quad(s, p, o, g))

    for r in results:
        info = r.source
        if info.id == "unknown" or r.error is not None:
            # a refused file (an older COG set aside, a second file of one source) is not part of
            # the dataset: describing it on the source's node would give that node a second vintage,
            # checksum and address (rejects.csv and manifest.json report it)
            continue
        s = ox.NamedNode(ids.source(info.id))
        for cls in (OX_PROV.Entity, OX_DCAT.Distribution, OX.Source):
            add(s, OX_RDF.type, cls)
        add(s, OX_DCTERMS.title, ox.Literal(info.title, language="fr"))
        if info.url:
            add(s, OX_DCAT.downloadURL, ox.NamedNode(info.url))
        if info.licence:
            add(s, OX_DCTERMS.license, ox.NamedNode(info.licence))
        if info.publisher:
            add(s, OX_DCTERMS.publisher, ox.NamedNode(ids.organisation(info.publisher)))
            publishers.add(info.publisher)
        if info.vintage:
            vintage = _vintage_literal(info.vintage)
            add(s, OX.cogVintage if info.id.startswith("cog-") else OX_DCTERMS.temporal, vintage)
        if info.retrieved:
            when = ox.Literal(info.retrieved, datatype=OX_XSD.dateTime)
            add(s, OX_PROV.generatedAtTime, when)
            add(s, OX_DCTERMS.issued, when)
        if info.sha256:
            c = ox.BlankNode(f"checksum-{info.id}")  # a stable label: builds stay byte-identical
            add(s, OX_SPDX.checksum, c)
            add(c, OX_RDF.type, OX_SPDX.Checksum)
            add(c, OX_SPDX.algorithm, OX_SPDX.checksumAlgorithm_sha256)
            add(c, OX_SPDX.checksumValue, ox.Literal(info.sha256, datatype=OX_XSD.hexBinary))
        for prop, n in ((OX.rowsRead, r.rows_read), (OX.rowsAccepted, r.rows_accepted),
                        (OX.rowsRejected, r.rows_rejected)):
            add(s, prop, ox.Literal(str(n), datatype=OX_XSD.integer))
    for slug in sorted(publishers & _PUBLISHER_LABELS.keys()):
        org = ox.NamedNode(ids.organisation(slug))
        add(org, OX_RDF.type, OX.Organisation)
        add(org, OX_RDFS.label, ox.Literal(_PUBLISHER_LABELS[slug], language="fr"))
    return quads
