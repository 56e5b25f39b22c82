"""The ANCT *Action cœur de ville* towns (GeoJSON points with their convention).

Each accepted feature says: the commune ``pvd:participatesIn`` ``programme/acv``
(with INSEE code, name, département, EPCI as read, and ``geo:lat``/``geo:long``
of the point). Each programme id ``id_acv`` becomes one
``pvd:FrameworkConvention`` at ``convention/{id_acv}``: ``pvd:underProgramme``
``programme/acv``, ``pvd:programmeId``, label from ``lib_acv``, ``pvd:signedOn``
(``date_signature``), ``pvd:concerns`` each town of that id (some ids cover two
towns). The town carries ``pvd:actionsInProgress``/``pvd:actionsDelivered``
when not ``NA``: the counts are per town (the two towns of one id differ).

Signatories: the town and its EPCI (``siren_epci``), which the file gives, and
the State (``organisation/etat``): the government instruction that launched the
conventions (NOR TERR1810707C, 2018) asks each préfet to sign a multi-year
framework convention "avec les villes retenues et leur intercommunalité". The
financial partners (Banque des Territoires, Action Logement, Anah) and ANCT
(created in 2020, after most signatures) are not emitted: the file does not say
which of them signed each convention.

Row numbers in rejects are feature indexes (first feature = 0). A feature is
rejected when its town or programme id cannot be identified; an unreadable
date, count or coordinate is dropped with a warning and the feature kept. When
the features of one id disagree (date, label), the first is kept and
the others are reported as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pvd_graph.identifiers import (
    check_slug,
    commune_iri,
    convention_iri,
    departement_iri,
    epci_iri,
    organisation_iri,
    programme_iri,
)
from pvd_graph.importers import readers
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import (
    Duplicates,
    Emitter,
    Importer,
    ImportRun,
    RowError,
    check,
    check_departement,
    optional,
    optional_cell,
    reject,
    required_cell,
)
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, OX_GEO

#: No stable data.gouv.fr resource for this layer was found; the file comes from
#: the ANCT cartography of the programme and must be given by the user.
SOURCE_URL = "https://www.data.gouv.fr/fr/datasets/programme-action-coeur-de-ville/"


@dataclass
class _Convention:
    first: int  # feature index that defined it
    label: str | None
    signed: object
    towns: list[str] = field(default_factory=list)
    epcis: list[str] = field(default_factory=list)


def _features(data: bytes, result: ImportResult) -> list:
    doc, encoding = readers.load_json(data)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" \
            or not isinstance(doc.get("features"), list):
        raise SourceError("expected a GeoJSON FeatureCollection")
    result.reading = f"geojson, {encoding}"
    props = [f.get("properties") for f in doc["features"] if isinstance(f, dict)]
    for column in ("insee_com", "id_acv"):
        if props and not any(isinstance(p, dict) and column in p for p in props):
            raise SourceError(f"missing required property {column!r} in every feature")
    return doc["features"]


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    today = run.today
    seen = Duplicates()
    conventions: dict[str, _Convention] = {}
    programme = emit.node(programme_iri("acv"))
    for i, feature in enumerate(_features(data, result)):
        result.rows_read += 1
        where = (file, i)
        props = feature.get("properties") if isinstance(feature, dict) else None
        try:
            if not isinstance(props, dict):
                raise RowError("properties", "", "feature without properties")
            code = required_cell("insee_com", props, run.codes.insee)
            seen.check(code, i, "insee_com", code)
            pid = required_cell("id_acv", props, lambda v: check_slug(str(v).strip().lower()))
            dep = check_departement("insee_dep", props, code)
            label = check("lib_com", props.get("lib_com"), readers.name)
            conv_label = check("lib_acv", props.get("lib_acv"), readers.name)
        except RowError as err:
            reject(result, file, i, err)
            continue
        siren = optional_cell("siren_epci", props, run.codes.siren, result, where)
        signed = optional_cell("date_signature", props, lambda v: readers.date(v, today), result, where)
        in_progress = optional_cell("actions_en_cours", props, readers.integer, result, where)
        delivered = optional_cell("actions_livrees", props, readers.integer, result, where)
        point = _point(feature, result, where)

        s = emit.entity(commune_iri(code), OX.Commune)
        emit.label(s, label)
        emit.string(s, OX.inseeCode, code)
        emit.add(s, OX.inDepartement, emit.node(departement_iri(dep)))
        emit.add(s, OX.participatesIn, programme)
        emit.integer(s, OX.actionsInProgress, in_progress)
        emit.integer(s, OX.actionsDelivered, delivered)
        if point:
            emit.decimal(s, OX_GEO.lat, point[1])
            emit.decimal(s, OX_GEO.long, point[0])
        if siren:
            e = emit.entity(epci_iri(siren), OX.EPCI)
            emit.string(e, OX.siren, siren)
            emit.add(s, OX.memberOf, e)

        conv = conventions.get(pid)
        if conv is None:
            conv = conventions[pid] = _Convention(i, conv_label, signed)
        else:
            _compare(conv, i, file, result, (("lib_acv", conv.label, conv_label),
                                            ("date_signature", conv.signed, signed)))
        conv.towns.append(code)
        if siren and siren not in conv.epcis:
            conv.epcis.append(siren)
        result.rows_accepted += 1

    _emit_conventions(emit, conventions)


def _point(feature: dict, result: ImportResult, where: tuple[str, int]) -> tuple[float, float] | None:
    geometry = feature.get("geometry")
    if not geometry:
        return None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point" \
            or not isinstance(coords, list) or len(coords) < 2:
        result.warnings.append(Reject(where[0], where[1], "geometry", str(geometry)[:80],
                                      "not a GeoJSON Point; coordinates dropped, rest of the row kept"))
        return None
    lon = optional("geometry.coordinates[0]", coords[0], lambda v: readers.coordinate(v, -180, 180),
                   result, where)
    lat = optional("geometry.coordinates[1]", coords[1], lambda v: readers.coordinate(v, -90, 90),
                   result, where)
    return (lon, lat) if lon is not None and lat is not None else None


def _compare(conv: _Convention, i: int, file: str, result: ImportResult, pairs) -> None:
    for name, kept, other in pairs:
        if other is not None and kept is not None and other != kept:
            result.warnings.append(Reject(
                file, i, name, str(other),
                f"differs from feature {conv.first} of the same id_acv ({kept}); the first is kept"))


def _emit_conventions(emit: Emitter, conventions: dict[str, _Convention]) -> None:
    programme = emit.node(programme_iri("acv"))
    state = emit.node(organisation_iri("etat"))
    for pid, conv in conventions.items():
        c = emit.entity(convention_iri(pid), OX.Convention, OX.FrameworkConvention)
        emit.label(c, conv.label)
        emit.add(c, OX.underProgramme, programme)
        emit.string(c, OX.programmeId, pid)
        emit.date(c, OX.signedOn, conv.signed)
        for code in conv.towns:
            town = emit.node(commune_iri(code))
            emit.add(c, OX.concerns, town)
            emit.add(c, OX.signatory, town)
        for siren in conv.epcis:
            emit.add(c, OX.signatory, emit.node(epci_iri(siren)))
        emit.add(c, OX.signatory, state)


def _sniff(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    return '"FeatureCollection"' in text and '"id_acv"' in text


IMPORTER = Importer(
    id="anct-acv", title="Communes du programme Action cœur de ville", url=SOURCE_URL,
    licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-09",
    filenames=("*acv*.geojson", "*coeur*ville*.geojson", "*cœur*ville*.geojson"),
    sniff=_sniff, parse=parse, kind="geojson",
)
