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

The list is read in the geographic code of its vintage, 2021, when the import holds it
(:mod:`pvd_graph.importers.vintage`; ontology/README.md, "Each list read in the code of its vintage"):
a code must be a commune of the COG 2021; one merged since is the former commune's participation
(never rejected, never re-pointed to its successor). Its names (``lib_com``, ``lib_epci``) and EPCI
(``siren_epci``) are compared with the COG 2021's, not stated again: a difference is a line of
``conflicts.csv`` (the COG 2021 kept), a change between 2021 and 2026 (CC Centre Morbihan Communauté,
200067221, merged in 2023) is none. Without the COG 2021 the list is read in the current code (the
build says so): the names and EPCI are stated and the assembly compares them with the COG's; a
``siren_epci`` that is not an EPCI of the COG 2026 is then reported (``value dropped``), not
presented as current.

A row is rejected when the commune cannot be identified (bad INSEE code, département not matching
the code, duplicate town, name with markup, not a commune of the code it is read in); a bad
secondary value (SIREN, population, id_pvd) is dropped with a warning and the row kept.
``date_signature`` (nearly always empty, once ``01/2021``) and the département/région names are not
mapped: the 2024 lists give the adhésion dates.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from pvd_graph.identifiers import (
    check_slug,
    commune_iri,
    departement_iri,
    epci_iri,
)
from pvd_graph.importers import cog, figures, readers, vintage
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
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, RDFS

RDFS_LABEL = str(RDFS.label)

RESOURCE_URL = "https://www.data.gouv.fr/fr/datasets/r/1fa831ec-d912-4277-8b95-a8b998bf951e"
REQUIRED = ("insee_com", "lib_com", "insee_dep", "siren_epci")


#: the geographic code this list is read in (:mod:`pvd_graph.importers.vintage`): that of its vintage
CODE_YEAR = "2021"


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    seen = Duplicates()
    code_of_list = vintage.code_for(run, CODE_YEAR, result)
    for line, row in csv_rows(data, result, REQUIRED):
        try:
            code = required_cell("insee_com", row, run.codes.insee)
            seen.check(code, line, "insee_com", code)
            if code_of_list is not None and code not in code_of_list.communes:
                raise RowError("insee_com", code, f"not a commune in the COG {code_of_list.year}" if not code_of_list.current
                               else not_current(code, run.earlier).reason)
            dep = check_departement("insee_dep", row, code)
            label = required_cell("lib_com", row, readers.name)
            epci_label = required_cell("lib_epci", row, readers.name) if readers.cell(row.get("lib_epci")) else None
        except RowError as err:
            reject(result, file, line, err)
            continue
        where = (file, line)
        siren = optional_cell("siren_epci", row, run.codes.siren, result, where)
        population = optional_cell("pop", row, readers.integer, result, where)
        pid = optional_cell("id_pvd", row, lambda v: check_slug(v.strip().lower()), result, where)
        c = commune_iri(code)
        is_current = run.earlier.current_communes is None or code in run.earlier.current_communes
        s = emit.entity(c, OX.Commune) if is_current else emit.node(c)
        if is_current:
            emit.string(s, OX.inseeCode, code)
            emit.add(s, OX.inDepartement, emit.node(departement_iri(dep)))
        if code_of_list is not None and not code_of_list.current:
            _compare_with_older_code(result, run, code_of_list, where, code, label, siren, epci_label)
        else:
            emit.label(s, label)
            _epci_in_current_code(emit, result, run, where, s, code, siren, epci_label)
        figures.population(emit, result, s, count=population)
        emit.participation(s, "commune", code, "pvd")
        emit.string(s, OX.programmeId, pid)
        result.rows_accepted += 1


def _compare_with_older_code(result: ImportResult, run: ImportRun, code_of_list: vintage.Code, where, code: str,
                             label: str, siren: str | None, epci_label: str | None) -> None:
    """The town as the list names it, read in the code of the list's vintage: its name and EPCI are compared
    with that code's (a difference is a conflicts.csv line), never stated again (that code states them, dated).

    A code of that vintage that is no longer current (merged since) stays the former commune: see
    :func:`pvd_graph.importers.vintage.merged_since`.
    """
    c = commune_iri(code)
    if code not in (run.earlier.current_communes or ()):
        result.noted.append(Reject(where[0], where[1], "insee_com", code,
                                      vintage.merged_since(code, code_of_list, run.earlier)))
    if code_of_list.communes.get(code) != label:
        vintage.difference(result, c, RDFS_LABEL, code_of_list.communes.get(code, ""), code_of_list.communes_source,
                           label)
    if siren is None:
        return
    was = code_of_list.epci_of.get(code, set())
    if siren not in was:
        vintage.difference(result, c, OX.memberOf.value, " ".join(epci_iri(e) for e in sorted(was)) or "(no EPCI)",
                           code_of_list.epci_source, epci_iri(siren))
    elif epci_label and code_of_list.epci.get(siren) != epci_label:
        vintage.difference(result, epci_iri(siren), RDFS_LABEL, code_of_list.epci[siren], code_of_list.epci_source,
                           epci_label)


def _epci_in_current_code(emit: Emitter, result: ImportResult, run: ImportRun, where, s: ox.NamedNode, code: str,
                          siren: str | None, epci_label: str | None) -> None:
    """The list's EPCI stated as the town's current one (read in the current code: the assembly compares it)."""
    if siren and run.earlier.epci_names is not None and siren not in run.earlier.epci_names:
        cog_epci = run.earlier.epci_of_commune.get(code)
        result.warnings.append(Reject(where[0], where[1], "siren_epci", siren, (
            f"not an EPCI of the COG {cog.VINTAGE}: a former EPCI ({epci_label or 'no name'}), not presented as "
            f"current; the COG's EPCI of commune {code} is {cog_epci or 'none'}")))
        siren = None
    if siren:
        e = emit.entity(epci_iri(siren), OX.EPCI)
        emit.string(e, OX.siren, siren)
        if epci_label:
            emit.label(e, epci_label)
        emit.add(s, OX.memberOf, e)


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
