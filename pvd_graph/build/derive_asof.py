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

A commune that only a *signed* convention of the programme concerns, with no participation node
(the curated Arlysère convention-cadre of 2023 concerns Albertville for the ORT and Ugine for PVD and
the ORT when the lists are not in the build), is in the programme from that signature: the catalogue
queries without a date already count it through ``pvd:concerns``, so at a date it must count too.
:func:`convention_participations` gives it the participation the convention implies
(``participation/commune-{INSEE}-{programme}``, marked inferred: ``prov:wasDerivedFrom`` the
convention, a ``skos:editorialNote``, no ``pvd:listedIn``), which :func:`in_programme_from` then dates
by the signature. An unsigned convention dates nothing and implies nothing (on the enlarged national
build: 11 communes of CRTE contracts, none signed, as under the query-time rule).
``queries/checks/convention-only-town-violation.rq`` reports any commune of a signed convention still
without a participation.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from pvd_graph.build.assemble import Conflict
from pvd_graph.build.derive_ti import inferred_participation
from pvd_graph.namespaces import OX, OX_DCTERMS, OX_PROV, OX_XSD, ids
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


NOTE = ("Participation déduite : la convention signée {convention} du programme concerne la commune ; "
        "aucune liste de la construction ne la nomme.")


def convention_participations(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """The participation of each commune a signed convention of a programme concerns, where the
    sources give it none (see the module): inferred from the convention, the earliest signed one named.

    The signed concerns of communes and the participations are two selects, joined here: one query
    with a ``MINUS`` over every participation took 6.5 s on the enlarged national build, these 1 s.
    The concerns are found first and their towns' type tested after (``FILTER EXISTS`` on a bound
    town): Oxigraph otherwise starts from every ``pvd:Commune`` (4.6 s).
    """
    earliest: dict[tuple[ox.NamedNode, str, ox.NamedNode], str] = {}  # (town, code, programme) → first convention
    for convention, programme, town, code in ds.select(f"""
        SELECT ?c ?programme ?town ?code WHERE {{
          {{ SELECT DISTINCT ?c ?programme ?town WHERE {{
              ?c <{OX.underProgramme.value}> ?programme ; <{OX.signedOn.value}> ?signed ; <{OX.concerns.value}> ?town }} }}
          FILTER EXISTS {{ ?town a <{OX.Commune.value}> }}
          ?town <{OX.inseeCode.value}> ?code }}""", union=True):
        key = (town, code.value, programme)
        if key not in earliest or convention.value < earliest[key]:
            earliest[key] = convention.value
    held = {(town, programme) for town, programme in ds.select(f"""
        SELECT DISTINCT ?town ?programme WHERE {{
          ?p <{OX.participant.value}> ?town ; <{OX.inProgramme.value}> ?programme }}""", union=True)}
    triples = []
    for (town, code, programme), convention in sorted(earliest.items(), key=lambda kv: (kv[0][1], kv[0][2].value)):
        if (town, programme) in held:
            continue
        slug = programme.value.rsplit("/", 1)[-1]
        q = ox.NamedNode(ids.participation(f"commune-{code}-{slug}"))
        name = convention.rsplit("/", 1)[-1]
        triples += inferred_participation(q, town, programme, ox.NamedNode(convention), NOTE.format(convention=name))
    return triples, []


def in_programme_from(ds: Store) -> tuple[list[ox.Triple], list[Conflict]]:
    """``participation pvd:inProgrammeFrom date`` for each participation with a sourced date (see the module)."""
    listed = ds.select(f"""
        SELECT DISTINCT ?p ?vintage WHERE {{
          ?p <{OX.listedIn.value}>/<{OX_DCTERMS.temporal.value}> ?vintage FILTER EXISTS {{ ?p a <{OX.Participation.value}> }} }}""",
                       union=True)
    # the conventions and the participations apart, joined here: the one-query join took minutes on
    # Oxigraph (4,702 dated concerns × 64,895 participations took 230 s; the two selects take 2 s).
    # DISTINCT: the union of the named graphs repeats a statement that several sources make (122,232
    # rows for 64,969 participations); a type is tested after the selective patterns (FILTER EXISTS on a
    # bound ?p), which Oxigraph would otherwise start from: the four selects 3.3 -> 1.8 s on the
    # enlarged national build.
    concerns: dict[tuple[ox.NamedNode, ox.NamedNode], list[ox.Literal]] = {}
    for programme, who, day in ds.select(f"""
        SELECT DISTINCT ?programme ?who ?signed WHERE {{
          ?c <{OX.underProgramme.value}> ?programme ; <{OX.signedOn.value}> ?signed ; <{OX.concerns.value}> ?who }}""",
                                         union=True):
        concerns.setdefault((who, programme), []).append(day)
    signed = [(p, day) for p, who, programme in ds.select(f"""
        SELECT DISTINCT ?p ?who ?programme WHERE {{
          ?p <{OX.participant.value}> ?who ; <{OX.inProgramme.value}> ?programme
          FILTER EXISTS {{ ?p a <{OX.Participation.value}> }} }}""",
                                                         union=True)
              for day in concerns.get((who, programme), ())]
    derived = ds.select(f"""
        SELECT DISTINCT ?p ?from WHERE {{
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
