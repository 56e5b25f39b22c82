"""One benchmark stage, run in a fresh process by ``benchmarks/run.py``.

``python benchmarks/stage.py STAGE --sources DIR [DIR…] --build DIR [--out DIR]`` prints one JSON
object on its last stdout line: ``seconds`` (the measured operation, without interpreter
start-up and imports), ``parts`` (sub-timings), ``peak_mib`` (this process's peak resident
memory) and, for stages that run the query catalogue, ``queries``.

Stages: ``build`` (full national build with validation), ``validate-shacl`` and
``validate-pyshacl`` (the shapes on a loaded build, each engine, handing it the graph included),
``validate-file`` (shacl alone on graph.nt: its parse + validation), ``validate-build`` (validation
as the build runs it, shapes + checks, next to shacl alone on the same graph.nt, in one process), ``load`` (open a built
graph), ``queries`` (every catalogue query, first and warm), ``naive`` (reference a: rdflib
in-memory parse of graph.nt, pySHACL, rdflib SPARQL), ``oxigraph`` (reference b: pyoxigraph
bulk load of graph.nt and the same queries), ``endpoint`` (the server under load), ``export``
(every format) and ``big-file`` (a 50 MB PVD file built alone: time and peak memory).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WARM_RUNS = 7  # warm runs per query on the fast engines (median = warm p50)
SLOW_QUERY = 5.0  # a first run slower than this (naive rdflib) gets 2 warm runs, not WARM_RUNS


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def catalogue_cases() -> list[tuple[str, str, dict[str, str]]]:
    """(name, SPARQL text, parameters) of every catalogue query, with the examples of its header.

    Required parameters take their example; the first optional parameter with an example is
    set too, so that a filtered variant is measured (e.g. PVD towns of département 73).
    """
    try:
        from pvd_graph.query import load_catalogue
    except ImportError:
        return []
    cases = []
    for name, q in sorted(load_catalogue().items()):
        params = {p.name: p.example for p in q.params if not p.optional and p.example is not None}
        optional = [p for p in q.params if p.optional and p.example is not None]
        if optional:
            params[optional[0].name] = optional[0].example
        cases.append((name, q.text, params))
    return cases


def bindings(name: str, params: dict[str, str]) -> dict:
    """The rdflib terms the catalogue binds for *params* (same terms for every engine)."""
    from pvd_graph.query import load_catalogue

    return load_catalogue()[name].bindings(params)


def time_queries(run, cases) -> dict[str, dict[str, float]]:
    """First and warm (median of several runs) time of each case, with the row count."""
    out = {}
    for name, text, params in cases:
        t = time.perf_counter()
        rows = run(name, text, params)
        first = time.perf_counter() - t
        warm = []
        for _ in range(2 if first > SLOW_QUERY else WARM_RUNS):
            t = time.perf_counter()
            run(name, text, params)
            warm.append(time.perf_counter() - t)
        out[name] = {"first": first, "warm_p50": statistics.median(warm), "rows": rows}
    return out


def stage_build(args) -> dict:
    from pvd_graph.build import build_graph

    t = time.perf_counter()
    result = build_graph(args.sources, args.out, run_validation=True)
    total = time.perf_counter() - t
    return {"seconds": total, "parts": dict(result.timings), "triples": result.quads,
            "engine": result.report.engine if result.report else None,
            "results": len(result.report.results) if result.report else None}


def _validate(args, engine: str) -> dict:
    """The project's shapes on a loaded build with one engine: handing it the graph + validating."""
    from pvd_graph import store
    from pvd_graph.validate import load_shapes, run_shapes

    ds = store.open_built(args.build)
    shapes = load_shapes()
    t = time.perf_counter()
    run = run_shapes(ds, shapes, engine)
    return {"seconds": time.perf_counter() - t, "engine": run.engine, "results": len(run.nodes),
            "fallbacks": run.fallbacks}


def stage_validate_shacl(args) -> dict:
    return _validate(args, "shacl")


def stage_validate_pyshacl(args) -> dict:
    return _validate(args, "pyshacl")


def stage_validate_file(args) -> dict:
    """The fast engine alone on the build's graph.nt: its own parse + validation (no store)."""
    import shacl

    from pvd_graph.validate import load_shapes

    engine = shacl.Shapes.from_text(load_shapes().serialize(format="nt"), format="ntriples")
    t = time.perf_counter()
    report = engine.validate_file(str(Path(args.build) / "graph.nt"))
    return {"seconds": time.perf_counter() - t, "engine": f"shacl {shacl.__version__}", "results": len(report.results)}


def stage_validate_build(args) -> dict:
    """Validation as the build runs it (the store handed to shacl, the SPARQL checks, the reports)
    against its floor, shacl alone on the same graph.nt and shapes, both in this one process.

    Wall and CPU seconds (this process, every thread) of each: on a shared machine the CPU time is
    the steadier figure. ``seconds`` is the build's way; ``parts.ratio`` = build's way / shacl alone."""
    import shacl

    from pvd_graph import store
    from pvd_graph.validate import load_shapes, validate

    shapes = load_shapes()
    ds = store.open_built(args.build)

    def timed(run):
        wall, cpu = time.perf_counter(), time.process_time()
        out = run()
        return out, time.perf_counter() - wall, time.process_time() - cpu

    alone, alone_s, alone_cpu = timed(lambda: shacl.Shapes.from_text(shapes.serialize(format="nt"), format="ntriples")
                                      .validate_file(str(Path(args.build) / "graph.nt")))
    report, ours_s, ours_cpu = timed(lambda: validate(ds, shapes))
    _, report_s, _ = timed(lambda: (report.to_text(), report.render("turtle"), report.to_json()))
    parts = {"shacl_alone": alone_s, "shacl_alone_cpu": alone_cpu, "validate_cpu": ours_cpu,
             **{k: v for k, v in report.timings.items()}, "reports": report_s, "ratio": ours_s / alone_s,
             "ratio_cpu": ours_cpu / alone_cpu}
    shape_results = sum(1 for r in report.results if not r.shape.startswith("check:"))
    return {"seconds": ours_s, "parts": parts, "engine": report.engine, "results": len(report.results),
            "same_results": shape_results == len(alone.results), "load_average": os.getloadavg()}


def stage_load(args) -> dict:
    from pvd_graph import store

    t = time.perf_counter()
    ds = store.open_built(args.build)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "triples": store.triple_count(ds)}


def stage_queries(args) -> dict:
    from pvd_graph import store
    from pvd_graph.query import run_query

    ds = store.open_built(args.build)
    cases = catalogue_cases()
    return {"seconds": 0.0, "queries": time_queries(lambda n, _t, p: len(run_query(ds, n, p)[1]), cases)}


def stage_naive(args) -> dict:
    """Reference (a): rdflib's in-memory store, its N-Triples parser, pySHACL and rdflib SPARQL."""
    from rdflib import Graph

    from pvd_graph.validate import load_shapes, pyshacl_report

    t = time.perf_counter()
    g = Graph()
    g.parse(Path(args.build) / "graph.nt", format="nt")
    parse = time.perf_counter() - t
    shapes = load_shapes()
    t = time.perf_counter()
    _report, results = pyshacl_report(g, shapes)
    shacl = time.perf_counter() - t
    cases = catalogue_cases()
    queries = time_queries(lambda n, text, p: len(list(g.query(text, initBindings=bindings(n, p)))), cases)
    return {"seconds": parse + shacl, "parts": {"parse": parse, "shacl": shacl}, "results": len(results),
            "triples": len(g), "queries": queries}


def stage_oxigraph(args) -> dict:
    """Reference (b): pyoxigraph alone, bulk-loading graph.nt and running the same queries."""
    import pyoxigraph as ox

    from pvd_graph import store

    t = time.perf_counter()
    s = ox.Store()
    s.bulk_load(path=str(Path(args.build) / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    load = time.perf_counter() - t

    def run(name, text, params):
        subs = {ox.Variable(k): store.to_ox(v) for k, v in bindings(name, params).items()}
        result = s.query(text, substitutions=subs)
        return len(list(result)) if isinstance(result, ox.QuerySolutions) else 1

    return {"seconds": load, "triples": len(s), "queries": time_queries(run, catalogue_cases())}


LOAD_CLIENTS = 8
LOAD_REQUESTS = 50  # per client
SIMPLE = 0.05  # a catalogue query answered by a lone client within 50 ms counts as simple


def _with_values(text: str, terms: dict) -> str:
    """*text* with its parameters bound by a trailing VALUES clause (as a remote client sends it)."""
    if not terms:
        return text
    names = " ".join(f"?{k}" for k in terms)
    return f"{text}\nVALUES ({names}) {{ ({' '.join(t.n3() for t in terms.values())}) }}"


def stage_endpoint(args) -> dict:
    """The endpoint (``pvd-graph serve``, 2 workers) under load from concurrent clients.

    Every catalogue query is sent once with its parameters as a VALUES clause and its row
    count checked against :func:`pvd_graph.query.run_query`; the simple ones (answered
    within 50 ms) are then sent by 8 client threads, round robin; an answer that is not
    a 200 identical to the lone client's is an error.
    """
    import socket
    import subprocess
    import threading

    import requests

    from pvd_graph import store
    from pvd_graph.query import run_query

    ds = store.open_built(args.build)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/sparql"
    proc = subprocess.Popen([sys.executable, "-m", "pvd_graph", "serve", "--graph", str(args.build), "--port",
                             str(port), "--workers", "2"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(base, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                return {"skipped": "the endpoint did not start"}
            time.sleep(0.2)
        headers = {"Accept": "application/sparql-results+json"}
        reference, checked = {}, {}
        with requests.Session() as http:
            for name, text, params in catalogue_cases():
                query = _with_values(text, bindings(name, params))
                expected = len(run_query(ds, name, params)[1])
                http.get(base, params={"query": query}, headers=headers, timeout=60)  # warm-up
                t = time.perf_counter()
                r = http.get(base, params={"query": query}, headers=headers, timeout=60)
                took = time.perf_counter() - t
                rows = len(r.json()["results"]["bindings"]) if r.status_code == 200 else None
                checked[name] = {"seconds": took, "rows": rows, "expected_rows": expected}
                if rows == expected and took < SIMPLE:
                    reference[name] = (query, r.content)
        if not reference:
            return {"skipped": "no catalogue query is simple (answered within 50 ms)", "checked": checked}
        names = sorted(reference)
        latencies, errors, lock = [], [], threading.Lock()

        def client(k: int) -> None:
            local, bad = [], []
            with requests.Session() as http:
                for i in range(LOAD_REQUESTS):
                    name = names[(k + i) % len(names)]
                    t0 = time.perf_counter()
                    try:
                        r = http.get(base, params={"query": reference[name][0]}, headers=headers, timeout=60)
                        if r.status_code != 200 or r.content != reference[name][1]:
                            bad.append(f"{name}: HTTP {r.status_code}")
                    except requests.RequestException as exc:
                        bad.append(f"{name}: {exc}")
                    local.append(time.perf_counter() - t0)
            with lock:
                latencies.extend(local)
                errors.extend(bad)

        fastest = min(names, key=lambda n: checked[n]["seconds"])
        wrk = _wrk_load(base, reference[fastest][0], reference[fastest][1], headers)
        if wrk is not None:
            wrk["query"] = fastest
        threads = [threading.Thread(target=client, args=(k,)) for k in range(LOAD_CLIENTS)]
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - start
        latencies.sort()
        return {"seconds": elapsed, "requests": len(latencies), "qps": len(latencies) / elapsed,
                "p50": statistics.median(latencies), "p99": latencies[int(0.99 * (len(latencies) - 1))],
                "errors": len(errors), "error_samples": errors[:5], "queries": names, "checked": checked,
                "wrk": wrk}
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


WRK_SECONDS = 10
WRK_CONNECTIONS = 8

#: wrk script: GET one query, count answers that are not a 200 with the expected body, and
#: print the figures as one JSON line (latencies in microseconds).
_WRK_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  local f = assert(io.open(args[1], "rb")); expected = f:read("*a"); f:close()
  bad = 0
  req = wrk.format("GET", args[2], {["Accept"] = args[3]})
end
function request() return req end
function response(status, headers, body)
  if status ~= 200 or body ~= expected then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "bad": %d, ' ..
    '"socket_errors": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), b, e.connect + e.read + e.write + e.timeout))
end
"""


def _wrk_load(base: str, query: str, expected: bytes, headers: dict) -> dict | None:
    """One simple query sent by ``wrk`` (one thread, 8 connections) for 10 s; None without wrk.

    wrk costs far less CPU than Python client threads, which share the 2 cores with the
    server; an answer that is not a 200 with the lone client's body counts as an error.
    """
    import shutil
    import subprocess
    import tempfile
    from urllib.parse import urlencode, urlsplit

    if shutil.which("wrk") is None:
        return None
    path = urlsplit(base).path + "?" + urlencode({"query": query})
    with tempfile.TemporaryDirectory() as tmp:
        script, body = Path(tmp) / "load.lua", Path(tmp) / "expected"
        script.write_text(_WRK_LUA, encoding="utf-8")
        body.write_bytes(expected)
        proc = subprocess.run(["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "-s", str(script),
                               base, "--", str(body), path, headers["Accept"]],
                              capture_output=True, text=True, check=False, timeout=WRK_SECONDS + 60)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        return {"failed": (proc.stderr or proc.stdout).strip()[-300:]}
    r = json.loads(line[4:])
    seconds = r["duration_us"] / 1e6
    return {"qps": r["requests"] / seconds, "requests": r["requests"], "seconds": seconds,
            "p50": r["p50_us"] / 1e6, "p99": r["p99_us"] / 1e6, "errors": r["bad"] + r["socket_errors"]}


def stage_export(args) -> dict:
    """Export of each format (as ``pvd-graph export`` opens the build), and Oxigraph's own dump.

    ``parts`` holds our time per format, ``reference`` Oxigraph dumping the same layout
    (graph.nt in its default graph, or dataset.nq) in the same format.
    """
    import os

    import pyoxigraph as ox

    from pvd_graph import store
    from pvd_graph.export import DATASET_FORMATS, FORMATS, OX_FORMATS, export

    parts, reference, sizes = {}, {}, {}
    for fmt in FORMATS:
        layout = "named" if fmt in DATASET_FORMATS else "union"
        ds = store.open_built(args.build, graphs=layout)
        with open(os.devnull, "wb") as sink:
            t = time.perf_counter()
            sizes[fmt] = export(ds, fmt, sink).bytes
            parts[fmt] = time.perf_counter() - t
        plain = ox.Store()
        source = Path(args.build) / ("dataset.nq" if layout == "named" else "graph.nt")
        plain.bulk_load(path=str(source), format=ox.RdfFormat.N_QUADS if layout == "named" else ox.RdfFormat.N_TRIPLES)
        with open(os.devnull, "wb") as sink:
            t = time.perf_counter()
            if layout == "named":
                plain.dump(sink, format=OX_FORMATS[fmt])
            else:
                plain.dump(sink, format=OX_FORMATS[fmt], from_graph=ox.DefaultGraph())
            reference[fmt] = time.perf_counter() - t
    return {"seconds": sum(parts.values()), "parts": parts, "reference": reference, "bytes": sizes}


BIG_FILE_BYTES = 50_000_000
PVD_FILE = "anct_pvd_communes_2021.csv"
#: The towns of the PVD source graph that take part in PVD: one per row of the file.
BIG_FILE_COUNT = """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
SELECT (COUNT(?s) AS ?n) WHERE {
  GRAPH <https://w3id.org/pvd-graph/graph/anct-pvd> { ?s pvd:participatesIn <https://w3id.org/pvd-graph/id/programme/pvd> }
}"""


def write_big_pvd(sources: Path, path: Path, target: int = BIG_FILE_BYTES) -> int:
    """The real PVD rows repeated with unique INSEE codes (every code of each département) up to ~50 MB.

    An unknown ``commentaire`` column, ignored by the importer, pads the rows so that the
    ~96,000 distinct codes of metropolitan France make 50 MB. Returns the number of rows.
    """
    import csv

    with (sources / PVD_FILE).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames)
        rows = [r for r in reader if r["insee_com"][:2] == r["insee_dep"][:2]]  # the file's own bad row out
    deps = sorted(d["code"] for d in json.loads((sources / "cog" / "departements.json").read_text(encoding="utf-8"))
                  if len(d["code"]) == 2 and d["code"].isdigit())
    codes = [f"{dep}{n:03d}" for dep in deps for n in range(1000)]
    pad = max(0, target // len(codes) - 100)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields + ["commentaire"], lineterminator="\n")
        w.writeheader()
        for i, code in enumerate(codes):
            r = rows[i % len(rows)]
            w.writerow(dict(r, insee_com=code, insee_dep=code[:2], commentaire=((r["lib_epci"] + " ") * pad)[:pad]))
    return len(codes)


def stage_big_file(args) -> dict:
    """A 50 MB PVD file alone (no validation): build time and peak memory; every row must land.

    The file is written under ``--out`` (or a temporary folder) before the clock starts; the
    peak memory is read right after the build, before the graph is opened to count the rows.
    A row lost (or the file under 50 MB) fails the stage.
    """
    import tempfile

    from pvd_graph import store
    from pvd_graph.build import build_graph

    with tempfile.TemporaryDirectory(prefix="pvd-big-", dir=args.out) as tmp:
        src, out = Path(tmp) / "sources", Path(tmp) / "build"
        src.mkdir()
        folder = next((f for f in args.sources if (f / PVD_FILE).is_file()), None)
        if folder is None:
            raise SystemExit(f"big-file: no {PVD_FILE} in {', '.join(map(str, args.sources))}")
        rows = write_big_pvd(folder, src / PVD_FILE)
        size = (src / PVD_FILE).stat().st_size
        t = time.perf_counter()
        build_graph(src, out, run_validation=False)
        seconds = time.perf_counter() - t
        peak = peak_mib()
        ds = store.open_built(out, graphs="named")
        count = store.query(ds, BIG_FILE_COUNT)
        landed = int(next(iter(count))[0])
    if size < BIG_FILE_BYTES or landed != rows:
        raise SystemExit(f"big-file: {size} bytes, {rows} rows written, {landed} towns in the graph")
    return {"seconds": seconds, "peak_mib": peak, "bytes": size, "rows": rows}


STAGES = {name.removeprefix("stage_").replace("_", "-"): fn for name, fn in globals().items()
          if name.startswith("stage_")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("--sources", type=Path, nargs="+", required=True, help="folder(s) read as one import")
    parser.add_argument("--build", type=Path, required=True, help="a finished build folder to read")
    parser.add_argument("--out", type=Path, help="where the build stage writes")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # rdflib logs a traceback per ill-typed literal
    result = STAGES[args.stage](args)
    result.setdefault("peak_mib", peak_mib())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
