"""Latency of each catalogue query on a built graph (first run and warm median).

    python benchmarks/bench_queries.py [BUILD_DIR] [--repeat N]

Without BUILD_DIR the national graph is built from ../shared/data into a
temporary folder (without validation) first. Each query runs with the
example values of its required parameters. Prints one line per query:
name, rows, first run (ms), warm median (ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))


def bench(build: Path, repeat: int) -> list[tuple[str, int, float, float]]:
    from pvd_graph import query, store

    t0 = time.perf_counter()
    ds = query.open_graph(build)
    print(f"# loaded {build} in {time.perf_counter() - t0:.2f} s, "
          f"{store.triple_count(ds)} quads", file=sys.stderr)
    out = []
    for name, q in query.load_catalogue().items():
        params = {p.name: p.example for p in q.params if not p.optional and p.example}
        bindings = q.bindings(params)
        times = []
        for _ in range(repeat + 1):
            t = time.perf_counter()
            _, _, rows = query.execute(ds, q, bindings)
            times.append((time.perf_counter() - t) * 1000)
        out.append((name, len(rows), times[0], statistics.median(times[1:])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build = args.build
        if build is None:
            from pvd_graph.build import build_graph

            build = Path(tmp) / "build"
            build_graph(SHARED_DATA, build, run_validation=False)
        print(f"{'query':<36} {'rows':>6} {'first ms':>9} {'warm ms':>9}")
        for name, n, first, warm in bench(build, args.repeat):
            print(f"{name:<36} {n:>6} {first:>9.1f} {warm:>9.1f}")


if __name__ == "__main__":
    main()
