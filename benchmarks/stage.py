"""One benchmark stage, run in a fresh process by ``benchmarks/run.py``.

``python benchmarks/stage.py STAGE --sources DIR --build DIR [--out DIR]`` prints one JSON
object on its last stdout line: ``seconds`` (the measured operation, without interpreter
start-up and imports), ``parts`` (sub-timings), ``peak_mib`` (this process's peak resident
memory) and, for stages that run the query catalogue, ``queries``.

Stages: ``build`` (full national build with validation), ``validate-sparql`` and
``validate-pyshacl`` (the shapes on a loaded build, each engine), ``load`` (open a built
graph), ``queries`` (every catalogue query, first and warm), ``naive`` (reference a: rdflib
in-memory parse of graph.nt, pySHACL, rdflib SPARQL), ``oxigraph`` (reference b: pyoxigraph
bulk load of graph.nt and the same queries), ``endpoint`` and ``export`` (hooks, reported as
skipped until those modules expose what the harness needs).
"""

from __future__ import annotations

import argparse
import json
import logging
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
    return {"seconds": total, "parts": dict(result.timings), "triples": result.triples,
            "engine": result.report.engine if result.report else None,
            "results": len(result.report.results) if result.report else None}


def _validate(args, engine: str) -> dict:
    from pvd_graph import store
    from pvd_graph.validate import load_shapes, run_shapes

    ds = store.open_built(args.build)
    shapes = load_shapes()
    t = time.perf_counter()
    results, used = run_shapes(ds, shapes, engine)
    return {"seconds": time.perf_counter() - t, "engine": used, "results": len(results)}


def stage_validate_sparql(args) -> dict:
    return _validate(args, "sparql")


def stage_validate_pyshacl(args) -> dict:
    return _validate(args, "pyshacl")


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

    from pvd_graph.validate import load_shapes, run_shacl

    t = time.perf_counter()
    g = Graph()
    g.parse(Path(args.build) / "graph.nt", format="nt")
    parse = time.perf_counter() - t
    shapes = load_shapes()
    t = time.perf_counter()
    results = run_shacl(g, shapes)
    shacl = time.perf_counter() - t
    cases = catalogue_cases()
    queries = time_queries(lambda n, text, p: len(list(g.query(text, initBindings=bindings(n, p)))), cases)
    return {"seconds": parse + shacl, "parts": {"parse": parse, "shacl": shacl}, "results": len(results),
            "triples": len(g), "queries": queries}


def _ox_term(term):
    import pyoxigraph as ox
    from rdflib import Literal, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)


def stage_oxigraph(args) -> dict:
    """Reference (b): pyoxigraph alone, bulk-loading graph.nt and running the same queries."""
    import pyoxigraph as ox

    t = time.perf_counter()
    s = ox.Store()
    s.bulk_load(path=str(Path(args.build) / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    load = time.perf_counter() - t

    def run(name, text, params):
        subs = {ox.Variable(k): _ox_term(v) for k, v in bindings(name, params).items()}
        result = s.query(text, substitutions=subs)
        return len(list(result)) if isinstance(result, ox.QuerySolutions) else 1

    return {"seconds": load, "triples": len(s), "queries": time_queries(run, catalogue_cases())}


def stage_endpoint(args) -> dict:
    """Hook: the endpoint under load (branch ``serve``); skipped until it lands."""
    try:
        import pvd_graph.serve  # noqa: F401
    except ImportError:
        return {"skipped": "pvd_graph.serve not available yet"}
    return {"skipped": "endpoint load test not wired yet"}


def stage_export(args) -> dict:
    """Hook: export of each format (branch ``export``); skipped until it lands."""
    try:
        import pvd_graph.export  # noqa: F401
    except ImportError:
        return {"skipped": "pvd_graph.export not available yet"}
    return {"skipped": "export timing not wired yet"}


STAGES = {name.removeprefix("stage_").replace("_", "-"): fn for name, fn in globals().items()
          if name.startswith("stage_")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--build", type=Path, required=True, help="a finished build folder to read")
    parser.add_argument("--out", type=Path, help="where the build stage writes")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # rdflib logs a traceback per ill-typed literal
    result = STAGES[args.stage](args)
    result["peak_mib"] = peak_mib()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
