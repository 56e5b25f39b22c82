"""The ANCT commune × programme table ("ngeo", COG 2023): which CRTE covers each commune, and the
commune's ids in the other programmes the build cross-checks.

One row per commune of the COG 2023 (``insee_com``, ``lib_com``) and one column per ANCT
programme holding the commune's id(s) in it (``id_pvd``, ``id_ti``, ``id_crte``, ``id_acv``…),
several values joined by ``" ; "``; ids only, no labels.

``id_crte``: each id is the CRTE contract ``convention/crte-{slug}``
(the slug of :func:`pvd_graph.importers.crte.crte_slug`, as the CRTE list names it), which
``pvd:concerns`` the commune, and the commune's participation in programme ``crte``
(:meth:`Emitter.participation`) is joined through it and ``pvd:listedIn`` this table.

``id_pvd``, ``id_ti``, ``id_acv``, ``id_acv2``, ``id_va``, ``id_fs`` (France services offices, the
``id_fs`` of the France services list) (:data:`CHECKED`): the table's entry of a
current commune in that programme, ``<commune#ngeo-{programme}>`` a ``pvd:TableEntry``
(``pvd:entryOf`` the commune, ``pvd:entryIn`` the programme, ``dcterms:identifier`` each id), never a
participation: the table is one more account of who is in a programme, which the build compares
with the programme's own files (:mod:`pvd_graph.build.derive_ngeo`, lines in ``conflicts.csv``)
rather than merging it into their participations (its vintage would date them). The other programme
columns are left for a later step: each non-empty one is reported (a line per column in
``rejects.csv``, with its count), never skipped silently; so are the values of checked columns on
codes that are not current communes (not compared).

The table is read in the geographic code of its vintage, the COG 2023, when the import holds it
(``cog-2023/``, :mod:`pvd_graph.importers.vintage`; else in the current code, the build saying so
in either case). A row whose code is not a commune of that code is rejected. A commune of the COG
2023 that is not current (merged since) is not rejected nor re-pointed: its table entries and its
CRTE participation are those of the former commune ``commune/{code}`` (never typed ``pvd:Commune``;
INSEE's tables make it a ``pvd:FormerCommune`` and the build derives its ``pvd:carriedOnBy``, as for
the 2024 PVD lists), the row noted; the CRTE contract does not ``pvd:concerns`` it (the CRTE
coverage is cross-checked in the current code, :mod:`pvd_graph.build.derive_crte`). Read in the
current code, such a row's CRTE is rejected and its programme ids are counted, not compared.

A row without ``id_crte`` (overseas collectivities, a few others) is skipped by design and
counted.
"""

from __future__ import annotations

from pathlib import Path

from pvd_graph.identifiers import commune_iri, convention_iri
from pvd_graph.importers import readers, vintage
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers import common
from pvd_graph.importers.common import Emitter, Importer, ImportRun, RowError
from pvd_graph.importers.crte import crte_slug, split_cell
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import OX, OX_DCTERMS, ids

#: where the copy held here comes from (the table is ANCT's internal one; no licence is stated upstream)
ORIGIN_URL = ("https://raw.githubusercontent.com/MTES-MCT/zero-logement-vacant/main/"
              "analytics/dbt/seeds/ngeo-anct-cog2023.csv")
CODE, CRTE = "insee_com", "id_crte"
REQUIRED = (CODE, CRTE)
#: columns that are no programme id
_NOT_PROGRAMMES = {CODE, "lib_com"}
NO_CRTE = "no CRTE id (id_crte empty): nothing to import for the CRTE"
#: column → programme slug of the columns whose entries the build cross-checks with the programme's files
CHECKED = {"id_pvd": "pvd", "id_ti": "ti", "id_acv": "acv", "id_acv2": "acv2", "id_va": "va",
           "id_fs": "france-services"}
NOT_CURRENT = "values on COG 2023 codes that are not current communes (merged or renumbered since): not compared"
#: the geographic code of the table's vintage (its name says it: ``cog2023``)
CODE_YEAR = "2023"


def entry_iri(insee: str, programme: str) -> str:
    """``<commune/{insee}#ngeo-{programme}>``: the table's entry of the commune in the programme."""
    return ids.fragment(commune_iri(insee), f"ngeo-{programme}")


def _entries(emit: Emitter, town, code: str, row: dict) -> None:
    for column, programme in CHECKED.items():
        values = split_cell(row.get(column))
        if values:
            e = emit.entity(entry_iri(code, programme), OX.TableEntry)
            emit.add(e, OX.entryOf, town)
            emit.add(e, OX.entryIn, emit.node(ids.programme(programme)))
            for value in values:
                emit.string(e, OX_DCTERMS.identifier, value)


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    current = run.earlier.current_communes
    if current is None:
        raise SourceError("the ngeo table's codes are COG 2023: it needs the COG communes file "
                          "(communes.json) in the same import to tell which are current")
    code_of_list = vintage.code_for(run, CODE_YEAR, result)
    seen = common.Duplicates()
    left: dict[str, int] = {}
    stale: dict[str, int] = {}
    for line, row in common.csv_rows(data, result, REQUIRED):
        for column, value in row.items():
            if column not in _NOT_PROGRAMMES and column != CRTE and column not in CHECKED \
                    and readers.cell(value) is not None:
                left[column] = left.get(column, 0) + 1
        try:
            code = common.required_cell(CODE, row, run.codes.insee)
            seen.check(code, line, CODE, code)
            former = code not in current
            if former and not code_of_list.current:
                if code not in code_of_list.communes:
                    raise RowError(CODE, code, f"not a commune in the COG {code_of_list.year}")
                undated = vintage.undated_former(code, code_of_list, run, CODE)
                if undated is not None:
                    raise undated
                result.noted.append(Reject(file, line, CODE, code, vintage.merged_since(code, code_of_list, run.earlier)))
            # a commune of the COG 2023 merged since: the former commune (pvd_graph.importers.vintage)
            town = emit.node(commune_iri(code))
            if former and code_of_list.current:
                for column in CHECKED:
                    if split_cell(row.get(column)):
                        stale[column] = stale.get(column, 0) + 1
            else:
                _entries(emit, town, code, row)
            crte = split_cell(row.get(CRTE))
            if not crte:
                result.skipped[NO_CRTE] = result.skipped.get(NO_CRTE, 0) + 1
                continue
            if former and code_of_list.current:
                raise RowError(CODE, code, "COG 2023 code that is not a current commune in the COG of this "
                                           "import (merged or renumbered since): its CRTE is not imported")
            slugs = [common.check(CRTE, raw, crte_slug) for raw in crte]
        except RowError as err:
            common.reject(result, file, line, err)
            continue
        if not former:
            emit.entity(commune_iri(code), OX.Commune)
        for slug in slugs:
            contract = emit.node(convention_iri(slug))
            if not former:
                emit.add(contract, OX.concerns, town)
            emit.participation(town, "commune", code, "crte", joined_through=contract)
        result.rows_accepted += 1
    for column, count in sorted(left.items()):
        result.warnings.append(Reject(file, "", column, f"{count} values",
                                      "column not imported by this build (ids of another programme, "
                                      "left for the other-programmes issue)"))
    for column, count in sorted(stale.items()):
        result.warnings.append(Reject(file, "", column, f"{count} values", NOT_CURRENT))


def _sniff(path: Path, head: bytes) -> bool:
    columns = readers.header_columns(head)
    return {CODE, CRTE, "id_pvd", "id_acv"} <= columns


IMPORTER = Importer(
    id="anct-ngeo", title="Table communes × programmes de l'ANCT (ngeo, COG 2023) : CRTE de chaque commune",
    url=ORIGIN_URL, licence="", publisher="anct", vintage="2023",
    filenames=("ngeo*.csv",), sniff=_sniff, parse=parse, needs=("cog-communes",),
)
