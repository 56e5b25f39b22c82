"""Shared test fixtures.

Small graphs (the ontology, the shapes, the curated data) and build folders made
once per test session from the real inputs in ``../shared/data``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from pvd_graph import resources

REPO = Path(__file__).resolve().parents[1]
#: The real open-data files, kept outside the repository (see ../shared/data/README.md).
SHARED_DATA = REPO.parent / "shared" / "data"
#: The further official files (ORT, CRTE, dated PVD and ACV lists, other programmes, older COG):
#: see ../shared/more-data/README.md. A national build reads both folders.
SHARED_MORE_DATA = REPO.parent / "shared" / "more-data"
#: The files of SHARED_DATA that the tests read.
SHARED_FILES = ("anct_pvd_communes_2021.csv", "anct_acv_communes_2024.geojson", "cog/communes.json",
                "cog/epci.json", "cog/departements.json", "cog/regions.json")
#: The files of SHARED_MORE_DATA that the tests read (the enlarged national build reads the whole folder).
SHARED_MORE_FILES = ("README.md", "ort_suivi_conventions_zlv_2024-10.csv", "crte_groupements_datagouv_2022-12.csv",
                     "contours/departements-version-simplifiee.geojson", "contours/regions-version-simplifiee.geojson",
                     "superposeur-anct_pvd_geom_2024-09.geojson", "acv_coeurdeville_2024-09.js",
                     "cog-2021/communes.json", "cog-2023/communes.json")


def missing_data_message() -> str | None:
    """One line saying which real data files are missing, where they come from and how to get them."""
    missing = [str(SHARED_DATA / name) for name in SHARED_FILES if not (SHARED_DATA / name).is_file()]
    missing += [str(SHARED_MORE_DATA / name) for name in SHARED_MORE_FILES if not (SHARED_MORE_DATA / name).is_file()]
    if not missing:
        return None
    return (f"the tests need the real open-data files in {SHARED_DATA} and {SHARED_MORE_DATA} (next to the "
            f"repository, not in it; missing: {', '.join(missing)}): the ANCT PVD list (data.gouv.fr resource "
            "1fa831ec-d912-4277-8b95-a8b998bf951e), the ANCT ACV map of September 2024, the data/*.json "
            "files of the npm package @etalab/decoupage-administratif 6.0.0 in cog/, and the ORT, CRTE and dated "
            f"PVD/ACV files of more-data ({SHARED_DATA / 'README.md'} and {SHARED_MORE_DATA / 'README.md'} "
            "describe them where the folders are provided)")


#: Marks given from the fixtures a test uses (directly or through other fixtures).
FIXTURE_MARKS = {"shared_data": "national", "national_build": "national", "enlarged_build": "national",
                 "virtuoso": "virtuoso"}
#: The helpers of tests/browser.py that start Chromium.
BROWSER_HELPERS = {"dump_dom", "drawn_dom", "screenshot"}


def _calls_browser(function, seen=None) -> bool:
    """Whether *function*, or a function of its own module that it calls, uses a Chromium helper."""
    seen = set() if seen is None else seen
    code = getattr(function, "__code__", None)
    if code is None or code in seen:
        return False
    seen.add(code)
    names = set(code.co_names)
    if names & BROWSER_HELPERS:
        return True
    module_globals = getattr(function, "__globals__", {})
    return any(_calls_browser(module_globals[name], seen) for name in names
               if getattr(module_globals.get(name), "__module__", None) == function.__module__)


def pytest_collection_modifyitems(session, config, items):
    """Mark each test from what it uses (see CONTRIBUTING.md, "The test loop"), and stop at once, in one
    line, when tests that read the real data are selected and the data is absent."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for mark in sorted({m for name, m in FIXTURE_MARKS.items() if name in used}):
            item.add_marker(mark)
        if _calls_browser(getattr(item, "function", None)):
            item.add_marker("browser")
    message = missing_data_message()
    if message and any("shared_data" in getattr(item, "fixturenames", ()) for item in items):
        pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)


def _parse(paths) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return _parse([resources.ONTOLOGY_FILE])


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return _parse(resources.shapes_files())


@pytest.fixture(scope="session")
def curated() -> Graph:
    return _parse(resources.curated_files())


@pytest.fixture(scope="session")
def shared_data() -> Path:
    message = missing_data_message()
    if message:
        pytest.fail(message, pytrace=False)
    return SHARED_DATA


@pytest.fixture(scope="session")
def curated_build(tmp_path_factory) -> Path:
    """Build folder of the ontology + curated data only (validated)."""
    from pvd_graph.build import build_graph

    out = tmp_path_factory.mktemp("curated") / "build"
    build_graph(None, out)
    return out


@pytest.fixture(scope="session")
def national_build(tmp_path_factory, shared_data) -> Path:
    """Build folder of the national graph from ../shared/data (validation is tested separately)."""
    from pvd_graph.build import build_graph

    out = tmp_path_factory.mktemp("national") / "build"
    build_graph(shared_data, out, run_validation=False)
    return out


@pytest.fixture(scope="session")
def enlarged_build(tmp_path_factory, shared_data) -> Path:
    """Build folder of the national graph from ../shared/data and ../shared/more-data together,
    validated (its report is in the folder: ``validation.txt``)."""
    from pvd_graph.build import build_graph

    assert SHARED_MORE_DATA.is_dir(), f"missing {SHARED_MORE_DATA} (see its README.md)"
    out = tmp_path_factory.mktemp("enlarged") / "build"
    build_graph([shared_data, SHARED_MORE_DATA], out)
    return out


def assert_former_commune_carried_on(dataset, code: str, programme: str, successor: str) -> None:
    """The participation of commune *code* in *programme* is the former commune's (a pvd:FormerCommune,
    never a pvd:Commune), carried on by the current commune *successor*."""
    from pvd_graph.namespaces import OX, ids

    c = ids.commune(code)
    rows = [tuple(t.value for t in row) for row in dataset.select(f"""
        SELECT ?now WHERE {{ <{ids.participation(f"commune-{code}-{programme}")}> <{OX.participant.value}> <{c}> .
                             <{c}> a <{OX.FormerCommune.value}> ; <{OX.carriedOnBy.value}> ?now }}""", union=True)]
    assert rows == [(ids.commune(successor),)]
    assert not dataset.query(f"ASK {{ <{c}> a <{OX.Commune.value}> }}", union=True)
