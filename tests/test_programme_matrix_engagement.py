"""programme-matrix has one column per engagement scheme (issue 16): its communes are the list's commune rows.

Expected answers from ``liste_tec_te_2025-12.csv`` and the COG 2026: a scheme's column holds a value for exactly
the current communes its rows of level ``commune`` name (an EPCI, département or région row names that territory,
not its communes: no commune value from it), and the query's columns are those its ``returns:`` header says.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import pytest

from conftest import SHARED_MORE_DATA
from pvd_graph import query

ENGAGEMENT = SHARED_MORE_DATA / "liste_tec_te_2025-12.csv"


@pytest.fixture(scope="module")
def matrix(enlarged_build) -> tuple[list[str], list[dict]]:
    columns, rows = query.run_query(query.open_graph(enlarged_build), "programme-matrix", {})
    return columns, [dict(zip(columns, (query.plain(v) for v in row))) for row in rows]


def test_each_engagement_scheme_column_is_its_commune_rows(matrix, shared_data):
    current = {c["code"] for c in json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
               if c["type"] == "commune-actuelle"}
    towns: dict[str, set[str]] = defaultdict(set)
    with ENGAGEMENT.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["codgeo"].strip().zfill(5)  # the file drops the leading zero (1053 for 01053)
            if row["echelon"] == "commune" and code in current:
                towns[row["dispositif"].strip().lower()].add(code)
    columns, rows = matrix
    assert len(towns) == 4 and set(towns) <= set(columns)
    for scheme, codes in towns.items():
        assert {r["insee"] for r in rows if r[scheme]} == codes, scheme


def test_the_columns_are_those_the_header_says(matrix):
    columns, _ = matrix
    assert columns == query.resolve("programme-matrix").returns
