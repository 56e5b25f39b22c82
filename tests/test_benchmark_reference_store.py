"""Reference (c) of the benchmarks (``benchmarks/stage.py oxigraph-disk``) measures the same work as the
build and the queries: it writes the store the build writes, from the build's own files, and its query
runs answer what the query layer answers on the build's store (issue 20: the README states, from it,
that this store alone already misses the build's targets)."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _stage():
    spec = importlib.util.spec_from_file_location("bench_stage", REPO / "benchmarks" / "stage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def test_reference_store_holds_the_build_files_and_answers_as_the_query_layer(curated_build):
    stage = _stage()
    args = argparse.Namespace(build=curated_build, sources=[], out=None)
    result = stage.stage_oxigraph_disk(args)
    manifest = json.loads((curated_build / "manifest.json").read_text(encoding="utf-8"))
    files = ["dataset.nq", "graph.nt", *manifest["store"]["graphs"]]
    # each file is sorted, each line once, and its statements go to graphs of their own
    assert result["quads"] == sum(_lines(curated_build / name) for name in files)
    assert set(result["parts"]) == {*files, "optimize"}
    ours = stage.stage_queries(args)["queries"]
    assert set(result["queries"]) == set(ours) and len(ours) >= 18
    assert {n: q["rows"] for n, q in result["queries"].items()} == {n: q["rows"] for n, q in ours.items()}
    assert any(q["rows"] for q in ours.values())  # the curated graph answers some of them
