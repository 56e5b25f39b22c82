"""The ANCT lists of *Petites villes de demain* of 2024, with each town's *convention d'adhésion* date.

Two vintages of one programme list, as ANCT's multi-programme map ships them (GeoJSON points):

- ``anct-pvd-2024-08``, the list of 2024-08-07 (``superposeur-anct_pvd_geom_2024-09.geojson``):
  ``liste_geo`` ``"Name (INSEE)"`` (no ``insee_com``), ``date_signature`` (ISO) the convention
  d'adhésion date, ``id_territoire``, ``lib_territoire`` (an abbreviated name);
- ``anct-pvd-2024-02``, the list of February 2024 (``…pvd_geom_2024-02_flat.geojson``): flat
  properties ``insee_com``, ``lib_com.x``, ``insee_dep``, ``siren_epci``, ``pop``, ``id_pvd``,
  ``date_signature``.

Each accepted feature gives the town's participation in ``programme/pvd``
(:meth:`Emitter.participation`: this list is one more ``pvd:listedIn``) and the point the list
gives (:meth:`Emitter.point`: a COG 2023 commune centroid, not a surveyed position).

Conventions d'adhésion (ontology/README.md, "PVD"): the dated towns of one EPCI (the commune's
EPCI in the COG 2026) with the same date share one ``pvd:AdhesionConvention`` at
``convention/pvd-adhesion-{SIREN}-{date}`` (``{INSEE}-{date}`` for a town in no EPCI), the
ORT's grouping rule; signatories as ANCT's « mode d'emploi » of the programme states them (the
towns, their EPCI, the State), marked inferred. The participation ``pvd:joinedThrough`` it.

Two vintages, one account: the August list runs first and leaves its dates in
:attr:`Earlier.pvd_adhesion`. A town the August list dates keeps the August convention: the
February list states its own date on that same convention (and nothing else), so that when the
dates differ the build keeps the newer list's ``pvd:signedOn`` by precedence and writes the
February date in ``conflicts.csv``. A town the August list does not date gets the February
list's own convention.

Both lists are read in the geographic code of 2023 when the import holds it (:mod:`pvd_graph.importers.vintage`;
else in the current code, the build saying so). Row numbers are feature indexes (first = 0). A
feature is rejected when its town cannot be identified, is listed twice, or its code is not a
commune of that code; a commune of 2023 merged since is the former commune's participation (noted).
An unreadable date or point is dropped with a warning. Not imported: ``id_territoire``/``id_pvd``
(renumbered between vintages: Modane is ``pvd-84-73-5`` in 2021, ``pvd-84-73-15`` in 2024), names
(the COG's), the February ``siren_epci`` (compared with the commune's EPCI in the code the list is
read in: in the COG 2023 a difference is a line of ``conflicts.csv``, in the current code a warning).

The February list's ``pop`` is its own dated figure of the town
(:func:`pvd_graph.importers.figures.population`: ``pvd:count`` as of 2024-02-01, the file not
saying which population it is; 1,494 of its 1,646 values equal the COG 2023 ``population``),
never the ``pvd:population`` shortcut. The August list gives no population.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pvd_graph.identifiers import commune_iri, convention_iri, epci_iri, organisation_iri, programme_iri
from pvd_graph.importers import figures, readers, vintage
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
    not_current,
    optional,
    optional_cell,
    reject,
    required_cell,
)
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, OX_PROV, OX_SKOS

#: ANCT, « Petites villes de demain — mode d'emploi »: « La signature d'une convention d'adhésion qui
#: acte l'engagement des collectivités bénéficiaires et de l'Etat » (the signatories' basis)
MODE_EMPLOI = "https://agence-cohesion-territoires.gouv.fr/mode-demploi-697"
SIGNATORIES_NOTE = ("Signataires déduits du « mode d'emploi » du programme Petites villes de demain (ANCT) : "
                    "« la signature d'une convention d'adhésion qui acte l'engagement des collectivités "
                    "bénéficiaires et de l'Etat » (les communes, leur EPCI, l'État), non lus dans la liste.")
TITLE = "Convention d'adhésion Petites villes de demain — "
MAP_URL = "https://github.com/anct-carto/superposeur-anct"
#: the geographic code these lists are read in (:mod:`pvd_graph.importers.vintage`): the newest held before 2024
CODE_YEAR = "2023"
_LISTE_GEO = re.compile(r"^(.+?)\s*\((\w{5})\)\s*$")


@dataclass
class _Town:
    code: str
    name: str | None
    signed: dt.date | None


@dataclass
class _Group:
    key: str
    epci: str | None
    signed: dt.date
    towns: list[_Town] = field(default_factory=list)


def _august(props: dict, run: ImportRun, result: ImportResult, where, code_of_list: vintage.Code) -> tuple[str, str]:
    """``"Ugine (73303)"`` → (``73303``, ``Ugine``)."""
    text = check("liste_geo", props.get("liste_geo"), readers.name)
    m = _LISTE_GEO.match(text or "")
    if not m:
        raise RowError("liste_geo", text, 'expected "Name (INSEE code)"')
    return check("liste_geo", m[2], run.codes.insee), m[1]


def _february(props: dict, run: ImportRun, result: ImportResult, where, code_of_list: vintage.Code) -> tuple[str, str | None]:
    code = required_cell("insee_com", props, run.codes.insee)
    check_departement("insee_dep", props, code)
    name = check("lib_com.x", props.get("lib_com.x"), readers.name)
    siren = optional_cell("siren_epci", props, run.codes.siren, result, where)
    was = code_of_list.epci_of.get(code, set())
    if siren is not None and siren not in was and code in code_of_list.communes:
        if code_of_list.current:
            result.warnings.append(Reject(where[0], where[1], "siren_epci", siren,
                                          f"not commune {code}'s EPCI in the COG {code_of_list.year} "
                                          f"({' '.join(sorted(was)) or 'none'}): the COG's EPCI is used"))
        else:
            vintage.difference(result, commune_iri(code), OX.memberOf.value,
                               " ".join(epci_iri(e) for e in sorted(was)) or "(no EPCI)", code_of_list.epci_source,
                               epci_iri(siren))
    return code, name


def _point(feature: dict, result: ImportResult, where) -> tuple[float, float] | None:
    """(longitude, latitude) of a Point feature; anything else dropped with a warning."""
    geometry = feature.get("geometry")
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if geometry is None:
        return None
    if geometry.get("type") != "Point" or not isinstance(coords, list) or len(coords) != 2:
        result.warnings.append(Reject(where[0], where[1], "geometry", str(geometry)[:80],
                                      "not a GeoJSON Point: point dropped, rest of the feature kept"))
        return None
    lon = optional("geometry.coordinates", coords[0], lambda v: readers.coordinate(v, -180, 180), result, where)
    lat = optional("geometry.coordinates", coords[1], lambda v: readers.coordinate(v, -90, 90), result, where)
    return None if lon is None or lat is None else (lon, lat)


def _parser(town_of, newest: bool):
    """The parse function of one vintage: *town_of* reads (code, name) of a feature's properties."""

    def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
        earlier = run.earlier
        if earlier.current_communes is None or earlier.epci_of_commune is None:
            raise SourceError("the PVD list is grouped by EPCI and checked against the geographic code: it needs "
                              "the COG communes and EPCI files (communes.json, epci.json) in the same import")
        file = str(result.source.path)
        newer = {} if newest or earlier.pvd_adhesion is None else earlier.pvd_adhesion
        dates: dict[str, dt.date] = {}
        seen = Duplicates()
        code_of_list = vintage.code_for(run, CODE_YEAR, result)
        towns: list[tuple[_Town, tuple[float, float] | None]] = []
        features = geojson_features(data, result, ("liste_geo",) if newest else ("insee_com",))
        for i, feature in enumerate(features):
            result.rows_read += 1
            where = (file, i)
            props = feature.get("properties") if isinstance(feature, dict) else None
            try:
                if not isinstance(props, dict):
                    raise RowError("properties", "", "feature without properties")
                code, name = town_of(props, run, result, where, code_of_list)
                seen.check(code, i, "code", code)
                if code not in code_of_list.communes:
                    raise not_current(code, earlier) if code_of_list.current else \
                        RowError("code", code, f"not a commune in the COG {code_of_list.year}")
                if code not in earlier.current_communes:
                    result.noted.append(Reject(file, i, "code", code, vintage.merged_since(code, code_of_list, earlier)))
            except RowError as err:
                reject(result, file, i, err)
                continue
            signed = optional_cell("date_signature", props, lambda v: readers.date(v, run.today), result, where)
            towns.append((_Town(code, name, signed), _point(feature, result, where)))
            figures.population(emit, result, emit.node(commune_iri(code)),
                               count=optional_cell("pop", props, readers.integer, result, where))
            if signed is not None:
                dates[code] = signed
            result.rows_accepted += 1
        if newest:
            earlier.pvd_adhesion = dates
        groups = _emit(emit, towns, earlier.epci_of_commune, newer, earlier.current_communes)
        # the build prints "how it was read" in its summary: the grouping is reported there
        result.reading += (f"; {len(dates)} dated towns, {len(groups)} conventions d'adhésion of this list "
                           f"({sum(len(g.towns) > 1 for g in groups)} of several towns)")

    return parse


def _key(epci: str | None, code: str, signed: dt.date) -> str:
    return f"pvd-adhesion-{epci or code}-{signed.isoformat()}"


def _emit(emit: Emitter, towns, epci_of: dict[str, str], newer: dict[str, dt.date], current: set[str]) -> list[_Group]:
    """The participations, points and this list's own conventions (returned: its groups)."""
    groups: dict[str, _Group] = {}
    conventions: dict[str, ox.NamedNode] = {}
    for town, _ in towns:
        if town.signed is None or town.code in newer:
            continue
        epci = epci_of.get(town.code)
        key = _key(epci, town.code, town.signed)
        groups.setdefault(key, _Group(key, epci, town.signed)).towns.append(town)
    for group in groups.values():
        conventions.update(_convention(emit, group))
    for town, point in towns:
        # a commune of the list's code merged since stays the former commune (pvd_graph.importers.vintage)
        s = emit.entity(commune_iri(town.code), OX.Commune) if town.code in current else emit.node(commune_iri(town.code))
        c = conventions.get(town.code)  # None when undated here, or dated by the newer list
        if town.code in newer and town.signed is not None:
            # the newer list's convention: this list states only its own date on it (precedence decides)
            c = emit.entity(convention_iri(_key(epci_of.get(town.code), town.code, newer[town.code])),
                            OX.Convention, OX.AdhesionConvention)
            emit.date(c, OX.signedOn, town.signed)
            emit.add(c, OX.concerns, s)
        emit.participation(s, "commune", town.code, "pvd", joined_through=c)
        if point is not None:
            emit.point(s, *point)
    return list(groups.values())


def _convention(emit: Emitter, group: _Group) -> dict[str, ox.NamedNode]:
    """The group's convention d'adhésion; {INSEE code: convention} of its towns."""
    c = emit.entity(convention_iri(group.key), OX.Convention, OX.AdhesionConvention)
    emit.label(c, TITLE + ", ".join(t.name or t.code for t in group.towns))
    emit.add(c, OX.underProgramme, emit.node(programme_iri("pvd")))
    emit.date(c, OX.signedOn, group.signed)
    signatories = [emit.node(commune_iri(t.code)) for t in group.towns]
    for town in signatories:
        emit.add(c, OX.concerns, town)
    if group.epci is not None:
        epci = emit.node(epci_iri(group.epci))
        emit.add(c, OX.concerns, epci)
        signatories.append(epci)
    for party in (*signatories, emit.node(organisation_iri("etat"))):
        emit.add(c, OX.signatory, party)
    emit.add(c, OX_PROV.wasDerivedFrom, emit.node(MODE_EMPLOI))
    emit.add(c, OX_SKOS.editorialNote, ox.Literal(SIGNATORIES_NOTE, language="fr"))
    return {t.code: c for t in group.towns}


def _sniffer(key: str):
    """A GeoJSON FeatureCollection whose features carry *key* with a PVD id (``"pvd-84-73-14"``)."""
    marker = re.compile(rf'"{key}"\s*:\s*"pvd-')

    def sniff(path: Path, head: bytes) -> bool:
        text = head.decode("utf-8", errors="ignore")
        return '"FeatureCollection"' in text and '"date_signature"' in text and marker.search(text) is not None

    return sniff


IMPORTERS = (
    Importer(
        id="anct-pvd-2024-08", title="Petites villes de demain : liste du 7 août 2024, dates des conventions d'adhésion",
        url=MAP_URL, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-08",
        filenames=("*pvd_geom_2024-09*.geojson", "*pvd*2024-08*.geojson"),
        sniff=_sniffer("id_territoire"), parse=_parser(_august, newest=True), kind="geojson",
        needs=("cog-communes", "cog-epci"), precedence=2,
    ),
    Importer(
        id="anct-pvd-2024-02", title="Petites villes de demain : liste de février 2024, dates des conventions d'adhésion",
        url=MAP_URL, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-02",
        filenames=("*pvd_geom_2024-02*.geojson",),
        sniff=_sniffer("id_pvd"), parse=_parser(_february, newest=False), kind="geojson",
        needs=("cog-communes", "cog-epci", "anct-pvd-2024-08"), precedence=3,
    ),
)
