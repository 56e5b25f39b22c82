"""Validation: SHACL shapes plus SPARQL violation checks, into one readable report.

Two kinds of checks make up a validation:

* the SHACL shapes in ``ontology/shapes/`` — run by pySHACL, the reference
  engine, without inference;
* the SPARQL checks in ``queries/checks/*-violation.rq`` — constraints too
  costly to run per focus node in pySHACL (e.g. the SIREN Luhn checksum on
  every commune): each query is run once over the whole graph and returns one
  row per problem with ``?focus ?path ?value ?message`` (and optionally
  ``?severity``, a ``sh:`` severity IRI).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from pvd_graph import resources, store
from pvd_graph.errors import UserError
from pvd_graph.namespaces import PREFIXES
from pvd_graph.shapes import SEVERITIES, Result, load_shapes
from pvd_graph.shapes import named_shape as _named_shape
from pvd_graph.shapes import severity_name as _severity
from pvd_graph.store import Store
from pvd_graph.terms import shorten

__all__ = ["ENGINES", "REPORT_FORMATS", "SEVERITIES", "Result", "ValidationReport", "load_shapes", "run_checks",
           "run_shacl", "run_shapes", "validate", "validate_file"]

REPORT_FORMATS = ("text", "turtle", "json")


@dataclass
class ValidationReport:
    results: list[Result] = field(default_factory=list)
    engine: str = "pyshacl"

    @property
    def conforms(self) -> bool:
        """True when there is no violation (warnings and infos do not break conformance)."""
        return not any(r.severity == "Violation" for r in self.results)

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s.lower()}{'s' if self.count(s) != 1 else ''}" for s in SEVERITIES)
        verdict = "conforms" if self.conforms else "does NOT conform"
        return f"graph {verdict}: {counts}"

    def to_text(self, limit: int | None = None) -> str:
        lines = [self.summary()]
        ordered = sorted(self.results, key=lambda r: (SEVERITIES.index(r.severity), r.shape, r.focus, r.path))
        for r in ordered[:limit]:
            value = f" (value: {r.value})" if r.value else ""
            lines.append(f"{r.severity}: {shorten(r.focus)} {shorten(r.path)}: {r.message}{value} [{shorten(r.shape)}]")
        if limit is not None and len(ordered) > limit:
            lines.append(f"... and {len(ordered) - limit} more (see the full report)")
        by_shape = Counter((r.severity, r.shape) for r in self.results)
        if len(self.results) > 20:
            lines.append("by shape:")
            lines += [f"  {n:6d} {sev} {shorten(shape)}" for (sev, shape), n in by_shape.most_common()]
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {"conforms": self.conforms, "engine": self.engine, "results": [asdict(r) for r in self.results]},
            ensure_ascii=False, indent=1,
        )

    def to_graph(self) -> Graph:
        """The report as a W3C ``sh:ValidationReport`` graph."""
        g = Graph()
        for prefix in ("sh", "pvd", "pvdsh", "id"):
            g.bind(prefix, PREFIXES[prefix])
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        for r in self.results:
            node = BNode()
            g.add((report, SH.result, node))
            g.add((node, RDF.type, SH.ValidationResult))
            g.add((node, SH.resultSeverity, SH[r.severity]))
            g.add((node, SH.focusNode, _term(r.focus)))
            if r.path:
                g.add((node, SH.resultPath, URIRef(r.path)))
            g.add((node, SH.resultMessage, Literal(r.message)))
            if r.value:
                g.add((node, SH.value, _term(r.value)))
            if r.shape.startswith(("http://", "https://")):
                g.add((node, SH.sourceShape, URIRef(r.shape)))
            if r.constraint.startswith("http"):
                g.add((node, SH.sourceConstraintComponent, URIRef(r.constraint)))
        return g

    def render(self, fmt: str) -> str:
        if fmt == "text":
            return self.to_text()
        if fmt == "json":
            return self.to_json()
        if fmt == "turtle":
            return self.to_graph().serialize(format="turtle")
        raise UserError(f"unknown report format {fmt!r}; expected one of {', '.join(REPORT_FORMATS)}")


def _term(text: str):
    return URIRef(text) if text.startswith(("http://", "https://", "urn:")) else Literal(text)


def run_shacl(ds: Store, shapes: Graph | None = None) -> list[Result]:
    """Run the SHACL shapes with pySHACL (no inference) and translate its results."""
    import pyshacl

    shapes = shapes if shapes is not None else load_shapes()
    data = ds.rdflib_graph()  # pySHACL works on one rdflib graph: the union of the store's
    _conforms, results_graph, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True, abort_on_first=False
    )
    out = []
    # top-level results only: pySHACL also types the nested results of sh:node (sh:detail) as
    # sh:ValidationResult, with the nested shape's severity instead of the referring shape's
    for node in results_graph.objects(None, SH.result):
        get = lambda p: results_graph.value(node, p)  # noqa: E731
        path = get(SH.resultPath)
        out.append(Result(
            severity=_severity(get(SH.resultSeverity)),
            focus=str(get(SH.focusNode)),
            path=str(path) if isinstance(path, URIRef) else "",
            message=str(get(SH.resultMessage) or ""),
            value=str(get(SH.value)) if get(SH.value) is not None else "",
            shape=_named_shape(shapes, get(SH.sourceShape)),
            constraint=str(get(SH.sourceConstraintComponent) or ""),
        ))
    return out


def run_checks(ds: Store, checks: list[Path] | None = None) -> list[Result]:
    """Run every ``*-violation.rq`` check; each returned row is one result."""
    out = []
    for path in checks if checks is not None else resources.check_files():
        text = path.read_text(encoding="utf-8")
        name = path.stem
        for row in store.query(ds, text):
            d = row.asdict()
            out.append(Result(
                severity=_severity(d.get("severity", SH.Violation)),
                focus=str(d.get("focus", "")),
                path=str(d.get("path", "")),
                message=str(d.get("message", name)),
                value=str(d.get("value", "")) if d.get("value") is not None else "",
                shape=f"check:{name}",
                constraint="sparql-check",
            ))
    return out


ENGINES = ("auto", "pyshacl", "sparql")


def run_shapes(ds: Store, shapes: Graph | None = None, engine: str = "auto") -> tuple[list[Result], str]:
    """(results of the SHACL shapes, name of the engine that ran them).

    ``sparql`` compiles the shapes to SPARQL run on Oxigraph (:mod:`pvd_graph.shacl_sparql`,
    tested to report what pySHACL reports); ``pyshacl`` is the reference engine; ``auto``
    uses the SPARQL engine and falls back to pySHACL when a shape uses a feature the
    SPARQL engine does not implement.
    """
    if engine not in ENGINES:
        raise UserError(f"unknown SHACL engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine in ("sparql", "auto"):
        from pvd_graph.shacl_sparql import UnsupportedShape, run_shacl_sparql

        shapes = shapes if shapes is not None else load_shapes()
        try:
            return run_shacl_sparql(ds, shapes), "sparql"
        except UnsupportedShape:
            if engine == "sparql":
                raise
    return run_shacl(ds, shapes), "pyshacl"


def validate(ds: Store, shapes: Graph | None = None, engine: str = "auto") -> ValidationReport:
    """Validate a graph or dataset with the shapes and the SPARQL checks."""
    results, used = run_shapes(ds, shapes, engine)
    return ValidationReport(results=results + run_checks(ds), engine=used)


def validate_file(path: Path | None = None) -> ValidationReport:
    """Validate a graph file or build folder (default: the last build)."""
    ds = store.open_built(path)
    return validate(ds)
