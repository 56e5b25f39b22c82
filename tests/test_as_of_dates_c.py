"""The graph as of a date in epci-ranking, pvd-ort-timeline, programme-by-typology and programme-matrix
(issue 15), and the second text a catalogue query may hold for a date (``NAME.dated.rq``).

Expected answers are read here from the files: the PVD towns at a date (the 2021 list in COG 2021, the
2024 lists, the conventions d'adhésion they date, the curated conventions: ``tests.test_as_of_queries``),
the EPCI of each commune in the geographic code in force at the date (``epci.json`` of COG 2021, 2023,
2026, each from 1 January of its year), the ORT tracking table's signatures and the communes' names in
COG 2021 and 2026. Without a date, the rows are those of the query texts of main before ``date``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections import Counter

import pytest

from pvd_graph import query, store
from tests.conftest import REPO, SHARED_DATA, SHARED_MORE_DATA
from tests.test_as_of_queries import _pvd_at, _rows
from tests.test_as_of_queries import sources  # noqa: F401  (fixture: the files' PVD towns, ORT signatures)

BEFORE = "b921d83"  # main before these four queries took `date`: their texts without a date
CODES = {2021: SHARED_MORE_DATA / "cog-2021", 2023: SHARED_MORE_DATA / "cog-2023", 2026: SHARED_DATA / "cog"}
DAYS = ["2021-02-01", "2024-06-01"]


# --- the second text ----------------------------------------------------------

HEADER = ('# title: t\n# description: d\n# param: date (xsd:date, optional) l\'état, ex. "2021-02-01"\n'
          '# returns: which\n')


def _catalogue(tmp_path, dated: str | None, header: str = HEADER):
    (tmp_path / "t.rq").write_text(header + 'SELECT ?which WHERE { BIND ("today" AS ?which) }\n', encoding="utf-8")
    if dated is not None:
        (tmp_path / "t.dated.rq").write_text(dated, encoding="utf-8")
    return query.load_catalogue(tmp_path)


def test_a_query_with_a_dated_text_answers_with_the_right_one(tmp_path):
    """`date` given: the text of NAME.dated.rq (which sees the date), else NAME.rq's; the dated file is no
    query of its own; `pvd-graph queries` says which file is sent with a date."""
    cat = _catalogue(tmp_path, "# a plain comment\nSELECT ?which ?date WHERE { BIND (STR(?date) AS ?which) }\n")
    assert list(cat) == ["t"] and cat["t"].dated_path == tmp_path / "t.dated.rq"
    ds = store.Store()
    assert [tuple(map(query.plain, r)) for r in query.run_query(ds, "t", {}, cat)[1]] == [("today",)]
    assert [tuple(map(query.plain, r)) for r in query.run_query(ds, "t", {"date": "2024-06-01"}, cat)[1]] \
        == [("2024-06-01",)]
    assert "with date: the text of t.dated.rq" in query.describe_catalogue(cat)
    assert json.loads(query.describe_catalogue(cat, "json"))[0]["dated_text"] == "t.dated.rq"
    # the endpoint: the page's text without a date, sent with a date, is replaced by the dated text
    q = cat["t"]
    assert query.catalogue_text(q, {"date": "x"}, q.text) is q.dated_text
    assert query.catalogue_text(q, {}, None) is q.text
    assert query.catalogue_text(q, {"date": "x"}, "SELECT * {}") == "SELECT * {}"


@pytest.mark.parametrize("header, dated, says", [
    (HEADER, "# returns: which\nSELECT ?which WHERE {}\n", "t.dated.rq:1: header line"),
    (HEADER.replace("# param: date (xsd:date, optional)", "# param: day (xsd:date, optional)"),
     "SELECT ?which ?date WHERE {}\n", "declares no optional '# param: date"),
])
def test_a_dated_text_is_refused_without_its_date_parameter_or_with_a_header(tmp_path, header, dated, says):
    with pytest.raises(ValueError, match=says):
        _catalogue(tmp_path, dated, header)


def test_a_dated_text_without_its_query_is_refused(tmp_path):
    (tmp_path / "lone.dated.rq").write_text("SELECT * WHERE {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lone.dated.rq: a text with a date but no lone.rq"):
        query.load_catalogue(tmp_path)


def test_the_queries_with_two_texts_have_a_dated_text_and_say_so():
    cat = query.load_catalogue()
    for name in ("epci-ranking", "pvd-ort-timeline", "programme-by-typology", "programme-matrix",
                 "towns-in-programme"):
        q = cat[name]
        assert q.dated_text and q.param("date").type == "xsd:date" and q.param("date").optional, name
        assert f"texte {name}.dated.rq" in q.text.split("\nPREFIX")[0], name  # the header says it


# --- on the enlarged build: expected answers from the files ---------------------

@pytest.fixture(scope="module")
def graph(enlarged_build):
    return query.open_graph(enlarged_build)


@pytest.fixture(scope="module")
def members():
    """Per geographic code, commune → its EPCI's SIREN and EPCI SIREN → name."""
    out = {}
    for year, folder in CODES.items():
        epcis = json.loads((folder / "epci.json").read_text(encoding="utf-8"))
        out[year] = ({m["code"]: e["code"] for e in epcis for m in e["membres"]}, {e["code"]: e["nom"] for e in epcis})
    return out


def _towns_at(sources, day: str) -> set[str]:  # noqa: F811
    """The PVD communes at *day* (files; a curated convention may also concern an EPCI: not a town)."""
    return {c for c in _pvd_at(sources, day) if len(c) == 5}


def _code_in_force(day: str) -> int:
    return max(y for y in CODES if f"{y}-01-01" <= day)


@pytest.mark.parametrize("name, params", [("epci-ranking", {"programme": "pvd"}), ("pvd-ort-timeline", {}),
                                          ("programme-by-typology", {"programme": "pvd", "typology": "centralite"}),
                                          ("programme-matrix", {"departement": "73"})])
def test_without_a_date_the_rows_are_those_of_the_text_before_date(graph, name, params):
    old = subprocess.run(["git", "-C", str(REPO), "show", f"{BEFORE}:queries/{name}.rq"], capture_output=True,
                         text=True, check=True).stdout
    before = _rows(graph, query.parse_header(old, name), params)
    assert before and _rows(graph, name, params) == before


@pytest.mark.parametrize("day", DAYS)
def test_epci_ranking_counts_each_town_in_its_epci_of_the_date(graph, sources, members, day):  # noqa: F811
    """Per EPCI, the PVD towns at the date (files), each in the EPCI the code in force at the date gives it;
    a dissolved EPCI counts at a date when it held (56010 Baud in 200067221 in 2021); its name is that code's."""
    member_of, names = members[_code_in_force(day)]
    expected = Counter(member_of[c] for c in _towns_at(sources, day) if c in member_of)
    rows = _rows(graph, "epci-ranking", {"programme": "pvd", "date": day})
    assert {r["siren"]: r["towns"] for r in rows} == dict(expected)
    assert {r["siren"]: r["name"] for r in rows} == {s: names[s] for s in expected}
    assert ("200067221" in expected) == (day < "2023-01-01")


def test_epci_ranking_before_any_source_is_empty(graph):
    assert _rows(graph, "epci-ranking", {"programme": "pvd", "date": "2000-01-01"}) == []


def _ort_signatures(sources, town: str, day: str) -> list[str]:  # noqa: F811
    return sorted(d for c, d in sources["ort"].items() if c == town and d <= day) \
        + sorted(d for p, d, cs in sources["curated"] if p == "ort" and town in cs and d <= day)


def test_pvd_ort_timeline_at_a_date(graph, sources):  # noqa: F811
    """The PVD towns at the date (files); joined and ort_signed only from signatures by then: for towns whose
    ORT (tracking table) was signed after 2021-02-01, ort_signed is empty the day before its signature and
    that date from it."""
    for day in DAYS:
        rows = _rows(graph, "pvd-ort-timeline", {"date": day})
        assert {r["insee"] for r in rows} == _towns_at(sources, day)
        assert all(r["joined"] is None or r["joined"] <= day for r in rows)
    pvd_2021 = _towns_at(sources, "2021-02-01")
    sample = sorted(c for c, d in sources["ort"].items() if c in pvd_2021 and d > "2021-02-01"
                    and not _ort_signatures(sources, c, "2021-02-01"))[:5]
    assert sample
    for town in sample:
        signed = min(_ort_signatures(sources, town, "2100-01-01"))
        before = (dt.date.fromisoformat(signed) - dt.timedelta(days=1)).isoformat()
        at = {d: {r["insee"]: r for r in _rows(graph, "pvd-ort-timeline", {"date": d, "departement": town[:2]})}
              for d in (before, signed)}
        assert at[before][town]["ort_signed"] is None and at[before][town]["days_between"] is None, town
        assert at[signed][town]["ort_signed"] == signed, town


def test_programme_by_typology_counts_the_towns_of_the_date(graph, sources):  # noqa: F811
    """At a date, the towns of all levels (and « (aucun niveau) ») are the PVD towns of the date (files);
    the communes per level are today's (the typologies are not dated)."""
    today = _rows(graph, "programme-by-typology", {"programme": "pvd", "typology": "centralite"})
    for day in DAYS:
        rows = _rows(graph, "programme-by-typology", {"programme": "pvd", "typology": "centralite", "date": day})
        assert sum(r["towns"] for r in rows) == len(_towns_at(sources, day))
        assert [(r["level"], r["communes"]) for r in rows] == [(r["level"], r["communes"]) for r in today]
    assert sum(r["towns"] for r in _rows(graph, "programme-by-typology",
                                         {"programme": "pvd", "typology": "centralite", "date": "2000-01-01"})) == 0


def test_programme_matrix_at_a_date(graph, sources):  # noqa: F811
    """At 2021-02-01: the pvd column is filled for the PVD towns of the date (files) only; the lists of
    Territoires d'industrie (2024-07), Villages d'avenir and France services (2024-08-01) are not out
    yet, so their columns are empty; 62447 is named « Hesdin » (COG 2021), today « Hesdin-la-Forêt » (COG 2026)."""
    day = "2021-02-01"
    rows = _rows(graph, "programme-matrix", {"date": day})
    assert {r["insee"] for r in rows if r["pvd"]} == _towns_at(sources, day)
    assert not [r for r in rows if r["ti"] or r["va"] or r["france_services"]]
    names = {y: {c["code"]: c["nom"] for c in json.loads((CODES[y] / "communes.json").read_text(encoding="utf-8"))
                 if c["code"] == "62447" and c["type"] == "commune-actuelle"} for y in (2021, 2026)}
    hesdin = {d: [r["name"] for r in _rows(graph, "programme-matrix", {"departement": "62", **({"date": d} if d else {})})
                  if r["insee"] == "62447"] for d in (day, None)}
    assert hesdin == {day: [names[2021]["62447"]], None: [names[2026]["62447"]]}
    assert names[2021]["62447"] != names[2026]["62447"]


def test_programme_matrix_cells_hold_no_separator(graph):
    """programme-matrix reads each cell back from "|slug=cell|…": no id of the graph holds a "|"."""
    rows = graph.select("""PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?id WHERE { { ?x pvd:programmeId ?id } UNION { ?o a pvd:FranceServicesOffice ; dcterms:identifier ?id }
                           FILTER (CONTAINS(STR(?id), "|")) }""")
    assert rows == []
