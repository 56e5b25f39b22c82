"""What each vintage of the geographic code said, for the older vintages to compare with (issue 15).

Shared by the current code (:mod:`pvd_graph.importers.cog`) and the older vintages
(:mod:`pvd_graph.importers.cog_history`, whose docstring gives the model): one record per import run
(``run.earlier.history``) of each vintage's memberships and names, and the dated membership nodes.
Vintages are imported newest first, so a vintage finds the node of the same membership or name in
the next newer one: one node per continuous period.
"""

from __future__ import annotations

from collections.abc import Callable

from rdflib.namespace import ORG

from pvd_graph.identifiers import commune_iri, epci_iri
from pvd_graph.importers.common import Emitter, ImportRun
from pvd_graph.importers.readers import SourceError
from pvd_graph.namespaces import OX, OxTerms, ids

OX_ORG = OxTerms(ORG)

MEMBERSHIP, NAME, EPCI_NAME = "membership", "name", "epci-name"
#: what an older vintage holds, for the lists read in its code (:mod:`pvd_graph.importers.vintage`):
#: its communes (code → name) and its EPCI (SIREN → name)
COMMUNES, EPCI = "communes", "epci"
#: the codes whose last commune INSEE's tables end (``commune/{code}`` a dated pvd:FormerCommune), filled by
#: pvd_graph.importers.insee_history under the "vintage" ``insee``
FORMER = "former"
#: the "vintage" of :data:`FORMER` under which an older COG vintage records the former communes it makes itself
#: (:mod:`pvd_graph.importers.cog_history`: merged after INSEE's tables, their end bounded by the vintages)
FORMER_BY_COG = "cog"
#: every code that INSEE's tables of this import name (before or after a change), under the "vintage" ``insee``
TABLED = "tabled"
#: the value :data:`TABLED` holds for a code whose last commune the tables make but never end (``commune/{code}``
#: the commune after their last change of it, not current): an older COG vintage bounds its end like an untabled one
OPEN = "open"


def _history(run: ImportRun) -> dict:
    """kind → vintage → key → (value, node IRI or None): what each vintage read so far said."""
    if run.earlier.history is None:
        run.earlier.history = {MEMBERSHIP: {}, NAME: {}, EPCI_NAME: {}}
    return run.earlier.history


def record(run: ImportRun, kind: str, vintage: str, key: str, value: str) -> None:
    """Record that the code of *vintage* holds *key* (a commune's code, an EPCI's SIREN) named *value*."""
    _history(run).setdefault(kind, {}).setdefault(vintage, {})[key] = value


def period_node(run: ImportRun, kind: str, vintage: str, key, value, mint: Callable[[str | None], str | None]):
    """(node of *key* = *value* in *vintage*, whether this vintage is the first to state it).

    The node is that of the same key and value in the next newer vintage read (a continuous period);
    else a new one, ``mint(None)`` unless another period already has that IRI, then ``mint(vintage)``.
    """
    history = _history(run)[kind]
    if key in history.get(vintage, {}):  # listed twice by one vintage: already stated
        return history[vintage][key][1], False
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
    iri, new = period_node(run, MEMBERSHIP, vintage, (insee, siren), siren,
                            lambda last: ids.membership(f"{insee}-{siren}" + (f"-{last}" if last else "")))
    m = emit.node(iri)
    if new:
        m = emit.entity(iri, OX.Membership)
        emit.add(m, OX_ORG.member, emit.node(commune_iri(insee)))
        emit.add(m, OX_ORG.organization, emit.node(epci_iri(siren)))
    emit.add(m, OX.shownIn, emit.source)


def current_name(run: ImportRun, vintage: str, insee: str, name: str) -> None:
    """Record the current name of commune *insee* (its ``rdfs:label``), which older vintages compare with."""
    period_node(run, NAME, vintage, insee, name, lambda last: None)


def current_epci_names(run: ImportRun, vintage: str) -> None:
    """Record the current names of the EPCI (``run.earlier.epci_names``, of the current code), once: the older
    vintages compare theirs with them (former names of an EPCI)."""
    said = _history(run).setdefault(EPCI_NAME, {})
    if vintage not in said:
        for siren, name in (run.earlier.epci_names or {}).items():
            period_node(run, EPCI_NAME, vintage, siren, name, lambda last: None)


def former_communes(run: ImportRun) -> set[str]:
    """The codes whose last commune is a ``pvd:FormerCommune`` ``commune/{code}`` of this import: dated by INSEE's
    tables, or made by an older COG vintage with its end bounded (the lists read in an older code take them)."""
    said = (run.earlier.history or {}).get(FORMER, {})
    return set(said.get("insee", {})) | set(said.get(FORMER_BY_COG, {}))


def require_current(run: ImportRun, current: str, vintage: str, kind: str) -> dict:
    """What the *current* code said of *kind* in this import, or a :class:`SourceError` (file set aside)."""
    said = _history(run)[kind].get(current)
    if said is None:
        raise SourceError(f"geographic code of {vintage}: read as history against the current {current} code, "
                          f"which this import does not hold: set aside")
    return said


