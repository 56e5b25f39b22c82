"""A catalogue query's two texts agree where they must: ``towns-in-programme`` without a date (its
``.rq``) and at a date after every dated fact of the graph (its ``.dated.rq``) give the same rows.

The undated text reads the current state (``pvd:participatesIn``, the current EPCI, name and
population); the dated one the dated state (``pvd:inProgrammeFrom``, the membership valid at the date,
the former name valid then, the latest population figure). After the newest date the graph holds, the
two must coincide, row for row and column for column; the only rows the dated text may lack are the
towns whose participation has no date at all (no list with a vintage, no signed convention: not shown
at any date, ontology/README.md « The graph as of a date »), counted here from the graph itself.
Every programme of the enlarged national build is checked.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pvd_graph import query, store

PVD = "https://w3id.org/pvd-graph/ontology#"


@pytest.fixture(scope="module")
def ds(enlarged_build):
    return store.open_built(enlarged_build)


def _after_every_date(ds) -> str:
    """The day after the newest xsd:date of the graph (a signature, a period's end, a derived start...)."""
    (newest,), = ds.select("""SELECT (MAX(?d) AS ?newest) WHERE {
        ?s ?p ?d FILTER (DATATYPE(?d) = <http://www.w3.org/2001/XMLSchema#date>) }""")
    return (date.fromisoformat(newest.value) + timedelta(days=1)).isoformat()


def _programmes(ds) -> list[str]:
    rows = ds.select(f"SELECT DISTINCT ?p WHERE {{ ?p a <{PVD}Programme> }}")
    return sorted(p.value.rsplit("/", 1)[-1] for (p,) in rows)


def _undated_towns(ds, programme: str) -> set[str]:
    """INSEE codes of the towns in *programme* (by the shortcut or a convention of the programme that
    concerns them, as the undated text reads it) that no participation with a pvd:inProgrammeFrom puts there."""
    prog = f"<https://w3id.org/pvd-graph/id/programme/{programme}>"
    rows = ds.select(f"""SELECT DISTINCT ?code WHERE {{
        {{ ?town <{PVD}participatesIn> {prog} }} UNION {{ ?c <{PVD}underProgramme> {prog} ; <{PVD}concerns> ?town }}
        ?town <{PVD}inseeCode> ?code .
        MINUS {{ ?p <{PVD}participant> ?town ; <{PVD}inProgramme> {prog} ; <{PVD}inProgrammeFrom> ?from }} }}""")
    return {code.value for (code,) in rows}


def test_towns_in_programme_undated_is_dated_after_every_date(ds):
    catalogue = query.load_catalogue()
    day = _after_every_date(ds)
    programmes = _programmes(ds)
    assert {"pvd", "acv", "ort", "crte", "ti", "va"} <= set(programmes)
    seen = 0
    for programme in programmes:
        cols, undated = query.run_query(ds, "towns-in-programme", {"programme": programme}, catalogue)[:2]
        _, dated = query.run_query(ds, "towns-in-programme", {"programme": programme, "date": day}, catalogue)[:2]
        now = {tuple("" if x is None else str(x) for x in row) for row in undated}
        then = {tuple("" if x is None else str(x) for x in row) for row in dated}
        assert then <= now, (programme, sorted(then - now)[:3])
        insee = cols.index("insee")
        assert {row[insee] for row in now - then} <= _undated_towns(ds, programme), programme
        seen += len(then)
    assert seen > 50_000  # the national lists, not an empty graph
