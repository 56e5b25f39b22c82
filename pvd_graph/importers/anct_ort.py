"""The DGALN/ANCT tracking table of the *Opérations de revitalisation de territoire* (ORT).

Official layout: an XLSX workbook, sheet « Suivi conventions » (data.gouv.fr dataset
``63c69d70de98bf9a1fa11948``), one row per commune; a CSV export of it with the same columns
is read the same way (both give the same triples, tested). Columns read: ``Commune``
(``"DD - Name"``, only for labels), ``EPCI`` (a name), ``Code commune`` (INSEE),
``Signée ?`` (``Signée``, ``Non signée``, ``En cours`` or empty), ``Si signée, date de
signature`` (ISO), ``Si non signée, date de signature envisagée`` (free text: « 4e trimestre
2023 »), ``Durée (en années)`` (``0`` = not filled in), ``Date de fin estimée``
(``DD-MM-YYYY``), ``longitude`` and ``latitude`` (WGS84 degrees: the town's point, as GeoSPARQL
through :meth:`Emitter.point`; an impossible one, not a number or out of range, is dropped with a
warning). Never read: ``Remarques`` and ``Actualisé par`` (they name people), the flags and
``Avancement``.

The model (ontology/README.md, "The ORT"): the ORT is an operation (``pvd:ORT`` at
``ort/{key}``), not a programme. Grouping rule: the ``Signée`` rows of one EPCI with the same
signature date are one operation set up by one convention; every other row (not signed, in
progress, unknown status, or signed without a date) is an operation of its own. The EPCI is
the commune's EPCI in the geographic code (the table gives only a name): the importer
``needs`` ``cog-communes`` and ``cog-epci``; a table name that is not the COG's name of that
EPCI is reported (``value dropped``) and the COG's EPCI is used. Keys: ``{EPCI SIREN}-{date}``
for a dated group, ``{INSEE}`` for a single undated row.

A signed operation has a ``pvd:ORTConvention`` at ``convention/ort-{key}``: ``pvd:signedOn``,
``pvd:durationYears`` (when not 0), ``pvd:estimatedEnd``, ``pvd:concerns`` the communes and
signatories as L303-2 states them (the State, the EPCI, the communes of the group): inferred
from the law, not read from the table, so the convention also carries ``prov:wasDerivedFrom``
the article and a ``skos:editorialNote`` saying so. Every covered commune, signed or not, has its
participation (:meth:`Emitter.participation`, programme ``ort``: status the table's, joined through
its operation's convention when signed), with the shortcut ``pvd:participatesIn programme/ort``
(the national scheme node the queries name). Titles: « Convention d'ORT — Albertville, Ugine (CA
Arlysère) », the operation's likewise (the towns of the group in the table's order, their EPCI in
the COG). The grouping figures (:func:`group_counts`) are the result's ``figures`` (the manifest).

A row of a commune merged since (not in the COG 2026, in the COG 2023: the rows were written from
2022-12 to 2024-09) is read in the code of 2023 (:mod:`pvd_graph.importers.vintage`): the
participation is that of the former commune (never typed ``pvd:Commune``; ``pvd:carriedOnBy`` its
successor, derived), its EPCI its EPCI of 2023 when that EPCI is current, so that it joins the
convention of its EPCI and date; the row is noted (``rejects.csv``), no longer rejected. This needs the
former commune dated by INSEE's tables (:mod:`pvd_graph.importers.insee_history`, imported before this
table): a merger they do not date (16226, 72287: 2025 or 2026, after the tables) and, without the COG 2023
in the import, every such row is rejected, naming the commune it is now part of.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pvd_graph.identifiers import (
    commune_iri,
    convention_iri,
    epci_iri,
    organisation_iri,
    programme_iri,
)
from pvd_graph.importers import history, readers, vintage
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import (
    Duplicates,
    Emitter,
    Importer,
    ImportRun,
    RowError,
    csv_rows,
    epci_classes,
    not_current,
    optional,
    optional_cell,
    reject,
    required_cell,
)
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import CCH_L303_2, LICENCE_ETALAB_2, OX, OX_PROV, OX_SKOS, ids

DATASET_URL = "https://www.data.gouv.fr/fr/datasets/63c69d70de98bf9a1fa11948/"
#: the code the rows of communes merged since are read in: the rows were written from 2022-12 to 2024-09
MERGED_CODE_YEAR = "2023"
RESOURCE_URL = "https://www.data.gouv.fr/fr/datasets/r/ec3eb2fc-c7a6-4c9f-b9ee-b471ed88e6fc"
SHEET = "Suivi conventions"

CODE, EPCI, STATUS = "code commune", "epci", "signée ?"
SIGNED, PLANNED = "si signée, date de signature", "si non signée, date de signature envisagée"
DURATION, END, NAME = "durée (en années)", "date de fin estimée", "commune"
LONGITUDE, LATITUDE = "longitude", "latitude"
REQUIRED = (CODE, EPCI, STATUS, SIGNED)
STATUSES = ("Signée", "Non signée", "En cours")
#: EPCI cells that say the commune has none (L'Île-d'Yeu)
NO_EPCI = {"sans objet"}
#: the planned-date cell that says there is none
NO_PLAN = {"pas de date de signature envisagée"}
SIGNATORIES_NOTE = ("Signataires déduits de l'article L303-2 du code de la construction et de l'habitation "
                    "(l'État, l'EPCI et les communes de l'opération), non lus dans le tableau de suivi.")


@dataclass
class _Operation:
    key: str
    epci: str | None
    status: str | None
    signed: dt.date | None = None
    planned: str | None = None
    duration: int | None = None
    end: dt.date | None = None
    first: int = 0
    towns: list[tuple[str, str | None]] = field(default_factory=list)  # (INSEE, name)
    points: dict[str, tuple[float, float]] = field(default_factory=dict)  # INSEE → (longitude, latitude)


def _fold(text: str) -> str:
    """A name compared without accents, case, punctuation or ``œ``/``oe`` differences."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if ch.isalnum())


def _end_date(value: object) -> dt.date | None:
    """``DD-MM-YYYY`` (the table's form), or any form :func:`readers.date` reads; may be in the future."""
    text = readers.cell(value)
    if text is None:
        return None
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})-(\d{4})", text)
    if m:
        text = f"{m[1]}/{m[2]}/{m[3]}"
    return readers.date(text, dt.date.max)


def _town_name(value: object) -> str | None:
    """``"73 - Albertville"`` → ``Albertville``."""
    text = readers.name(value)
    if text is None:
        return None
    return re.sub(r"^\S{2,3} - ", "", text)


# --- reading the workbook ---------------------------------------------------------------------

def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.strftime("%d-%m-%Y %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes, result: ImportResult):
    """(row number, {column: text}) of the sheet « Suivi conventions », as the CSV reader gives them."""
    try:
        import openpyxl
    except ImportError:  # a dependency of the package: only a broken installation lacks it
        raise SourceError("reading an XLSX workbook needs openpyxl (pip install openpyxl)") from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file  # noqa: BLE001
        raise SourceError(f"not a readable XLSX workbook: {type(exc).__name__}: {exc}") from None
    try:
        if SHEET not in book.sheetnames:
            raise SourceError(f"no sheet {SHEET!r} (sheets: {', '.join(book.sheetnames)})")
        rows = book[SHEET].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise SourceError(f"sheet {SHEET!r} is empty")
        columns = [_xlsx_text(c).strip().lower() for c in header]
        for name in REQUIRED:
            if name not in columns:
                raise SourceError(f"missing required column {name!r} (found: {', '.join(columns)})")
        result.reading = f"xlsx, sheet {SHEET!r}"
        for n, cells in enumerate(rows, start=2):
            texts = [_xlsx_text(c) for c in cells]
            if not any(t.strip() for t in texts):
                continue
            result.rows_read += 1
            yield n, dict(zip(columns, texts + [""] * (len(columns) - len(texts))))
    finally:
        book.close()


def _rows(data: bytes, result: ImportResult):
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, result)
    return csv_rows(data, result, REQUIRED)


# --- parsing ----------------------------------------------------------------------------------

def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    earlier = run.earlier
    if earlier.current_communes is None or earlier.epci_of_commune is None:
        raise SourceError("the ORT table names EPCI, not SIREN: it needs the COG communes and EPCI files "
                          "(communes.json, epci.json) in the same import")
    seen = Duplicates()
    # a commune merged since the rows were written (2022-2024) is read in the code of 2023 (pvd_graph.importers.vintage)
    older = vintage.older_code(run, MERGED_CODE_YEAR) or vintage.Code(MERGED_CODE_YEAR, False, {}, {})
    formers = history.former_communes(run)  # dated by INSEE's tables, or bounded by the COG vintages
    groups: dict[tuple[str, dt.date], _Operation] = {}
    operations: list[_Operation] = []
    for line, row in _rows(data, result):
        where = (file, line)
        try:
            code = required_cell(CODE, row, run.codes.insee)
            seen.check(code, line, CODE, code)
            if code not in earlier.current_communes and (code not in older.communes or code not in formers):
                raise RowError(CODE, code, not_current(code, earlier).reason + (
                    f"; a commune of the COG {older.year} of which this import holds no former commune: not imported"
                    if code in older.communes else ""))  # names the commune it is part of
            status = readers.cell(row.get(STATUS))
            if status is not None and status not in STATUSES:
                raise RowError(STATUS, status, f"unknown status (expected {', '.join(STATUSES)} or empty)")
            town = _town_name(row.get(NAME)) if readers.cell(row.get(NAME)) else None
        except (RowError,) as err:
            reject(result, file, line, err)
            continue
        except readers.BadValue as exc:
            reject(result, file, line, RowError(NAME, row.get(NAME), str(exc)))
            continue
        signed = optional_cell(SIGNED, row, lambda v: readers.date(v, run.today), result, where)
        if signed is not None and status != "Signée":
            result.warnings.append(Reject(file, line, SIGNED, signed.isoformat(),
                                          f"a signature date on a row whose status is {status or 'empty'!r}: "
                                          "date dropped, status kept"))
            signed = None
        if code not in earlier.current_communes:
            result.noted.append(Reject(file, line, CODE, code, vintage.merged_since(code, older, earlier)))
        epci = _epci(row, code, earlier, result, where, older)
        planned = readers.cell(row.get(PLANNED))
        if planned is not None and (status == "Signée" or planned.lower() in NO_PLAN):
            planned = None
        duration = optional_cell(DURATION, row, readers.integer, result, where) or None  # 0: not filled in
        end = optional_cell(END, row, _end_date, result, where)
        if status != "Signée":
            for name, value in ((DURATION, duration), (END, end)):
                if value is not None:
                    result.warnings.append(Reject(file, line, name, str(value),
                                                  "duration or end date of an operation without a signed "
                                                  "convention: value dropped"))
            duration = end = None

        if status == "Signée" and signed is not None and epci is not None:
            op = groups.get((epci, signed))
            if op is None:
                op = groups[(epci, signed)] = _Operation(f"{epci}-{signed.isoformat()}", epci, status, signed,
                                                         first=line)
                operations.append(op)
            else:
                for name, kept, value in ((DURATION, op.duration, duration), (END, op.end, end)):
                    if value is not None and kept is not None and value != kept:
                        result.warnings.append(Reject(
                            file, line, name, str(value),
                            f"differs from line {op.first} of the same convention ({kept}); the first is kept"))
        else:
            op = _Operation(code, epci, status, signed, planned, first=line)
            operations.append(op)
        op.duration = op.duration if op.duration is not None else duration
        op.end = op.end if op.end is not None else end
        op.towns.append((code, town))
        point = _point(row, result, where)
        if point is not None:
            op.points[code] = point
        result.rows_accepted += 1
    _emit(emit, operations, earlier.epci_names or {}, earlier.epci_types or {}, earlier.current_communes)
    # the build prints "how it was read" in its summary and the manifest records the figures
    result.figures.update(group_counts(operations))
    result.reading += "; " + ", ".join(f"{n} {what}" for what, n in result.figures.items())


def _point(row: dict, result: ImportResult, where: tuple[str, int]) -> tuple[float, float] | None:
    """The row's (longitude, latitude), or None: an impossible one (not a number, out of range, one
    coordinate without the other) is dropped with one warning, the rest of the row kept."""
    lon_text, lat_text = readers.cell(row.get(LONGITUDE)), readers.cell(row.get(LATITUDE))
    if lon_text is None and lat_text is None:
        return None
    if lon_text is None or lat_text is None:
        present = LONGITUDE if lon_text is not None else LATITUDE
        result.warnings.append(Reject(where[0], where[1], present, row.get(present) or "",
                                      "a coordinate without the other: point dropped, rest of the row kept"))
        return None
    lon = optional(LONGITUDE, lon_text, lambda v: readers.coordinate(v, -180, 180), result, where)
    if lon is None:
        return None
    lat = optional(LATITUDE, lat_text, lambda v: readers.coordinate(v, -90, 90), result, where)
    return None if lat is None else (lon, lat)


def _epci(row: dict, code: str, earlier, result: ImportResult, where: tuple[str, int], older: vintage.Code) -> str | None:
    """The commune's EPCI in the COG; a table name that is not that EPCI's is reported. A commune merged since
    has its EPCI of the code of 2023 when that EPCI is current (the ORT of its successor's EPCI)."""
    siren = earlier.epci_of_commune.get(code)
    if siren is None and code not in earlier.current_communes:
        was = sorted(e for e in older.epci_of.get(code, ()) if e in (earlier.epci_names or {}))
        siren = was[0] if len(was) == 1 else None
    name = readers.cell(row.get(EPCI))
    if siren is None:
        if name is not None and name.lower() not in NO_EPCI:
            result.warnings.append(Reject(where[0], where[1], EPCI, name,
                                          f"commune {code} is in no EPCI in the COG: EPCI name not used"))
        return None
    cog_name = (earlier.epci_names or {}).get(siren, "")
    if name is None or name.lower() in NO_EPCI:
        result.warnings.append(Reject(where[0], where[1], EPCI, name or "",
                                      f"no EPCI in the table; the COG's EPCI of commune {code} is used: "
                                      f"{siren} ({cog_name})"))
    elif _fold(name) != _fold(cog_name):
        result.warnings.append(Reject(where[0], where[1], EPCI, name,
                                      f"not the name of commune {code}'s EPCI in the COG, {siren} ({cog_name}): "
                                      "the table's name is not used, the COG's EPCI is"))
    return siren


def _label(op: _Operation, epci_names: dict[str, str], what: str) -> str:
    """« Convention d'ORT — Albertville, Ugine (CA Arlysère) »: a group's towns are its own (one row per
    commune), so two operations never share a title."""
    towns = ", ".join(name or code for code, name in op.towns)
    return f"{what} — {towns}" + (f" ({epci_names[op.epci]})" if op.epci in epci_names else "")


def _emit(emit: Emitter, operations: list[_Operation], epci_names: dict[str, str],
          epci_types: dict[str, str], current: set[str]) -> None:
    programme = emit.node(programme_iri("ort"))
    state = emit.node(organisation_iri("etat"))
    law = emit.node(CCH_L303_2)
    for op in operations:
        o = emit.entity(ids.ort(op.key), OX.ORT)
        emit.label(o, _label(op, epci_names, "Opération de revitalisation de territoire"))
        emit.string(o, OX.ortStatus, op.status)
        emit.string(o, OX.plannedSigning, op.planned)
        # the COG's EPCI of the communes, typed as the COG types it (the Métropole de Lyon is no EPCI)
        epci = (emit.entity(epci_iri(op.epci), *(epci_classes(epci_types[op.epci]) if op.epci in epci_types
                                                 else (OX.EPCI,))) if op.epci else None)
        # a commune merged since stays the former commune, never typed current (pvd_graph.importers.vintage)
        towns = [emit.entity(commune_iri(code), OX.Commune) if code in current else emit.node(commune_iri(code))
                 for code, _ in op.towns]
        signed = op.status == "Signée"
        c = emit.entity(convention_iri(f"ort-{op.key}"), OX.Convention, OX.ORTConvention) if signed else None
        for (code, _), town in zip(op.towns, towns):
            emit.add(o, OX.concerns, town)
            emit.participation(town, "commune", code, "ort", joined_through=c, status=op.status)
            if code in op.points:
                emit.point(town, *op.points[code])
        if epci is not None:
            emit.add(o, OX.concerns, epci)
        if c is None:
            continue
        emit.add(c, OX_PROV.wasDerivedFrom, law)
        emit.label(c, _label(op, epci_names, "Convention d'ORT"))
        emit.add(c, OX.underProgramme, programme)
        emit.date(c, OX.signedOn, op.signed)
        emit.integer(c, OX.durationYears, op.duration)
        emit.date(c, OX.estimatedEnd, op.end)
        emit.add(o, OX.establishedBy, c)
        for town in towns:
            emit.add(c, OX.concerns, town)
            emit.add(c, OX.signatory, town)
        if epci is not None:
            emit.add(c, OX.signatory, epci)
        emit.add(c, OX.signatory, state)
        emit.add(c, OX_SKOS.editorialNote, _fr(SIGNATORIES_NOTE))


def _fr(text: str):
    import pyoxigraph as ox

    return ox.Literal(text, language="fr")


def group_counts(operations: list[_Operation]) -> dict[str, int]:
    """The grouping's figures (the build log and the manifest): operations, signed conventions, dated
    (EPCI, date) groups and those of several communes, signed rows without a date, operations not signed."""
    dated = [op for op in operations if op.signed is not None]
    return {
        "operations": len(operations),
        "signed conventions": sum(op.status == "Signée" for op in operations),
        "dated (EPCI, date) groups": len(dated),
        "groups of several communes": sum(len(op.towns) > 1 for op in dated),
        "signed without a date": sum(op.status == "Signée" and op.signed is None for op in operations),
        "operations not signed": sum(op.status != "Signée" for op in operations),  # Non signée, En cours, empty
    }


def _sniff(path: Path, head: bytes) -> bool:
    if head[:4] == b"PK\x03\x04":  # an Office Open XML workbook: is there a sheet « Suivi conventions »?
        import html
        import zipfile

        try:
            with zipfile.ZipFile(path) as z:
                workbook = z.read("xl/workbook.xml").decode("utf-8", errors="replace")
        except (OSError, KeyError, zipfile.BadZipFile):
            return False
        return f'name="{SHEET}"' in html.unescape(workbook)
    columns = readers.header_columns(head)
    return {CODE, STATUS, EPCI} <= columns  # (the split of the first line is naive: no quoted column)


IMPORTER = Importer(
    id="anct-ort", title="Opérations de revitalisation de territoire : suivi des conventions (DGALN/ANCT)",
    url=RESOURCE_URL, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2024-10",
    filenames=("ort_*.csv", "ort_*.xlsx", "*suivi*conventions*.csv", "*suivi*conventions*.xlsx"),
    sniff=_sniff, parse=parse, needs=("cog-communes", "cog-epci"),
)
