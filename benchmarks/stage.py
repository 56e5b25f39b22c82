"""One benchmark stage, run in a fresh process by ``benchmarks/run.py``.

``python benchmarks/stage.py STAGE --sources DIR [DIR…] --build DIR [--out DIR]`` prints one JSON
object on its last stdout line: ``seconds`` (the measured operation, without interpreter
start-up and imports), ``parts`` (sub-timings), ``peak_mib`` (this process's peak resident
memory) and, for stages that run the query catalogue, ``queries``.

Stages: ``build`` (full national build with validation), ``rebuild`` (the same build again,
unchanged inputs: reused), ``validate-shacl`` and
``validate-pyshacl`` (the shapes on a loaded build, each engine, handing it the graph included),
``validate-file`` (shacl alone on graph.nt: its parse + validation), ``validate-build`` (validation
as the build runs it, shapes + checks, next to shacl alone on the same graph.nt, in one process), ``load`` (open a built
graph), ``queries`` (every catalogue query, first and warm), ``naive`` (reference a: rdflib
in-memory parse of graph.nt, pySHACL, rdflib SPARQL), ``oxigraph`` (reference b: pyoxigraph
bulk load of graph.nt and the same queries), ``oxigraph-disk`` (reference c: pyoxigraph
alone writing the build's on-disk store from its files, and the same queries on that store), ``endpoint`` (the server under load), ``export``
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
        cases.append((name, q.text_for(params), params))  # with a date, its dated text
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


def stage_rebuild(args) -> dict:
    """``pvd-graph build`` again, end to end (process start included), on the build stage's unchanged inputs.

    ``parts.check``: the fingerprint of the inputs and the comparison with the manifest, in this process.
    The build must be reused (said on stderr), or the stage fails.
    """
    import subprocess

    from pvd_graph import rebuild

    t = time.perf_counter()
    previous, why = rebuild.reusable(args.build, rebuild.inputs(args.sources))
    check = time.perf_counter() - t
    if previous is None:
        raise SystemExit(f"rebuild: {args.build} would not be reused: {why}")
    cmd = [sys.executable, "-m", "pvd_graph", "build", "-q", "--sources", *map(str, args.sources),
           "--out", str(args.build)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t
    if proc.returncode != (0 if previous["conforms"] else 1) or "reused" not in proc.stderr:
        raise SystemExit(f"rebuild: not reused (exit {proc.returncode}): {proc.stderr.strip()[-200:]}")
    return {"seconds": seconds, "parts": {"check": check}}


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

    t = time.perf_counter()
    s = ox.Store()
    s.bulk_load(path=str(Path(args.build) / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    load = time.perf_counter() - t

    return {"seconds": load, "triples": len(s), "queries": time_reference_queries(s)}


def time_reference_queries(s) -> dict[str, dict[str, float]]:
    """:func:`time_queries` of every catalogue case run by pyoxigraph store *s* alone, on the final texts
    (:func:`reference_texts`): the references' query timings, (b) in memory and (c) on disk."""
    import pyoxigraph as ox

    cases = catalogue_cases()
    sent = reference_texts(cases)

    def run(name, _text, _params):
        text, subs = sent[name]
        result = s.query(text, substitutions=subs)
        return len(list(result)) if isinstance(result, ox.QuerySolutions) else 1

    return time_queries(run, cases)


def stage_oxigraph_disk(args) -> dict:
    """Reference (c), what the build and the queries cannot go under while the build carries its
    on-disk store (issue 20 asks for it): pyoxigraph alone (1) writing the same store from the build's
    own files, as the build does (``dataset.nq``, ``graph.nt`` as the default graph, the alignments as
    their named graph, one compaction: pyoxigraph's fastest path, ``bulk_load`` from the path), with
    this process's peak memory then; (2) running the same final texts as (b) on the build's own store,
    opened read-only (where ``pvd-graph query`` and ``serve`` run them)."""
    import shutil
    import tempfile

    import pyoxigraph as ox

    from pvd_graph import resources

    build = Path(args.build)
    record = json.loads((build / resources.MANIFEST_JSON).read_text(encoding="utf-8"))["store"]
    loads = [(resources.DATASET_NQ, ox.RdfFormat.N_QUADS, {}),
             (resources.GRAPH_NT, ox.RdfFormat.N_TRIPLES, {"to_graph": ox.DefaultGraph()})]
    loads += [(name, ox.RdfFormat.N_TRIPLES, {"to_graph": ox.NamedNode(iri)}) for name, iri in record["graphs"].items()]
    scratch = Path(tempfile.mkdtemp(prefix="pvd-bench-store-"))
    try:
        parts, t0 = {}, time.perf_counter()
        s = ox.Store(str(scratch / "store"))
        for name, fmt, to in loads:
            t = time.perf_counter()
            s.bulk_load(path=str(build / name), format=fmt, lenient=True, **to)
            parts[name] = time.perf_counter() - t
        t = time.perf_counter()
        s.optimize()
        parts["optimize"] = time.perf_counter() - t
        seconds, write_peak, quads = time.perf_counter() - t0, peak_mib(), len(s)
        del s
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    disk = ox.Store.read_only(str(build / record["folder"]))
    return {"seconds": seconds, "parts": parts, "peak_mib": write_peak, "quads": quads,
            "queries": time_reference_queries(disk)}


def reference_texts(cases) -> dict[str, tuple[str, dict]]:
    """Per case, what the query layer sends the engine: the final text (bound values written in as terms,
    :func:`pvd_graph.query.sent_text`) and the substitutions left, as pyoxigraph terms. Computed before
    any timing, so that the reference measures the engine on the same text, not the plan or the parsing
    of the catalogue."""
    import pyoxigraph as ox

    from pvd_graph import store
    from pvd_graph.query import sent_text

    out = {}
    for name, text, params in cases:
        final, rest = sent_text(text, bindings(name, params))
        out[name] = (final, {ox.Variable(k): store.to_ox(v) for k, v in rest.items()})
    return out


LOAD_CLIENTS = 8
LOAD_REQUESTS = 50  # per client
SIMPLE = 0.05  # a catalogue query answered by a lone client within 50 ms counts as simple


def catalogue_path(name: str, params: dict[str, str]) -> str:
    """The request target of catalogue query *name* with *params* on the endpoint (``/catalogue/NAME?…``):
    the endpoint binds them as ``pvd-graph query`` does (codes and names looked up, dates checked)."""
    from urllib.parse import quote, urlencode

    return f"/catalogue/{quote(name)}" + (f"?{urlencode(params)}" if params else "")


def _oxigraph_qps(ds, query: str, runs: int = 300, bindings: dict | None = None) -> float:
    """The reference of the wrk figure: *query* answered by Oxigraph in this process (results serialised as
    SPARQL JSON, as the endpoint sends them), one at a time, per second."""
    import pyoxigraph as ox

    t = time.perf_counter()
    for _ in range(runs):
        ds.query(query, bindings=bindings).serialize(format=ox.QueryResultsFormat.JSON)
    return runs / (time.perf_counter() - t)


def _light_during_abuse(port: int, base: str) -> dict:
    """Light-query latency while the endpoint is abused (``benchmarks/bench_serve.py``'s :class:`Abuse`: 2
    runaway clients abandoning their query after 0.5 s, queries nested 3,000 deep, a client sending its
    headers a byte at a time, 200 idle sockets): sent by wrk when installed, else by one Python client."""
    from bench_serve import JSON, LIGHT, Abuse, lone_answer, under_abuse, wrk_load

    expected = lone_answer(port, LIGHT)
    with Abuse(port, 2) as abuse:
        during = wrk_load(base, LIGHT, expected, JSON, WRK_SECONDS, WRK_CONNECTIONS)
    if during is None:
        python = under_abuse(port, 2, WRK_SECONDS)
        return {"client": "python", "p50": python["p50_ms"] / 1000, "p99": python["p99_ms"] / 1000,
                "max": python["max_ms"] / 1000, "requests": python["answers"], "errors": python["errors"],
                "qps": python["answers"] / WRK_SECONDS, "runaways": python["runaways"]}
    return {"client": "wrk", **during, "runaways": abuse.runaways, "deep_statuses": sorted(set(abuse.deep))}


def stage_endpoint(args) -> dict:
    """The endpoint (``pvd-graph serve``, 2 workers) under load from concurrent clients.

    Every catalogue query is sent once to ``/catalogue/NAME`` with its parameters as request
    fields (what the endpoint offers for the catalogue: the same bindings as ``pvd-graph
    query``) and its row count checked against :func:`pvd_graph.query.run_query`; the simple
    ones (answered within 50 ms) are then sent by 8 client threads, round robin; an answer that
    is not a 200 identical to the lone client's is an error. (Until session 10 the text was sent
    to ``/sparql`` with a trailing VALUES clause: a trailing VALUES is joined after the query's
    grouping, so it did not mean what the catalogue's bindings mean and several counts differed.)
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
    root = f"http://127.0.0.1:{port}"
    base = f"{root}/sparql"
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
        reference, checked, answered = {}, {}, {}
        cases = catalogue_cases()
        with requests.Session() as http:
            for name, text, params in cases:
                path = catalogue_path(name, params)
                expected = len(run_query(ds, name, params)[1])
                http.get(root + path, headers=headers, timeout=60)  # warm-up
                t = time.perf_counter()
                r = http.get(root + path, headers=headers, timeout=60)
                took = time.perf_counter() - t
                rows = len(r.json()["results"]["bindings"]) if r.status_code == 200 else None
                checked[name] = {"seconds": took, "rows": rows, "expected_rows": expected,
                                 **({} if r.status_code == 200 else {"status": r.status_code, "said": r.text[:200]})}
                if rows == expected:
                    answered[name] = (path, r.content)
                    if took < SIMPLE:
                        reference[name] = (path, r.content)
        if not answered:
            return {"skipped": "no catalogue query answered right", "checked": checked}
        if not reference:  # none within 50 ms: the load runs on the fastest, and the table says so
            fastest = min(answered, key=lambda n: checked[n]["seconds"])
            reference[fastest] = answered[fastest]
        names = sorted(reference)
        latencies, errors, lock = [], [], threading.Lock()

        def client(k: int) -> None:
            local, bad = [], []
            with requests.Session() as http:
                for i in range(LOAD_REQUESTS):
                    name = names[(k + i) % len(names)]
                    t0 = time.perf_counter()
                    try:
                        r = http.get(root + reference[name][0], headers=headers, timeout=60)
                        if r.status_code != 200 or r.content != reference[name][1]:
                            bad.append(f"{name}: HTTP {r.status_code}")
                    except requests.RequestException as exc:
                        bad.append(f"{name}: {exc}")
                    local.append(time.perf_counter() - t0)
            with lock:
                latencies.extend(local)
                errors.extend(bad)

        from bench_serve import wrk_load

        fastest = min(names, key=lambda n: checked[n]["seconds"])
        wrk = wrk_load(root, None, reference[fastest][1], headers["Accept"], WRK_SECONDS, WRK_CONNECTIONS,
                       path=reference[fastest][0])
        if wrk is not None:
            wrk["query"] = fastest
            wrk["path"] = reference[fastest][0]
            sent = reference_texts([case for case in cases if case[0] == fastest])[fastest]
            wrk["reference_qps"] = _oxigraph_qps(ds, sent[0], bindings={v.value: t for v, t in sent[1].items()})
        # a genuinely simple query too (programme-overlap joins thousands of participations): one town's
        # label and INSEE code by its IRI, a PVD town taken from the graph
        (town,), = ds.select(TOWN_PICK)
        simple_query = TOWN_QUERY.replace("TOWN", f"<{town.value}>")
        simple_body = http_get_body(base, simple_query, headers)
        wrk_town = wrk_load(base, simple_query, simple_body, headers["Accept"], WRK_SECONDS, WRK_CONNECTIONS)
        if wrk_town is not None:
            wrk_town["query"] = "a town's label and INSEE code by its IRI"
            wrk_town["reference_qps"] = _oxigraph_qps(ds, simple_query)
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
                "wrk": wrk, "wrk_town": wrk_town, "abuse": _light_during_abuse(port, base)}
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


WRK_SECONDS = 10
WRK_CONNECTIONS = 8
TOWN_PICK = """SELECT ?t WHERE { ?t <https://w3id.org/pvd-graph/ontology#participatesIn>
  <https://w3id.org/pvd-graph/id/programme/pvd> } ORDER BY ?t LIMIT 1"""
TOWN_QUERY = """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label ?insee WHERE { TOWN rdfs:label ?label ; pvd:inseeCode ?insee }"""


def http_get_body(base: str, query: str, headers: dict) -> bytes:
    """The body of a lone GET of *query* (what every answer under load must be); one row at least."""
    import requests

    r = requests.get(base, params={"query": query}, headers=headers, timeout=60)
    if r.status_code != 200 or not r.json()["results"]["bindings"]:
        raise SystemExit(f"the simple query got HTTP {r.status_code}: {r.text[:200]}")
    return r.content


class _AddedMemory:
    """The resident memory a block adds at its peak, in MiB (``/proc/self/statm`` sampled every 5 ms)."""

    def __enter__(self):
        import threading

        self._page = os.sysconf("SC_PAGE_SIZE")
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _rss(self) -> int:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * self._page

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        self.added_mib = (self.peak - self.start) / 2**20


def stage_export(args) -> dict:
    """Export of each format (as ``pvd-graph export`` opens the build), and Oxigraph's own dump.

    ``parts`` holds our time per format, ``reference`` Oxigraph dumping the same layout
    (graph.nt in its default graph, or dataset.nq) in the same format (JSON-LD: expanded, as
    Oxigraph writes it), ``added_mib`` the memory our export added at its peak.
    """
    import gc

    import pyoxigraph as ox

    from pvd_graph.export import DATASET_FORMATS, OX_FORMATS, SYNTAX, export, open_for_export

    parts, reference, sizes, added = {}, {}, {}, {}
    for fmt in SYNTAX:
        layout = "named" if fmt in DATASET_FORMATS else "union"
        ds = open_for_export(args.build, fmt)
        with open(os.devnull, "wb") as sink, _AddedMemory() as memory:
            t = time.perf_counter()
            sizes[fmt] = export(ds, fmt, sink).bytes
            parts[fmt] = time.perf_counter() - t
        added[fmt] = memory.added_mib
        del ds
        gc.collect()
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
        del plain
    return {"seconds": sum(parts.values()), "parts": parts, "reference": reference, "bytes": sizes,
            "added_mib": added, "load_average": os.getloadavg()}


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


CLI_QUERY = ("partners-of-town", {"insee": "73011"})  # the query ``query-cli`` runs (a light one: Albertville)
CLI_RUNS = 5  # process starts per measure (median)


def _median_run(command: list[str]) -> tuple[float, str]:
    """Median wall time of *command* run :data:`CLI_RUNS` times (process start to exit), and its output."""
    import subprocess

    times, out = [], ""
    for _ in range(CLI_RUNS):
        t = time.perf_counter()
        out = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True).stdout
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def _store_folder(build: Path) -> Path:
    from pvd_graph import resources

    manifest = json.loads((build / resources.MANIFEST_JSON).read_text(encoding="utf-8"))
    return build / manifest["store"]["folder"]


def stage_query_cli(args) -> dict:
    """``pvd-graph query NAME`` end to end (process start to rows printed) on the build folder, and
    reference: a Python process opening the same on-disk store with pyoxigraph alone and running the
    same query (parameters bound as the CLI binds them), rows printed as CSV."""
    from pvd_graph.namespaces import PREFIXES
    from pvd_graph.query import load_catalogue

    name, params = CLI_QUERY
    q = load_catalogue()[name]
    terms = json.dumps({k: t.n3() for k, t in q.bindings(params).items()})
    ours, out = _median_run([sys.executable, "-m", "pvd_graph", "query", name, *(f"-p{k}={v}" for k, v in params.items()),
                             "-f", "csv", "-q", "--graph", str(args.build)])
    script = ("import json, sys, pyoxigraph as ox\n"  # parameters bound as the CLI binds them (substitutions)
              "term = lambda n3: next(ox.parse(f'<x:s> <x:p> {n3} .', format=ox.RdfFormat.N_TRIPLES)).object\n"
              "bound = {ox.Variable(k): term(v) for k, v in json.loads(sys.argv[3]).items()}\n"
              "s = ox.Store.read_only(sys.argv[1])\n"
              "r = s.query(sys.argv[2], substitutions=bound)\n"
              "sys.stdout.write(r.serialize(format=ox.QueryResultsFormat.CSV).decode())\n")
    prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
    ref, ref_out = _median_run([sys.executable, "-c", script, str(_store_folder(args.build)), prologue + q.text_for(params), terms])
    rows, ref_rows = out.count("\n") - 1, ref_out.count("\n") - 1
    if rows != ref_rows:
        raise SystemExit(f"query-cli: {rows} rows from pvd-graph query, {ref_rows} from Oxigraph alone")
    return {"seconds": ours, "reference": ref, "rows": rows, "query": name}


def _pss_mib(pid: int) -> dict[str, float]:
    """Resident (RSS) and proportional (PSS: shared pages divided among their users) memory, MiB."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("Rss", "Pss"):
                out[key.lower()] = int(value.split()[0]) / 1024
    return out


def _descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                children.append(int(entry.name))
    return children + [d for c in children for d in _descendants(c)]


def _serve_start(build: Path) -> tuple[float, dict | None]:
    """One ``pvd-graph serve`` (2 workers): seconds from process start to its first answer, and the
    memory of its processes once both workers are forked (``None`` if it never answered)."""
    import socket
    import subprocess
    import urllib.error
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D"
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pvd_graph", "serve", "--graph", str(build), "--port",
                             str(port), "--workers", "2"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if proc.poll() is not None or time.perf_counter() - t > 120:
                return time.perf_counter() - t, None
            time.sleep(0.01)
        ready = time.perf_counter() - t
        time.sleep(1)  # both workers forked
        return ready, {str(pid): _pss_mib(pid) for pid in [proc.pid, *_descendants(proc.pid)]}  # web, template, workers
    finally:
        proc.terminate()
        proc.wait(30)


def stage_serve_ready(args) -> dict:
    """``pvd-graph serve`` (2 workers) from process start to its first answer, the median of
    :data:`CLI_RUNS` starts (one start alone varies by a third on a loaded machine), and the memory
    of its processes in the last start; reference: a Python process opening the same on-disk store
    with pyoxigraph alone and answering one query."""
    starts, memory = [], None
    for _ in range(CLI_RUNS):
        ready, memory = _serve_start(args.build)
        if memory is None:
            return {"skipped": "the endpoint did not start"}
        starts.append(ready)
    script = "import sys, pyoxigraph as ox\nbool(ox.Store.read_only(sys.argv[1]).query('ASK {}'))\n"
    ref, _ = _median_run([sys.executable, "-c", script, str(_store_folder(args.build))])
    return {"seconds": statistics.median(starts), "starts": starts, "reference": ref, "processes": memory}


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
