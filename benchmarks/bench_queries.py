"""Latency of each catalogue query on a built graph: ours and Oxigraph alone, in one run.

    python benchmarks/bench_queries.py [BUILD_DIR] [--repeat N]

Without BUILD_DIR the enlarged national graph is built from ../shared/data and
../shared/more-data (without validation) into a temporary folder first. The cases are those
of the ``queries`` and ``oxigraph`` stages of ``benchmarks/stage.py``: every catalogue query
with the examples of its required parameters, plus the first optional one. "ours" is
:func:`pvd_graph.query.run_query` (parameters checked against the graph, commune names and
codes looked up, rows converted); "oxigraph" is pyoxigraph alone on the final text our layer
sends (bound values written in as terms, :func:`pvd_graph.query.sent_text`), rows only iterated. Prints one line per query: rows, our first run, our warm
median, Oxigraph's warm median, the ratio and whether issue 20's target (warm p50 < 50 ms and
≤ 1.5× Oxigraph) is met. Timings are noisy on a loaded machine: the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SOURCES = [REPO.parent / "shared" / "data", REPO.parent / "shared" / "more-data"]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

TARGET_MS = 50.0
TARGET_RATIO = 1.5


def bench(build: Path, repeat: int) -> list[tuple[str, dict, dict]]:
    """(name, ours, oxigraph) per case; each a dict of ``first``, ``warm_p50`` (seconds) and ``rows``."""
    import pyoxigraph as ox

    import stage
    from pvd_graph import query, store

    stage.WARM_RUNS = repeat
    t0 = time.perf_counter()
    ds = store.open_built(build)  # graph.nt, as the CLI opens a build for a query without GRAPH
    print(f"# loaded {build} in {time.perf_counter() - t0:.2f} s, {store.triple_count(ds)} quads", file=sys.stderr)
    plain = ox.Store()
    plain.bulk_load(path=str(build / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    cases = stage.catalogue_cases()
    catalogue = query.load_catalogue()

    def ours(name, _text, params):
        return len(query.run_query(ds, name, params, catalogue)[1])

    sent = stage.reference_texts(cases)

    def alone(name, _text, _params):
        text, subs = sent[name]
        result = plain.query(text, substitutions=subs)
        return len(list(result)) if isinstance(result, ox.QuerySolutions) else 1

    mine, theirs = stage.time_queries(ours, cases), stage.time_queries(alone, cases)
    return [(name, mine[name], theirs[name]) for name, _t, _p in cases]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per query (median reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build = args.build
        if build is None:
            from pvd_graph.build import build_graph

            build = Path(tmp) / "build"
            build_graph(SOURCES, build, run_validation=False)
        rows = bench(build, args.repeat)
        print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'query':<36} {'rows':>6} {'first ms':>9} {'warm ms':>9} {'ox ms':>9} {'ratio':>6}  target")
        for name, mine, ox_ in rows:
            warm, ref = mine["warm_p50"] * 1000, ox_["warm_p50"] * 1000
            ratio = warm / ref if ref else float("inf")
            met = "met" if warm < TARGET_MS and ratio <= TARGET_RATIO else "missed"
            same = "" if mine["rows"] == ox_["rows"] else f"  (Oxigraph: {ox_['rows']} rows)"
            print(f"{name:<36} {mine['rows']:>6} {mine['first'] * 1000:>9.1f} {warm:>9.1f} {ref:>9.1f} "
                  f"{ratio:>6.2f}  {met}{same}")


if __name__ == "__main__":
    main()
