"""YASGUI on the query page, in headless Chromium: a catalogue query runs and its results table appears.

The editor comes from its npm package where ``.ci/run`` installs it
(``~/.cache/pvd-graph/assets``, or ``PVD_GRAPH_ASSETS``); the test fails, it
does not skip, when it is not there. The expected rows are computed from the
curated Turtle sources by rdflib.
"""

from __future__ import annotations

import re

import pytest

import browser
from pvd_graph.server.assets import INSTALL_HINT, locate
from serve_support import Server
from test_web_pages import PVD, towns_in_programme

RUN = "/sparql#run=towns-in-programme&programme=pvd&departement=73"


@pytest.fixture(scope="module")
def server(curated_build, tmp_path_factory):
    found = locate()
    if found.folder is None:
        pytest.fail(f"YASGUI is needed by this test and is not in {found.searched}: {INSTALL_HINT}")
    srv = Server(curated_build, "--workers", "1", log_dir=tmp_path_factory.mktemp("logs"))
    yield srv
    srv.stop()


def _chromium(url: str, *args: str) -> str:
    result = browser._run(["--virtual-time-budget=15000", *args, url])
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.browser
def test_yasgui_runs_a_catalogue_query_and_shows_a_table(server, curated):
    expected = towns_in_programme(curated, PVD, "73")
    assert expected
    dom = _chromium(server.base + RUN, "--dump-dom")
    body = browser.body_data(dom)
    assert body.get("editor") == "yasgui", "the YASGUI editor did not start"
    assert body.get("drawn") == "towns-in-programme", "YASGUI drew no result"
    table = re.search(r'<table id="DataTables_Table_0"[^>]*>(.*?)</table>', dom, re.S)
    assert table, "no results table in the page"
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", table.group(1))
    assert heads[1:3] == ["insee", "name"], heads
    rows = re.findall(r'<tr[^>]*><td><div class="rowNumber">\d+</div></td><td><div><span class="nonIri">(\d+)</span>',
                      table.group(1))
    assert rows == expected
    assert "<span>Communes d'un programme (programme=pvd, departement=73)</span>" in dom  # the tab says its parameters
    browser.ARTIFACTS.mkdir(exist_ok=True)
    shot = browser.ARTIFACTS / "yasgui-towns-in-programme.png"
    shot.unlink(missing_ok=True)
    _chromium(server.base + RUN, f"--screenshot={shot}", "--window-size=1200,1000")
    assert shot.is_file() and shot.stat().st_size > 10_000
