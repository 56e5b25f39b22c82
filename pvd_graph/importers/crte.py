"""The ANCT list of CRTE (contrats pour la réussite de la transition écologique) and their groupings.

Official layout (CSV, one row per grouping in a CRTE): ``insee_reg, lib_reg,
dep_chef_file, lib_dep, id_crte, lib_crte, type_grp_crte, crte_interreg,
crte_interdep, siren_groupement, lib_groupement, nature_juridique,
siren_grp_supra, lib_grp_supra, nat_jur_grp_supra``.

Each ``id_crte`` becomes one ``pvd:CRTEContract`` at ``convention/crte-{slug}``
(the id lower-cased, runs of other characters turned into ``-``, a leading
``crte-`` not doubled), ``pvd:underProgramme programme/crte``,
``pvd:programmeId`` the id as written, label ``lib_crte``, and
``pvd:concerns`` each grouping. A grouping whose ``nature_juridique`` is an
EPCI type (CC, CA, CU, METRO, MET69) is the EPCI of that SIREN, which
``pvd:participatesIn programme/crte``. A grouping that is a commune
(``nature_juridique`` ``COM`` or ``type_grp_crte`` "Commune") is given by its
SIREN, which the COG communes file maps to the INSEE code: the importer
``needs`` ``cog-communes``, which runs first in the same import and leaves the
mapping in :attr:`Earlier.commune_by_siren <pvd_graph.importers.common.Earlier>`;
without the COG communes in the run, such a row is rejected with that reason. The
supra-grouping columns (PETR, syndicats) are not mapped: the model has no such
class.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from pvd_graph.identifiers import (
    InvalidCode,
    check_slug,
    commune_iri,
    convention_iri,
    epci_iri,
    programme_iri,
)
from pvd_graph.importers import readers
from pvd_graph.importers.base import ImportResult
from pvd_graph.importers.common import (
    EPCI_CLASSES,
    Duplicates,
    Emitter,
    Importer,
    ImportRun,
    RowError,
    check,
    csv_rows,
    reject,
    required_cell,
)
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX

RESOURCE_URL = "https://www.data.gouv.fr/fr/datasets/r/cf3d2117-3ce8-4f26-af0b-7a86af450862"
REQUIRED = ("id_crte", "siren_groupement", "nature_juridique")
COMMUNE_NATURES = {"COM", "COMMUNE"}


def crte_slug(value: object) -> str:
    """``convention/`` slug of a CRTE id: ``"CRTE 84-73 n°2"`` → ``crte-84-73-n2``."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if not text:
        raise InvalidCode("empty CRTE id")
    if not text.startswith("crte-"):
        text = "crte-" + text
    return check_slug(text)


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    file = str(result.source.path)
    seen = Duplicates()
    by_siren = run.earlier.commune_by_siren
    programme = emit.node(programme_iri("crte"))
    described: set[str] = set()
    for line, row in csv_rows(data, result, REQUIRED):
        try:
            raw_id = required_cell("id_crte", row, readers.cell)
            slug = check("id_crte", raw_id, crte_slug)
            siren = required_cell("siren_groupement", row, run.codes.siren)
            seen.check((slug, siren), line, "siren_groupement", siren)
            nature = (readers.cell(row.get("nature_juridique")) or "").upper()
            kind = (readers.cell(row.get("type_grp_crte")) or "").lower()
            label = check("lib_crte", row.get("lib_crte"), readers.name)
            grp_label = check("lib_groupement", row.get("lib_groupement"), readers.name)
            if nature in EPCI_CLASSES:
                target = emit.entity(epci_iri(siren), OX.EPCI, EPCI_CLASSES[nature])
                emit.string(target, OX.siren, siren)
                emit.string(target, OX.epciType, nature)
            elif nature in COMMUNE_NATURES or kind == "commune":
                code = None if by_siren is None else by_siren.get(siren)
                if code is None:
                    reason = ("commune SIREN not found in the COG communes file" if by_siren is not None else
                              "commune grouping: its INSEE code needs the COG communes file in the same import")
                    raise RowError("siren_groupement", siren, reason)
                target = emit.entity(commune_iri(code), OX.Commune)
                emit.string(target, OX.siren, siren)
            else:
                raise RowError("nature_juridique", nature,
                               f"grouping is neither an EPCI ({', '.join(EPCI_CLASSES)}) nor a commune (COM)")
        except RowError as err:
            reject(result, file, line, err)
            continue
        emit.label(target, grp_label)
        emit.add(target, OX.participatesIn, programme)
        c = emit.entity(convention_iri(slug), OX.Convention, OX.CRTEContract)
        if slug not in described:
            described.add(slug)
            emit.label(c, label)
            emit.add(c, OX.underProgramme, programme)
            emit.string(c, OX.programmeId, raw_id)
        emit.add(c, OX.concerns, target)
        result.rows_accepted += 1


def _sniff(path: Path, head: bytes) -> bool:
    columns = readers.header_columns(head)
    return {"id_crte", "siren_groupement"} <= columns


IMPORTER = Importer(
    id="anct-crte", title="Contrats pour la réussite de la transition écologique (CRTE) et leurs groupements",
    url=RESOURCE_URL, licence=LICENCE_ETALAB_2, publisher="anct", vintage="",
    filenames=("*crte*.csv",), sniff=_sniff, parse=parse, needs=("cog-communes",),
)
