"""Each programme file checked against ANCT's commune × programme table (ngeo): the disagreements.

The ngeo table (source ``anct-ngeo``, COG 2023, :mod:`pvd_graph.importers.anct_ngeo`) gives each
current commune's ids in PVD, Territoires d'industrie, ACV, ACV 2 and Villages d'avenir
(``pvd:TableEntry``); each programme's own files give its participations. For every imported list
that names participations in one of those programmes (``pvd:listedIn`` a known source other than the
table; the curated data is no list) and every commune, one line goes to ``conflicts.csv`` when:

* the commune is in the programme by the list and has no entry in the table, or the reverse
  (property ``pvd:participatesIn``; the side that does not name it is ``(none)``);
* both name it but with different ids (property ``pvd:programmeId``), where the list gives an id:
  the Territoires d'industrie that name the commune or an EPCI it is in by the COG 2023 (their
  ``pvd:programmeId``), the ACV framework convention it joined through (``convention/acv-NNN``),
  the France services offices located in the commune (their ``id_fs``, ``dcterms:identifier``:
  the table's ``id_fs`` are the same numbers; an office moved from a former commune's or an
  arrondissement's code counts for the commune it is located in).

The table and the lists read in the COG 2023 name communes of 2023, some merged since: an entry or
a participation of such a former commune (``pvd:carriedOnBy``, :mod:`pvd_graph.build.derive_history`)
counts for each current commune that carries it on, with its ids, so that both accounts are
compared in the current code (the line's subject is the current commune; the former commune's
entry and participation stay as they are in the graph).

A commune of a Territoire d'industrie is in it through its EPCI: the derived participations
(:mod:`pvd_graph.build.derive_ti`) count for the list whose EPCI participation they derive from.
"kept" is the list's account (the graph's participations are the list's), "dropped" the table's;
nothing is merged or removed: the table's entries and the lists' participations stay, each in its
own graph, and the line only reports the disagreement. Both sources are named on every line.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from pvd_graph.build.assemble import Conflict
from pvd_graph.importers import KNOWN_SOURCES, france_services
from pvd_graph.importers.anct_ngeo import CHECKED
from pvd_graph.importers.anct_ti import COG_VINTAGE
from pvd_graph.importers.history import OX_ORG
from pvd_graph.namespaces import DCTERMS, OX, PROV, ids, named_graph_iri
from pvd_graph.store import Store

NGEO = "anct-ngeo"
NGEO_GRAPH = named_graph_iri(NGEO)
TI_GRAPH = named_graph_iri("anct-ti")
FS_SOURCE = france_services.IMPORTER.id
FS_GRAPH = named_graph_iri(FS_SOURCE)
FS_PROGRAMME = france_services.PROGRAMME
DERIVED_GRAPH = named_graph_iri("derived")
#: the current communes: those of the geographic code of the build
COMMUNES_GRAPH = named_graph_iri("cog-communes")
SOURCE_PREFIX = ids.source("")

#: town IRI → ids (empty: listed without an id the table could be compared with)
Account = dict[str, set[str]]


def _show(programme: str, account: Account, town: str) -> str:
    if town not in account:
        return "(none)"
    return f"{programme} ({' ; '.join(sorted(account[town])) or 'listed'})"


#: town IRI → the current communes it counts for: itself when current, its carriers when a former commune
Current = dict[str, tuple[str, ...]]


def _current(ds: Store) -> Current:
    """Each current commune for itself, and each former commune for the current communes carrying it on."""
    found: dict[str, list[str]] = {c.value: [c.value] for (c,) in ds.select(f"""SELECT ?c WHERE {{
        GRAPH <{COMMUNES_GRAPH}> {{ ?c a <{OX.Commune.value}> }} }}""")}
    carriers: dict[str, list[str]] = defaultdict(list)
    for former, now in ds.select(f"""SELECT ?f ?c WHERE {{ GRAPH <{DERIVED_GRAPH}> {{
            ?f <{OX.carriedOnBy.value}> ?c }} }}"""):
        if former.value not in found and now.value in found:
            carriers[former.value].append(now.value)
    found.update(carriers)
    return {town: tuple(nows) for town, nows in found.items()}


def _table(ds: Store, programme: str, current: Current) -> Account:
    rows = ds.select(f"""SELECT ?town ?id WHERE {{ GRAPH <{NGEO_GRAPH}> {{
        ?e <{OX.entryIn.value}> <{ids.programme(programme)}> ; <{OX.entryOf.value}> ?town ;
           <{DCTERMS.identifier}> ?id }} }}""")
    found: Account = defaultdict(set)
    for town, value in rows:
        for now in current.get(town.value, ()):
            found[now].add(value.value)
    return found


def _lists(ds: Store, programme: str, current: Current) -> dict[str, Account]:
    """source id → the communes its participations in *programme* name (directly or, for ``ti``, through an
    EPCI), with the ids it gives them (empty where it gives none to compare)."""
    prog = ids.programme(programme)
    rows = list(ds.select(f"""SELECT DISTINCT ?src ?town WHERE {{ GRAPH ?g {{
        ?p <{OX.inProgramme.value}> <{prog}> ; <{OX.listedIn.value}> ?src ; <{OX.participant.value}> ?town }} }}"""))
    rows += ds.select(f"""SELECT DISTINCT ?src ?town WHERE {{
        GRAPH <{DERIVED_GRAPH}> {{ ?q <{OX.inProgramme.value}> <{prog}> ; <{OX.participant.value}> ?town ;
                                  <{PROV.wasDerivedFrom}> ?p }}
        GRAPH ?g {{ ?p <{OX.listedIn.value}> ?src }} }}""")
    lists: dict[str, Account] = defaultdict(dict)
    for src, town in rows:
        sid = src.value.removeprefix(SOURCE_PREFIX)
        if sid in KNOWN_SOURCES and sid != NGEO:
            for now in current.get(town.value, ()):
                lists[sid][now] = set()
    for sid, town, value in _ids(ds, programme):
        for now in current.get(town, ()):
            if now in lists.get(sid, {}):
                lists[sid][now].add(value)
    return lists


def _ids(ds: Store, programme: str) -> list[tuple[str, str, str]]:
    """(source id, town, id) of the ids a list gives its communes in *programme*, where it gives one."""
    if programme == "ti":  # the territories naming the commune, or an EPCI it is in by the COG of the list's vintage
        rows = list(ds.select(f"""SELECT DISTINCT ?town ?id WHERE {{
            GRAPH <{TI_GRAPH}> {{ ?t <{OX.hasMember.value}> ?town ; <{OX.programmeId.value}> ?id }} }}"""))
        rows += ds.select(f"""SELECT DISTINCT ?town ?id WHERE {{
            GRAPH <{TI_GRAPH}> {{ ?t <{OX.hasMember.value}> ?epci ; <{OX.programmeId.value}> ?id }}
            GRAPH <{named_graph_iri(f"cog-{COG_VINTAGE}-epci")}> {{ ?m <{OX.shownIn.value}> ?vintage }}
            ?m <{OX_ORG.organization.value}> ?epci ; <{OX_ORG.member.value}> ?town .
        }}""", union=True)
        return [("anct-ti", town.value, value.value) for town, value in rows]
    if programme == "acv":
        rows = ds.select(f"""SELECT DISTINCT ?src ?town ?c WHERE {{
            GRAPH ?g {{ ?p <{OX.inProgramme.value}> <{ids.programme('acv')}> ; <{OX.listedIn.value}> ?src ;
                           <{OX.participant.value}> ?town ; <{OX.joinedThrough.value}> ?c }}
        }}""")
        return [(src.value.removeprefix(SOURCE_PREFIX), town.value, c.value.rsplit("/", 1)[-1])
                for src, town, c in rows if c.value.rsplit("/", 1)[-1].startswith("acv-")]
    if programme == FS_PROGRAMME:  # the offices located in the commune (their id_fs)
        rows = ds.select(f"""SELECT DISTINCT ?town ?id WHERE {{ GRAPH <{FS_GRAPH}> {{
            ?o a <{OX.FranceServicesOffice.value}> ; <{OX.locatedIn.value}> ?town ; <{DCTERMS.identifier}> ?id }} }}""")
        return [(FS_SOURCE, town.value, value.value) for town, value in rows]
    return []


def ngeo_cross_check(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """The disagreements between each programme list and the ngeo table (no triple is derived)."""
    conflicts: list[Conflict] = []
    current = _current(ds)
    for programme in CHECKED.values():
        table = _table(ds, programme, current)
        if not table:
            continue  # the table is not in this build: nothing to compare
        for sid, listed in sorted(_lists(ds, programme, current).items()):
            for town in sorted(set(table) | set(listed)):
                if (town in table) != (town in listed):
                    conflicts.append(Conflict(town, OX.participatesIn.value, _show(programme, listed, town), sid,
                                              _show(programme, table, town), NGEO))
                elif listed[town] and listed[town] != table[town]:
                    conflicts.append(Conflict(town, OX.programmeId.value, " ; ".join(sorted(listed[town])), sid,
                                              " ; ".join(sorted(table[town])), NGEO))
    return [], conflicts
