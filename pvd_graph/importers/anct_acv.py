"""The ANCT *Action cœur de ville* towns (GeoJSON points with their convention), in every layout.

ANCT publishes the ACV list in several layouts, one per map (see ``../shared/more-data/README.md``);
each file is a vintage of its own source, and each importer reads it through a :class:`Layout`
that says where the programme id, the date and the towns are. This module holds what they share
and the importer of ``anct_acv_communes_2024.geojson`` (``anct-acv``); the others are
:mod:`~pvd_graph.importers.anct_acv_map` (the ``.js`` of the ACV map),
:mod:`~pvd_graph.importers.anct_acv_superposeur` (the February and September 2024 layers of
ANCT's multi-programme map) and :mod:`~pvd_graph.importers.anct_acv2` (ACV 2).

Each accepted town says: the commune (INSEE code, name, département and EPCI as read) and its
``pvd:Participation`` in ``programme/acv`` (:meth:`Emitter.participation`), joined through the
framework convention of its programme id, each vintage adding its ``pvd:listedIn``. Each
programme id ``id_acv`` becomes one ``pvd:FrameworkConvention`` at ``convention/{id_acv}`` (the
same IRI from every vintage): ``pvd:underProgramme`` ``programme/acv``, ``pvd:programmeId``, the
title "Convention-cadre Action cœur de ville — {town names, sorted, joined by ", "}"
(``rdfs:label``; the programme's own site name ``lib_acv`` is its ``skos:altLabel``),
``pvd:signedOn`` (``date_signature``, when the layout has it), ``pvd:concerns`` each town of
that id (some ids cover two towns). The town carries ``pvd:actionsInProgress`` /
``pvd:actionsDelivered`` when not ``NA``: the counts are per town (the two towns of one id
differ). Two vintages that disagree on a date or a title give two values of a single-valued
property: the build keeps the one of the lower ``precedence`` and lists the other in
``conflicts.csv``.

Signatories: the town and its EPCI (``siren_epci``), which the file gives, and
the State (``organisation/etat``): the government instruction that launched the
conventions (NOR TERR1810707C, 2018) asks each préfet to sign a multi-year
framework convention "avec les villes retenues et leur intercommunalité". The
financial partners (Banque des Territoires, Action Logement, Anah) and ANCT
(created in 2020, after most signatures) are not emitted: the file does not say
which of them signed each convention.

Points: the town's point as GeoSPARQL (:meth:`Emitter.point`). The overseas towns of the 2024
files sit at the positions of the map's insets (Le Port, La Réunion, at 44.79 N, −2.73 E): every
overseas département (971–976) lies between the tropics, so the point of an overseas town
outside them is dropped with a warning (``value dropped``). A ``MultiPoint`` for several towns
is dropped too: the file does not say which point is which town.

Row numbers in rejects are feature indexes (first feature = 0). A feature is
rejected when its town or programme id cannot be identified, or when the COG of the same import
does not have its town (merged or renumbered since the list); an unreadable
date, count or coordinate is dropped with a warning and the feature kept. When
the features of one id disagree (date, label), the first is kept and
the others are reported as warnings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pvd_graph.identifiers import (
    check_slug,
    commune_iri,
    convention_iri,
    departement_iri,
    epci_iri,
    organisation_iri,
    programme_iri,
)
from pvd_graph.importers import readers, vintage
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import (
    Duplicates,
    Emitter,
    Importer,
    ImportRun,
    RowError,
    check,
    check_departement,
    geojson_features,
    optional,
    optional_cell,
    reject,
    required_cell,
)
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, OX_SKOS

#: No stable data.gouv.fr resource for this layer was found; the file comes from
#: the ANCT cartography of the programme and must be given by the user.
SOURCE_URL = "https://www.data.gouv.fr/fr/datasets/programme-action-coeur-de-ville/"

#: Title of an ACV framework convention, followed by the names of its towns.
TITLE = "Convention-cadre Action cœur de ville — "

#: Latitude of the tropics (degrees): every overseas département lies between them
#: (Guadeloupe 16° N, Martinique 14.6° N, Guyane 2–6° N, Mayotte 12.8° S, La Réunion 21° S).
TROPIC = 23.44
Where = tuple[str, int]


@dataclass
class Town:
    """One town of a feature, as the file gives it."""

    code: str
    name: str | None
    departement: str | None = None
    siren: str | None = None
    in_progress: int | None = None
    delivered: int | None = None
    point: tuple[float, float] | None = None  # (longitude, latitude)
    field: str = "insee_com"  # where the file gives the code


#: (properties, feature, result, where, run) → the feature's towns; raises RowError
TownReader = Callable[[dict, dict, ImportResult, Where, ImportRun], list[Town]]


@dataclass(frozen=True)
class Layout:
    """Where one layout of the ACV list puts the programme id, its name, its date and its towns."""

    id_field: str  # programme id (``acv-001``)
    site_field: str  # the programme's name of the site (``lib_acv``)
    date_field: str | None  # signature date; None: the layout has none
    towns: TownReader
    programme: str = "acv"  # programme slug of the participations
    #: whether the features are conventions (ACV 2 names laureates, no convention)
    conventions: bool = True
    #: the geographic code the list is read in (:mod:`pvd_graph.importers.vintage`); None: the current code
    code_year: str | None = None


@dataclass
class _Convention:
    first: int  # feature index that defined it
    label: str | None
    signed: object
    towns: list[Town] = field(default_factory=list)


def insee_town(name_field: str) -> TownReader:
    """The one town of a feature that gives ``insee_com``, ``insee_dep``, the name in *name_field*
    and, when present, ``siren_epci``, the action counts and a Point."""

    def read(props: dict, feature: dict, result: ImportResult, where: Where, run: ImportRun) -> list[Town]:
        code = required_cell("insee_com", props, run.codes.insee)
        town = Town(code, check(name_field, props.get(name_field), readers.name),
                    check_departement("insee_dep", props, code))
        town.siren = optional_cell("siren_epci", props, run.codes.siren, result, where)
        town.in_progress = optional_cell("actions_en_cours", props, readers.integer, result, where)
        town.delivered = optional_cell("actions_livrees", props, readers.integer, result, where)
        points = _points(feature, result, where)
        town.point = points[0] if len(points) == 1 else None
        return [town]

    return read


_LISTED = re.compile(r"(.*?)\s*\(([0-9][0-9AB][0-9]{3})\)")


def listed_towns(props: dict, feature: dict, result: ImportResult, where: Where, run: ImportRun) -> list[Town]:
    """The towns of ``liste_geo`` (``"Name (INSEE); Name (INSEE)"``), with the feature's point when
    it names one town (a MultiPoint of several towns does not say which point is whose)."""
    text = readers.cell(props.get("liste_geo"))
    if text is None:
        raise RowError("liste_geo", props.get("liste_geo"), "missing value")
    towns = []
    for part in text.split(";"):
        m = _LISTED.fullmatch(part.strip())
        if m is None:
            raise RowError("liste_geo", part.strip(), 'not "Name (INSEE code)"')
        towns.append(Town(check("liste_geo", m.group(2), run.codes.insee),
                          check("liste_geo", m.group(1), readers.name), field="liste_geo"))
    geometry = feature.get("geometry")
    if len(towns) > 1 and isinstance(geometry, dict) and geometry.get("type") == "MultiPoint":
        result.warnings.append(Reject(where[0], where[1], "geometry", str(geometry)[:80],
                                      f"a MultiPoint for {len(towns)} towns, which point is which town "
                                      "is not said; value dropped, rest of the row kept"))
        return towns
    points = _points(feature, result, where)
    if len(towns) == 1 and len(points) == 1:
        towns[0].point = points[0]
    return towns


def parser(layout: Layout, required: tuple[str, ...], what: str = "geojson",
           unwrap: Callable[[bytes], bytes] | None = None) -> Callable:
    """The ``parse`` function of an importer of *layout* (*unwrap* turns the bytes into GeoJSON)."""

    def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
        doc = geojson_features(unwrap(data) if unwrap else data, result, required, what)
        parse_features(doc, layout, result, emit, run)

    return parse


def parse_features(doc: list, layout: Layout, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    seen = Duplicates()
    current = run.earlier.current_communes  # None when the COG is not in this import
    conventions: dict[str, _Convention] = {}
    code_of_list = vintage.code_for(run, layout.code_year, result) if layout.code_year and current else None
    older = code_of_list if code_of_list is not None and not code_of_list.current else None
    for i, feature in enumerate(doc):
        result.rows_read += 1
        where = (file, i)
        props = feature.get("properties") if isinstance(feature, dict) else None
        try:
            if not isinstance(props, dict):
                raise RowError("properties", "", "feature without properties")
            towns = layout.towns(props, feature, result, where, run)
            for town in towns:
                seen.check(town.code, i, town.field, town.code)
                if older is not None and town.code not in older.communes:
                    raise RowError(town.field, town.code, f"not a commune in the COG {older.year}")
                if older is not None and town.code not in current:
                    undated = vintage.undated_former(town.code, older, run, town.field)
                    if undated is not None:
                        raise undated
                    result.noted.append(Reject(file, i, town.field, town.code,
                                               vintage.merged_since(town.code, older, run.earlier)))
                elif current is not None and town.code not in current:
                    raise RowError(town.field, town.code, "not a current commune in the COG (merged or renumbered since)")
            pid = required_cell(layout.id_field, props, lambda v: check_slug(str(v).strip().lower()))
            site = check(layout.site_field, props.get(layout.site_field), readers.name)
        except RowError as err:
            reject(result, file, i, err)
            continue
        signed = None
        if layout.date_field:
            signed = optional_cell(layout.date_field, props, lambda v: readers.date(v, run.today), result, where)
        if layout.conventions:
            conv = conventions.get(pid)
            if conv is None:
                conv = conventions[pid] = _Convention(i, site, signed)
            else:
                _compare(conv, i, file, result, ((layout.site_field, conv.label, site),
                                                (layout.date_field, conv.signed, signed)))
            conv.towns.extend(towns)
        for town in towns:
            former = current is not None and town.code not in current
            _emit_town(emit, town, layout, convention_iri(pid) if layout.conventions else None, result, where, former)
        result.rows_accepted += 1
    _emit_conventions(emit, conventions)


def _emit_town(emit: Emitter, town: Town, layout: Layout, convention: str | None,
               result: ImportResult, where: Where, former: bool = False) -> None:
    """*former*: a commune of the list's code merged since, whose participation is the former commune's
    (:func:`pvd_graph.importers.vintage.merged_since`): not typed, named nor coded here."""
    s = emit.node(commune_iri(town.code)) if former else emit.entity(commune_iri(town.code), OX.Commune)
    if not former:
        emit.label(s, town.name)
        emit.string(s, OX.inseeCode, town.code)
    if town.departement:
        emit.add(s, OX.inDepartement, emit.node(departement_iri(town.departement)))
    emit.participation(s, "commune", town.code, layout.programme,
                       joined_through=emit.node(convention) if convention else None)
    emit.integer(s, OX.actionsInProgress, town.in_progress)
    emit.integer(s, OX.actionsDelivered, town.delivered)
    if town.point and _real_position(town, result, where):
        emit.point(s, *town.point)
    if town.siren:
        e = emit.entity(epci_iri(town.siren), OX.EPCI)
        emit.string(e, OX.siren, town.siren)
        emit.add(s, OX.memberOf, e)


def _real_position(town: Town, result: ImportResult, where: Where) -> bool:
    """False (with a warning) for an overseas town placed outside the tropics: a map inset's position."""
    lon, lat = town.point
    if town.code.startswith("97") and abs(lat) > TROPIC:
        result.warnings.append(Reject(
            where[0], where[1], "geometry", f"POINT({lon} {lat})",
            "overseas commune placed outside the tropics, where every overseas département lies: a map inset's "
            "position, not the town's; value dropped, rest of the row kept"))
        return False
    return True


def _points(feature: dict, result: ImportResult, where: Where) -> list[tuple[float, float]]:
    """The (longitude, latitude) of a Point or MultiPoint geometry; a bad one is dropped with a warning."""
    geometry = feature.get("geometry")
    if not geometry:
        return []
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    positions = [coords] if kind == "Point" else coords if kind == "MultiPoint" else None
    if not isinstance(positions, list) or not all(isinstance(c, list) and len(c) >= 2 for c in positions):
        result.warnings.append(Reject(where[0], where[1], "geometry", str(geometry)[:80],
                                      "not a GeoJSON Point; coordinates dropped, rest of the row kept"))
        return []
    points = []
    for c in positions:
        lon = optional("geometry.coordinates[0]", c[0], lambda v: readers.coordinate(v, -180, 180), result, where)
        lat = optional("geometry.coordinates[1]", c[1], lambda v: readers.coordinate(v, -90, 90), result, where)
        if lon is not None and lat is not None:
            points.append((lon, lat))
    return points


def _compare(conv: _Convention, i: int, file: str, result: ImportResult, pairs) -> None:
    for name, kept, other in pairs:
        if other is not None and kept is not None and other != kept:
            result.warnings.append(Reject(
                file, i, name, str(other),
                f"differs from feature {conv.first} of the same programme id ({kept}); the first is kept"))


def _sort_key(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def title(towns: list[Town]) -> str:
    """"Convention-cadre Action cœur de ville — A, B": the towns' names, sorted (the same from every vintage)."""
    return TITLE + ", ".join(sorted({t.name or t.code for t in towns}, key=_sort_key))


def _emit_conventions(emit: Emitter, conventions: dict[str, _Convention]) -> None:
    programme = emit.node(programme_iri("acv"))
    state = emit.node(organisation_iri("etat"))
    for pid, conv in conventions.items():
        c = emit.entity(convention_iri(pid), OX.Convention, OX.FrameworkConvention)
        emit.label(c, title(conv.towns))
        if conv.label:
            emit.add(c, OX_SKOS.altLabel, ox.Literal(conv.label, language="fr"))
        emit.add(c, OX.underProgramme, programme)
        emit.string(c, OX.programmeId, pid)
        emit.date(c, OX.signedOn, conv.signed)
        sirens = []
        for town in conv.towns:
            node = emit.node(commune_iri(town.code))
            emit.add(c, OX.concerns, node)
            emit.add(c, OX.signatory, node)
            if town.siren and town.siren not in sirens:
                sirens.append(town.siren)
        for siren in sirens:
            emit.add(c, OX.signatory, emit.node(epci_iri(siren)))
        emit.add(c, OX.signatory, state)


def sniff(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    return '"FeatureCollection"' in text and '"id_acv"' in text


@dataclass(frozen=True)
class LayoutImporter(Importer):
    """An importer of one layout of a file name that several layouts share (``acv_geom.geojson``):
    it claims a file by its name only when the file's first bytes are of its layout (``sniff``), so
    that the importer of ``anct-acv`` still claims, and reports, every other file of such a name."""

    def matches_name(self, path: Path) -> bool:
        if not super().matches_name(path):
            return False
        try:
            with path.open("rb") as fh:
                return self.sniff(path, fh.read(8192))
        except OSError:
            return False


LAYOUT = Layout(id_field="id_acv", site_field="lib_acv", date_field="date_signature", towns=insee_town("lib_com"))
REQUIRED = ("insee_com", "id_acv")
#: the current communes, when the COG is in the same import (optional: without it codes are not checked)
NEEDS = ("cog-communes",)

IMPORTER = Importer(
    id="anct-acv", title="Communes du programme Action cœur de ville", url=SOURCE_URL,
    licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-09",
    filenames=("*acv*.geojson", "*coeur*ville*.geojson", "*cœur*ville*.geojson"),
    sniff=sniff, parse=parser(LAYOUT, REQUIRED), kind="geojson", needs=NEEDS,
)
