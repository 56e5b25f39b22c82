"""The date from which each participation is in its programme (derived: ``pvd:inProgrammeFrom``).

The rule of "the graph as of a date" (issue 15, ontology/README.md): a participant is in a
programme from the first day of the vintage (``dcterms:temporal`` of the source: ``xsd:gYearMonth``
``2021-01`` → 2021-01-01, ``xsd:gYear`` ``2023`` → 2023-01-01, an ``xsd:date`` itself) of the first
list naming its participation (``pvd:listedIn``), or from the signature (``pvd:signedOn``) of a
convention of the programme (``pvd:underProgramme``) that concerns it (``pvd:concerns``), whichever
is earlier. The catalogue queries applied it at query time, in a ``UNION`` repeated in each query that
scanned every participation even without a date; it is now computed once here and each
``pvd:Participation`` gets its ``pvd:inProgrammeFrom`` (``xsd:date``) in ``graph/derived``.

Nothing new is asserted: the date is the earliest of dates the sources give (a list's vintage, a
signature), the date from which the graph's sources show the participation, not a selection date that
no source gives. A participation derived from another one (a commune of a member EPCI of a
Territoire d'industrie, :mod:`pvd_graph.build.derive_ti`: ``prov:wasDerivedFrom`` the EPCI's
participation, no ``pvd:listedIn``) takes the date of the participation it is derived from (the list
that names the EPCI), or its own convention's if earlier. A participation with none of these dates
(no list with a vintage, no signed convention) gets none: it is not shown at a date, as before.

A town that only a convention of the programme concerns, with no participation node, gets no date
(there is no node to carry it, and minting a participation would add one to every reader of the graph
without a date): on the enlarged national build these are 11 communes of CRTE contracts, none signed
(no ``pvd:signedOn``), so none had a date under the query-time rule either. A commune of a *signed*
convention without a participation would lose its date silently: ``queries/checks/convention-only-town-
violation.rq`` reports it as a violation of the build.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from pvd_graph.build.assemble import Conflict
from pvd_graph.namespaces import OX, OX_DCTERMS, OX_PROV, OX_XSD
from pvd_graph.store import Store

#: the lexical forms of a vintage counted from their first day (gYear, gYearMonth, date)
_VINTAGE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def first_day(vintage: ox.Literal) -> str:
    """``2021-01`` → ``2021-01-01``, ``2023`` → ``2023-01-01``, ``2024-08-01`` itself.

    Vintages are the importers' constants (``SourceInfo.vintage``): another form is a programming
    error, refused rather than read as some other day.
    """
    m = _VINTAGE.fullmatch(vintage.value)
    if m is None:
        raise ValueError(f"vintage {vintage.value!r}: not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.groups()
    return f"{year}-{month or '01'}-{day or '01'}"


def in_programme_from(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """``participation pvd:inProgrammeFrom date`` for each participation with a sourced date (see the module)."""
    listed = ds.select(f"""
        SELECT ?p ?vintage WHERE {{
          ?p a <{OX.Participation.value}> ; <{OX.listedIn.value}>/<{OX_DCTERMS.temporal.value}> ?vintage }}""",
                       union=True)
    # the conventions and the participations apart, joined here: the one-query join took minutes on
    # Oxigraph (4,702 dated concerns × 64,895 participations took 230 s; the two selects take 2 s)
    concerns: dict[tuple[ox.NamedNode, ox.NamedNode], list[ox.Literal]] = {}
    for programme, who, day in ds.select(f"""
        SELECT ?programme ?who ?signed WHERE {{
          ?c <{OX.underProgramme.value}> ?programme ; <{OX.signedOn.value}> ?signed ; <{OX.concerns.value}> ?who }}""",
                                         union=True):
        concerns.setdefault((who, programme), []).append(day)
    signed = [(p, day) for p, who, programme in ds.select(f"""
        SELECT ?p ?who ?programme WHERE {{
          ?p a <{OX.Participation.value}> ; <{OX.participant.value}> ?who ; <{OX.inProgramme.value}> ?programme }}""",
                                                         union=True)
              for day in concerns.get((who, programme), ())]
    derived = ds.select(f"""
        SELECT ?p ?from WHERE {{
          ?p a <{OX.Participation.value}> ; <{OX_PROV.wasDerivedFrom.value}> ?from .
          ?from a <{OX.Participation.value}> }}""", union=True)
    earliest: dict[ox.NamedNode, str] = {}

    def keep(p, day: str | None) -> None:
        if day is not None and (p not in earliest or day < earliest[p]):
            earliest[p] = day

    for p, vintage in listed:
        keep(p, first_day(vintage))
    for p, day in signed:
        if day.datatype == OX_XSD.date:
            keep(p, day.value)
    # a derived participation: the date of the one it comes from (one level: derive_ti's)
    for p, source in derived:
        keep(p, earliest.get(source))
    triples = [ox.Triple(p, OX.inProgrammeFrom, ox.Literal(day, datatype=OX_XSD.date))
               for p, day in sorted(earliest.items(), key=lambda kv: kv[0].value)]
    return triples, []
