"""The build: assemble ontology, curated data and imports, validate, write the build folder.

One named graph per source (``graph/ontology``, ``graph/curated``, one per
imported file, ``graph/provenance``); entities merge on their stable IRIs.
When two sources give different values for a property that takes one value
(a town's EPCI, its population, its label...), the value of the more
authoritative source is kept — curated data first, then the official
geographic code, then the programme lists — and the other is removed *and
reported* in ``conflicts.csv``: nothing is overwritten silently.

The build folder is written to a temporary sibling and swapped into place at
the end, so an interrupted build leaves the previous one intact.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pvd_graph import __version__, ntriples, resources, store
from pvd_graph.errors import UserError, describe_parse_error
from pvd_graph.importers.base import ImportResult
from pvd_graph.store import Store
from pvd_graph.namespaces import GRAPHS, ID, PREFIXES
from pvd_graph.validate import ValidationReport, shorten, validate
from pvd_graph.void import counts_from_ntriples, write_void

ONTOLOGY_GRAPH = GRAPHS + "ontology"
CURATED_GRAPH = GRAPHS + "curated"
PROVENANCE_GRAPH = GRAPHS + "provenance"

#: Properties that take one value per subject (per language for labels).
FUNCTIONAL = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    PREFIXES["pvd"] + "population",
    PREFIXES["pvd"] + "memberOf",
    PREFIXES["pvd"] + "inDepartement",
    PREFIXES["pvd"] + "inRegion",
    PREFIXES["pvd"] + "siren",
    PREFIXES["pvd"] + "inseeCode",
    PREFIXES["pvd"] + "signedOn",
    PREFIXES["pvd"] + "epciType",
)


@dataclass(frozen=True)
class Conflict:
    """Two sources disagree on a single-valued property; *kept* won by source precedence."""

    subject: str
    property: str
    kept: str
    kept_source: str
    dropped: str
    dropped_source: str

    def __str__(self) -> str:
        return (f"{shorten(self.subject)} {shorten(self.property)}: kept {self.kept!r} from {self.kept_source}, "
                f"dropped {self.dropped!r} from {self.dropped_source}")


@dataclass
class BuildResult:
    dataset: Store
    out_dir: Path | None
    report: ValidationReport | None
    imports: list[ImportResult] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: statements in the dataset, one per (triple, source graph): a fact stated by two sources counts twice
    quads: int = 0
    #: distinct triples of the union (the lines of ``graph.nt``)
    triples: int = 0
    #: expected sources that are missing (one line each), also printed by a quiet build
    source_warnings: list[str] = field(default_factory=list)
    curated: dict[str, str] = field(default_factory=dict)  # curated file name -> sha256

    @property
    def conforms(self) -> bool:
        return self.report is None or self.report.conforms


def source_rank(graph_iri: str) -> int:
    """Precedence of a named graph when sources disagree: lower wins."""
    name = graph_iri.removeprefix(GRAPHS)
    if name == "curated":
        return 0
    if name.startswith("cog"):
        return 1
    return 2


def read_turtle(path: Path) -> list[ox.Triple]:
    """Triples of a hand-written Turtle file, with blank nodes given stable labels.

    Blank nodes (OWL class unions, SHACL lists) are relabelled from a canonical
    hash of the file's graph (:func:`pvd_graph.ntriples.canonical`), so that two
    builds of the same files serialise byte-identically. A syntax error is a
    :class:`UserError` naming the file and line.
    """
    try:
        triples = list(ox.parse(path=path, format=ox.RdfFormat.TURTLE))
    except (SyntaxError, ValueError, OSError) as exc:
        raise UserError(describe_parse_error(path, exc)) from None
    return ntriples.canonical(triples)


def load_turtle_files(ds: Store, paths: list[Path], graph: str) -> None:
    """Parse hand-written Turtle files into one named graph of *ds*."""
    name = ox.NamedNode(graph)
    for path in paths:
        ds.extend([ox.Quad(t.subject, t.predicate, t.object, name) for t in read_turtle(path)])


def add_import(ds: Store, result: ImportResult, graph: ox.NamedNode) -> None:
    """Put an import's triples into its named graph.

    The triples go through N-Triples text and the native bulk loader rather than one
    ``Quad`` object per triple: ~30% faster on the ~350,000 national triples. The bulk
    loader renames blank nodes, so text that may hold one (``_:``) takes the slower
    path, which keeps their labels (builds stay byte-identical).
    """
    text = result.ntriples()
    if b"_:" not in text:
        ds.load(text, ox.RdfFormat.N_TRIPLES, graph)
        return
    ds.extend(ox.Quad(tr.subject, tr.predicate, tr.object, graph) for tr in result.triples)


def _conflicting_values(ds: Store) -> list[tuple]:
    """(s, p, o, g) quads of the values of every subject of the project's URI space that has
    several values of a :data:`FUNCTIONAL` property (in one language), in no particular order.

    One small GROUP BY query per property finds the (subject, language) pairs with
    several values, then one query fetches their values: 2.5× faster than a single
    query over all properties (which Oxigraph evaluates as one big join).
    """
    flagged = set()
    for prop in FUNCTIONAL:
        for sol in ds.query(f"""
SELECT ?s ?lang WHERE {{
  GRAPH ?g {{ ?s <{prop}> ?o }} BIND(IF(isLITERAL(?o), LANG(?o), "") AS ?lang)
}} GROUP BY ?s ?lang HAVING (COUNT(DISTINCT ?o) > 1)"""):
            s = sol[0]
            if isinstance(s, ox.NamedNode) and s.value.startswith(ID):
                flagged.add((s, prop, sol[1].value))
    if not flagged:
        return []
    pairs = " ".join(sorted({f"({s} <{p}>)" for s, p, _ in flagged}))
    rows = []
    for s, p, o, g in ds.query(f"SELECT ?s ?p ?o ?g WHERE {{ VALUES (?s ?p) {{ {pairs} }} GRAPH ?g {{ ?s ?p ?o }} }}"):
        if (s, p.value, o.language or "" if isinstance(o, ox.Literal) else "") in flagged:
            rows.append((s, p, o, g))
    return rows


def resolve_conflicts(ds: Store) -> list[Conflict]:
    """Keep one value per single-valued property by source precedence; report the rest.

    Values are compared by their lexical form (``"12"`` and ``12`` agree).
    """
    groups: dict[tuple, list[tuple]] = {}
    for s, p, o, g in _conflicting_values(ds):
        groups.setdefault((s, p, o.language if isinstance(o, ox.Literal) else None), []).append((o, g))
    conflicts = []
    for (s, p, _lang), values in sorted(groups.items(), key=lambda kv: (kv[0][0].value, kv[0][1].value)):
        best = min(source_rank(g.value) for _, g in values)
        kept = sorted({(o.value, g.value) for o, g in values if source_rank(g.value) == best})
        if len({o for o, _ in kept}) > 1:
            continue  # the most authoritative source itself has several values: SHACL reports it
        kept_value, kept_graph = kept[0]
        for o, g in values:
            if o.value == kept_value:
                continue  # agreement (the best source's value, possibly repeated elsewhere)
            ds.remove(ox.Quad(s, p, o, g))
            conflicts.append(Conflict(s.value, p.value, kept_value, kept_graph.removeprefix(GRAPHS),
                                      o.value, g.value.removeprefix(GRAPHS)))
    return conflicts


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def only_iri_named_graphs(ds: Store) -> bool:
    """Whether every triple of *ds* is in a named graph named by an IRI (as in a build)."""
    return all(isinstance(g, ox.NamedNode) for g in ds.named_graphs()) and ds.default_graph_is_empty()


def serialise(ds: Store) -> tuple[bytes, bytes]:
    """``(graph.nt, dataset.nq)``: the union, each triple once, and the dataset, both sorted.

    When every triple is in a named graph with an IRI (as in a build), one dump and
    one sort give both files (:func:`pvd_graph.ntriples.union_and_dataset`).
    """
    if only_iri_named_graphs(ds):
        return ntriples.union_and_dataset(ds.dump(ox.RdfFormat.N_QUADS))
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
    file), ``row rejected`` (the row is not in the graph) or ``value dropped``
    (the row is in the graph without that value); rows skipped by design (e.g.
    communes déléguées) are counted per reason.
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
            for reason, n in sorted(r.skipped.items()):
                w.writerow([r.source.id, r.source.path, "", "", n, reason, "rows skipped by design"])


def _write_conflicts(path: Path, conflicts: list[Conflict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "property", "kept", "kept_source", "dropped", "dropped_source"])
        for c in conflicts:
            w.writerow([c.subject, c.property, c.kept, c.kept_source, c.dropped, c.dropped_source])


CONFLICTS_CSV = "conflicts.csv"

#: What a build writes into its folder: a folder holding anything else is not a build to replace.
BUILD_FILES = frozenset({
    resources.GRAPH_NT, resources.DATASET_NQ, resources.GRAPH_TTL, resources.REPORT_TXT, resources.REPORT_TTL,
    resources.REJECTS_CSV, CONFLICTS_CSV, resources.VOID_TTL, resources.ALIGNMENTS_NT,
    resources.MANIFEST_JSON,
})


def _not_a_build(folder: Path) -> str | None:
    """Why *folder* is no build folder to replace (None when it is one, or empty).

    A build folder holds its ``manifest.json`` and only the files a build writes.
    """
    names = sorted(p.name for p in folder.iterdir())
    others = [n for n in names if n not in BUILD_FILES]
    if others:
        more = f" and {len(others) - 1} more" if len(others) > 1 else ""
        return f"holds {others[0]}{more}, which a build does not write"
    if names and resources.MANIFEST_JSON not in names:
        return f"has no {resources.MANIFEST_JSON} (not a finished build)"
    return None


def check_out_dir(out: Path | str) -> Path:
    """The resolved build folder *out*, when a build may write it; else a one-line :class:`UserError`.

    A build replaces its folder whole, so it may replace only an empty folder or a
    previous build (its ``manifest.json`` and only the files a build writes): a
    folder holding anything else is the user's, and is left untouched. The path is
    resolved first (``.``, ``sub/..``, links), and the root, the home folder, the
    working folder and any folder containing one of them are refused whatever they hold.
    """
    given = out
    out = Path(out).expanduser().resolve()
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if out == Path(out.anchor):
        raise UserError(f"--out {given}: the root of the file system cannot be a build folder")
    for what, folder in (("working folder", cwd), ("home folder", home)):
        if out == folder or out in folder.parents:
            where = "is" if out == folder else "contains"
            raise UserError(f"--out {given}: {where} the {what} ({folder}); give a folder of its own, "
                            "e.g. --out pvd-build")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {given}: exists and is not a folder")
    why = _not_a_build(out) if out.is_dir() else None
    if why:
        raise UserError(f"--out {given}: {why}; a build replaces only an empty folder or a previous build, "
                        "so nothing was written (choose another --out)")
    return out


def recover_interrupted_swap(out: Path) -> Path | None:
    """Put back a previous build left aside by a build killed between the two renames of the swap.

    The swap renames *out* to ``.OUT.old-PID`` and then the new folder to *out*; a build
    killed between the two leaves no *out*. Returns the restored folder, if any; a
    leftover that is not a build folder is never moved.
    """
    if out.exists():
        return None
    olds = sorted((p for p in out.parent.glob(f".{out.name}.old-*") if p.is_dir() and _not_a_build(p) is None),
                  key=lambda p: p.stat().st_mtime)
    if not olds:
        return None
    olds[-1].rename(out)
    return out


def _replace_dir(tmp: Path, out: Path) -> None:
    """Swap the finished temporary folder into place; the old build survives until then.

    *out* is checked again just before (see :func:`check_out_dir`): only an empty
    folder or a previous build is ever moved aside and removed.
    """
    check_out_dir(out)
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        try:
            tmp.rename(out)
        except BaseException:
            old.rename(out)  # put the previous build back before the caller removes tmp
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def write_build(result: BuildResult, out: Path, log: Callable[[str], None],
                pending_report: Callable[[], ValidationReport] | None = None) -> None:
    """Write every output file into a temporary folder, then move it to *out*.

    *pending_report*, when given, returns the validation report (e.g. from a
    validation running in another thread meanwhile); it is called once the graph
    files are written and becomes ``result.report``.
    """
    shown = out
    out = check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if recover_interrupted_swap(out):
        log(f"restored the previous build in {shown} (a build had been interrupted while swapping folders)")
        out = check_out_dir(out)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:  # name the folder asked for, not the temporary one beside it
        raise OSError(exc.errno, exc.strerror, str(shown)) from None
    tmp.chmod(0o755)
    try:
        t = time.perf_counter()
        nt, nq = serialise(result.dataset)
        result.triples = nt.count(b"\n")
        result.timings["serialise"] = time.perf_counter() - t
        # Writing files and the Turtle serialiser do not hold the GIL: a thread does them
        # while this one computes the description.
        with ThreadPoolExecutor(max_workers=1) as writer:
            written = [writer.submit((tmp / resources.GRAPH_NT).write_bytes, nt),
                       writer.submit((tmp / resources.DATASET_NQ).write_bytes, nq),
                       writer.submit(lambda: (tmp / resources.GRAPH_TTL).write_bytes(serialise_turtle(nt)))]
            t = time.perf_counter()
            counts = counts_from_ntriples(nt, nq) if only_iri_named_graphs(result.dataset) else None
            write_void(result.dataset, tmp / resources.VOID_TTL, counts=counts)
            alignments = serialise_alignments(result.dataset)
            result.timings["describe"] = time.perf_counter() - t
            written.append(writer.submit((tmp / resources.ALIGNMENTS_NT).write_bytes, alignments))
            for job in written:
                job.result()
        if pending_report is not None:
            result.report = pending_report()
        if result.report is not None:
            (tmp / resources.REPORT_TXT).write_text(result.report.to_text() + "\n", encoding="utf-8")
            (tmp / resources.REPORT_TTL).write_text(result.report.render("turtle"), encoding="utf-8")
        _write_rejects(tmp / resources.REJECTS_CSV, result.imports)
        _write_conflicts(tmp / CONFLICTS_CSV, result.conflicts)
        manifest = {
            "pvd_graph": __version__,
            "python": platform.python_version(),
            "backend": "oxigraph",
            "triples": result.triples,
            "quads": result.quads,
            "conforms": result.conforms,
            "violations": result.report.count("Violation") if result.report else None,
            "warnings": result.report.count("Warning") if result.report else None,
            "sources": [
                {"id": r.source.id, "file": str(r.source.path), "sha256": r.source.sha256,
                 "rows_read": r.rows_read, "rows_accepted": r.rows_accepted,
                 "rows_rejected": r.rows_rejected, "error": r.error}
                for r in result.imports
            ],
            "curated": result.curated,
            "conflicts": len(result.conflicts),
            "source_warnings": result.source_warnings,
            "ignored": result.ignored,
            "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
        }
        (tmp / resources.MANIFEST_JSON).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"wrote {shown}/ ({result.triples} triples, {result.quads} quads) in {result.timings['serialise']:.2f}s")


def _import_sources(sources: Path, log: Callable[[str], None],
                    on_result: Callable[[ImportResult], None] | None = None,
                    ) -> tuple[list[ImportResult], list[str]]:
    """Import the files of *sources*; *on_result* gets each result when it is ready."""
    from pvd_graph import importers

    if not sources.exists():
        raise UserError(f"{sources}: no such folder")
    if not sources.is_dir():
        raise UserError(f"{sources}: --sources expects a folder of source files")
    seen: dict[str, Path] = {}

    def arrived(r: ImportResult) -> None:
        if r.source.id in seen and not r.error:
            # two files of the same source would share one named graph and one provenance record
            r.error = (f"{r.source.path}: another file of source {r.source.id} is already imported "
                       f"({seen[r.source.id]}); keep one")
            r.lines, r.rows_accepted = [], 0
        seen.setdefault(r.source.id, r.source.path)
        if on_result is not None:
            on_result(r)

    results, ignored = importers.import_directory(sources, on_result=arrived)
    for r in results:
        if r.error:
            log(f"  {r.source.id}: FAILED: {r.error}")  # the error starts with the path
            continue
        skipped = f", {sum(r.skipped.values())} skipped by design" if r.skipped else ""
        dropped = f", {len(r.warnings)} values dropped" if r.warnings else ""
        log(f"  {r.source.id}: {r.rows_read} rows read, {r.rows_accepted} accepted, "
            f"{r.rows_rejected} rejected{skipped}{dropped}")
        for rej in r.rejects[:5]:
            log(f"    rejected {rej}")
        if len(r.rejects) > 5:
            log(f"    ... {len(r.rejects) - 5} more rejected rows in rejects.csv")
    for name in ignored:
        log(f"  ignored: {name} (not a known source format)")
    return results, ignored


def _distinct_triples(ds: Store) -> int:
    """Triples of the union, each once (what ``graph.nt`` would hold)."""
    (n,), = ds.select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    return int(n.value)


#: The COG files the other sources lean on (départements, EPCI and régions of the towns), by source id.
_COG_FILES = {"cog-communes": "communes.json", "cog-epci": "epci.json",
              "cog-departements": "departements.json", "cog-regions": "regions.json"}
_PROGRAMME_FILES = {"anct-pvd": "PVD list", "anct-acv": "ACV map", "anct-crte": "CRTE list"}


def missing_sources(sources: Path, imports: list[ImportResult], ignored: list[str]) -> list[str]:
    """One line for each expected source that *sources* did not provide (imported without error).

    Expected: the four COG files and at least one programme file. Nothing
    recognised at all is one line; so is a missing COG file next to programme
    lists (their towns then have no département, EPCI or région) and a folder
    without any programme file.
    """
    got = {r.source.id for r in imports if not r.error}
    if not got:
        seen = f"{len(ignored)} file{'s' if len(ignored) != 1 else ''} not recognised" if ignored else "no file"
        return [f"{sources}: no known source file here ({seen}); expected the COG "
                f"({', '.join(_COG_FILES.values())}) and programme files ({', '.join(_PROGRAMME_FILES.values())})"]
    warnings = []
    refused = {r.source.id for r in imports if r.error}
    missing_cog = [name + (" (refused)" if sid in refused else "") for sid, name in _COG_FILES.items() if sid not in got]
    if missing_cog:
        have = [label for sid, label in _PROGRAMME_FILES.items() if sid in got]
        effect = (f": the towns of the {' and '.join(have)} get none of its facts (official names, "
                  "EPCI, départements, régions)") if have else ""
        warnings.append(f"{sources}: no COG file {', '.join(missing_cog)}{effect}")
    if not got & _PROGRAMME_FILES.keys():
        warnings.append(f"{sources}: no programme file ({', '.join(_PROGRAMME_FILES.values())}): "
                        "the graph has no programme towns from the official lists")
    return warnings


def build_graph(
    sources: Path | str | None = None,
    out_dir: Path | str | None = None,
    *,
    data_dir: Path | str | None = None,
    run_validation: bool = True,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Assemble, validate and (when *out_dir* is given) write the knowledge graph.

    *sources* is a folder of official files to import on top of the curated
    data (see :mod:`pvd_graph.importers`); without it the graph holds the
    ontology and the curated data only. *data_dir* replaces the embedded
    curated Turtle folder (``data/``).
    """
    log = log or (lambda _msg: None)
    if out_dir is not None:
        check_out_dir(out_dir)  # refuse a folder that is not a build before doing any work
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
        t = time.perf_counter()
        log(f"importing sources from {sources}")
        # Each file's triples are bulk-loaded in a thread (Oxigraph's loader does not hold
        # the GIL) while the next file is parsed.
        with ThreadPoolExecutor(max_workers=1) as loader:
            loads = []
            imports, ignored = _import_sources(Path(sources), log, lambda r: loads.append(
                loader.submit(add_import, ds, r, ox.NamedNode(GRAPHS + r.source.id))))
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
    timings["assemble"] = time.perf_counter() - t
    if conflicts:
        log(f"{len(conflicts)} conflicts between sources (kept the more authoritative value; see conflicts.csv):")
        by_kind = Counter((c.property, c.kept_source, c.dropped_source) for c in conflicts)
        for (prop, kept, dropped), n in sorted(by_kind.items(), key=lambda kv: -kv[1]):
            example = next(c for c in conflicts if (c.property, c.kept_source, c.dropped_source) == (prop, kept, dropped))
            log(f"  {n:5d} × {shorten(prop)}: {kept} kept over {dropped}, e.g. {example}")

    result = BuildResult(dataset=ds, out_dir=Path(out_dir) if out_dir else None, report=None,
                         imports=imports, conflicts=conflicts, ignored=ignored, timings=timings)
    result.quads = len(ds)
    result.curated = {p.name: _sha256(p) for p in curated}
    log(f"assembled {result.quads} quads from {2 + len(imports)} graphs")
    if sources is not None:
        result.source_warnings = missing_sources(Path(sources), imports, ignored)
        for warning in result.source_warnings:
            log(f"warning: {warning}")

    if out_dir is None:
        result.triples = _distinct_triples(ds)
    if not run_validation:
        if out_dir is not None:
            write_build(result, Path(out_dir), log)
        return result
    log("validating (SHACL shapes + SPARQL checks)")

    def validated() -> ValidationReport:
        t = time.perf_counter()
        report = validate(ds)
        timings["validate"] = time.perf_counter() - t
        return report

    if out_dir is None:
        result.report = validated()
    else:
        # Validation only reads the store, and Oxigraph answers queries without holding
        # the GIL: it runs in a thread while the build files are written (2 cores: ~1 s less).
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(validated)
            try:
                write_build(result, Path(out_dir), log, pending_report=future.result)
            finally:
                future.cancel()
    log(result.report.summary() + f" in {timings['validate']:.2f}s")
    return result
