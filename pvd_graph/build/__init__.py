"""The build: assemble ontology, curated data and imports, validate, write the build folder.

:mod:`~pvd_graph.build.assemble` fills the dataset and resolves conflicts between
sources, :mod:`~pvd_graph.build.output` writes the files and
:mod:`~pvd_graph.build.swap` puts the finished folder in place, so an
interrupted build leaves the previous one intact. :func:`build_graph` runs them
in order, validation alongside.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox

from pvd_graph import rebuild, resources, store
from pvd_graph.build.assemble import (
    CURATED_GRAPH, ONTOLOGY_GRAPH, PROVENANCE_GRAPH, BuildResult, Conflict, add_import,
    distinct_triples, import_sources, load_turtle_files, missing_sources, read_turtle,
    resolve_conflicts, source_folders, source_rank,
)
from pvd_graph.build.derive import DERIVED_GRAPH, derive
from pvd_graph.build.output import (
    only_iri_named_graphs, serialise, serialise_alignments, serialise_nquads, serialise_ntriples, serialise_turtle,
    write_build,
)
from pvd_graph.build.swap import BUILD_FILES, CONFLICTS_CSV, check_out_dir, recover_interrupted_swap
from pvd_graph.errors import UserError
from pvd_graph.importers.base import ImportResult
from pvd_graph.namespaces import named_graph_iri
from pvd_graph.terms import shorten
from pvd_graph.validate import ValidationReport, load_shapes, validate

__all__ = [
    "BUILD_FILES", "CONFLICTS_CSV", "CURATED_GRAPH", "ONTOLOGY_GRAPH", "PROVENANCE_GRAPH",
    "BuildResult", "Conflict", "add_import", "build_graph", "check_out_dir", "load_turtle_files",
    "missing_sources", "only_iri_named_graphs", "read_turtle", "recover_interrupted_swap", "resolve_conflicts",
    "serialise", "serialise_alignments", "serialise_nquads", "serialise_ntriples", "serialise_turtle",
    "source_rank", "write_build",
]


def build_graph(
    sources: Path | str | Sequence[Path | str] | None = None,
    out_dir: Path | str | None = None,
    *,
    data_dir: Path | str | None = None,
    run_validation: bool = True,
    log: Callable[[str], None] | None = None,
    engine: str = "auto",
    shapes: Sequence[Path | str] | None = None,
    only_shapes: bool = False,
) -> BuildResult:
    """Assemble, validate and (when *out_dir* is given) write the knowledge graph.

    *sources* is a folder of official files to import on top of the curated
    data (see :mod:`pvd_graph.importers`), or several folders imported as one
    (``["../shared/data", "../shared/more-data"]``); without it the graph holds the
    ontology and the curated data only. *data_dir* replaces the embedded
    curated Turtle folder (``data/``). *engine*, *shapes* and *only_shapes*: as for
    :func:`pvd_graph.validate.validate_file` (the shapes are read first: a bad file stops the build at once).
    """
    log = log or (lambda _msg: None)
    fingerprint = None
    if out_dir is not None:
        check_out_dir(out_dir)  # refuse a folder that is not a build before doing any work
        # taken before anything is read: an input changed during the build differs from it next time
        fingerprint = rebuild.inputs(sources, data_dir=data_dir, run_validation=run_validation, engine=engine,
                                     shapes=shapes, only_shapes=only_shapes)
    shapes_graph = load_shapes(shapes, only=only_shapes) if run_validation else None
    timings: dict[str, float] = {}
    ds = store.new_dataset()

    t = time.perf_counter()
    load_turtle_files(ds, [resources.ONTOLOGY_FILE], ONTOLOGY_GRAPH)
    curated = resources.curated_files(Path(data_dir) if data_dir else None)
    if data_dir is not None and not curated:
        raise UserError(f"{data_dir}: no curated Turtle (*.ttl) files here")
    load_turtle_files(ds, curated, CURATED_GRAPH)
    timings["curated"] = time.perf_counter() - t

    imports: list[ImportResult] = []
    ignored: list[str] = []
    if sources is not None:
        sources = source_folders(sources)  # checked before any work
        t = time.perf_counter()
        log(f"importing sources from {' + '.join(str(s) for s in sources)}")
        # Each file's triples are bulk-loaded in a thread (Oxigraph's loader does not hold
        # the GIL) while the next file is parsed.
        with ThreadPoolExecutor(max_workers=1) as loader:
            loads = []
            imports, ignored = import_sources(sources, log, lambda r: loads.append(
                loader.submit(add_import, ds, r, ox.NamedNode(named_graph_iri(r.source.id)), release=True)))
            timings["import"] = time.perf_counter() - t
            t = time.perf_counter()
            for load in loads:
                load.result()
    else:
        t = time.perf_counter()
    if imports:
        from pvd_graph.provenance import provenance_quads

        ds.extend(provenance_quads(imports, ox.NamedNode(PROVENANCE_GRAPH)))
    conflicts = resolve_conflicts(ds)
    conflicts += [Conflict(*line) for r in imports for line in r.conflicts]  # found by importers
    conflicts += derive(ds)
    timings["assemble"] = time.perf_counter() - t
    if conflicts:
        log(f"{len(conflicts)} conflicts between sources (kept the more authoritative value; see conflicts.csv):")
        by_kind = Counter((c.property, c.kept_source, c.dropped_source) for c in conflicts)
        for (prop, kept, dropped), n in sorted(by_kind.items(), key=lambda kv: -kv[1]):
            example = next(c for c in conflicts if (c.property, c.kept_source, c.dropped_source) == (prop, kept, dropped))
            log(f"  {n:5d} × {shorten(prop)}: {kept} kept over {dropped}, e.g. {example}")

    result = BuildResult(dataset=ds, out_dir=Path(out_dir) if out_dir else None, report=None,
                         imports=imports, conflicts=conflicts, ignored=ignored, timings=timings,
                         inputs=fingerprint)
    result.quads = len(ds)
    result.curated = {p.name: rebuild.file_sha256(p) for p in curated}
    log(f"assembled {result.quads} quads from {2 + len(imports)} graphs")
    if sources is not None:
        result.source_warnings = missing_sources(sources, imports, ignored)
        for warning in result.source_warnings:
            log(f"warning: {warning}")

    if out_dir is None:
        result.triples = distinct_triples(ds)
    if not run_validation:
        if out_dir is not None:
            write_build(result, Path(out_dir), log)
        return result
    log("validating (SHACL shapes + SPARQL checks)")

    def validated(source: Future | None = None) -> ValidationReport:
        graph_nt = source.result() if source is not None else None
        t = time.perf_counter()
        report = validate(ds, shapes_graph, engine=engine, checks=not only_shapes, source=graph_nt)
        timings["validate"] = time.perf_counter() - t
        return report

    if out_dir is None:
        result.report = validated()
    else:
        # Validation only reads the store and graph.nt, and neither Oxigraph nor shacl holds the
        # GIL: it runs in a thread while the other build files are written. The shapes read the
        # written graph.nt (the store's union, as the store would dump it) rather than a dump of
        # their own: 6 s of dump and ~10 s of shacl less on the national graph (the union's
        # 1.9 M triples instead of the 2.2 M quads).
        graph_nt: Future = Future()
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(validated, graph_nt)
            try:
                write_build(result, Path(out_dir), log, pending_report=future.result, graph_written=graph_nt)
            finally:
                if not graph_nt.done():  # the build failed before graph.nt was written: the thread stops
                    graph_nt.set_exception(RuntimeError("the build stopped before graph.nt was written"))
                future.cancel()
    log(result.report.summary() + f" in {timings['validate']:.2f}s")
    for line in result.report.engine_lines():
        log(line)
    return result
