"""Older vintages of the geographic code (COG 2021 and 2023) read as HISTORY, never as the current code.

``@etalab/decoupage-administratif`` 1.1.1 (millésime 2021) and 3.1.1 (2023) have the layout of the
current package (6.0.0, 2026, :mod:`pvd_graph.importers.cog`); their files carry no millésime, so
the folder's name says it (``cog-2021/epci.json``: :func:`pvd_graph.importers.other_cog_vintage`).
What an older vintage is read for (ontology/README.md, "Memberships and names per vintage"):

* **memberships**: each (commune, EPCI) pair of its ``epci.json`` is a ``pvd:Membership``
  (``id/membership/{insee}-{siren}``, ``org:member``, ``org:organization``) that this vintage shows
  (``pvd:shownIn``); the current code states the 2026 ones (:func:`pvd_graph.importers.history.membership`, called by
  :func:`pvd_graph.importers.cog.parse_epci`). One node per *continuous* membership: a pair that the
  next newer vintage read also shows is the same node (this vintage only adds its ``pvd:shownIn``);
  a pair that ends and comes back later gets a node of its own, ``{insee}-{siren}-{last vintage}``
  (commune 59192 Émerchicourt: 200042190 in 2021 and 2026, 245901152 in 2023). The dates
  (``pvd:validFrom``/``pvd:validUntil``) are derived from the vintages that show a node
  (:mod:`pvd_graph.build.derive_memberships`).
* **former EPCI**: an EPCI of this vintage that is not an EPCI of the current code is a
  ``pvd:FormerEPCI`` (name, SIREN, legal form as this vintage gives them), never ``a pvd:EPCI``
  (what every query takes as current).
* **former names**: a current commune whose name in this vintage differs from its current one keeps it
  as ``skos:altLabel`` and as a dated name (``pvd:FormerName`` ``<commune#name-{newest vintage showing it}>``,
  ``rdfs:label``, ``pvd:nameOf``); the current ``rdfs:label`` is never touched. A current EPCI renamed
  likewise (``<epci#name-{vintage}>``, from ``epci.json``; dated by the vintages of that file).
* **former communes merged after INSEE's tables**: a commune of this vintage that is not current, whose code a
  current commune lists in its ``anciensCodes`` and whose end INSEE's tables (imported before) do not give, is
  the ``pvd:FormerCommune`` ``commune/{code}`` replaced by that commune, its end bounded by the build
  (:func:`_undated_former`; ontology/README.md, "Communes through time").

Nothing else of an older vintage is imported: its communes never become current resources (another code
that is not current is only an ``org:member`` of its memberships), and its départements, régions,
populations and postcodes are set aside. Newer vintages are read first (import order of
:data:`pvd_graph.importers.KNOWN_SOURCES`: 2026, then 2023, then 2021), which is what lets a
vintage find the node of the same membership or name in the next newer one; without the current
code in the same import an older vintage is refused (it cannot tell current from former).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pyoxigraph as ox

from pvd_graph.identifiers import commune_iri, epci_iri
from pvd_graph.importers import cog, history, readers
from pvd_graph.importers.base import ImportResult, Reject
from pvd_graph.importers.common import (NOT_EPCI, Emitter, Importer, ImportRun, RowError, optional, reject,
                                        required_cell, source_iri)
from pvd_graph.namespaces import OX, OX_DCTERMS, OX_PROV, OX_SKOS, ids, unpkg_url

#: millésime → the version of ``@etalab/decoupage-administratif`` that holds it (its README)
PACKAGE_VERSIONS = {"2023": "3.1.1", "2021": "1.1.1"}


def parse_epci_history(vintage: str):
    def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
        history.require_current(run, cog.VINTAGE, vintage, history.MEMBERSHIP)
        current_epci = run.earlier.epci_names or {}
        history.current_epci_names(run, cog.VINTAGE)
        file = str(result.source.path)
        for i, obj in cog._rows(data, result):
            try:
                siren, label, kind, members = cog.epci_row(obj, run)
            except RowError as err:
                reject(result, file, i, err)
                continue
            history.record(run, history.EPCI, vintage, siren, label)
            if siren in current_epci:
                _former_name(emit, run, vintage, history.EPCI_NAME, siren, label, epci_iri(siren))
            elif kind not in NOT_EPCI:
                e = emit.entity(epci_iri(siren), OX.FormerEPCI)
                emit.label(e, label)
                emit.string(e, OX.siren, siren)
                emit.string(e, OX.epciType, kind)
                emit.add(e, OX.shownIn, emit.source)
            for member in members:
                code = optional("membres.code", member.get("code") if isinstance(member, dict) else member,
                                run.codes.insee, result, (file, i))
                if code is not None:
                    history.membership(emit, run, vintage, code, siren)
            result.rows_accepted += 1
        _read_for(result, file, vintage, ("modeFinancement", "populationMunicipale", "populationTotale"),
                  "dated memberships and former EPCI")
    return parse


def parse_communes_history(vintage: str):
    def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
        current = history.require_current(run, cog.VINTAGE, vintage, history.NAME)
        file = str(result.source.path)
        skipped: Counter[str] = Counter()
        for i, obj in cog._rows(data, result):
            if obj.get("type") != "commune-actuelle":
                skipped[f"part of a commune in {vintage} (arrondissement, commune déléguée or associée)"] += 1
                continue
            try:
                code = required_cell("code", obj, run.codes.insee)
                label = required_cell("nom", obj, readers.name)
            except RowError as err:
                reject(result, file, i, err)
                continue
            history.record(run, history.COMMUNES, vintage, code, label)
            if code not in current:
                if _undated_former(emit, run, vintage, code, label):
                    result.rows_accepted += 1
                    continue
                skipped[f"not a current commune in {cog.VINTAGE} (merged or renumbered since)"] += 1
                continue
            result.rows_accepted += 1
            _former_name(emit, run, vintage, history.NAME, code, label, commune_iri(code))
        result.skipped.update(skipped)
        _read_for(result, file, vintage, ("codesPostaux", "population"), "former names")
    return parse


def _undated_former(emit: Emitter, run: ImportRun, vintage: str, code: str, label: str) -> bool:
    """The former commune ``commune/{code}`` of a commune of *vintage* that is not current, when a current commune
    lists *code* in its ``anciensCodes`` and INSEE's tables of this import name no commune of *code*, or only one they
    never end (``commune/{code}``, the commune after their last change of it): a merger after the years they cover
    (2025 or 2026); whether it is one.

    What the sources say is stated, nothing more: its name in *vintage*, ``dcterms:isReplacedBy`` the current commune
    whose ``anciensCodes`` list it (COG 2026, its source added), ``pvd:shownIn`` each vintage that has it. No day of
    its end: the build derives the bounds of its ``pvd:validUntil`` from the vintages that show it and the years
    INSEE's tables cover (:mod:`pvd_graph.build.derive_memberships`). Newest vintage first: an older one only adds
    its ``pvd:shownIn`` to a former commune a newer one made.
    """
    made = (run.earlier.history or {}).get(history.FORMER, {}).get(history.FORMER_BY_COG, {})
    iri = commune_iri(code)
    if code in made:
        emit.add(emit.node(iri), OX.shownIn, emit.source)
        return True
    now = (run.earlier.merged_into or {}).get(code)
    if now is None or (run.earlier.history or {}).get(history.TABLED, {}).get("insee", {}).get(code, history.OPEN) \
            != history.OPEN:
        return False
    history.record(run, history.FORMER, history.FORMER_BY_COG, code, iri)
    f = emit.entity(iri, OX.FormerCommune)
    emit.add(f, OX_PROV.wasDerivedFrom, emit.node(source_iri(cog.COMMUNES.id)))  # the anciensCodes
    emit.label(f, label)
    emit.string(f, OX.formerInseeCode, code)
    successor = emit.node(commune_iri(now))
    emit.add(f, OX_DCTERMS.isReplacedBy, successor)
    emit.add(successor, OX_DCTERMS.replaces, f)
    emit.add(f, OX.shownIn, emit.source)
    return True


def _former_name(emit: Emitter, run: ImportRun, vintage: str, kind: str, key: str, label: str, owner: str) -> None:
    """The name *label* of *owner* (a current commune or EPCI) in *vintage*: nothing when it is the current one,
    else a ``pvd:FormerName`` ``<owner#name-{newest vintage showing it}>`` shown in this vintage."""
    iri, new = history.period_node(run, kind, vintage, key, label, lambda _: ids.fragment(owner, f"name-{vintage}"))
    if iri is None:
        return  # the current name: nothing to add
    n = emit.node(iri)
    if new:
        n = emit.entity(iri, OX.FormerName)
        emit.label(n, label)
        emit.add(n, OX.nameOf, emit.node(owner))
        emit.add(emit.node(owner), OX_SKOS.altLabel, ox.Literal(label, language="fr"))
    emit.add(n, OX.shownIn, emit.source)


def _read_for(result: ImportResult, file: str, vintage: str, columns: tuple[str, ...], what: str) -> None:
    """Say in the build's lines what an older vintage is read for, and which of its columns are not read."""
    for column in columns:
        result.warnings.append(Reject(file, "", column, f"COG {vintage}",
                                      f"the code of {vintage} is read as history ({what}) only"))


def _history_importer(current: Importer, vintage: str, parse, what: str, precedence: int) -> Importer:
    kind = current.id.removeprefix("cog-")
    file = current.filenames[0]
    return replace(current, id=f"cog-{vintage}-{kind}", vintage=vintage, precedence=precedence,
                   title=f"{current.title}, millésime {vintage} (lu comme historique : {what})",
                   url=unpkg_url(cog.PACKAGE, PACKAGE_VERSIONS[vintage], f"data/{file}"), parse=parse(vintage),
                   needs=("cog-communes", "cog-epci"))


#: newest first (see the module's docstring); an older vintage loses to a newer one (precedence)
IMPORTERS = tuple(
    imp for n, vintage in enumerate(PACKAGE_VERSIONS) for imp in (
        _history_importer(cog.EPCI, vintage, parse_epci_history, "appartenances datées, EPCI disparus", 3 + n),
        _history_importer(cog.COMMUNES, vintage, parse_communes_history, "anciens noms", 3 + n))
)
#: (millésime, current importer id) → the importer that reads that file of that millésime as history
BY_VINTAGE = {(imp.vintage, "cog-" + imp.id.split("-", 2)[2]): imp for imp in IMPORTERS}
