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
    assert (SHARED_DATA / "anct_pvd_communes_2021.csv").is_file(), f"real data expected in {SHARED_DATA}"
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
