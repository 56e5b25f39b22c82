"""Validation: SHACL shapes plus SPARQL violation checks, into one report.

Two kinds of checks make up a validation:

* the SHACL shapes (``ontology/shapes/``, plus or instead of the user's ``--shapes``), without
  inference, by one of two engines:

  - ``shacl`` (PyPI ``shacl``, in Rust): the fast engine; it passes the whole W3C SHACL core
    test suite and reports what pySHACL reports on the national graph, ~50× faster;
  - ``pyshacl``: the reference engine;
  - ``auto`` (default): ``shacl``, except that a shape it cannot run (:func:`pvd_graph.shapes.plan`,
    or one whose results hold a blank node of the data, which ``shacl`` renames) is validated by
    pySHACL, shape by shape, and announced in the report;

* the SPARQL checks in ``queries/checks/*-violation.rq`` (project rules; not run with
  ``--only-shapes``): each query returns one row per problem with ``?focus ?path ?value ?message``
  (and optionally ``?severity``, a ``sh:`` severity IRI). In ``validation.ttl`` each row is a W3C
  result like an engine's: ``sh:sourceShape pvdsh:check-NAME`` (a ``sh:NodeShape`` labelled with
  the query's file), ``sh:sourceConstraintComponent sh:SPARQLConstraintComponent``, its severity.
  They run in a thread while the engine validates (both off the GIL).

The report keeps each engine's W3C result nodes as they are (literal datatypes and languages,
complex paths, blank nodes, custom severities), so ``validation.ttl`` is the engine's report;
``sh:conforms`` is false when there is any result, warnings included (SHACL's definition), while
the exit status (:attr:`ValidationReport.conforms`) only fails on violations.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from pvd_graph import resources, store
from pvd_graph.errors import UserError
from pvd_graph.namespaces import PREFIXES, PVDSH
from pvd_graph.shapes import SEVERITIES, Result, closure, exact_literals, load_shapes, plan, target_triples, targeted_shapes
from pvd_graph.shapes import named_shape as _named_shape
from pvd_graph.shapes import severity_name as _severity
from pvd_graph.store import Store
from pvd_graph.terms import shorten

__all__ = ["ENGINES", "REPORT_FORMATS", "SEVERITIES", "Result", "ShapesRun", "pyshacl_report", "ValidationReport", "load_shapes",
           "run_checks", "run_shapes", "validate", "validate_file"]

REPORT_FORMATS = ("text", "turtle", "json")
ENGINES = ("auto", "shacl", "pyshacl")
PASSING = ("Warning", "Info")  # severities the exit status lets through


@dataclass
class ShapesRun:
    """What the engines (and then the SPARQL checks) reported: their W3C result nodes, in one graph."""

    graph: Graph  # every result node (and what they refer to), without the report node
    nodes: list  # the top-level result nodes
    engine: str  # the engine(s) that ran, with their versions
    fallbacks: list[str] = field(default_factory=list)  # one line per shape and feature run by pySHACL instead
    timings: dict[str, float] = field(default_factory=dict)  # seconds: handoff, shacl, pyshacl (then checks)


@dataclass
class ValidationReport:
    results: list[Result] = field(default_factory=list)
    engine: str = "pyshacl"
    fallbacks: list[str] = field(default_factory=list)
    shapes_run: ShapesRun | None = None

    @property
    def conforms(self) -> bool:
        """True when no result is a violation (the exit status: warnings and infos pass)."""
        return not any(r.severity not in PASSING for r in self.results)

    @property
    def shacl_conforms(self) -> bool:
        """SHACL's ``sh:conforms``: true only when there is no result at all, warnings included."""
        return not self.results

    @property
    def timings(self) -> dict[str, float]:
        """Seconds spent: ``handoff`` (the data to shacl), ``shacl``, ``pyshacl``, ``checks`` (concurrent)."""
        return dict(self.shapes_run.timings) if self.shapes_run is not None else {}

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s.lower()}{'s' if self.count(s) != 1 else ''}" for s in SEVERITIES)
        other = sum(1 for r in self.results if r.severity not in SEVERITIES)
        if other:
            counts += f", {other} of custom severities (counted as violations)"
        verdict = "conforms" if self.conforms else "does NOT conform"
        line = f"graph {verdict}: {counts}"
        if self.conforms and not self.shacl_conforms:
            line += " (no violation; SHACL's sh:conforms is false, warnings included)"
        return line

    def engine_lines(self) -> list[str]:
        return [f"engine: {self.engine}"] + [f"fallback: {f}" for f in self.fallbacks]

    def ordered(self) -> list[Result]:
        """The results in one total order (the checks run beside the engine: they arrive in any
        order), so that the same validation writes the same report."""
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        return sorted(self.results, key=lambda r: (rank.get(r.severity, -1), r.shape, r.focus, r.path,
                                                   str(r.value or ""), r.message or "", r.constraint))

    def to_text(self, limit: int | None = None) -> str:
        lines = [self.summary(), *self.engine_lines()]
        ordered = self.ordered()
        for r in ordered[:limit]:
            value = f" (value: {r.value})" if r.value else ""
            message = r.message or shorten(r.constraint)
            lines.append(f"{r.severity}: {shorten(r.focus)} {shorten(r.path)}: {message}{value} [{shorten(r.shape)}]")
        if limit is not None and len(ordered) > limit:
            lines.append(f"... and {len(ordered) - limit} more (see the full report)")
        by_shape = Counter((r.severity, r.shape) for r in self.results)
        if len(self.results) > 20:
            lines.append("by shape:")
            lines += [f"  {n:6d} {sev} {shorten(shape)}"
                      for (sev, shape), n in sorted(by_shape.items(), key=lambda item: (-item[1], item[0]))]
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {"conforms": self.conforms, "shacl_conforms": self.shacl_conforms, "engine": self.engine,
             "fallbacks": self.fallbacks, "results": [asdict(r) for r in self.ordered()]},
            ensure_ascii=False, indent=1,
        )

    def to_graph(self) -> Graph:
        """The report as a W3C ``sh:ValidationReport`` graph: the engines' result nodes as they gave them."""
        g = Graph()
        for prefix in ("sh", "pvd", "pvdsh", "id"):
            g.bind(prefix, PREFIXES[prefix])
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.shacl_conforms)))
        if self.shapes_run is not None:
            g += self.shapes_run.graph
            for node in self.shapes_run.nodes:
                g.add((report, SH.result, node))
        return g

    def to_turtle(self) -> str:
        """:meth:`to_graph` in Turtle, written by Oxigraph: rdflib's writer puts an ill-typed literal
        bare (``"none"^^xsd:boolean`` as ``none``: not Turtle), and a report holds them as the data does.
        Byte-identical for the same results (canonical blank-node labels)."""
        g = self.to_graph()
        # canonical blank-node labels (Oxigraph's canonicalisation, milliseconds), then one order: the
        # same validation gives the same bytes (the report's nodes are blank, labelled at random)
        ds = ox.Dataset(ox.Quad(*map(store.to_ox, t), ox.DefaultGraph()) for t in g)
        ds.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        report = ox.NamedNode(str(SH.ValidationReport))
        rdf_type = ox.NamedNode(str(RDF.type))
        heads = {q.subject for q in ds if q.predicate == rdf_type and q.object == report}
        ordered = sorted(ds, key=lambda q: (q.subject not in heads, str(q.subject), str(q.predicate), str(q.object)))
        triples = [q.triple for q in ordered]  # a node's triples together, the report first
        prefixes = {p: PREFIXES[p] for p in ("sh", "pvd", "pvdsh", "id", "xsd", "rdf", "rdfs")}
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8")

    def render(self, fmt: str) -> str:
        if fmt == "text":
            return self.to_text()
        if fmt == "json":
            return self.to_json()
        if fmt == "turtle":
            return self.to_turtle()
        raise UserError(f"unknown report format {fmt!r}; expected one of {', '.join(REPORT_FORMATS)}")


# -- the engines -----------------------------------------------------------------------------

def _without(shapes: Graph, triples) -> Graph:
    g = Graph()
    g += shapes
    for t in triples:
        g.remove(t)
    return g


def pyshacl_report(data: Graph, shapes: Graph) -> tuple[Graph, list]:
    """pySHACL's result nodes (no inference; SHACL-AF targets and functions on)."""
    import pyshacl

    _conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                                allow_warnings=True, abort_on_first=False)
    heads = [r for r in report.subjects(RDF.type, SH.ValidationReport)]
    nodes = [n for h in heads for n in report.objects(h, SH.result)]
    for h in heads:
        report.remove((h, None, None))
    return report, nodes


def _shape_names(shapes: Graph) -> dict:
    """Anonymous shapes (the nodes a result's ``sh:sourceShape`` can be) → an IRI for shacl."""
    nodes = set()
    for p in (SH.property, SH.node, SH.qualifiedValueShape, SH["not"], SH.sparql):
        nodes |= set(shapes.objects(None, p))
    for p in (SH["and"], SH["or"], SH.xone):
        for head in shapes.objects(None, p):
            nodes |= set(Collection(shapes, head))
    nodes |= set(shapes.subjects(SH.path, None)) | targeted_shapes(shapes)
    return {n: n.skolemize() for n in nodes if isinstance(n, BNode)}  # rdflib's .well-known/genid IRIs


def _shacl(data: Path, shapes: Graph) -> tuple[Graph, list]:
    """shacl's result nodes, its anonymous shapes given back as the shapes graph's blank nodes.

    Raises ValueError when shacl cannot compile the shapes or run a query."""
    import shacl

    names = _shape_names(shapes)
    named = Graph()
    named.addN((names.get(s, s), p, names.get(o, o), named) for s, p, o in shapes)
    engine = shacl.Shapes.from_text(named.serialize(format="nt"), format="ntriples")
    report = engine.validate_file(str(data))
    with exact_literals():
        raw = Graph().parse(data=report.serialize("ntriples"), format="nt")
    back = {v: k for k, v in names.items()}
    g = Graph()
    g.addN((back.get(s, s), p, back.get(o, o), g) for s, p, o in raw)
    heads = list(g.subjects(RDF.type, SH.ValidationReport))
    nodes = [n for h in heads for n in g.objects(h, SH.result)]
    for h in heads:
        g.remove((h, None, None))
    # a blank-node shape described, as pySHACL does, so that the report says which shape it is
    for node in nodes:
        shape = g.value(node, SH.sourceShape)
        if isinstance(shape, BNode):
            g += shapes.cbd(shape)
    return g, nodes


def _versions() -> tuple[str, str]:
    import pyshacl
    import shacl

    return f"shacl {shacl.__version__}", f"pyshacl {pyshacl.__version__}"


class Data:
    """The data graph as the engines take it: the store's union, or an RDF file read as written.

    A file is parsed again rather than read from the store because Oxigraph's store rewrites
    typed literals to canonical forms (``"4.0"^^xsd:decimal`` → ``"4"``, ``"7"^^xsd:byte`` →
    ``"7"^^xsd:integer``), which changes ``sh:datatype`` verdicts and the report's values.
    """

    def __init__(self, ds: Store, source: Path | None = None):
        self.ds, self.source = ds, source
        self._triples: list | None = None

    def triples(self) -> list:
        if self._triples is None:
            if self.source is None:
                self._triples = [q.triple for q in self.ds]
            else:
                fmt = store.SYNTAXES[store.syntax_of(self.source)][0]
                self._triples = [q.triple for q in ox.parse(path=str(self.source), format=fmt,
                                                            base_iri=self.source.resolve().as_uri())]
        return self._triples

    @contextmanager
    def nquads_file(self):
        """An N-Quads (or N-Triples) file of the data for shacl, which reads its graphs as one (their
        union): the source file itself when it is one, else a temporary dump (streamed: no copy in memory)."""
        fmt = store.SYNTAXES[store.syntax_of(self.source)][0] if self.source is not None else None
        if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS):  # no relative IRI there: as it is
            yield self.source
            return
        with tempfile.TemporaryDirectory(prefix="pvd-graph-validate-") as tmp:
            path = Path(tmp) / "data.nq"
            with open(path, "wb") as out:
                if self.source is None:
                    self.ds.dump(ox.RdfFormat.N_QUADS, output=out)
                else:
                    ox.serialize(self.triples(), out, format=ox.RdfFormat.N_TRIPLES)
            yield path

    def rdflib(self) -> Graph:
        """One rdflib graph for pySHACL, literals as written."""
        with exact_literals():
            return store.rdflib_graph(self.triples())


def _blank_data_shapes(g: Graph, nodes: list, shapes: Graph, candidates) -> set:
    """The targeted shapes whose shacl results hold a blank node of the data (renamed by shacl)."""
    sources = {g.value(n, SH.sourceShape) for n in nodes
               if isinstance(g.value(n, SH.focusNode), BNode) or isinstance(g.value(n, SH.value), BNode)}
    return {s for s in candidates if sources & closure(shapes, s)} if sources else set()


def run_shapes(ds: Store, shapes: Graph | None = None, engine: str = "auto", source: Path | None = None) -> ShapesRun:
    """Run the SHACL shapes: *engine* ``shacl`` or ``pyshacl``, or ``auto`` (shacl, pySHACL per shape where needed)."""
    if engine not in ENGINES:
        raise UserError(f"unknown SHACL engine {engine!r}; expected one of {', '.join(ENGINES)}")
    shapes = shapes if shapes is not None else load_shapes()
    fast, reference = _versions()
    data = Data(ds, source)
    if engine == "pyshacl":
        started = time.perf_counter()
        g, nodes = pyshacl_report(data.rdflib(), shapes)
        return ShapesRun(g, nodes, reference, timings={"pyshacl": time.perf_counter() - started})
    fallback = {s: [f"{f}: not run by {fast}"] for s, f in ((s, f) for s, fs in plan(shapes).items() for f in fs)}
    if engine == "shacl" and fallback:
        raise UserError(f"--engine shacl cannot run {_describe(fallback)}; use --engine auto or pyshacl")
    every = targeted_shapes(shapes)
    g, nodes = Graph(), []
    timings = {}
    started = time.perf_counter()
    with data.nquads_file() as path:  # handed over once, whatever the reruns below
        timings["handoff"] = time.perf_counter() - started
        while True:
            mine = every - set(fallback)
            try:
                g, nodes = _shacl(path, _without(shapes, [t for s in fallback for t in target_triples(shapes, s)]))
            except ValueError as exc:
                if engine == "shacl":
                    raise UserError(f"{fast} cannot validate with these shapes: {exc}") from None
                fallback.update({s: [f"{fast} stopped ({' '.join(str(exc).split())})"] for s in mine})
                g, nodes = Graph(), []
                break
            blank = _blank_data_shapes(g, nodes, shapes, mine)
            if not blank:
                break
            fallback.update({s: [f"a blank node of the data as focus node or value: {fast} renames them"] for s in blank})
            if engine == "shacl":
                raise UserError(f"--engine shacl cannot run {_describe(fallback)}; use --engine auto or pyshacl")
    timings["shacl"] = time.perf_counter() - started - timings["handoff"]
    name = fast
    lines = [f"{shorten(str(s)) if isinstance(s, URIRef) else _named_shape(shapes, s) or 'a blank-node shape'}: "
             f"{reason}, validated by {reference}" for s, reasons in fallback.items() for reason in reasons]
    if fallback:
        started = time.perf_counter()
        keep = every - set(fallback)
        pg, pnodes = pyshacl_report(data.rdflib(), _without(shapes, [t for s in keep for t in target_triples(shapes, s)]))
        g += pg
        nodes += pnodes
        name = f"{fast} + {reference} for {len(fallback)} shape{'s' if len(fallback) != 1 else ''}" if keep else reference
        timings["pyshacl"] = time.perf_counter() - started
    return ShapesRun(g, nodes, name, sorted(lines), timings)


def _describe(fallback: dict) -> str:
    return "; ".join(f"{shorten(str(s))} ({', '.join(r)})" for s, r in fallback.items())


def _path(g: Graph, path) -> str:
    """A SHACL path in SPARQL property-path syntax (a predicate: its IRI, as before)."""
    if isinstance(path, URIRef):
        return str(path)
    return _sparql_path(g, path, top=True)


def _sparql_path(g: Graph, path, top: bool = False) -> str:
    if isinstance(path, URIRef):
        return f"<{path}>"
    for p, op in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "({})*"), (SH.oneOrMorePath, "({})+"),
                  (SH.zeroOrOnePath, "({})?")):
        inner = g.value(path, p)
        if inner is not None:
            return op.format(_sparql_path(g, inner))
    alternatives = g.value(path, SH.alternativePath)
    parts, sep = (Collection(g, alternatives), "|") if alternatives is not None else (Collection(g, path), "/")
    text = sep.join(_sparql_path(g, p) for p in parts)
    return text if top else f"({text})"


def _text(term) -> str:
    if term is None:
        return ""
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def shape_results(run: ShapesRun, shapes: Graph) -> list[Result]:
    """The engines' result nodes in a reader's terms."""
    g = run.graph
    out = []
    for node in run.nodes:
        get = lambda p: g.value(node, p)  # noqa: E731
        path = get(SH.resultPath)
        out.append(Result(
            severity=_severity(get(SH.resultSeverity)),
            focus=_text(get(SH.focusNode)),
            path=_path(g, path) if path is not None else "",
            message=str(get(SH.resultMessage) or ""),
            value=_text(get(SH.value)),
            shape=_named_shape(shapes, get(SH.sourceShape)),
            constraint=str(get(SH.sourceConstraintComponent) or ""),
        ))
    return out


CHECK_COMPONENT = SH.SPARQLConstraintComponent  # what a check is: a SPARQL-based constraint, run as a query


def check_shape(name: str) -> URIRef:
    """The ``sh:sourceShape`` of a check's results: ``pvdsh:check-NAME`` (``queries/checks/NAME.rq``)."""
    return PVDSH[f"check-{name}"]


def check_rows(ds: Store, checks: list[Path] | None = None) -> list[tuple[str, dict]]:
    """Every ``*-violation.rq`` check run on *ds*: (check name, row) for each row returned."""
    out = []
    for path in checks if checks is not None else resources.check_files():
        out += [(path.stem, row.asdict()) for row in store.query(ds, path.read_text(encoding="utf-8"))]
    return out


def check_results(rows: list[tuple[str, dict]], into: ShapesRun | None = None) -> list[Result]:
    """The rows of :func:`check_rows` as results and, *into* a report's graph, as W3C result nodes with the
    row's own terms (a blank node stays one, a literal keeps its type), their source shape
    (:func:`check_shape`, described in the report), component and severity, as an engine's."""
    out = []
    for name, d in rows:
        severity = d.get("severity", SH.Violation)
        out.append(Result(
            severity=_severity(severity),
            focus=_text(d.get("focus")),
            path=str(d.get("path", "")),
            message=str(d.get("message", name)),
            value=_text(d.get("value")),
            shape=f"check:{name}",
            constraint="sparql-check",
        ))
        if into is not None:
            node, shape = BNode(), check_shape(name)
            into.nodes.append(node)
            for p, o in ((RDF.type, SH.ValidationResult), (SH.resultSeverity, severity),
                         (SH.focusNode, d.get("focus")), (SH.resultPath, d.get("path")),
                         (SH.resultMessage, Literal(out[-1].message)), (SH.value, d.get("value")),
                         (SH.sourceShape, shape), (SH.sourceConstraintComponent, CHECK_COMPONENT)):
                if o is not None:
                    into.graph.add((node, p, o))
            into.graph.add((shape, RDF.type, SH.NodeShape))
            into.graph.add((shape, RDFS.label, Literal(f"queries/checks/{name}.rq")))
    return out


def run_checks(ds: Store, checks: list[Path] | None = None, into: ShapesRun | None = None) -> list[Result]:
    """Run every ``*-violation.rq`` check; each returned row is one result (see :func:`check_results`)."""
    return check_results(check_rows(ds, checks), into)


def validate(ds: Store, shapes: Graph | None = None, engine: str = "auto", checks: bool = True,
             source: Path | None = None) -> ValidationReport:
    """Validate a graph or dataset with the shapes and (unless *checks* is false) the SPARQL checks.

    *source*: the RDF file *ds* was loaded from, given to the engines as written (see :class:`Data`).
    The checks (Oxigraph queries) run in a thread while the engine (shacl, in Rust) validates: neither
    holds the GIL, so on two cores the checks cost no time of their own."""
    shapes = shapes if shapes is not None else load_shapes()
    with ThreadPoolExecutor(max_workers=1) as pool:
        rows = pool.submit(_timed, check_rows, ds) if checks else None
        run = run_shapes(ds, shapes, engine, source)
        results = shape_results(run, shapes)
        if rows is not None:
            found, run.timings["checks"] = rows.result()
            results += check_results(found, into=run)
    return ValidationReport(results=results, engine=run.engine, fallbacks=run.fallbacks, shapes_run=run)


def _timed(function, *args):
    started = time.perf_counter()
    return function(*args), time.perf_counter() - started


def validate_file(path: Path | None = None, engine: str = "auto", shapes: list[Path] | None = None,
                  only_shapes: bool = False) -> ValidationReport:
    """Validate a graph file or build folder (default: the last build).

    *shapes*: files or folders of shapes added to the project's, or replacing them with
    *only_shapes* (then the project's SPARQL checks are not run either)."""
    graph = load_shapes(shapes, only=only_shapes)
    ds = store.open_built(path)
    given = Path(path) if path is not None else resources.DEFAULT_BUILD_DIR
    source = given / resources.GRAPH_NT if given.is_dir() else given  # what open_built read: no copy for shacl
    return validate(ds, graph, engine=engine, checks=not only_shapes, source=source)
