"""The build's output files: serialisation, description, reports and manifest.

``graph.nt`` (the union, each triple once) and ``dataset.nq`` (one named graph
per source) are sorted N-Triples/N-Quads (:mod:`pvd_graph.ntriples`), so two
builds of the same inputs are byte-identical; ``graph.ttl`` is streamed from
``graph.nt``; ``void.ttl`` describes the dataset and ``alignments.nt`` is the
linkset to official identifiers. Files are written into the folder that
:func:`pvd_graph.build.swap.staged` swaps into place.
"""

from __future__ import annotations

import csv
import json
import platform
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from pvd_graph import __version__, ntriples, rebuild, resources
from pvd_graph.alignments import ALIGNMENTS_GRAPH
from pvd_graph.build.assemble import BuildResult, Conflict
from pvd_graph.build.swap import CONFLICTS_CSV, staged
from pvd_graph.importers.base import ImportResult
from pvd_graph.importers import pending
from pvd_graph.store import Store, write_disk_store
from pvd_graph.void import counts_from_ntriples, write_void

if TYPE_CHECKING:
    from pvd_graph.validate import ValidationReport


def only_iri_named_graphs(ds: Store) -> bool:
    """Whether every triple of *ds* is in a named graph named by an IRI (as in a build)."""
    return all(isinstance(g, ox.NamedNode) for g in ds.named_graphs()) and ds.default_graph_is_empty()


def serialise(ds: Store) -> tuple[bytes, bytes]:
    """``(graph.nt, dataset.nq)``: the union, each triple once, and the dataset, both sorted.

    When every triple is in a named graph with an IRI (as in a build), one dump and
    one sort give both files (:func:`pvd_graph.ntriples.union_and_dataset_of_lines`).
    """
    if only_iri_named_graphs(ds):
        return ntriples.union_and_dataset_of_lines(ds.dump(ox.RdfFormat.N_QUADS).splitlines())  # dump freed at once
    return serialise_ntriples(ds), serialise_nquads(ds)


def serialise_ntriples(ds: Store) -> bytes:
    """Every triple of the union, once, as sorted N-Triples: byte-identical across builds."""
    chunks = [ds.dump(ox.RdfFormat.N_TRIPLES, graph=g) for g in ds.named_graphs()]
    chunks.append(ds.dump(ox.RdfFormat.N_TRIPLES, graph=ox.DefaultGraph()))
    return ntriples.sort_lines(b"".join(chunks))


def serialise_nquads(ds: Store) -> bytes:
    """The dataset with its named graphs, as sorted N-Quads."""
    return ntriples.sort_lines(ds.dump(ox.RdfFormat.N_QUADS))


def serialise_turtle(nt: bytes) -> bytes:
    """The union as Turtle with the project's prefixes and one prefix per resource type (``commune:73011``).

    Streamed from the sorted N-Triples (a subject's triples are consecutive there), without
    loading them into a store first: 2× faster on the national graph.
    """
    from pvd_graph.namespaces import SERIALISATION_PREFIXES

    return ox.serialize(ntriples.read(nt), format=ox.RdfFormat.TURTLE, prefixes=SERIALISATION_PREFIXES)


def serialise_alignments(ds: Store) -> bytes:
    """The linkset to official identifier schemes and pages, as sorted N-Triples.

    Kept out of ``graph.nt``: it is a separate VoID linkset with more triples
    than the graph itself (identifier nodes and links for every commune and EPCI).
    """
    from pvd_graph.alignments import alignment_ntriples

    return ntriples.sort_lines(alignment_ntriples(ds))


def _write_rejects(path: Path, imports: list[ImportResult]) -> None:
    """Every input row that did not land as read: refused sources, rejected rows, dropped values.

    ``outcome`` tells them apart: ``source refused`` (nothing imported from the
    file), ``row rejected`` (the row is not in the graph), ``value dropped``
    (the row is in the graph without that value) or ``noted`` (the row is in the
    graph whole, with something to say: a former commune's code, say); rows
    skipped by design (e.g. communes déléguées) are counted per reason.
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["source", "file", "line", "field", "value", "reason", "outcome"])
        for r in imports:
            if r.error:
                w.writerow([r.source.id, r.source.path, "", "", "", r.error, "source refused"])
            for rej in r.rejects:
                w.writerow([r.source.id, rej.file, rej.line, rej.field, rej.value, rej.reason, "row rejected"])
            for rej in r.warnings:
                w.writerow([r.source.id, rej.file, rej.line, rej.field, rej.value, rej.reason, "value dropped"])
            for rej in r.noted:
                w.writerow([r.source.id, rej.file, rej.line, rej.field, rej.value, rej.reason, "noted"])
            for reason, n in sorted(r.skipped.items()):
                w.writerow([r.source.id, r.source.path, "", "", n, reason, "rows skipped by design"])


def _write_conflicts(path: Path, conflicts: list[Conflict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "property", "kept", "kept_source", "dropped", "dropped_source"])
        for c in conflicts:
            w.writerow([c.subject, c.property, c.kept, c.kept_source, c.dropped, c.dropped_source])


def write_build(result: BuildResult, out: Path, log: Callable[[str], None],
                pending_report: Callable[[], ValidationReport] | None = None,
                graph_written: Future | None = None) -> None:
    """Write every output file into a temporary folder, then swap it into *out* (see :mod:`.swap`).

    *pending_report*, when given, returns the validation report (e.g. from a
    validation running in another thread meanwhile); it is called once the graph
    files are written and becomes ``result.report``. *graph_written*, when given, gets
    the path of the written ``graph.nt`` (in the temporary folder) as soon as it is
    written, or the error that stopped it (what the validation reads).
    """
    with staged(out, log) as folder:
        disk_store = write_graph_files(result, folder, graph_written)
        if pending_report is not None:
            result.report = pending_report()
        write_reports(result, folder, disk_store)
    log(f"wrote {out}/ ({result.triples} triples, {result.quads} quads) in {result.timings['serialise']:.2f}s")


def write_graph_files(result: BuildResult, folder: Path, graph_written: Future | None = None) -> dict:
    """graph.nt, dataset.nq, graph.ttl, void.ttl, alignments.nt and the on-disk store of *result* into *folder*.

    Writing files, the Turtle serialiser and the store's loader do not hold the GIL: two
    threads do them while this one computes the description (VoID counts, alignments).
    The on-disk store (``store/``, :func:`pvd_graph.store.write_disk_store`) is the longest
    of them (RocksDB's bulk loader): it starts as soon as ``dataset.nq`` and ``graph.nt``
    are written and streams them back from the files, so it neither waits for the Turtle
    nor needs their bytes (freed once the Turtle and the VoID counts are made). What the
    manifest records of the store is returned. *graph_written*: as for :func:`write_build`.
    """
    t = time.perf_counter()
    nt, nq = serialise(result.dataset)
    result.triples = nt.count(b"\n")
    result.timings["serialise"] = time.perf_counter() - t
    with ThreadPoolExecutor(max_workers=1) as writer, ThreadPoolExecutor(max_workers=1) as loader:
        graph_files = [writer.submit((folder / resources.GRAPH_NT).write_bytes, nt),
                       writer.submit((folder / resources.DATASET_NQ).write_bytes, nq)]
        if graph_written is not None:
            graph_files[0].add_done_callback(lambda job: _pass_on(job, graph_written, folder / resources.GRAPH_NT))
        turtle = writer.submit(lambda data: (folder / resources.GRAPH_TTL).write_bytes(serialise_turtle(data)), nt)
        alignments_written: Future = Future()  # True once alignments.nt is written; False: this build is failing
        disk_store = loader.submit(_write_disk_store, folder, graph_files, alignments_written, result.timings)
        try:
            t = time.perf_counter()
            counts = counts_from_ntriples(nt, result.dataset) if only_iri_named_graphs(result.dataset) else None
            del nt, nq  # the Turtle serialiser holds graph.nt's bytes until it is done; the store reads the files
            write_void(result.dataset, folder / resources.VOID_TTL, counts=counts)
            alignments = serialise_alignments(result.dataset)
            result.timings["describe"] = time.perf_counter() - t
            (folder / resources.ALIGNMENTS_NT).write_bytes(alignments)
            del alignments
            for job in [*graph_files, turtle]:
                job.result()
            alignments_written.set_result(True)
        finally:
            if not alignments_written.done():
                alignments_written.set_result(False)  # the store stops there; the error propagates
        record = disk_store.result()
    if counts is not None:  # what the endpoint reports it holds, without counting the store's statements again
        held = {iri: record["made_from"][name]["lines"] for name, iri in record["graphs"].items()}  # counted by the store writer
        named = {str(g): n for g, n in counts.graphs} | held
        record["figures"] = {"default": counts.triples, "named": dict(sorted(named.items()))}
    for name, made in record["made_from"].items():  # the store stands for these files as written
        made["mtime_ns"] = (folder / name).stat().st_mtime_ns
    return record


def _pass_on(job: Future, target: Future, value) -> None:
    """*target* gets *value* once *job* is done, or *job*'s error."""
    if job.exception() is not None:
        target.set_exception(job.exception())
    else:
        target.set_result(value)


def _write_disk_store(folder: Path, graph_files: list[Future], alignments_written: Future,
                      timings: dict[str, float]) -> dict:
    """The store of the build, once *graph_files* (dataset.nq, graph.nt) are written: its dataset, and
    the alignments (``alignments.nt``) as the named graph ``graph/alignments`` only (the default graph
    stays ``graph.nt``'s: what ``query`` sees)."""
    for job in graph_files:
        job.result()
    t = time.perf_counter()
    record = write_disk_store(folder, (resources.DATASET_NQ, resources.GRAPH_NT),
                              {resources.ALIGNMENTS_NT: (ALIGNMENTS_GRAPH, alignments_written.result)})
    timings["store"] = time.perf_counter() - t
    return record


def write_reports(result: BuildResult, folder: Path, disk_store: dict | None = None) -> None:
    """The validation report (text and Turtle), rejects.csv, conflicts.csv and, last, manifest.json
    (with *disk_store*, the record of the on-disk store, see :func:`write_graph_files`)."""
    if result.report is not None:
        (folder / resources.REPORT_TXT).write_text(result.report.to_text() + "\n", encoding="utf-8")
        (folder / resources.REPORT_TTL).write_text(result.report.render("turtle"), encoding="utf-8")
    _write_rejects(folder / resources.REJECTS_CSV, result.imports)
    _write_conflicts(folder / CONFLICTS_CSV, result.conflicts)
    # last, with the size and time of every file written before it (how a later build knows them untouched)
    (folder / resources.MANIFEST_JSON).write_text(
        json.dumps(manifest(result, rebuild.output_stamps(folder), disk_store), indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8")


def manifest(result: BuildResult, outputs: dict[str, list[int]] | None = None, disk_store: dict | None = None) -> dict:
    """What ``manifest.json`` says of a build (the file a build writes last).

    ``inputs`` and ``outputs`` let a later build with the same inputs reuse this one
    (:mod:`pvd_graph.rebuild`); ``store`` records the on-disk store and what it was made from.
    """
    return {
        "pvd_graph": __version__,
        "python": platform.python_version(),
        "backend": "oxigraph",
        "triples": result.triples,
        "quads": result.quads,
        "conforms": result.conforms,
        "violations": result.report.count("Violation") if result.report else None,
        "warnings": result.report.count("Warning") if result.report else None,
        "shacl_conforms": result.report.shacl_conforms if result.report else None,
        "validation_engine": result.report.engine if result.report else None,
        "validation_fallbacks": result.report.fallbacks if result.report else None,
        "sources": [
            {"id": r.source.id, "file": str(r.source.path), "sha256": r.source.sha256,
             "rows_read": r.rows_read, "rows_accepted": r.rows_accepted,
             "rows_rejected": r.rows_rejected, "error": r.error, **({"figures": r.figures} if r.figures else {})}
            for r in result.imports
        ],
        "curated": result.curated,
        "conflicts": len(result.conflicts),
        "source_warnings": result.source_warnings,
        "ignored": result.ignored,
        "ignored_why": {name: pending.reason(name) for name in result.ignored},
        "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
        "inputs": result.inputs,
        "outputs": outputs,
        **({"store": disk_store} if disk_store else {}),
    }
