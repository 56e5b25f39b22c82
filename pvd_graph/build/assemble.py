"""Assembly: ontology, curated data and imports in one dataset, conflicts between sources resolved.

One named graph per source (``graph/ontology``, ``graph/curated``, one per
imported file, ``graph/provenance``); entities merge on their stable IRIs.
When two sources give different values for a property that takes one value
(a town's EPCI, its population, its label...), the value of the more
authoritative source is kept — curated data first, then the official
geographic code, then the programme lists — and the other is removed *and
reported* in ``conflicts.csv``: nothing is overwritten silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pvd_graph import ntriples
from pvd_graph.errors import UserError, describe_parse_error
from pvd_graph.importers.base import ImportResult
from pvd_graph.namespaces import GRAPHS, ID, named_graph_iri, single_valued_properties
from pvd_graph.store import Store
from pvd_graph.terms import shorten
from pvd_graph.validate import ValidationReport

ONTOLOGY_GRAPH = named_graph_iri("ontology")
CURATED_GRAPH = named_graph_iri("curated")
PROVENANCE_GRAPH = named_graph_iri("provenance")


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
    #: fingerprint of the inputs, taken before reading them (:func:`pvd_graph.rebuild.inputs`)
    inputs: dict | None = None

    @property
    def conforms(self) -> bool:
        return self.report is None or self.report.conforms


def source_rank(graph_iri: str) -> int:
    """Precedence of a named graph when sources disagree: lower wins."""
    from pvd_graph.importers import KNOWN_SOURCES

    name = graph_iri.removeprefix(GRAPHS)
    if name == "curated":
        return 0
    importer = KNOWN_SOURCES.get(name)
    if importer is not None:
        return importer.precedence
    return 1 if name.startswith("cog") else 2


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


def add_import(ds: Store, result: ImportResult, graph: ox.NamedNode, release: bool = False) -> None:
    """Put an import's triples into its named graph (then, with *release*, drop them from *result*).

    The triples go through N-Triples text and the native bulk loader rather than one
    ``Quad`` object per triple: ~30% faster on the ~350,000 national triples. The bulk
    loader renames blank nodes, so text that may hold one (``_:``) takes the slower
    path, which keeps their labels (builds stay byte-identical). The build releases each
    import once loaded (:meth:`ImportResult.release`): the store holds them, and the
    national imports' lines were ~400 MB of the build's peak memory.
    """
    text = result.ntriples()
    if b"_:" not in text:
        ds.load(text, ox.RdfFormat.N_TRIPLES, graph)
    else:
        ds.extend(ox.Quad(tr.subject, tr.predicate, tr.object, graph) for tr in result.triples)
    if release:
        result.release()


def _conflicting_values(ds: Store) -> list[tuple]:
    """(s, p, o, g) quads of the values of every subject of the project's URI space that has
    several values of a single-valued property (:func:`~pvd_graph.namespaces.single_valued_properties`) (in one language), in no particular order.

    One small GROUP BY query per property finds the (subject, language) pairs with
    several values, then one query fetches their values: 2.5× faster than a single
    query over all properties (which Oxigraph evaluates as one big join).
    """
    flagged = set()
    for prop in single_valued_properties():
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


def source_folders(sources: Path | str | Sequence[Path | str]) -> list[Path]:
    """The ``--sources`` folders as a list, each checked: it exists, is a folder, is not given twice.

    The same folder reached twice (``data`` and ``./data``, or a link to it) would import each of
    its files twice: refused rather than silently read once.
    """
    folders = [Path(sources)] if isinstance(sources, (str, Path)) else [Path(s) for s in sources]
    seen: dict[Path, Path] = {}
    for folder in folders:
        if not folder.exists():
            raise UserError(f"{folder}: no such folder")
        if not folder.is_dir():
            raise UserError(f"{folder}: --sources expects a folder of source files")
        real = folder.resolve()
        if real in seen:
            raise UserError(f"{folder}: --sources names this folder twice (also as {seen[real]})")
        for other, given in seen.items():
            if real.is_relative_to(other) or other.is_relative_to(real):
                raise UserError(f"{folder}: --sources folders overlap ({given} and {folder}): "
                                "their common files would be imported twice")
        seen[real] = folder
    return folders


def import_sources(sources: Path | Sequence[Path], log: Callable[[str], None],
                   on_result: Callable[[ImportResult], None] | None = None,
                   ) -> tuple[list[ImportResult], list[str]]:
    """Import the files of the *sources* folder(s), as one import; *on_result* gets each result when ready."""
    from pvd_graph import importers
    from pvd_graph.importers import pending

    folders = source_folders(sources)
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

    results, ignored = importers.import_directory(folders, on_result=arrived)
    for r in results:
        if r.error:
            log(f"  {r.source.id}: FAILED: {r.error}")  # the error starts with the path
            continue
        skipped = f", {sum(r.skipped.values())} skipped by design" if r.skipped else ""
        dropped = f", {len(r.warnings)} values dropped" if r.warnings else ""
        noted = f", {len(r.noted)} rows noted" if r.noted else ""
        log(f"  {r.source.id}: {r.rows_read} rows read, {r.rows_accepted} accepted, "
            f"{r.rows_rejected} rejected{skipped}{dropped}{noted}")
        for note in r.notes:
            log(f"    {note}")
        for rej in r.rejects[:5]:
            log(f"    rejected {rej}")
        if len(r.rejects) > 5:
            log(f"    ... {len(r.rejects) - 5} more rejected rows in rejects.csv")
        for w in r.warnings:  # a warning without a line is about a whole column (e.g. one left for later)
            if w.line == "":
                log(f"    not imported: column {w.field} ({w.value}): {w.reason}")
    for name in ignored:
        log(f"  ignored: {name} ({pending.reason(name)})")
    return results, ignored


def distinct_triples(ds: Store) -> int:
    """Triples of the union, each once (what ``graph.nt`` would hold)."""
    (n,), = ds.select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    return int(n.value)


#: The COG files the other sources lean on (départements, EPCI and régions of the towns), by source id.
_COG_FILES = {"cog-communes": "communes.json", "cog-epci": "epci.json",
              "cog-departements": "departements.json", "cog-regions": "regions.json"}
_PROGRAMME_FILES = {"anct-pvd": "PVD list", "anct-acv": "ACV map", "anct-crte": "CRTE list"}


def missing_sources(sources: Path | Sequence[Path], imports: list[ImportResult], ignored: list[str]) -> list[str]:
    """One line for each expected source that *sources* did not provide (imported without error).

    Expected: the four COG files and at least one programme file. Nothing
    recognised at all is one line; so is a missing COG file next to programme
    lists (their towns then have no département, EPCI or région) and a folder
    without any programme file.
    """
    if not isinstance(sources, (str, Path)):
        sources = " + ".join(str(s) for s in sources)
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
