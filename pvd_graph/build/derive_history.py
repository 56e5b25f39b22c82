"""Which current commune carries on each former commune (a derivation: ``pvd:carriedOnBy``).

The INSEE tables (:mod:`pvd_graph.importers.insee_history`) link each former commune to the commune
right after the change (``dcterms:isReplacedBy``), which may itself be a former commune (a commune
nouvelle of 2016 merged again in 2019). The rule follows ``dcterms:isReplacedBy`` to the communes
that are current (typed ``pvd:Commune``, i.e. in the COG of the build) and states
``former pvd:carriedOnBy current`` for each, so that a participation listed under a former
commune's code (the 2021 PVD list's Hesdin, ``commune/62447-until-2025``) resolves in one hop to
the commune that carries it on today (Hesdin-la-Forêt, ``commune/62447``). A split commune is
carried on by each of its parts. The successor is never substituted for the former commune: both
stay, the link says how they relate (ontology/README.md, "Communes through time").
"""

from __future__ import annotations

import pyoxigraph as ox

from pvd_graph.build.assemble import Conflict
from pvd_graph.namespaces import DCTERMS, OX
from pvd_graph.store import Store


def carried_on(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """``former pvd:carriedOnBy current`` for each former commune and each current commune it leads to."""
    rows = ds.select(f"""
        SELECT DISTINCT ?former ?now WHERE {{
          ?former a <{OX.FormerCommune.value}> ; <{DCTERMS.isReplacedBy}>+ ?now .
          ?now a <{OX.Commune.value}> .
        }}""", union=True)
    return [ox.Triple(former, OX.carriedOnBy, now) for former, now in rows], []


def former_participants(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """``participation pvd:formerParticipant former``: the commune that a list naming the participation meant.

    A list names a town by its code as of its vintage (``dcterms:temporal`` of the source). When a
    former commune of the participant's code (``pvd:formerInseeCode``) carried on by the participant
    was still valid then (its ``pvd:validUntil`` after the vintage's month; a vintage of a year only
    is 1 January of that year), the list named that former commune: the 2021 PVD list's Hesdin is
    ``commune/62447-until-2025``, whose participation ``commune/62447`` (Hesdin-la-Forêt) carries on.
    Of several former communes of one code, the one valid at the vintage (the earliest end after it).
    """
    rows = ds.select(f"""
        SELECT DISTINCT ?p ?vintage ?f ?until WHERE {{
          ?p a <{OX.Participation.value}> ; <{OX.participant.value}> ?c ; <{OX.listedIn.value}> ?list .
          ?list <{DCTERMS.temporal}> ?vintage .
          ?c <{OX.inseeCode.value}> ?code .
          ?f <{OX.formerInseeCode.value}> ?code ; <{OX.carriedOnBy.value}> ?c ; <{OX.validUntil.value}> ?until .
        }}""", union=True)
    valid_at: dict[tuple[ox.NamedNode, str], tuple[str, ox.NamedNode]] = {}
    for p, vintage, f, until in rows:
        month = vintage.value if len(vintage.value) > 4 else vintage.value + "-01"
        if month[:7] < until.value[:7]:
            key = (p, vintage.value)
            if key not in valid_at or until.value < valid_at[key][0]:
                valid_at[key] = (until.value, f)
    pairs = {(p, f) for (p, _), (_, f) in valid_at.items()}
    return [ox.Triple(p, OX.formerParticipant, f) for p, f in sorted(pairs, key=lambda t: (t[0].value, t[1].value))], []
