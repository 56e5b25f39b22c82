"""Whether a rewritten catalogue query gives the same rows as its text at a git revision, on a build.

    python benchmarks/compare_query_texts.py BUILD_DIR QUERY CASES.json [--rev main]

CASES.json is a list of parameter sets (``[{"insee": "73303"}, {"insee": "73303", "date":
"2021-02-01"}]``). For each set, the query's text at ``--rev`` (``git show REV:queries/QUERY.rq``)
and the worktree's text (each with its ``QUERY.dated.rq`` when there is one: it is sent for a set
with a date, as :func:`pvd_graph.query.text_for` picks) are run through :func:`pvd_graph.query.execute` on the build (its on-disk
store, as the CLI opens it); the full result sets, sorted, are compared, and the time of each text
is printed (one run of the old text, the median of three of the new one). Exit status 1 when any
set differs, with up to five rows only one side gives. Used to check the query-plan rewrites of
issue 20 (a faster text must not change a row).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def texts(name: str, rev: str) -> tuple[tuple[str, str | None], tuple[str, str | None]]:
    """The query's (text, text with a date or None) at *rev* and in the worktree."""
    def at_rev(file: str) -> str | None:
        out = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:queries/{file}"],
                             capture_output=True, text=True)
        return out.stdout if out.returncode == 0 else None

    def here(file: str) -> str | None:
        path = REPO / "queries" / file
        return path.read_text(encoding="utf-8") if path.is_file() else None

    old = at_rev(f"{name}.rq")
    if old is None:
        raise SystemExit(f"queries/{name}.rq: not at {rev}")
    return (old, at_rev(f"{name}.dated.rq")), (here(f"{name}.rq"), here(f"{name}.dated.rq"))


def rows_and_time(ds, name: str, text: tuple[str, str | None], params: dict,
                  runs: int) -> tuple[list[tuple], float]:
    """Sorted rows (terms as N3, ``-`` when unbound) and the median time in seconds; *text* is the
    query's text and its text with a date (or None)."""
    from pvd_graph import query

    q = query.parse_header(text[0], name)
    q.dated_text = text[1]
    bound = q.bindings(params, ds)
    times, rows = [], []
    for _ in range(runs):
        t = time.perf_counter()
        _, _cols, rows = query.execute(ds, q, bound)
        times.append(time.perf_counter() - t)
    return sorted(tuple(x.n3() if x is not None else "-" for x in r) for r in rows), statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path)
    parser.add_argument("query")
    parser.add_argument("cases", type=Path)
    parser.add_argument("--rev", default="main")
    args = parser.parse_args()
    from pvd_graph import store

    ds = store.open_built(args.build)
    old, new = texts(args.query, args.rev)
    differ = 0
    for params in json.loads(args.cases.read_text(encoding="utf-8")):
        a, ta = rows_and_time(ds, args.query, old, params, 1)
        b, tb = rows_and_time(ds, args.query, new, params, 3)
        same = a == b
        differ += not same
        print(f"{'same' if same else 'DIFFERENT'} {params}: {len(a)} / {len(b)} rows, "
              f"{ta * 1000:.0f} ms / {tb * 1000:.0f} ms", flush=True)
        if not same:
            for row in sorted(set(a) - set(b))[:5]:
                print(f"  only {args.rev}: {row}")
            for row in sorted(set(b) - set(a))[:5]:
                print(f"  only worktree: {row}")
    print(f"{differ} parameter set(s) differ" if differ else "every parameter set gives the same rows")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
