"""The ANCT list of CRTE (contrats pour la réussite de la transition écologique) and their groupings.

Official layout (CSV, one row per grouping in a CRTE, data.gouv.fr resource
``cf3d2117-…``): ``insee_reg, lib_reg, dep_chef_file, lib_dep, id_crte,
lib_crte, type_grp_crte, crte_interreg, crte_interdep, siren_groupement,
lib_groupement, nature_juridique, siren_grp_supra, lib_grp_supra,
nat_jur_grp_supra``.

Each ``id_crte`` becomes one ``pvd:CRTEContract`` (also ``a pvd:Convention``) at
``convention/crte-{slug}`` (the id lower-cased, runs of other characters turned
into ``-``, a leading ``crte-`` not doubled): title ``lib_crte`` (prefixed "CRTE — " unless it starts with "CRTE"),
``pvd:underProgramme programme/crte``, ``pvd:programmeId`` the id as written,
the flags ``crte_interdep`` / ``crte_interreg`` as ``pvd:interDepartemental`` /
``pvd:interRegional`` booleans, and ``pvd:listedForDepartement`` each
``dep_chef_file`` of its rows.

Each row's grouping (``siren_groupement``, Luhn-checked) is linked by
``pvd:hasGrouping``:

* ``nature_juridique`` an EPCI type (CC, CA, CU, METRO, MET69): the body of that SIREN at
  ``epci/{siren}``, typed by :func:`pvd_graph.importers.common.epci_classes` from its type in the COG
  EPCI of the same import (``needs`` ``cog-epci``; the list's own nature only for a SIREN the COG does
  not list): an EPCI and its subclass, or for the Métropole de Lyon (MET69) a collectivité à statut
  particulier, not an EPCI. The list's nature stays as its ``pvd:epciType`` (a disagreement with the
  COG's is in ``conflicts.csv``);
* ``COM`` (or ``type_grp_crte`` "Commune"): the commune, its SIREN mapped to its INSEE
  code by the COG communes of the same import (the importer ``needs`` ``cog-communes``;
  without them such a row is rejected with that reason);
* another grouping nature of :data:`GROUPING_NATURES` (the four établissements publics
  territoriaux of Greater Paris, ``EPT``): a ``pvd:Grouping`` at ``grouping/{siren}``
  with its ``pvd:legalNature``.

EPCI and communes are territories: the contract also ``pvd:concerns`` them, and their
participation in programme ``crte`` (:meth:`Emitter.participation`) joined through
the contract. The supra-grouping columns (several values joined by ``" ; "``) give
``pvd:supraGrouping`` links to the PETR, syndicats, pôles… of a contract; an entry
that is one of the contract's own groupings (a mono-EPCI CRTE names its EPCI there, a
pluri-EPCI one without a carrying structure lists its EPCI) is that grouping, not a
supra-grouping, and adds no link.

The list (2022-12) is read in the geographic code of 2023, the nearest held (no COG 2022;
:mod:`pvd_graph.importers.vintage`, the build saying which code): the name of each EPCI or commune
grouping is compared with its name in the COG 2023, not stated again; a difference is a line of
``conflicts.csv`` (the COG 2023 kept), a change between 2023 and 2026 is none. Without the COG 2023 the
names are stated and compared with the current COG's by the assembly.

An inter-departmental CRTE is repeated for each of its départements: rows that
differ only by their département are the same grouping, each département row
recorded; a row repeating one already read (same contract, grouping and
département) is rejected as a duplicate, and a row whose contract title or flags
disagree with the contract's first row is rejected with both values.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pvd_graph.identifiers import (
    InvalidCode,
    check_slug,
    commune_iri,
    convention_iri,
    departement_iri,
    epci_iri,
)
from pvd_graph.importers import readers, vintage
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import (
    EPCI_TYPES,
    Duplicates,
    Emitter,
    Importer,
    ImportRun,
    RowError,
    check,
    csv_rows,
    epci_classes,
    optional_cell,
    reject,
    required_cell,
)
from pvd_graph.namespaces import LICENCE_ETALAB_2, OX, OX_XSD, RDFS, ids

#: the list's year, and the code it is read in: the COG of 2022 is not held, 2023 is the nearest
LIST_YEAR, CODE_YEAR = "2022", "2023"
RESOURCE_URL = "https://www.data.gouv.fr/fr/datasets/r/cf3d2117-3ce8-4f26-af0b-7a86af450862"
REQUIRED = ("id_crte", "siren_groupement", "nature_juridique")
COMMUNE_NATURES = {"COM", "COMMUNE"}
#: legal natures (``nature_juridique`` / ``nat_jur_grp_supra``) of the groupings that are neither
#: an EPCI with its own taxation nor a commune: établissement public territorial (Grand Paris),
#: pôle d'équilibre territorial et rural, pôle métropolitain, syndicat mixte ouvert / fermé, association
GROUPING_NATURES = {"EPT", "PETR", "POLEM", "SMO", "SMF", "ASSO"}
SUPRA_COLUMNS = ("siren_grp_supra", "lib_grp_supra", "nat_jur_grp_supra")
_FLAGS = {"0": False, "1": True, "NON": False, "OUI": True, "FALSE": False, "TRUE": True}


def crte_slug(value: object) -> str:
    """``convention/`` slug of a CRTE id: ``"CRTE 84-73 n°2"`` → ``crte-84-73-n2``."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if not text:
        raise InvalidCode("empty CRTE id")
    if not text.startswith("crte-"):
        text = "crte-" + text
    return check_slug(text)


def grouping_iri(siren: str) -> str:
    """``id/grouping/{siren}``: a grouping that is neither an EPCI nor a commune."""
    return ids.grouping(siren)


def crte_title(lib_crte: str) -> str:
    """The contract's readable title: ``lib_crte`` when it already says it is a CRTE (all 854 of the
    2022 list: "CRTE du Pays de Gex Agglo"), else ``"CRTE — {lib_crte}"`` (never a bare place name)."""
    return lib_crte if lib_crte[:4].upper() == "CRTE" else f"CRTE — {lib_crte}"


def flag(value: object) -> bool:
    """``0``/``1`` (also ``Non``/``Oui``, ``false``/``true``) → bool."""
    text = (readers.cell(value) or "").upper()
    if text not in _FLAGS:
        raise readers.BadValue(f"not a flag (expected 0 or 1): {value!r}")
    return _FLAGS[text]


def split_cell(value: object) -> list[str]:
    """The values of a multi-valued cell joined by ``" ; "`` (empty: none)."""
    text = readers.cell(value)
    return [] if text is None else [part.strip() for part in text.split(";")]


@dataclass
class _Contract:
    """What the first row of a contract says, to check its later rows against it."""

    line: int
    facts: dict[str, object]
    node: ox.NamedNode
    groupings: set[str] = field(default_factory=set)
    #: supra SIREN → (nature, label, line, file)
    supra: dict[str, tuple[str, str | None, int]] = field(default_factory=dict)


class _Parser:
    def __init__(self, result: ImportResult, emit: Emitter, run: ImportRun):
        self.result, self.emit, self.run = result, emit, run
        self.file = str(result.source.path)
        self.by_siren = run.earlier.commune_by_siren
        self.programme = emit.node(ids.programme("crte"))
        self.contracts: dict[str, _Contract] = {}
        #: the code of 2023, the nearest held to this list's (2022): pvd_graph.importers.vintage
        self.code = vintage.code_for(run, CODE_YEAR, result, list_year=LIST_YEAR)

    def commune(self, field_name: str, siren: str) -> tuple[ox.NamedNode, str]:
        code = None if self.by_siren is None else self.by_siren.get(siren)
        if code is None:
            reason = ("commune SIREN not found in the COG communes file" if self.by_siren is not None else
                      "commune grouping: its INSEE code needs the COG communes file in the same import")
            raise RowError(field_name, siren, reason)
        return self.emit.entity(commune_iri(code), OX.Commune), code

    def organisation(self, field_name: str, siren: str, nature: str, kind: str = ""):
        """(node, participant kind ``epci``/``commune`` or None, code) of a grouping given by SIREN and nature."""
        emit = self.emit
        if nature in EPCI_TYPES:
            # typed as the COG of this import types it (its type wins the pvd:epciType conflict too)
            cog_types = self.run.earlier.epci_types or {}
            target = emit.entity(epci_iri(siren), *epci_classes(cog_types.get(siren, nature)))
            emit.string(target, OX.epciType, nature)
            emit.string(target, OX.siren, siren)
            return target, "epci", siren
        if nature in COMMUNE_NATURES or kind == "commune":
            target, code = self.commune(field_name, siren)
            emit.string(target, OX.siren, siren)
            return target, "commune", code
        if nature in GROUPING_NATURES:
            target = emit.entity(grouping_iri(siren), OX.Grouping)
            emit.string(target, OX.siren, siren)
            emit.string(target, OX.legalNature, nature)
            return target, None, siren
        known = ", ".join([*EPCI_TYPES, "COM", *sorted(GROUPING_NATURES)])
        raise RowError(field_name, nature, f"unknown legal nature (expected one of {known})")

    def contract(self, line: int, row: dict) -> tuple[str, _Contract | None, dict[str, object], str]:
        """(slug, the contract if an earlier row made it, this row's contract facts, the id as written)."""
        raw_id = required_cell("id_crte", row, readers.cell)
        slug = check("id_crte", raw_id, crte_slug)
        facts = {
            "lib_crte": check("lib_crte", row.get("lib_crte"), readers.name),
            "crte_interdep": optional_cell("crte_interdep", row, flag, self.result, (self.file, line)),
            "crte_interreg": optional_cell("crte_interreg", row, flag, self.result, (self.file, line)),
        }
        known = self.contracts.get(slug)
        if known is not None:
            for name, value in facts.items():
                if value != known.facts[name]:
                    raise RowError(name, "" if value is None else value,
                                   f"disagrees with line {known.line} for {raw_id} ({known.facts[name]!r})")
        return slug, known, facts, raw_id

    def new_contract(self, line: int, slug: str, facts: dict[str, object], raw_id: str) -> _Contract:
        emit = self.emit
        c = emit.entity(convention_iri(slug), OX.Convention, OX.CRTEContract)
        if facts["lib_crte"]:
            emit.label(c, crte_title(facts["lib_crte"]))
        emit.add(c, OX.underProgramme, self.programme)
        emit.string(c, OX.programmeId, raw_id)
        for name, prop in (("crte_interdep", OX.interDepartemental), ("crte_interreg", OX.interRegional)):
            if facts[name] is not None:
                emit.add(c, prop, ox.Literal("true" if facts[name] else "false", datatype=OX_XSD.boolean))
        contract = self.contracts[slug] = _Contract(line, facts, c)
        return contract

    def supra(self, line: int, row: dict, contract: _Contract) -> None:
        """Remember the row's supra-groupings; a cell whose three columns do not line up is dropped."""
        cells = [split_cell(row.get(name)) for name in SUPRA_COLUMNS]
        if len({len(values) for values in cells}) > 1:
            counts = ", ".join(f"{len(v)} in {n}" for v, n in zip(cells, SUPRA_COLUMNS))
            self.result.warnings.append(Reject(self.file, line, "siren_grp_supra", row.get("siren_grp_supra") or "",
                                               f"supra-grouping columns do not line up ({counts}); value dropped, "
                                               "rest of the row kept"))
            return
        for siren, label, nature in zip(*cells):
            try:
                siren = check("siren_grp_supra", siren, self.run.codes.siren)
            except RowError as err:
                self.result.warnings.append(Reject(self.file, line, err.field, err.value,
                                                   f"{err.reason}; value dropped, rest of the row kept"))
                continue
            contract.supra.setdefault(siren, (nature.upper(), label or None, line))

    def row(self, line: int, row: dict, seen: Duplicates) -> None:
        slug, contract, facts, raw_id = self.contract(line, row)
        siren = required_cell("siren_groupement", row, self.run.codes.siren)
        dep = optional_cell("dep_chef_file", row, self.run.codes.departement, self.result, (self.file, line))
        seen.check((slug, siren, dep), line, "siren_groupement", siren)
        nature = (readers.cell(row.get("nature_juridique")) or "").upper()
        kind = (readers.cell(row.get("type_grp_crte")) or "").lower()
        grp_label = check("lib_groupement", row.get("lib_groupement"), readers.name)
        target, participant, code = self.organisation("nature_juridique", siren, nature, kind)
        # accepted: record the row's facts
        if contract is None:
            contract = self.new_contract(line, slug, facts, raw_id)
        emit, c = self.emit, contract.node
        self.label(target, participant, code, grp_label)
        emit.add(c, OX.hasGrouping, target)
        if participant is not None:
            emit.add(c, OX.concerns, target)
            emit.participation(target, participant, code, "crte", joined_through=c)
        if dep is not None:
            emit.add(c, OX.listedForDepartement, emit.node(departement_iri(dep)))
        contract.groupings.add(siren)
        self.supra(line, row, contract)
        self.result.rows_accepted += 1

    def label(self, target: ox.NamedNode, participant: str | None, code: str, label: str | None) -> None:
        """The grouping's name as the list gives it: stated (compared by the assembly) when read in the current
        code; compared here with the name in the code of 2023 otherwise (a difference is a conflicts.csv line)."""
        k = self.code
        names = None if k is None or k.current else {"epci": k.epci, "commune": k.communes}.get(participant or "")
        if names is None or code not in names:
            self.emit.label(target, label)
        elif label is not None and names[code] != label:
            vintage.difference(self.result, target.value, str(RDFS.label), names[code],
                               k.epci_source if participant == "epci" else k.communes_source, label)

    def supra_links(self) -> None:
        """``pvd:supraGrouping`` of each contract: its supra entries that are not its own groupings."""
        for contract in self.contracts.values():
            for siren, (nature, label, line) in contract.supra.items():
                if siren in contract.groupings:
                    continue
                try:
                    target, _, _ = self.organisation("nat_jur_grp_supra", siren, nature)
                except RowError as err:
                    self.result.warnings.append(Reject(self.file, line, err.field, err.value,
                                                       f"{err.reason}; supra-grouping {siren} dropped, "
                                                       "rest of the row kept"))
                    continue
                self.emit.label(target, label)
                self.emit.add(contract.node, OX.supraGrouping, target)


def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
    parser = _Parser(result, emit, run)
    seen = Duplicates()
    for line, row in csv_rows(data, result, REQUIRED):
        try:
            parser.row(line, row, seen)
        except RowError as err:
            reject(result, parser.file, line, err)
    parser.supra_links()


def _sniff(path: Path, head: bytes) -> bool:
    columns = readers.header_columns(head)
    return {"id_crte", "siren_groupement"} <= columns


IMPORTER = Importer(
    id="anct-crte", title="Contrats pour la réussite de la transition écologique (CRTE) et leurs groupements",
    url=RESOURCE_URL, licence=LICENCE_ETALAB_2, publisher="anct", vintage="2022-12",
    filenames=("*crte*.csv",), sniff=_sniff, parse=parse, needs=("cog-communes", "cog-epci"),
)
