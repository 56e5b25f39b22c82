"""The communes of each member EPCI of a Territoire d'industrie are in the programme (derived, inferred).

ANCT's list of Territoires d'industrie (source ``anct-ti``, :mod:`pvd_graph.importers.anct_ti`)
names EPCI, not communes; the issue's rule is that a commune of a member EPCI is in ``ti``. The
membership is the one of the list's vintage: the communes that the COG 2023 (``cog-2023-epci``,
read as history) shows in the EPCI (``pvd:Membership`` ``pvd:shownIn`` that source), and that are
current communes of the build (a commune merged since is not moved to its successor). For each, the
participation ``participation/commune-{INSEE}-ti`` (the shape of :meth:`Emitter.participation`:
``pvd:participant``, ``pvd:inProgramme``, the shortcut ``pvd:participatesIn``), marked inferred:
``prov:wasDerivedFrom`` the EPCI's participation and a ``skos:editorialNote``, and no
``pvd:listedIn`` (no list names the commune; a commune the list names itself keeps only that
stated participation). Everything lands in ``graph/derived``.
"""

from __future__ import annotations

import pyoxigraph as ox

from pvd_graph.build.assemble import Conflict
from pvd_graph.importers.anct_ti import COG_VINTAGE, PROGRAMME
from pvd_graph.importers.history import OX_ORG
from pvd_graph.namespaces import OX, OX_PROV, OX_RDF, OX_SKOS, ids, named_graph_iri
from pvd_graph.store import Store

TI_GRAPH = named_graph_iri("anct-ti")
NOTE = ("Participation déduite : commune membre, dans le code officiel géographique {vintage}, de l'EPCI "
        "{siren} que la liste des Territoires d'industrie nomme ; aucune liste ne nomme la commune.")


def inferred_participation(q: ox.NamedNode, town: ox.NamedNode, programme: ox.NamedNode,
                           derived_from: ox.NamedNode, note: str) -> list[ox.Triple]:
    """The participation *q* of *town* in *programme* that no list states, inferred from *derived_from*:
    the shape of :meth:`Emitter.participation` (with the ``pvd:participatesIn`` shortcut), marked
    inferred by ``prov:wasDerivedFrom`` and a French ``skos:editorialNote`` saying why, no ``pvd:listedIn``."""
    return [ox.Triple(q, OX_RDF.type, OX.Participation), ox.Triple(q, OX.participant, town),
            ox.Triple(q, OX.inProgramme, programme), ox.Triple(town, OX.participatesIn, programme),
            ox.Triple(q, OX_PROV.wasDerivedFrom, derived_from),
            ox.Triple(q, OX_SKOS.editorialNote, ox.Literal(note, language="fr"))]


def ti_communes(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """The participation in ``ti`` of every current commune of a member EPCI (COG of the list's vintage)."""
    programme = ox.NamedNode(ids.programme(PROGRAMME))
    rows = ds.select(f"""
        SELECT DISTINCT ?p ?epci ?town ?code WHERE {{
          GRAPH <{TI_GRAPH}> {{ ?p <{OX.participant.value}> ?epci ; <{OX.inProgramme.value}> <{programme.value}> .
                               ?epci <{OX.participatesIn.value}> <{programme.value}> }}
          ?m <{OX.shownIn.value}> <{ids.source(f"cog-{COG_VINTAGE}-epci")}> ;
             <{OX_ORG.organization.value}> ?epci ; <{OX_ORG.member.value}> ?town .
          ?town a <{OX.Commune.value}> ; <{OX.inseeCode.value}> ?code .
          FILTER NOT EXISTS {{ GRAPH <{TI_GRAPH}> {{ ?town <{OX.participatesIn.value}> <{programme.value}> }} }}
        }}""", union=True)
    triples = []
    for p, epci, town, code in sorted(rows, key=lambda r: (r[3].value, r[1].value)):
        q = ox.NamedNode(ids.participation(f"commune-{code.value}-{PROGRAMME}"))
        siren = epci.value.rsplit("/", 1)[-1]
        triples += inferred_participation(q, town, programme, p, NOTE.format(vintage=COG_VINTAGE, siren=siren))
    return triples, []
