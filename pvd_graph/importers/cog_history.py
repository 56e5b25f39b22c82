"""Older vintages of the geographic code (COG 2021 and 2023) read as HISTORY, never as the current code.

``@etalab/decoupage-administratif`` 1.1.1 (millésime 2021) and 3.1.1 (2023) have the layout of the
current package (6.0.0, 2026, :mod:`pvd_graph.importers.cog`); their files carry no millésime, so
the folder's name says it (``cog-2021/epci.json``: :func:`pvd_graph.importers.other_cog_vintage`).
What an older vintage is read for (ontology/README.md, "Memberships and names per vintage"):

* **memberships**: each (commune, EPCI) pair of its ``epci.json`` is a ``pvd:Membership``
  (``id/membership/{insee}-{siren}``, ``org:member``, ``org:organization``) that this vintage shows
  (``pvd:shownIn``); the current code states the 2026 ones (:func:`membership`, called by
  :func:`pvd_graph.importers.cog.parse_epci`). One node per *continuous* membership: a pair that the
  next newer vintage read also shows is the same node (this vintage only adds its ``pvd:shownIn``);
  a pair that ends and comes back later gets a node of its own, ``{insee}-{siren}-{last vintage}``
  (commune 59192 Émerchicourt: 200042190 in 2021 and 2026, 245901152 in 2023). The dates
  (``pvd:validFrom``/``pvd:validUntil``) are derived from the vintages that show a node
  (:mod:`pvd_graph.build.derive_history`).
* **former EPCI**: an EPCI of this vintage that is not an EPCI of the current code is a
  ``pvd:FormerEPCI`` (name, SIREN, legal form as this vintage gives them), never ``a pvd:EPCI``
  (what every query takes as current).
* **former names**: a current commune whose name in this vintage differs from its current one keeps it
  as ``skos:altLabel`` and as a dated name (``pvd:FormerName`` ``<commune#name-{newest vintage showing it}>``,
  ``rdfs:label``, ``pvd:nameOf``); the current ``rdfs:label`` is never touched.

Nothing else of an older vintage is imported: its communes never become current resources (a code
that is not current is only an ``org:member`` of its memberships), and its départements, régions,
populations and postcodes are set aside. Newer vintages are read first (import order of
:data:`pvd_graph.importers.KNOWN_SOURCES`: 2026, then 2023, then 2021), which is what lets a
vintage find the node of the same membership or name in the next newer one; without the current
code in the same import an older vintage is refused (it cannot tell current from former).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pyoxigraph as ox
from rdflib.namespace import ORG

from pvd_graph.identifiers import commune_iri, epci_iri
from pvd_graph.importers import cog, readers
from pvd_graph.importers.base import ImportResult
from pvd_graph.importers.common import (Emitter, Importer, ImportRun, RowError, optional, reject,
                                        required_cell)
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import OX, OX_SKOS, OxTerms, ids, unpkg_url

OX_ORG = OxTerms(ORG)

#: millésime → the version of ``@etalab/decoupage-administratif`` that holds it (its README)
PACKAGE_VERSIONS = {"2023": "3.1.1", "2021": "1.1.1"}

MEMBERSHIP, NAME = "membership", "name"


def _history(run: ImportRun) -> dict:
    """kind → vintage → key → (value, node IRI or None): what each vintage read so far said."""
    if run.earlier.history is None:
        run.earlier.history = {MEMBERSHIP: {}, NAME: {}}
    return run.earlier.history


def _period_node(run: ImportRun, kind: str, vintage: str, key, value, mint: Callable[[str | None], str | None]):
    """(node of *key* = *value* in *vintage*, whether this vintage is the first to state it).

    The node is that of the same key and value in the next newer vintage read (a continuous period);
    else a new one, ``mint(None)`` unless another period already has that IRI, then ``mint(vintage)``.
    """
    history = _history(run)[kind]
    newer = sorted(v for v in history if v > vintage)
    said = history[newer[0]].get(key) if newer else None
    new = said is None or said[0] != value
    node = None if new else said[1]
    if new:
        node = mint(None)
        if node is not None and any(said.get(key, (None, None))[1] == node for said in history.values()):
            node = mint(vintage)
    history.setdefault(vintage, {})[key] = (value, node)
    return node, new


def membership(emit: Emitter, run: ImportRun, vintage: str, insee: str, siren: str) -> None:
    """The membership of commune *insee* in EPCI *siren* as the COG of *vintage* shows it."""
    iri, new = _period_node(run, MEMBERSHIP, vintage, (insee, siren), siren,
                            lambda last: ids.path(f"membership/{insee}-{siren}" + (f"-{last}" if last else "")))
    m = emit.node(iri)
    if new:
        m = emit.entity(iri, OX.Membership)
        emit.add(m, OX_ORG.member, emit.node(commune_iri(insee)))
        emit.add(m, OX_ORG.organization, emit.node(epci_iri(siren)))
    emit.add(m, OX.shownIn, emit.source)


def current_name(run: ImportRun, vintage: str, insee: str, name: str) -> None:
    """Record the current name of commune *insee* (its ``rdfs:label``), which older vintages compare with."""
    _period_node(run, NAME, vintage, insee, name, lambda last: None)


def _require_current(run: ImportRun, vintage: str, kind: str) -> dict:
    """What the current code said of *kind* in this import, or a :class:`SourceError` (file set aside)."""
    said = _history(run)[kind].get(cog.VINTAGE)
    if said is None:
        raise SourceError(f"geographic code of {vintage}: read as history against the current {cog.VINTAGE} code, "
                          f"which this import does not hold: set aside")
    return said


def parse_epci_history(vintage: str):
    def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
        _require_current(run, vintage, MEMBERSHIP)
        current_epci = run.earlier.epci_names or {}
        file = str(result.source.path)
        for i, obj in cog._rows(data, result):
            try:
                siren, label, kind, members = cog.epci_row(obj, run)
            except RowError as err:
                reject(result, file, i, err)
                continue
            if siren not in current_epci and kind not in cog.NOT_EPCI:
                e = emit.entity(epci_iri(siren), OX.FormerEPCI)
                emit.label(e, label)
                emit.string(e, OX.siren, siren)
                emit.string(e, OX.epciType, kind)
                emit.add(e, OX.shownIn, emit.source)
            for member in members:
                code = optional("membres.code", member.get("code") if isinstance(member, dict) else member,
                                run.codes.insee, result, (file, i))
                if code is not None:
                    membership(emit, run, vintage, code, siren)
            result.rows_accepted += 1
    return parse


def parse_communes_history(vintage: str):
    def parse(data: bytes, result: ImportResult, emit: Emitter, run: ImportRun) -> None:
        current = _require_current(run, vintage, NAME)
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
            if code not in current:
                skipped[f"not a current commune in {cog.VINTAGE} (merged or renumbered since)"] += 1
                continue
            result.rows_accepted += 1
            c = commune_iri(code)
            iri, new = _period_node(run, NAME, vintage, code, label, lambda _: ids.fragment(c, f"name-{vintage}"))
            if iri is None:
                continue  # the current name: nothing to add
            n = emit.node(iri)
            if new:
                n = emit.entity(iri, OX.FormerName)
                emit.label(n, label)
                emit.add(n, OX.nameOf, emit.node(c))
                emit.add(emit.node(c), OX_SKOS.altLabel, ox.Literal(label, language="fr"))
            emit.add(n, OX.shownIn, emit.source)
        result.skipped.update(skipped)
    return parse


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
