"""The communes each CRTE covers through its groupings, and the cross-check with the ngeo table.

The ANCT list of CRTE (source ``anct-crte``) names groupings, not communes. A CRTE covers the
communes of each EPCI it groups (a grouping with a ``pvd:epciType``: the EPCI, and the Métropole de
Lyon, which is not one but has member communes too): for every ``?crte pvd:hasGrouping ?epci`` and every commune
``pvd:memberOf ?epci`` in the geographic code of the build (COG 2026), ``?crte pvd:concerns
?commune`` is derived (graph ``graph/derived``). A commune grouping (nature ``COM``) is
concerned directly by the list; the communes of another grouping (the établissements publics
territoriaux of Greater Paris) are not in the COG, so only the ngeo table gives them.

The ANCT ngeo table (source ``anct-ngeo``, COG 2023) states each commune's CRTE itself. Where
both say something of a commune and they differ (the CRTE by ngeo is not the CRTE of its EPCI
grouping, or a CRTE covers it by one account only), one line goes to ``conflicts.csv``: kept =
the CRTE by ngeo, dropped = the CRTE through the groupings. Nothing is merged or removed: both
accounts stay in the graph, each in its own graph; the line only reports the disagreement.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from pvd_graph.build.assemble import Conflict
from pvd_graph.namespaces import OX, named_graph_iri
from pvd_graph.store import Store

CRTE_GRAPH = named_graph_iri("anct-crte")
NGEO_GRAPH = named_graph_iri("anct-ngeo")
#: how the cross-check names the property the two sources disagree on
CROSS_CHECK = OX.concerns.value


def _slug(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def crte_coverage(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """``?crte pvd:concerns ?commune`` for the communes of each EPCI grouping; ngeo disagreements."""
    by_grouping: dict[ox.NamedNode, dict[str, str]] = defaultdict(dict)  # commune → {crte: through}
    triples = []
    for crte, town, epci in ds.select(f"""
        SELECT DISTINCT ?crte ?town ?epci WHERE {{
          GRAPH <{CRTE_GRAPH}> {{ ?crte <{OX.hasGrouping.value}> ?epci }}
          GRAPH ?t {{ ?epci <{OX.epciType.value}> [] }}
          GRAPH ?g {{ ?town <{OX.memberOf.value}> ?epci }}
        }}"""):
        triples.append(ox.Triple(crte, OX.concerns, town))
        by_grouping[town][crte.value] = f"EPCI {_slug(epci.value)}"
    for crte, town in ds.select(f"""
        SELECT DISTINCT ?crte ?town WHERE {{
          GRAPH <{CRTE_GRAPH}> {{ ?crte <{OX.hasGrouping.value}> ?town . ?town a <{OX.Commune.value}> }}
        }}"""):
        by_grouping[town][crte.value] = "the commune itself"
    by_ngeo: dict[ox.NamedNode, set[str]] = defaultdict(set)
    for crte, town in ds.select(f"""
        SELECT DISTINCT ?crte ?town WHERE {{ GRAPH <{NGEO_GRAPH}> {{ ?crte <{OX.concerns.value}> ?town }} }}"""):
        by_ngeo[town].add(crte.value)
    conflicts = []
    if by_ngeo and by_grouping:  # a cross-check needs both sources in the build
        for town in sorted(set(by_ngeo) | set(by_grouping), key=lambda t: t.value):
            ngeo, groups = by_ngeo.get(town, set()), by_grouping.get(town, {})
            if ngeo == set(groups):
                continue
            kept = " ; ".join(_slug(c) for c in sorted(ngeo)) or "(none)"
            dropped = " ; ".join(f"{_slug(c)} (through {groups[c]})" for c in sorted(groups)) or "(none)"
            conflicts.append(Conflict(town.value, CROSS_CHECK, kept, "anct-ngeo",
                                      f"{dropped}; both kept in the graph", "anct-crte"))
    return triples, conflicts
