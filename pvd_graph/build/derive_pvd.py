"""The status of each *Petites villes de demain* participation, derived from the list vintages.

Rule (ontology/README.md, "PVD: vintages, participations, conventions d'adhésion"), applied to
every ``pvd:Participation`` in ``programme/pvd`` that at least one imported list names
(``pvd:listedIn``, each source with its vintage ``dcterms:temporal``), after conflicts are
resolved:

- not named by the newest PVD list of the build: ``plus listée en {newest vintage}`` (the town
  was selected, possibly joined, and the latest list no longer shows it);
- otherwise, with a convention d'adhésion dated (``pvd:joinedThrough``/``pvd:signedOn``):
  ``adhérente``;
- otherwise ``lauréate`` (selected, no adhésion date published).

"Joined later" needs no status: the oldest vintage naming a participation is its selection
(the ``listed`` column of ``programmes-of-town`` and ``towns-in-programme``), e.g. ``2024-02``
for a town absent from the 2021 list. The triples go to ``graph/derived``, never to a source's graph.
"""

from __future__ import annotations

import pyoxigraph as ox

from pvd_graph.build.assemble import Conflict
from pvd_graph.namespaces import OX, PREFIXES, ids
from pvd_graph.store import Store

ADHERENTE, LAUREATE, NOT_LISTED = "adhérente", "lauréate", "plus listée en {}"

_QUERY = f"""
SELECT ?p (GROUP_CONCAT(DISTINCT STR(?vintage); separator=" ") AS ?vintages) (SAMPLE(?signed) AS ?joined) WHERE {{
  ?p a pvd:Participation ; pvd:inProgramme <{ids.programme("pvd")}> ; pvd:listedIn ?list .
  ?list dcterms:temporal ?vintage .
  OPTIONAL {{ ?p pvd:joinedThrough/pvd:signedOn ?signed }}
}} GROUP BY ?p"""


def pvd_status(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """``pvd:participationStatus`` of every listed PVD participation, by the rule above."""
    rows = ds.select(_QUERY, union=True, prefixes=PREFIXES)
    vintages = {p.value: set(v.value.split()) for p, v, _ in rows}
    if not vintages:
        return [], []
    newest = max(set().union(*vintages.values()))
    triples = []
    for p, _, joined in rows:
        if newest not in vintages[p.value]:
            status = NOT_LISTED.format(newest)
        else:
            status = ADHERENTE if joined is not None else LAUREATE
        triples.append(ox.Triple(p, OX.participationStatus, ox.Literal(status)))
    return triples, []
