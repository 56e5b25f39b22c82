"""Issue 20's targets, one row each, from a benchmark record: the table the README shows.

    python benchmarks/targets.py benchmarks/results/readme-run.json

``benchmarks/run.py`` writes its full table (every stage, every query first and warm) and the raw
figures (``.json``); this module turns the raw figures into the README's compact table — target,
our figure, the reference measured in the same run, the ratio, met or not — so that the README
never carries a figure that no run produced: the README's table is this function's output for the
record committed as ``benchmarks/results/readme-run.json``, and ``tests/test_readme_performance.py``
checks that they are the same text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import _get, summary  # noqa: E402  (benchmarks/ is not a package)

HEAD = "| target (issue 20) | ours | reference (b), same run | ratio | met? |\n|---|---|---|---|---|"


def _t(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _med(runs: list[dict], *keys) -> float | None:
    s = summary(_get(runs, *keys))
    return None if s is None else s[0]


def _x(ours: float | None, ref: float | None) -> str:
    return "" if ours is None or not ref else f"{ours / ref:.2f}×"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MiB"


def rows(results: dict[str, list[dict]]) -> list[list[str]]:
    """One row per target of issue 20 whose stage the record holds."""
    out: list[list[str]] = []
    build, ox = results.get("build", []), results.get("oxigraph", [])
    load_b = _med(ox, "seconds")
    if build:
        ours = _med(build, "seconds")
        out.append(["full national build incl. validation ≤ 3× b", _t(ours),
                    f"{_t(load_b)} (Oxigraph's bulk load of `graph.nt`)", _x(ours, load_b),
                    _met(None if ours is None or load_b is None else ours <= 3 * load_b)])
        peak = max((p for p in _get(build, "peak_mib") if p is not None), default=None)
        ox_peak = max((p for p in _get(ox, "peak_mib") if p is not None), default=None)
        out.append(["build peak memory < 1 GiB", _mib(peak), _mib(ox_peak) if ox else "", "",
                    _met(None if peak is None else peak < 1024)])
    again = results.get("rebuild", [])
    if again:
        ours = _med(again, "seconds")
        out.append(["rebuild, inputs unchanged (`pvd-graph build` end to end, reused) < 0.5 s",
                    f"{_t(ours)} (fingerprint check {_t(_med(again, 'parts', 'check'))})", "", "",
                    _met(ours < 0.5)])
    load = results.get("load", [])
    if load:
        ours = _med(load, "seconds")
        out.append(["opening a build (`open_built`) ≤ 1.5× b", f"{_t(ours)} (the on-disk store, read-only)",
                    f"{_t(load_b)} (parsing `graph.nt`)", _x(ours, load_b),
                    _met(None if load_b is None else ours <= 1.5 * load_b)])
    cli = results.get("query-cli", [])
    if cli:
        ours, ref = _med(cli, "seconds"), _med(cli, "reference")
        out.append([f"`pvd-graph query {cli[0]['query']}`, process start to rows, < 0.5 s", _t(ours),
                    f"{_t(ref)} (pyoxigraph opening the store alone)", _x(ours, ref), _met(ours < 0.5)])
    ready = [r for r in results.get("serve-ready", []) if "seconds" in r]
    if ready:
        ours, ref = _med(ready, "seconds"), _med(ready, "reference")
        pss = max(sum(p.get("pss", 0) for p in r["processes"].values()) for r in ready)
        out.append(["`serve` ready < 1 s, workers not each holding a copy",
                    f"{_t(ours)}; {pss:,.0f} MiB PSS for all its processes (2 workers)",
                    f"{_t(ref)} (pyoxigraph opening the store alone)", _x(ours, ref), _met(ours < 1)])
    out += _query_rows(results)
    out += _endpoint_rows(results)
    out += _export_rows(results)
    return out


def _query_rows(results: dict[str, list[dict]]) -> list[list[str]]:
    queries, ox = results.get("queries", []), results.get("oxigraph", [])
    names = sorted({n for run in queries for n in run.get("queries", {})})
    if not names:
        return []
    warm = {n: _med(queries, "queries", n, "warm_p50") for n in names}
    ref = {n: _med(ox, "queries", n, "warm_p50") for n in names}
    fast = [n for n in names if warm[n] is not None and warm[n] < 0.05]
    near = [n for n in names if warm[n] is not None and ref[n] and warm[n] <= 1.5 * ref[n]]
    both = [n for n in fast if n in near]
    ratios = [warm[n] / ref[n] for n in names if warm[n] is not None and ref[n]]
    lo, hi = min(names, key=lambda n: warm[n]), max(names, key=lambda n: warm[n])
    refs = [r for r in ref.values() if r is not None]
    return [[f"catalogue queries warm p50 < 50 ms and ≤ 1.5× b ({len(names)} queries; b runs the same final "
             "text, values inlined, in memory)",
             f"{_t(warm[lo])} (`{lo}`) – {_t(warm[hi])} (`{hi}`)",
             f"{_t(min(refs))} – {_t(max(refs))}" if refs else "",
             f"{min(ratios):.2f}–{max(ratios):.2f}×" if ratios else "",
             ("yes" if len(both) == len(names) else
              f"**no**: under 50 ms {len(fast)} of {len(names)}, within 1.5× {len(near)} of {len(names)}, "
              f"both {len(both)} of {len(names)}")]]


def _endpoint_rows(results: dict[str, list[dict]]) -> list[list[str]]:
    endpoint = [r for r in results.get("endpoint", []) if "qps" in r]
    out = []
    for key, what in (("wrk_town", "a town's label and INSEE code by its IRI"),
                      ("wrk", "the fastest simple catalogue query, `/catalogue/NAME` with its parameters")):
        wrk = [r[key] for r in endpoint if r.get(key) and "qps" in r[key]]
        if not wrk:
            continue
        qps, p50, p99 = _med(wrk, "qps"), _med(wrk, "p50"), _med(wrk, "p99")
        errors, ref = sum(_get(wrk, "errors")), _med(wrk, "reference_qps")
        out.append([f"endpoint ≥ 1,000 queries/s, 0 errors, p99 < 50 ms (`wrk`, 8 connections; {what}: "
                    f"`{wrk[0]['query']}`)" if key == "wrk" else
                    f"endpoint ≥ 1,000 simple queries/s, 0 errors, p99 < 50 ms (`wrk`, 8 connections; {what})",
                    f"{qps:,.0f} q/s, p50 {_t(p50)}, p99 {_t(p99)}, {errors} errors",
                    f"{ref:,.0f} q/s (Oxigraph in-process, one at a time)" if ref else "", _x(qps, ref),
                    _met(qps >= 1000 and errors == 0 and p99 < 0.05)])
    abuse = [r["abuse"] for r in endpoint if r.get("abuse")]
    if abuse:
        p50, p99, errors = _med(abuse, "p50"), _med(abuse, "p99"), sum(_get(abuse, "errors"))
        out.append([f"light query during abuse p99 < 50 ms ({abuse[0]['client']}; 2 runaways abandoned after "
                    "0.5 s, queries nested 3,000 deep, a slow client, 200 idle sockets)",
                    f"p50 {_t(p50)}, p99 {_t(p99)}, {errors} errors", "", "",
                    _met(p99 < 0.05 and errors == 0)])
    return out


def _export_rows(results: dict[str, list[dict]]) -> list[list[str]]:
    export = [r for r in results.get("export", []) if "parts" in r]
    out = []
    for fmt in sorted({f for r in export for f in r["parts"]}):
        ours, ref = _med(export, "parts", fmt), _med(export, "reference", fmt)
        added = max((r.get("added_mib", {}).get(fmt, 0) for r in export), default=0)
        out.append([f"export `{fmt}` ≤ 3× Oxigraph's serialisation of the same data",
                    f"{_t(ours)} (+{added:,.0f} MiB)", f"{_t(ref)}", _x(ours, ref),
                    _met(None if ours is None or ref is None else ours <= 3 * ref)])
    return out


def floor_lines(results: dict[str, list[dict]]) -> list[str]:
    """What reference (c) (the ``oxigraph-disk`` stage) says of the missed targets, in that run's figures:
    Oxigraph alone writing the build's on-disk store, and running the final texts on it."""
    disk, ox = results.get("oxigraph-disk", []), results.get("oxigraph", [])
    if not disk:
        return []
    write, load_b = _med(disk, "seconds"), _med(ox, "seconds")
    peak = max((p for p in _get(disk, "peak_mib") if p is not None), default=None)
    parts = disk[0].get("parts", {})
    out = [f"Reference (c), same run: pyoxigraph alone writing the build's on-disk store from the build's own files "
           f"(`bulk_load` from the path: "
           + ", ".join(f"{name} {_t(_med(disk, 'parts', name))}" for name in parts)
           + f") takes {_t(write)}" + (f", {_x(write, load_b)} b," if load_b else "")
           + f" with a peak of {_mib(peak)}" + _beyond(write, load_b, peak) + "."]
    queries = results.get("queries", [])
    names = sorted({n for run in queries for n in run.get("queries", {})})
    warm = {n: _med(queries, "queries", n, "warm_p50") for n in names}
    ref = {n: _med(disk, "queries", n, "warm_p50") for n in names}
    timed = [n for n in names if ref[n] is not None]
    if timed:
        fast = [n for n in timed if ref[n] < 0.05]
        near = [n for n in timed if warm[n] is not None and warm[n] <= 1.5 * ref[n]]
        # (c) must answer what we answer, or the comparison is of different work: say where it does not
        differ = [n for n in timed if _get(disk, "queries", n, "rows")[0] != _get(queries, "queries", n, "rows")[0]]
        out.append(f"On that store (the build's, read-only: where `query` and `serve` run), pyoxigraph alone runs the "
                   f"same final texts in {_t(min(ref[n] for n in timed))} – {_t(max(ref[n] for n in timed))}: "
                   f"under 50 ms {len(fast)} of {len(timed)}; ours is within 1.5× of it for {len(near)} of {len(timed)}"
                   + (f" (its row counts differ from ours for {', '.join(f'`{n}`' for n in differ)})" if differ else "")
                   + ".")
    return out


def _beyond(write: float | None, load_b: float | None, peak: float | None) -> str:
    """Which build targets reference (c) alone already misses (computed: it says none when none, and names
    a target it could not compare, a figure missing from the run, rather than counting it as within)."""
    checks = {"≤ 3× b": None if write is None or load_b is None else write > 3 * load_b,
              "< 1 GiB": None if peak is None else peak >= 1024}
    missed = [name for name, over in checks.items() if over]
    unknown = [name for name, over in checks.items() if over is None]
    said = (f": by itself beyond the build's {' and '.join(missed)}, before any import, assembly or validation"
            if missed else ": within the build's targets by itself" if not unknown else "")
    return said + (f" (not compared with {' and '.join(unknown)}: a figure is missing from the run)" if unknown else "")


def table(record: dict) -> str:
    """The README's table for *record* (``{"machine": …, "results": …}`` as ``run.py`` writes it)."""
    info, results = record["machine"], record["results"]
    quads = _get(results.get("build", []), "triples")
    libs = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    lead = (f"Measured on {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB, Python {info['python']}, "
            f"{libs}; load average at the start {', '.join(map(str, info['load_average']))}; the graph: "
            f"{quads[0]:,} quads." if quads else "")
    lines = [lead, "", HEAD] + ["| " + " | ".join(r) + " |" for r in rows(results)]
    floors = floor_lines(results)
    if floors:
        lines += [""] + [" ".join(floors)]
    parts = results.get("build", [{}])[0].get("parts", {})
    if parts:
        lines += ["", "The build's parts in that run (timed inside `build_graph`; some overlap in threads): "
                  + ", ".join(f"{name} {_t(_med(results['build'], 'parts', name))}" for name in parts) + "."]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python benchmarks/targets.py RECORD.json", file=sys.stderr)
        return 2
    try:
        record = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        print(f"benchmarks/targets.py: {argv[0]}: {err}", file=sys.stderr)
        return 2
    print(table(record))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
