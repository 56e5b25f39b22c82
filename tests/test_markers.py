"""The test loop's markers (CONTRIBUTING.md, "The test loop"): what tests/conftest.py marks, and what
the edit loop ``-m "not national and not browser and not virtuoso and not slow"`` leaves out.

The whole suite is collected (not run) in a subprocess with a small plugin that prints, per test, the
fixtures it uses and the marks it carries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test collects the suite in a subprocess (seconds)

REPO = Path(__file__).resolve().parents[1]
EDIT_LOOP = "not national and not browser and not virtuoso and not slow"

PLUGIN = '''
import json

def pytest_collection_finish(session):
    for item in session.items:
        print("ITEM " + json.dumps({"id": item.nodeid, "fixtures": sorted(getattr(item, "fixturenames", ())),
                                    "marks": sorted({m.name for m in item.iter_markers()})}))
'''


def collect(tmp_path: Path, *args: str) -> dict[str, dict]:
    (tmp_path / "markplugin.py").write_text(PLUGIN, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-p", "markplugin", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    items = [json.loads(line[5:]) for line in proc.stdout.splitlines() if line.startswith("ITEM ")]
    return {item["id"]: item for item in items}


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> dict[str, dict]:
    return collect(tmp_path_factory.mktemp("collect"))


def test_fixtures_give_their_marks(suite):
    """A test that uses shared_data or national_build is marked national; one using virtuoso, virtuoso."""
    assert len(suite) > 500
    for item in suite.values():
        if {"shared_data", "national_build"} & set(item["fixtures"]):
            assert "national" in item["marks"], item["id"]
        if "virtuoso" in item["fixtures"]:
            assert "virtuoso" in item["marks"], item["id"]
    assert all("national" in suite[i]["marks"] for i in suite if i.startswith("tests/test_national.py::"))


def test_tests_drawing_in_chromium_are_marked_browser(suite):
    """The tests that call tests/browser.py's helpers, found from their code, not listed by hand."""
    browser = {i for i, item in suite.items() if "browser" in item["marks"]}
    assert {"tests/test_viz.py::test_html_renders_in_chromium", "tests/test_viz.py::test_html_escapes_labels",
            "tests/test_viz_data.py::test_savoie_view_renders_in_chromium",
            "tests/test_serve.py::test_entity_page_in_headless_chromium"} <= browser
    assert "tests/test_viz.py::test_png_is_a_real_picture" not in browser


def test_the_edit_loop_leaves_out_exactly_the_marked_tests(suite, tmp_path):
    loop = collect(tmp_path, "-m", EDIT_LOOP)
    marked = {i for i, item in suite.items() if {"national", "browser", "virtuoso", "slow"} & set(item["marks"])}
    assert marked and set(loop) == set(suite) - marked
    assert "tests/test_cli_smoke.py::test_help[build]" in loop


def test_an_unregistered_marker_is_an_error(tmp_path):
    (tmp_path / "test_typo.py").write_text("import pytest\n\n@pytest.mark.nationl\ndef test_x():\n    pass\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path), str(tmp_path / "test_typo.py")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "'nationl' not found in `markers`" in proc.stdout + proc.stderr
