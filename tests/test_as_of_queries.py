"""The graph as of a date in more catalogue queries (issue 15): ``conventions-of-town``,
``programme-overlap`` and ``region-summary`` take ``date``; a date parameter may not share its name
with a column.

Expected answers are read here from the files: the 2021 PVD list in COG 2021 and the 2024 PVD lists
(``tests.test_as_of``), the ORT tracking table, the curated conventions (rdflib) and the COG 2026.
Without a date, the rows are those of the query texts of the session-6 start commit.
"""

from __future__ import annotations

import csv
import json
import subprocess

import pytest
from rdflib import Graph, Namespace

from pvd_graph import query, resources
from pvd_graph.errors import UserError
from tests.conftest import REPO, SHARED_DATA, SHARED_MORE_DATA

START = "4e7dd31"  # main at the start of session 6: the query texts before `date`
PVD = Namespace("https://w3id.org/pvd-graph/ontology#")


def test_a_column_named_like_a_date_parameter_is_refused(tmp_path):
    """A header whose `returns` has a column of the date parameter's name is refused (the parameter
    would pin the column); conventions-of-town's signature date is now the column `signed`."""
    text = ('# title: t\n# param: date (xsd:date, optional) l\'état, ex. "2021-02-01"\n'
            '# returns: convention, date\nSELECT ?convention ?date WHERE { ?convention ?p ?date }\n')
    with pytest.raises(ValueError, match="column 'date' of 'returns' has the name of the date parameter"):
        query.parse_header(text, "t")
    path = tmp_path / "clash.rq"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as exc:
        query.load_query_file(path)
    assert len(str(exc.value).splitlines()) == 1 and str(path) in str(exc.value)
    # a code parameter filtering its own column stays allowed (programme-matrix's departement)
    assert query.parse_header(text.replace("(xsd:date, optional)", "(xsd:string, optional)"), "t").returns
    cat = query.load_catalogue()
    assert cat["conventions-of-town"].returns[4] == "signed" and cat["conventions-of-town"].param("date")
    assert {"programme-overlap", "region-summary"} <= {n for n, q in cat.items() if q.param("date")}


@pytest.fixture(scope="module")
def graph(enlarged_build):
    return query.open_graph(enlarged_build)


def _rows(ds, name_or_query, params):
    q = name_or_query if isinstance(name_or_query, query.CatalogueQuery) else query.load_catalogue()[name_or_query]
    _, columns, rows = query.execute(ds, q, q.bindings(params, ds))
    return [dict(zip(columns, (query.plain(v) for v in row))) for row in rows]


@pytest.mark.parametrize("name, params", [("conventions-of-town", {"insee": "73011"}),
                                          ("conventions-of-town", {"insee": "73303"}),
                                          ("programme-overlap", {"first": "pvd", "second": "ort"}),
                                          ("region-summary", {})])
def test_without_a_date_the_rows_are_todays(graph, name, params):
    """Without `date`, the same rows as the query text before `date` (the column `date` of
    conventions-of-town is now `signed`: compared by position)."""
    old = subprocess.run(["git", "-C", str(REPO), "show", f"{START}:queries/{name}.rq"], capture_output=True,
                         text=True, check=True).stdout
    before = _rows(graph, query.parse_header(old, name), params)
    now = _rows(graph, name, params)
    assert before and [list(r.values()) for r in now] == [list(r.values()) for r in before]


@pytest.fixture(scope="module")
def sources():
    """From the files: the PVD towns (2021 list in COG 2021; 2024 lists) and their adhesion dates, the
    ORT table's signed rows, the curated conventions (programme, date, communes)."""
    from tests.test_as_of import PVD_2021, _epci_of  # noqa: F401  (same reading of the 2021 list)
    from tests.test_importers_pvd import read_files

    files = read_files()
    cog_2021 = {c["code"] for c in json.loads((SHARED_MORE_DATA / "cog-2021/communes.json").read_text(encoding="utf-8"))
                if c["type"] == "commune-actuelle"}
    with PVD_2021.open(encoding="utf-8", newline="") as fh:
        list_2021 = {r["insee_com"] for r in csv.DictReader(fh) if r["insee_com"] in cog_2021}
    signed = {c: d for c, d in {**files["2024-02"], **{c: d for c, d in files["2024-08"].items() if d}}.items() if d}
    with (SHARED_MORE_DATA / "ort_suivi_conventions_zlv_2024-10.csv").open(encoding="utf-8", newline="") as fh:
        ort = {r["Code commune"]: r["Si signée, date de signature"] for r in csv.DictReader(fh)
               if r["Signée ?"] == "Signée" and r["Si signée, date de signature"]}
    curated = Graph()
    for path in resources.curated_files():
        curated.parse(path, format="turtle")
    conventions = [(str(p).rsplit("/", 1)[-1], str(d), {str(t).rsplit("/", 1)[-1] for t in curated.objects(c, PVD.concerns)})
                   for c, d in curated.subject_objects(PVD.signedOn) for p in curated.objects(c, PVD.underProgramme)]
    communes = json.loads((SHARED_DATA / "cog/communes.json").read_text(encoding="utf-8"))
    region = {c["code"]: c.get("region") for c in communes if c["type"] == "commune-actuelle"}
    return {"list_2021": list_2021, "2024-02": set(files["2024-02"]), "2024-08": set(files["2024-08"]),
            "signed": signed, "ort": ort, "curated": conventions, "region": region}


def _pvd_at(s, day: str) -> set[str]:
    lists = [(s["list_2021"], "2021-01-01"), (s["2024-02"], "2024-02-01"), (s["2024-08"], "2024-08-01")]
    return ({c for towns, first in lists if first <= day for c in towns} | {c for c, d in s["signed"].items() if d <= day}
            | {c for p, d, cs in s["curated"] if p == "pvd" and d <= day for c in cs})


def _ort_at(s, day: str) -> set[str]:
    return {c for c, d in s["ort"].items() if d <= day} | {c for p, d, cs in s["curated"] if p == "ort" and d <= day
                                                           for c in cs}


@pytest.mark.parametrize("day", ["2021-02-01", "2023-06-01"])
def test_programme_overlap_pvd_ort_at_a_date_from_the_files(graph, sources, day):
    """PVD ∩ ORT at a date: the PVD towns of the lists out by then or with their convention signed by
    then, that had an ORT convention signed by then (ORT table, curated data); the ORT table itself
    (2024-10) is not out yet at these dates."""
    got = {r["insee"] for r in _rows(graph, "programme-overlap", {"first": "pvd", "second": "ort", "date": day})}
    expected = _pvd_at(sources, day) & _ort_at(sources, day)
    assert expected and got == expected


def test_region_summary_pvd_at_2021_from_the_files(graph, sources):
    """region-summary at 2021-02-01, programme pvd: per région (COG 2026) the towns of the 2021 list
    (COG 2021) and of the conventions signed by then; no other programme had a town then but by a
    convention; and before any source (2000-01-01) no row at all."""
    day = "2021-02-01"
    rows = _rows(graph, "region-summary", {"date": day})
    got = {r["region"]: r["towns"] for r in rows if r["programme"] == "pvd"}
    expected: dict[str, int] = {}
    for c in _pvd_at(sources, day):
        if sources["region"].get(c):
            expected[sources["region"][c]] = expected.get(sources["region"][c], 0) + 1
    assert got == expected
    assert _rows(graph, "region-summary", {"date": "2000-01-01"}) == []


def test_conventions_of_town_at_a_date_are_those_signed_by_then(graph, sources):
    """conventions-of-town the day before and on the signature of a town's convention d'adhésion (the
    2024 lists' date): only conventions signed by the date (`signed` <= date), that one from its day."""
    import datetime as dt

    sample = sorted(c for c, d in sources["signed"].items() if d > "2021-06-01")[:5]
    assert sample
    for c in sample:
        day = sources["signed"][c]
        before = (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
        then, on = (_rows(graph, "conventions-of-town", {"insee": c, "date": d}) for d in (before, day))
        assert all(r["signed"] is not None and r["signed"] <= before for r in then), (c, then)
        assert {r["convention"] for r in on if r["signed"] == day and "pvd" in r["programme"]}, (c, on)
        assert not {r["convention"] for r in then} - {r["convention"] for r in on}
    assert _rows(graph, "conventions-of-town", {"insee": sample[0], "date": "2000-01-01"}) == []
