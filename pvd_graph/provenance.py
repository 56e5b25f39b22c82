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

from pvd_graph.identifiers import organisation_iri
from pvd_graph.importers.base import ImportResult
from pvd_graph.importers.common import source_iri
from pvd_graph.namespaces import OX, OXC, PREFIXES

_DCAT = PREFIXES["dcat"]
_DCT = PREFIXES["dcterms"]
_PROV = PREFIXES["prov"]
_SPDX = "http://spdx.org/rdf/terms#"
_XSD = PREFIXES["xsd"]

_T = {name: ox.NamedNode(iri) for name, iri in {
    "Entity": _PROV + "Entity", "Distribution": _DCAT + "Distribution",
    "downloadURL": _DCAT + "downloadURL", "license": _DCT + "license", "publisher": _DCT + "publisher",
    "title": _DCT + "title", "temporal": _DCT + "temporal", "issued": _DCT + "issued",
    "generatedAtTime": _PROV + "generatedAtTime", "checksum": _SPDX + "checksum",
    "Checksum": _SPDX + "Checksum", "algorithm": _SPDX + "algorithm",
    "sha256": _SPDX + "checksumAlgorithm_sha256", "checksumValue": _SPDX + "checksumValue",
    "hexBinary": _XSD + "hexBinary", "dateTime": _XSD + "dateTime", "gYearMonth": _XSD + "gYearMonth",
    "Organisation": PREFIXES["pvd"] + "Organisation",
}.items()}

#: Publishers that are not among the model's organisations get a label here.
_PUBLISHER_LABELS = {"etalab": "Etalab (DINUM)"}


def _vintage_literal(vintage: str) -> ox.Literal:
    if re.fullmatch(r"\d{4}", vintage):
        return ox.Literal(vintage, datatype=OXC.gYear)
    if re.fullmatch(r"\d{4}-\d{2}", vintage):
        return ox.Literal(vintage, datatype=_T["gYearMonth"])
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
        if info.id == "unknown":
            continue
        s = ox.NamedNode(source_iri(info.id))
        for cls in (_T["Entity"], _T["Distribution"], OX.Source):
            add(s, OXC.type, cls)
        add(s, _T["title"], ox.Literal(info.title, language="fr"))
        if info.url:
            add(s, _T["downloadURL"], ox.NamedNode(info.url))
        if info.licence:
            add(s, _T["license"], ox.NamedNode(info.licence))
        if info.publisher:
            add(s, _T["publisher"], ox.NamedNode(organisation_iri(info.publisher)))
            publishers.add(info.publisher)
        if info.vintage:
            vintage = _vintage_literal(info.vintage)
            add(s, OX.cogVintage if info.id.startswith("cog-") else _T["temporal"], vintage)
        if info.retrieved:
            when = ox.Literal(info.retrieved, datatype=_T["dateTime"])
            add(s, _T["generatedAtTime"], when)
            add(s, _T["issued"], when)
        if info.sha256:
            c = ox.BlankNode()
            add(s, _T["checksum"], c)
            add(c, OXC.type, _T["Checksum"])
            add(c, _T["algorithm"], _T["sha256"])
            add(c, _T["checksumValue"], ox.Literal(info.sha256, datatype=_T["hexBinary"]))
        if r.error is None:
            for prop, n in ((OX.rowsRead, r.rows_read), (OX.rowsAccepted, r.rows_accepted),
                            (OX.rowsRejected, r.rows_rejected)):
                add(s, prop, ox.Literal(str(n), datatype=OXC.integer))
    for slug in sorted(publishers & _PUBLISHER_LABELS.keys()):
        org = ox.NamedNode(organisation_iri(slug))
        add(org, OXC.type, _T["Organisation"])
        add(org, OXC.label, ox.Literal(_PUBLISHER_LABELS[slug], language="fr"))
    return quads
