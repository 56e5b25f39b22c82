"""The periods of the dated memberships, former names and former EPCI, from the vintages that show them.

Rule (ontology/README.md, "Memberships and names per vintage"): a vintage (millésime) of the
geographic code is dated 1 January of its year. A node shown (``pvd:shownIn``) by the vintages
V of one kind of file (``epci.json`` for memberships and former EPCI, ``communes.json`` for names)
gets ``pvd:validFrom`` 1 January of the oldest of V and, unless the newest vintage read of that
kind shows it, ``pvd:validUntil`` 1 January of the first vintage read after the newest of V
(half-open ``[validFrom, validUntil)``). "From" is therefore "first read", not the day the
membership began: the code before 2021 is not read. The importers
(:mod:`pvd_graph.importers.cog_history`) make one node per continuous period, so V has no gap;
a node whose V skips a vintage read is reported in ``conflicts.csv`` and dated by its oldest run.

A former commune that a vintage shows (merged after the years INSEE's tables cover, so no table dates it:
:mod:`pvd_graph.importers.cog_history`) gets no ``pvd:validUntil``, only its bounds: ``pvd:validUntilNotAfter``
1 January of the first vintage read without it, ``pvd:validUntilNotBefore`` 1 January of the year after the
newest vintage showing it, or of the year after the table's last year (its ``dcterms:temporal``) when the table
covers the years in between (the table does not name it, so it did not end in those years). COG 2023 and 2026
give [2024-01-01, 2026-01-01], the merger table to 2024 raises it to [2025-01-01, 2026-01-01].
"""

from __future__ import annotations

import datetime as dt
import re

import pyoxigraph as ox

from pvd_graph.build.assemble import Conflict
from pvd_graph.namespaces import DCTERMS, OX, OX_XSD, PREFIXES, ids
from pvd_graph.store import Store

_SOURCE_KIND = re.compile(r"cog-(?:[0-9]{4}-)?(.+)")

_VINTAGES = f"""
SELECT ?s ?vintage WHERE {{ ?s pvd:cogVintage ?vintage . FILTER(STRSTARTS(STR(?s), "{ids.source("cog-")}")) }}"""

_SHOWN = """
SELECT ?n ?s WHERE { ?n pvd:shownIn ?s }"""


def _kind(source: str) -> str | None:
    m = _SOURCE_KIND.fullmatch(source.rsplit("/", 1)[-1])
    return m.group(1) if m else None


def _date(year: str) -> ox.Literal:
    return ox.Literal(dt.date(int(year), 1, 1).isoformat(), datatype=OX_XSD.date)


def periods(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """``pvd:validFrom``/``pvd:validUntil`` of every node that a vintage of the code shows, by the rule above."""
    vintage_of = {s.value: v.value[:4] for s, v in ds.select(_VINTAGES, union=True, prefixes=PREFIXES)}
    read: dict[str, list[str]] = {}
    for source, year in vintage_of.items():
        read.setdefault(_kind(source), []).append(year)
    shown: dict[ox.NamedNode, set[str]] = {}
    kind_of: dict[ox.NamedNode, str] = {}
    for n, s in ds.select(_SHOWN, union=True, prefixes=PREFIXES):
        if s.value in vintage_of:
            shown.setdefault(n, set()).add(vintage_of[s.value])
            kind_of[n] = _kind(s.value)
    # a former commune shown by a vintage: one whose merger INSEE's tables do not name (pvd_graph.importers.cog_history)
    former = {n for (n,) in ds.select(f"SELECT ?n WHERE {{ ?n a <{OX.FormerCommune.value}> ; <{OX.shownIn.value}> [] }}",
                                      union=True)}
    tables = _tables_year(ds)
    triples, conflicts = [], []
    for n, years in shown.items():
        all_years = sorted(set(read[kind_of[n]]))
        run = all_years[all_years.index(min(years)):]
        last = min(years)
        for year in run[1:]:
            if year not in years:
                break
            last = year
        if set(years) - set(run[:run.index(last) + 1]):
            conflicts.append(Conflict(n.value, OX.validUntil.value, last, "derived (first continuous run)",
                                      " ".join(sorted(years)), "vintages showing it, with a gap"))
        triples.append(ox.Triple(n, OX.validFrom, _date(min(years))))
        later = [y for y in all_years if y > last]
        if later and n in former:
            # no day of its end: only its bounds (the end is after the last vintage showing it and after the years
            # INSEE's tables cover, which do not name it; at the latest the first vintage read without it)
            not_before = str(int(last) + 1)
            if tables is not None and last < tables < later[0]:
                not_before = str(int(tables) + 1)
            triples.append(ox.Triple(n, OX.validUntilNotBefore, _date(not_before)))
            triples.append(ox.Triple(n, OX.validUntilNotAfter, _date(later[0])))
        elif later:
            triples.append(ox.Triple(n, OX.validUntil, _date(later[0])))
    return triples, conflicts


def _tables_year(ds: Store) -> str | None:
    """The last year INSEE's merger table covers (its source's ``dcterms:temporal``), ``None`` without the table."""
    rows = ds.select(f"SELECT ?y WHERE {{ <{ids.source('insee-fusions')}> <{DCTERMS.temporal}> ?y }}", union=True)
    return max((y.value[:4] for (y,) in rows), default=None)
