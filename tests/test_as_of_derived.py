"""The materialised date "in a programme from" (issue 15, issue 20): ``pvd:inProgrammeFrom`` on each
participation (derived, ``pvd_graph/build/derive_asof.py``), which the date-aware queries read.

Expected answers are read from the files: the 2021 PVD list in COG 2021, the two 2024 PVD lists and
their adhesion dates, the curated conventions (``tests.test_as_of_queries.sources``).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pvd_graph import query
from pvd_graph.build.derive_asof import first_day
from tests.test_as_of import CURRENT_CODE_FROM
from tests.test_as_of_queries import _rows, graph, sources  # noqa: F401  (fixtures)

PVD = "https://w3id.org/pvd-graph/ontology#"


def test_a_vintage_counts_from_its_first_day_and_another_form_is_refused():
    assert first_day(ox.Literal("2021-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYearMonth"))) \
        == "2021-01-01"
    assert first_day(ox.Literal("2023")) == "2023-01-01" and first_day(ox.Literal("2024-08-01")) == "2024-08-01"
    with pytest.raises(ValueError, match="'janvier 2021': not YYYY"):
        first_day(ox.Literal("janvier 2021"))


def test_pvd_participations_are_in_from_their_first_list_or_convention(graph, sources):  # noqa: F811
    """Each PVD town's pvd:inProgrammeFrom is the earliest of: the first day of each list naming it
    (2021-01, 2024-02, 2024-08) and the signature of its convention d'adhésion (2024 lists) or of a
    curated PVD convention concerning it."""
    expected: dict[str, str] = {}

    def keep(code, day):
        if code not in expected or day < expected[code]:
            expected[code] = day
    for towns, first in ((sources["list_2021"], "2021-01-01"), (sources["2024-02"], "2024-02-01"),
                         (sources["2024-08"], "2024-08-01")):
        for c in towns:
            keep(c, first)
    for c, d in sources["signed"].items():
        keep(c, d)
    for p, d, cs in sources["curated"]:
        for c in cs if p == "pvd" else ():
            keep(c, d)
    got = {str(code): str(day) for code, day in query.run_query(graph, f"""
        SELECT ?code ?from WHERE {{ ?p <{PVD}participant> ?t ; <{PVD}inProgramme> <https://w3id.org/pvd-graph/id/programme/pvd> ;
                                     <{PVD}inProgrammeFrom> ?from . ?t <{PVD}inseeCode> ?code }}""")[1]}
    assert len(got) > 1600 and got == {c: d for c, d in expected.items() if c in got}
    assert set(expected) - set(got) <= set(expected) - set(sources["list_2021"]) - sources["2024-02"] - sources["2024-08"]


def test_ti_at_a_date_counts_the_communes_of_its_member_epci(graph):  # noqa: F811
    """A commune of a member EPCI of a Territoire d'industrie (a derived participation, no list of its
    own) is in ti from the list's vintage (2024-07) like the EPCI: region-summary's ti counts on the first day of
    the current code are those without a date (before: only the 12 communes the list names), and none the day
    before the list's month."""
    def ti(params):
        return {r["region"]: r["towns"] for r in _rows(graph, "region-summary", params) if r["programme"] == "ti"}
    now = ti({})
    assert sum(now.values()) > 1000 and ti({"date": CURRENT_CODE_FROM}) == now == ti({"date": "2024-07-01"})
    assert ti({"date": "2024-06-30"}) == {}

