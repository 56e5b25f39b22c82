"""The ANCT list of *Petites villes de demain* towns (CSV, one row per town).

Each accepted row says: the commune ``pvd:participatesIn`` ``programme/pvd``,
with its INSEE code, département, EPCI membership as read (``siren_epci``),
``pvd:programmeId`` (``id_pvd``, shared by the towns of one joint application)
when present, and the name and EPCI name as this file gives them.
Those labels duplicate the COG's; they are emitted in this source's own named
graph so that the build's conflict report can compare them (the assembly keeps
the COG's value by source precedence). The population ``pop`` is this list's own
dated figure (:func:`pvd_graph.importers.figures.population`: ``pvd:count``, the
kind not being stated, as of 2021-01-01), never the ``pvd:population`` shortcut:
the PVD < 20,000 warning reads it (``PVDTownShape``).

Each town also gets its participation (:meth:`Emitter.participation`): this list of January 2021
is one ``pvd:listedIn`` of it, the oldest vintage that names it (its selection); the 2024 lists
(:mod:`pvd_graph.importers.anct_pvd_2024`) date its convention d'adhésion.

A row is rejected when the commune cannot be identified (bad INSEE code,
département not matching the code, duplicate town, name with markup) or, when the geographic
code is imported with it, is not a current commune of the COG (merged or renumbered since); a bad
secondary value (SIREN, population, id_pvd) is dropped with a warning and the
row kept. ``date_signature`` (nearly always empty, once ``01/2021``) and the
département/région names are not mapped: the 2024 lists give the adhésion dates.

A **former EPCI**: when the COG's EPCI are imported, a ``siren_epci`` that is not an EPCI of the
COG 2026 (200067221, CC Centre Morbihan Communauté, merged since) is not emitted as an EPCI nor as
the town's membership (it would be presented as current): it is reported in ``rejects.csv``
(``value dropped``) with the list's name and the commune's EPCI in the COG.
"""

from __future__ import annotations

from pathlib import Path

from pvd_graph.identifiers import (
    check_slug,
    commune_iri,
    departement_iri,
    epci_iri,
)
from pvd_graph.importers import figures, readers
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import (
    Duplicates,
    Emitter,
    Importer,
    ImportRun,
    RowError,
    check_departement,
    csv_rows,
    not_current,
    optional_cell,
    reject,
    required_cell,
)
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX

RESOURCE_URL = "https://www.data.gouv.fr/fr/datasets/r/1fa831ec-d912-4277-8b95-a8b998bf951e"
REQUIRED = ("insee_com", "lib_com", "insee_dep", "siren_epci")


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    seen = Duplicates()
    for line, row in csv_rows(data, result, REQUIRED):
        try:
            code = required_cell("insee_com", row, run.codes.insee)
            seen.check(code, line, "insee_com", code)
            if run.earlier.current_communes is not None and code not in run.earlier.current_communes:
                err = not_current(code, run.earlier)
                raise RowError("insee_com", code, err.reason)
            dep = check_departement("insee_dep", row, code)
            label = required_cell("lib_com", row, readers.name)
            epci_label = required_cell("lib_epci", row, readers.name) if readers.cell(row.get("lib_epci")) else None
        except RowError as err:
            reject(result, file, line, err)
            continue
        where = (file, line)
        siren = optional_cell("siren_epci", row, run.codes.siren, result, where)
        if siren and run.earlier.epci_names is not None and siren not in run.earlier.epci_names:
            cog = run.earlier.epci_of_commune.get(code)
            result.warnings.append(Reject(file, line, "siren_epci", siren, (
                f"not an EPCI of the COG 2026: a former EPCI ({epci_label or 'no name'}), not presented as "
                f"current; the COG's EPCI of commune {code} is {cog or 'none'}")))
            siren = None
        population = optional_cell("pop", row, readers.integer, result, where)
        pid = optional_cell("id_pvd", row, lambda v: check_slug(v.strip().lower()), result, where)
        s = emit.entity(commune_iri(code), OX.Commune)
        emit.label(s, label)
        emit.string(s, OX.inseeCode, code)
        figures.population(emit, result, s, count=population)
        emit.add(s, OX.inDepartement, emit.node(departement_iri(dep)))
        emit.participation(s, "commune", code, "pvd")
        emit.string(s, OX.programmeId, pid)
        if siren:
            e = emit.entity(epci_iri(siren), OX.EPCI)
            emit.string(e, OX.siren, siren)
            if epci_label:
                emit.label(e, epci_label)
            emit.add(s, OX.memberOf, e)
        result.rows_accepted += 1


def _sniff(path: Path, head: bytes) -> bool:
    columns = readers.header_columns(head)
    return "insee_com" in columns and ("id_pvd" in columns or {"siren_epci", "pop"} <= columns) \
        and "id_acv" not in columns


IMPORTER = Importer(
    id="anct-pvd", title="Communes du programme Petites villes de demain", url=RESOURCE_URL,
    licence=LICENCE_ETALAB_2, publisher="anct", vintage="2021-01",
    filenames=("*pvd*.csv", "*petites*villes*.csv"), sniff=_sniff, parse=parse,
    needs=("cog-communes", "cog-epci"), precedence=4,
)
