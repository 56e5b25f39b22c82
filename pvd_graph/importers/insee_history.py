"""INSEE's tables of commune mergers and splits: the communes that no longer exist and what succeeded them.

Two tables of the geographic code's history (copies in ``../shared/more-data``: ``fusions.csv`` and
``scissions.csv`` of MTES-MCT/zero-logement-vacant), one row per commune before the change:
``ANNEE_MODIF`` (a year only), ``COM_INI`` (the commune before), ``COM_FIN`` (the commune after),
``LIB_COM_INI``, ``LIB_COM_FIN``. ``COM_INI`` lost its leading zero in some rows (``8053`` = ``08053``):
a four-digit code is read with its zero restored (counted: :data:`RESTORED`).

What each row gives (ontology/README.md, "Communes through time"):

* the commune before the change, a ``pvd:FormerCommune``: ``commune/{code}`` when the code is no
  longer current in the COG of the same import; a **versioned IRI** ``commune/{code}-until-{year}``
  when the code still names a current commune (a commune nouvelle kept the code of its chef-lieu, as
  Hesdin-la-Forêt kept Hesdin's 62447; a part of a split commune kept it): one IRI cannot stand
  for two communes. It has the name the table gives, ``pvd:formerInseeCode``, ``pvd:validUntil``
  (1 January of ``ANNEE_MODIF``: INSEE's changes take effect on 1 January in nearly all cases; the
  day is inferred, the year as given is kept in ``pvd:modificationYear``) and
  ``dcterms:isReplacedBy`` the commune after; that commune ``dcterms:replaces`` it.
* a merger row whose ``COM_INI`` is its ``COM_FIN`` is the chef-lieu, whose code the merged commune
  keeps. When the current commune of that code has a SIREN of its own series (not the
  ``21{dep}0{com}…`` of the communes that predate the communes nouvelles), it is a new legal person:
  the chef-lieu before the merger is a versioned former commune. Otherwise (its SIREN is the old
  one: the commune absorbed the others and goes on) no former resource is made, and the row is
  counted as such.

The commune *after* a change of year Y is the version of its code valid from Y: a later change of
the same code makes that a versioned former commune too, so chains (a commune nouvelle of 2016
merged again in 2019) are followed link by link.

The cross-check: following ``dcterms:isReplacedBy`` from each former commune to a current one must
reach the current commune whose ``anciensCodes`` (COG) list the former code; a disagreement, or a
former code that the COG does not list, is reported (warning line), never corrected.

The tables end with 2024. :data:`LATER_MERGERS` adds the merger that created Hesdin-la-Forêt on
1 January 2025 (the 2021 PVD list's Hesdin, and four ORT rows), from the sources it names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

import pyoxigraph as ox

from pvd_graph.importers import history, readers
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import (Duplicates, Emitter, Importer, ImportRun, RowError, check, csv_rows, reject,
                                        required_cell)
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, OX_DCTERMS, OX_XSD, ids

# the reader lower-cases header names
YEAR, INI, FIN, LIB_INI, LIB_FIN = "annee_modif", "com_ini", "com_fin", "lib_com_ini", "lib_com_fin"
REQUIRED = (YEAR, INI, FIN, LIB_INI, LIB_FIN)
#: where the copies held here come from (MTES-MCT/zero-logement-vacant, from INSEE's COG tables)
MERGERS_URL = "https://raw.githubusercontent.com/MTES-MCT/zero-logement-vacant/main/analytics/dbt/seeds/fusions.csv"
SPLITS_URL = "https://raw.githubusercontent.com/MTES-MCT/zero-logement-vacant/main/analytics/dbt/seeds/scissions.csv"

#: Mergers after the tables' last year (2024), each row as the tables would give it, with its sources:
#: Hesdin, Huby-Saint-Leu, Marconne and Sainte-Austreberthe formed the commune nouvelle of Hesdin-la-Forêt
#: on 1 January 2025 (France 3 Hauts-de-France, 2025-01-05; the COG 2026 gives 62447 "Hesdin-la-Forêt",
#: a new SIREN and ``anciensCodes`` 62461 62549 62743; the COG 2023 still has the four communes).
LATER_MERGERS: tuple[tuple[tuple[str, str, str, str, str], ...], tuple[str, ...]] = (
    (("2025", "62447", "62447", "Hesdin", "Hesdin-la-Forêt"),
     ("2025", "62461", "62447", "Huby-Saint-Leu", "Hesdin-la-Forêt"),
     ("2025", "62549", "62447", "Marconne", "Hesdin-la-Forêt"),
     ("2025", "62743", "62447", "Sainte-Austreberthe", "Hesdin-la-Forêt")),
    ("https://france3-regions.francetvinfo.fr/hauts-de-france/pas-calais/"
     "la-nouvelle-commune-a-choisi-son-tout-premier-maire-hesdin-la-foret-demarre-une-autre-histoire-3086116.html",),
)

#: the figure of the codes of four digits read with their leading zero
RESTORED = "codes read with their leading zero restored (8053 = 08053)"
_YEAR = re.compile(r"(19|20)[0-9]{2}")


def former_iri(code: str, year: str) -> str:
    """The versioned IRI of the commune that bore *code* until 1 January of *year*."""
    return ids.commune(f"{code}-until-{year}")


def _old_siren(code: str, siren: str) -> bool:
    """Whether *siren* is of the series of the communes that predate the communes nouvelles:
    ``21`` + département (2A/2B as 20) + ``0`` + the commune's three digits + a check digit."""
    c = code.replace("2A", "20").replace("2B", "20")
    return len(siren) == 9 and siren[:2] == "21" and siren[2:4] == c[:2] and siren[4] == "0" and siren[5:8] == c[2:]


def _code(field: str, value: str, run: ImportRun) -> str:
    text = (value or "").strip()
    if text.isdigit() and len(text) == 4:
        text = "0" + text  # the leading zero lost by a spreadsheet
    return check(field, text, run.codes.insee)


def _parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun, merger: bool) -> None:
    file = str(result.source.path)
    current = run.earlier.current_communes
    if current is None:
        raise SourceError("the INSEE history tables need the COG communes file (communes.json) in the same "
                          "import to tell which codes are still current")
    siren_of = {code: siren for siren, code in (run.earlier.commune_by_siren or {}).items()}
    rows: list[tuple[int | str, str, str, str, str, str]] = []
    restored = 0
    seen = Duplicates()
    for line, row in csv_rows(data, result, REQUIRED):
        try:
            year = required_cell(YEAR, row, str.strip)
            if not _YEAR.fullmatch(year):
                raise RowError(YEAR, year, "not a year (four digits)")
            ini, fin = _code(INI, row.get(INI), run), _code(FIN, row.get(FIN), run)
            restored += len((row.get(INI) or "").strip()) == 4
            seen.check((year, ini, fin), line, INI, ini)
            names = required_cell(LIB_INI, row, readers.name), required_cell(LIB_FIN, row, readers.name)
        except RowError as err:
            reject(result, file, line, err)
            continue
        rows.append((line, year, ini, fin, *names))
        result.rows_accepted += 1
    if restored:  # the build prints "how it was read" in its summary; the manifest records the figures
        result.figures[RESTORED] = restored
        result.reading += f"; {restored} {RESTORED}"
    later: list[tuple[int | str, ...]] = []
    if merger:
        later = [(SUPPLEMENT, *r) for r in LATER_MERGERS[0]]
    else:  # the merger table, imported next, names the versions of a code that a split ended
        run.earlier.split_ends = defaultdict(set)
        for _, year, ini, *_ in rows:
            run.earlier.split_ends[ini].add(year)
    for _, _, ini, fin, *_ in rows + later:  # the older COG vintages make no former commune of these
        history.record(run, history.TABLED, "insee", ini, "")
        history.record(run, history.TABLED, "insee", fin, "")
    versions = _Versions(rows + later, current, siren_of, merger, run.earlier.split_ends or {})
    kept = 0
    replaced_by: dict[str, str] = {}
    line_of: dict[str, int | str] = {}  # the row of each former commune, and of each code's last "after"
    for line, year, ini, fin, lib_ini, _ in rows + later:
        if year not in versions.ends.get(ini, ()):
            kept += 1  # a chef-lieu that goes on under its code and its IRI
            continue
        f = emit.entity(versions.ended(ini, year), OX.FormerCommune)
        if f.value == ids.commune(ini):  # the code's last commune, for the rows of communes merged since (anct-ort)
            history.record(run, history.FORMER, "insee", ini, f.value)
        emit.label(f, lib_ini)
        emit.string(f, OX.formerInseeCode, ini)
        emit.date(f, OX.validUntil, dt.date(int(year), 1, 1))
        emit.add(f, OX.modificationYear, ox.Literal(year, datatype=OX_XSD.gYear))
        s = emit.node(versions.valid_from(fin, year))
        emit.add(f, OX_DCTERMS.isReplacedBy, s)
        emit.add(s, OX_DCTERMS.replaces, f)
        if line == SUPPLEMENT:
            for url in LATER_MERGERS[1]:
                emit.add(f, OX_DCTERMS.source, emit.node(url))
        replaced_by.setdefault(f.value, s.value)  # a split has several; the cross-check follows one
        line_of.setdefault(f.value, line)
        line_of[fin] = line
    for code in sorted(versions.open):
        history.record(run, history.TABLED, "insee", code, history.OPEN)  # an older COG vintage may bound its end
        f = emit.entity(ids.commune(code), OX.FormerCommune)
        emit.string(f, OX.formerInseeCode, code)
        result.noted.append(Reject(file, line_of.get(code, ""), FIN, code, (
            f"noted, nothing dropped: commune {code} is the commune after a change of {versions.last_after[code]}, but the table gives "
            f"it no later end and the COG of this import has no commune {code}: a former commune whose end is "
            "not dated (its link to a current commune stops there, unless an older COG vintage of the import shows it "
            "and a current commune lists it in its anciensCodes: then that commune replaces it)")))
    if kept:
        result.figures["chef-lieu rows whose commune goes on (old SIREN kept): no former resource"] = kept
    if merger:
        _cross_check(replaced_by, line_of, run, result, file)


#: the line "number" of a row of :data:`LATER_MERGERS`
SUPPLEMENT = "(supplement)"


class _Versions:
    """Which resource denotes the commune of a code before and after each change of a table.

    ``ends[code]``: the years in which a commune of *code* ended (this table's changes, and the
    splits' when this is the merger table). The commune that ended in the code's last year is
    ``commune/{code}`` when the code is not current and that last end is a merger (the code's last
    commune); any other is versioned, ``commune/{code}-until-{year}``. A split commune is always
    versioned (the merger table may end a later commune of the same code). A code that is not
    current but is the commune *after* a change at or after its last end has a commune the table
    never ends: ``commune/{code}`` is that one (``open``), all its ended ones are versioned.
    """

    def __init__(self, rows, current: set[str], siren_of: dict[str, str], merger: bool,
                 split_ends: dict[str, set[str]]):
        self.current, self.merger, self.split_ends = current, merger, split_ends
        self.ends: dict[str, set[str]] = defaultdict(set)
        self.last_after: dict[str, str] = {}
        for _, year, ini, fin, *_ in rows:
            # a chef-lieu row ends the chef-lieu only when the merged commune is a new legal person
            if ini != fin or not merger or not _old_siren(ini, siren_of.get(ini, "")):
                self.ends[ini].add(year)
            self.last_after[fin] = max(year, self.last_after.get(fin, year))
        if merger:
            for code, years in split_ends.items():
                self.ends[code] |= years
        self.open = {code for code, year in self.last_after.items()
                     if code not in current and year >= max(self.ends.get(code) or {""})}

    def ended(self, code: str, year: str) -> str:
        """The commune of *code* that ended on 1 January of *year*."""
        own = self.merger and year not in self.split_ends.get(code, ())
        if own and code not in self.current and code not in self.open and year == max(self.ends[code]):
            return ids.commune(code)
        return former_iri(code, year)

    def valid_from(self, code: str, year: str) -> str:
        """The commune of *code* valid from 1 January of *year* (as far as this table knows)."""
        after = sorted(y for y in self.ends.get(code, ()) if y > year)
        return self.ended(code, after[0]) if after else ids.commune(code)


def _cross_check(replaced_by: dict[str, str], line_of: dict[str, int | str], run: ImportRun, result: ImportResult,
                 file: str) -> None:
    """Compare where each former commune leads with the COG's ``anciensCodes``; report each difference."""
    listed = run.earlier.merged_into or {}
    prefix = ids.commune("")
    outcome: Counter[str] = Counter()
    for former, nxt in replaced_by.items():
        code = former[len(prefix):].split("-until-")[0]
        hops = 0
        while nxt in replaced_by and hops < 50:
            nxt, hops = replaced_by[nxt], hops + 1
        now = nxt[len(prefix):].split("-until-")[0]  # a split commune's code goes on in the part that keeps it
        cog = listed.get(code)
        if cog == now or code == now:
            outcome["lead where the COG anciensCodes say"] += 1
        elif cog is None:
            outcome["lead to a commune, but no current commune of the COG lists the former code"] += 1
            result.noted.append(Reject(file, line_of[former], INI, code, (
                f"noted, nothing dropped: former commune {code} leads to {now}, but no current commune of the COG lists {code} "
                "among its anciensCodes (its code was given back, e.g. by a split)")))
        else:
            outcome["lead elsewhere than the COG anciensCodes say"] += 1
            result.noted.append(Reject(file, line_of[former], INI, code, (
                f"noted, nothing dropped: former commune {code} leads to {now} by this table, to {cog} by the COG's anciensCodes: "
                "both kept as their sources give them")))
    for what, n in outcome.items():
        result.figures[f"former communes whose successors {what}"] = n


def parse_mergers(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    _parse(data, result, emit, run, merger=True)


def parse_splits(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    _parse(data, result, emit, run, merger=False)


def _importer(id_: str, title: str, url: str, patterns: tuple[str, ...], parse, needs: tuple[str, ...]) -> Importer:
    return Importer(
        id=id_, title=title, url=url, licence=LICENCE_ETALAB_2, publisher="insee", vintage="2024",
        # both tables have the same columns: recognised by their names only
        filenames=patterns, sniff=lambda path, head: False, parse=parse, needs=needs,
    )


MERGERS = _importer("insee-fusions", "Fusions de communes (table INSEE du code officiel géographique)",
                    MERGERS_URL, ("insee_fusions_communes*.csv", "fusions.csv"), parse_mergers,
                    ("cog-communes", "insee-scissions"))
SPLITS = _importer("insee-scissions", "Scissions de communes (table INSEE du code officiel géographique)",
                   SPLITS_URL, ("insee_scissions_communes*.csv", "scissions.csv"), parse_splits,
                   ("cog-communes",))
#: the splits first: the merger table names the versions of a code that a split ended
IMPORTERS = (SPLITS, MERGERS)
