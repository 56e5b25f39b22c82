"""France services: the public service offices that ANCT labels, each located in its commune.

``liste-fs-20240801.csv`` (ANCT, data.gouv.fr « liste des structures France services », as ANCT's
map anct-carto/france_services ships it): one row per office, ``id_fs`` (a bare number, the
``id_fs`` of ANCT's commune × programme table), ``lib_fs``, the address and its commune
(``insee_com``, ``insee_dep``), ``latitude``/``longitude``, ``type_fs`` (``Principal`` or
``Antenne``), ``format_fs`` (``Fixe``, ``Fixe_antenne(s)``, ``Multisites``, ``Bus_équivalent``,
``Itinérante``), ``groupe_fs`` (the group of offices, where the file names one) and the free text
``labellisation_fs`` (« Espace labellisé 01/01/2020 »).

Each office is ``id/france-services/{id_fs}``, a ``pvd:FranceServicesOffice`` labelled with its
name, ``pvd:locatedIn`` its commune, with ``pvd:officeType``, ``pvd:officeFormat`` and
``pvd:officeGroup`` as the file words them, ``pvd:labelledOn`` the date the free text gives (an
office whose text gives none has no date, counted in the figures) and its point (:meth:`Emitter.point`).
The commune takes part in programme ``france-services`` (:meth:`Emitter.participation`, no
convention: a label is no convention).

Where the commune is: an arrondissement municipal's code (``75112``) is located in its commune
(Paris), as the COG says; a former commune's code (a commune déléguée, ``93059`` Pierrefitte-sur-Seine)
in the current commune the COG names for it, with a warning line each; a code the COG does not know
is a rejected row. ``insee_dep`` is the département the office serves, not always its address's (office
440's bus serves the Eure from Rouen): not checked against the commune, not imported. Not imported: the address (kept to the commune), the e-mail and phone of the office
(contacts, ../shared/more-data/README.md), ``commentaire`` (free text that sometimes holds phone
numbers), the opening hours and ``prise_rdv`` (practical details that change week to week).
"""

from __future__ import annotations

import re
from pathlib import Path

from pvd_graph.identifiers import commune_iri
from pvd_graph.importers import common, readers
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import Emitter, Importer, ImportRun, RowError
from pvd_graph.importers.readers import BadValue
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, OX_DCTERMS, ids

#: the file at the commit of this vintage in ANCT's repository of the France services map
SOURCE_URL = "https://github.com/anct-carto/france_services/blob/77f42baa/data/liste-fs-20240801.csv"
ID, CODE, NAME = "id_fs", "insee_com", "lib_fs"
REQUIRED = (ID, CODE, NAME, "type_fs", "format_fs", "labellisation_fs")
#: the columns that never enter the graph: the office's contacts and free-text comment
CONTACT_COLUMNS = ("mail", "telephone", "commentaire")
PROGRAMME = "france-services"
_LABELLED = re.compile(r"labellis[ée]+\s+(?:le\s+)?(\d{1,2}/\d{1,2}/\d{4})", re.IGNORECASE)
NO_LABEL_DATE = "offices whose labellisation_fs gives no date"


def office_iri(office_id: str) -> str:
    """``id/france-services/{id_fs}``."""
    return ids.path(f"{PROGRAMME}/{office_id}")


def office_id(value: object) -> str:
    """The bare number ``id_fs`` (leading zeros dropped: ``007`` is office 7)."""
    text = readers.cell(value) or ""
    if not text.isdigit():
        raise BadValue("not an office number (expected digits)")
    return str(int(text))


def labelled_text(value: object) -> str | None:
    """The ``DD/MM/YYYY`` date of « Espace labellisé DD/MM/YYYY »; None when the text gives none."""
    m = _LABELLED.search(readers.cell(value) or "")
    return m.group(1) if m else None


def locate(code: str, run: ImportRun) -> tuple[str, str | None]:
    """(current commune of *code*, why it is not *code* itself or None); a :class:`RowError` when the COG
    knows no commune for it."""
    earlier = run.earlier
    if code in earlier.current_communes:
        return code, None
    town = (earlier.arrondissement_of or {}).get(code)
    if town is not None:
        return town, f"arrondissement municipal of commune {town}: the office is located in commune {town}"
    town = (earlier.merged_into or {}).get(code)
    if town is not None:
        return town, (f"former commune, now part of commune {town} in the COG 2026: the office is located "
                      f"in commune {town}")
    raise RowError(CODE, code, "not a commune of the COG 2026 (nor an arrondissement or former code of one)")


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    common.current_communes(run, "the France services list locates each office by its commune code")
    seen = common.Duplicates()
    undated = 0
    for line, row in common.csv_rows(data, result, REQUIRED):
        where = (file, line)
        try:
            number = common.required_cell(ID, row, office_id)
            seen.check(number, line, ID, number)
            code = common.required_cell(CODE, row, run.codes.insee)
            town_code, moved = locate(code, run)
            label = common.required_cell(NAME, row, readers.name)
            kind = common.required_cell("type_fs", row, readers.name)
            form = common.required_cell("format_fs", row, readers.name)
        except RowError as err:
            common.reject(result, file, line, err)
            continue
        if moved:
            result.warnings.append(Reject(file, line, CODE, code, moved))
        office = emit.entity(office_iri(number), OX.FranceServicesOffice)
        emit.label(office, label)
        emit.string(office, OX_DCTERMS.identifier, number)
        town = emit.entity(commune_iri(town_code), OX.Commune)
        emit.add(office, OX.locatedIn, town)
        emit.string(office, OX.officeType, kind)
        emit.string(office, OX.officeFormat, form)
        emit.string(office, OX.officeGroup, common.optional_cell("groupe_fs", row, readers.name, result, where))
        day = common.optional(
            "labellisation_fs", labelled_text(row.get("labellisation_fs")),
            lambda v: readers.date(v, run.today), result, where)
        if day is None:
            undated += 1
        emit.date(office, OX.labelledOn, day)
        lon = common.optional_cell("longitude", row, lambda v: readers.coordinate(v, -180, 180), result, where)
        lat = common.optional_cell("latitude", row, lambda v: readers.coordinate(v, -90, 90), result, where)
        if lon is not None and lat is not None:
            emit.point(office, lon, lat)
        emit.participation(town, "commune", town_code, PROGRAMME)
        result.rows_accepted += 1
    result.figures[NO_LABEL_DATE] = undated


def _sniff(path: Path, head: bytes) -> bool:
    return {ID, CODE, "labellisation_fs"} <= readers.header_columns(head)


IMPORTER = Importer(
    id="anct-france-services", title="Liste des structures France services (1er août 2024)", url=SOURCE_URL,
    licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-08",
    filenames=("liste-fs-*.csv",), sniff=_sniff, parse=parse, needs=("cog-communes",),
)
