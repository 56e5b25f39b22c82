"""Dated figures: a territory's population as one source gives it, with the date it is given for.

One ``pvd:PopulationFigure`` per territory and source (ontology/README.md, "Dated figures"), at
``<territory>#population-<source id>``: ``pvd:ofTerritory`` the territory, the count by kind when
the source says which (``pvd:populationMunicipale``, ``pvd:populationTotale``), ``pvd:count`` when
it does not, ``pvd:asOf`` the first day of the source's vintage and ``prov:wasDerivedFrom`` the
source (:meth:`Emitter.entity`). Several sources give several figures side by side: none of them
is a single-valued property that two sources fight over in ``conflicts.csv``.
"""

from __future__ import annotations

import datetime as dt
import re

import pyoxigraph as ox

from pvd_graph.importers.base import ImportResult
from pvd_graph.importers.common import Emitter
from pvd_graph.namespaces import OX, ids


def vintage_day(vintage: str) -> dt.date:
    """The first day of a source's vintage: ``"2026"`` → 2026-01-01, ``"2021-01"`` → 2021-01-01."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", vintage)
    if not m:
        raise ValueError(f"vintage {vintage!r} is not YYYY or YYYY-MM")
    return dt.date(int(m[1]), int(m[2] or 1), 1)


def population(emit: Emitter, result: ImportResult, territory: ox.NamedNode, *, count: int | None = None,
               municipale: int | None = None, totale: int | None = None) -> ox.NamedNode | None:
    """This source's population figure of *territory*, as of its vintage (None when it gives none)."""
    if count is None and municipale is None and totale is None:
        return None
    source_id = emit.source.value.rsplit("/", 1)[-1]
    f = emit.entity(ids.fragment(territory.value, f"population-{source_id}"), OX.PopulationFigure)
    emit.add(f, OX.ofTerritory, territory)
    emit.integer(f, OX.count, count)
    emit.integer(f, OX.populationMunicipale, municipale)
    emit.integer(f, OX.populationTotale, totale)
    emit.date(f, OX.asOf, vintage_day(result.source.vintage))
    return f
