"""Where the project's own files are: the only module that knows folder locations.

In a source checkout the ontology, curated data and queries are the top-level
``ontology/``, ``data/`` and ``queries/`` folders; in an installed wheel they
are shipped inside the package as ``pvd_graph/_share/``.
"""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent
_ROOT = _PKG.parent if (_PKG.parent / "ontology" / "pvd.ttl").is_file() else _PKG / "_share"

ONTOLOGY_DIR = _ROOT / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "pvd.ttl"
SHAPES_DIR = ONTOLOGY_DIR / "shapes"
CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"
DATA_DIR = _ROOT / "data"
QUERIES_DIR = _ROOT / "queries"
CHECKS_DIR = QUERIES_DIR / "checks"

#: Default build output folder, relative to the working directory.
DEFAULT_BUILD_DIR = Path(os.environ.get("PVD_GRAPH_BUILD", "pvd-build"))
#: Default download cache for ``pvd-graph fetch``.
DEFAULT_CACHE_DIR = Path(os.environ.get("PVD_GRAPH_CACHE", Path.home() / ".cache" / "pvd-graph"))

#: File names inside a build output folder.
GRAPH_NT = "graph.nt"
GRAPH_TTL = "graph.ttl"
DATASET_NQ = "dataset.nq"
REPORT_TXT = "validation.txt"
REPORT_TTL = "validation.ttl"
REJECTS_CSV = "rejects.csv"
MANIFEST_JSON = "manifest.json"
STORE_DIR = "store"  # the on-disk Oxigraph store of a build (pvd_graph.store.write_disk_store)
VOID_TTL = "void.ttl"
ALIGNMENTS_NT = "alignments.nt"


def shapes_files() -> list[Path]:
    return sorted(SHAPES_DIR.glob("*.ttl"))


def curated_files(folder: Path | None = None) -> list[Path]:
    return sorted((folder or DATA_DIR).glob("*.ttl"))


def query_files() -> list[Path]:
    return sorted(QUERIES_DIR.glob("*.rq"))


def check_files() -> list[Path]:
    return sorted(CHECKS_DIR.glob("*.rq"))
