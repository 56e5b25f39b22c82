"""Territoires d'industrie, second generation (2023–2027): the territories and their member EPCI.

``ti_geom.geojson`` of ANCT's multi-programme map (anct-carto/superposeur-anct,
``data/geom/geojsonV2/``, list of 2024-07): one feature per territory, ``id_territoire``
(``ti-0101``), ``lib_territoire``, ``liste_geo`` the members as ``"Name (SIREN)"`` joined by
``"; "``, a MultiPolygon (not imported: outlines for maps).

ANCT reused the ids between generations (``ti-0101`` is Cap Excellence in the first, Basse-Terre in
the second), so a territory is ``id/territory/ti-{generation}-{id}`` (``territory/ti-2-ti-0101``),
a ``pvd:IndustryTerritory`` with ``pvd:generation 2``, ``pvd:programmeId`` the file's id (never a
key alone), ``rdfs:label`` its name and ``pvd:ofProgramme programme/ti``.

Members are read in the geographic code of the list's vintage, the COG 2023 (``cog-2023/epci.json``,
read as history by :mod:`pvd_graph.importers.cog_history`): a SIREN that is an EPCI of the COG 2023
is a member EPCI (``pvd:hasMember``) and gets its participation in ``ti``
(:meth:`Emitter.participation`, kind ``epci``); a SIREN that is a current commune's (the list names
a few single communes, Cercy-la-Tour) is a member commune with its own participation (kind
``commune``). Any other SIREN (the établissements publics territoriaux of Greater Paris, which the
COG does not list) is reported in ``rejects.csv`` (file, feature, ``liste_geo``) and left out; the
rest of the feature is kept. The communes of each member EPCI are in ``ti`` as a derived fact
(:mod:`pvd_graph.build.derive_ti`), never written in this source's graph.

Row numbers are feature indexes (first = 0). A feature without id, name or members is rejected, as
is a second feature with an id already read.
"""

from __future__ import annotations

import re
from pathlib import Path

from pvd_graph.identifiers import check_slug, commune_iri, epci_iri
from pvd_graph.importers import history, readers
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import (Duplicates, Emitter, Importer, ImportRun, RowError, check,
                                        geojson_features, reject, required_cell)
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, ids

#: the file at the commit of this vintage in ANCT's repository (the official list of communes is the
#: data.gouv.fr resource 2a228141-469f-4945-a9bf-f8c46f694022, column id_ti)
SOURCE_URL = ("https://raw.githubusercontent.com/anct-carto/superposeur-anct/"
              "949f7e581185229a3bef1962d8f81f5608757f0c/data/geom/geojsonV2/ti_geom.geojson")
GENERATION = 2
#: the millésime of the geographic code the list is read in
COG_VINTAGE = "2023"
PROGRAMME = "ti"
_MEMBER = re.compile(r"(.+?)\s*\(([0-9]{9})\)")
_NAME = re.compile(r'"name"\s*:\s*"ti_geom"')
UNKNOWN_SIREN = (f"SIREN neither of an EPCI of the COG {COG_VINTAGE} nor of a current commune (an établissement "
                 "public territorial of Greater Paris is not in the COG): member left out, rest of the feature kept")

NOT_CURRENT = (f"EPCI of the COG {COG_VINTAGE} that is no EPCI of the current COG (dissolved or merged since): "
               "its participation is not imported, rest of the feature kept")


def territory_iri(territory_id: str, generation: int = GENERATION) -> str:
    """``id/territory/ti-{generation}-{id}``: ANCT reused ``id_ti`` between generations."""
    return ids.path(f"territory/ti-{generation}-{territory_id}")


def epci_of_vintage(run: ImportRun, vintage: str = COG_VINTAGE) -> set[str]:
    """SIREN of every EPCI that the COG of *vintage* (read as history in this import) lists with members."""
    said = (run.earlier.history or {}).get(history.MEMBERSHIP, {}).get(vintage)
    if said is None:
        raise SourceError(f"the list's members are EPCI of the COG {vintage}: it needs cog-{vintage}/epci.json "
                          "(read as history) in the same import")
    return {siren for _, siren in said}


def members(text: str | None) -> list[tuple[str, str]]:
    """``"CA du Nord Basse-Terre (249710062); …"`` → [(name, SIREN), …]; a malformed part is a RowError."""
    if text is None:
        raise RowError("liste_geo", text, "missing value")
    found = []
    for part in text.split(";"):
        m = _MEMBER.fullmatch(part.strip())
        if m is None:
            raise RowError("liste_geo", part.strip(), 'not "Name (SIREN)"')
        found.append((m.group(1), m.group(2)))
    return found


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    epci_2023 = epci_of_vintage(run)
    communes = run.earlier.commune_by_siren or {}
    current_epci = run.earlier.epci_names or {}
    file = str(result.source.path)
    programme = emit.node(ids.programme(PROGRAMME))
    seen = Duplicates()
    for i, feature in enumerate(geojson_features(data, result, ("id_territoire", "liste_geo"))):
        result.rows_read += 1
        props = feature.get("properties") if isinstance(feature, dict) else None
        try:
            if not isinstance(props, dict):
                raise RowError("properties", "", "feature without properties")
            tid = required_cell("id_territoire", props, lambda v: check_slug(str(v).strip().lower()))
            seen.check(tid, i, "id_territoire", tid)
            name = required_cell("lib_territoire", props, readers.name)
            listed = members(readers.cell(props.get("liste_geo")))
            sirens = [check("liste_geo", siren, run.codes.siren) for _, siren in listed]
        except RowError as err:
            reject(result, file, i, err)
            continue
        t = emit.entity(territory_iri(tid), OX.IndustryTerritory)
        emit.label(t, name)
        emit.string(t, OX.programmeId, tid)
        emit.integer(t, OX.generation, GENERATION)
        emit.add(t, OX.ofProgramme, programme)
        for (member_name, _), siren in zip(listed, sirens):
            if siren in epci_2023 and siren not in current_epci:
                result.warnings.append(Reject(file, i, "liste_geo", f"{member_name} ({siren})", NOT_CURRENT))
                continue
            if siren in epci_2023:
                body = emit.node(epci_iri(siren))
                emit.participation(body, "epci", siren, PROGRAMME)
            elif siren in communes:
                body = emit.node(commune_iri(communes[siren]))
                emit.participation(body, "commune", communes[siren], PROGRAMME)
            else:
                result.warnings.append(Reject(file, i, "liste_geo", f"{member_name} ({siren})", UNKNOWN_SIREN))
                continue
            emit.add(t, OX.hasMember, body)
        result.rows_accepted += 1


def _sniff(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    return _NAME.search(text) is not None and '"liste_geo"' in text


IMPORTER = Importer(
    id="anct-ti", title="Territoires d'industrie, deuxième génération (2023-2027) : territoires et EPCI membres",
    url=SOURCE_URL, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-07",
    filenames=("*_ti_geom*.geojson", "ti_geom*.geojson"), sniff=_sniff, kind="geojson", precedence=6,
    parse=parse, needs=("cog-communes", "cog-epci", f"cog-{COG_VINTAGE}-epci"),
)
