"""Small shared graphs: the ontology, the shapes and the curated data (not the national data)."""

from __future__ import annotations

import pytest
from rdflib import Graph

from pvd_graph import resources


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
