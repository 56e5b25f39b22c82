"""A fast SHACL engine: each constraint of the shapes compiled to one SPARQL query.

pySHACL, the reference engine, walks the focus nodes in Python (and re-parses
a SHACL-SPARQL constraint for every one of them). Here every constraint
component of every shape becomes one ``SELECT`` that returns the *violating*
focus nodes (and value nodes) of the whole graph at once, run by Oxigraph's
native SPARQL engine over the union of the dataset's graphs. The results are
the same :class:`pvd_graph.shapes.Result` objects pySHACL's path produces.

What is supported (the SHACL Core components the project's shapes use, and a
little more): targets (``targetClass`` with ``rdfs:subClassOf*``, implicit
class targets, ``targetNode``, ``targetSubjectsOf``, ``targetObjectsOf``);
property paths (IRI, sequence, alternative, inverse, zero/one-or-more);
``minCount``, ``maxCount``, ``datatype``, ``nodeKind``, ``class``, ``pattern``
(+ ``flags``), ``minLength``, ``maxLength``, ``in``, ``hasValue``,
``min/maxInclusive``, ``min/maxExclusive``, ``languageIn``, ``uniqueLang``,
``node``, ``not``, ``and``, ``or``, ``xone``, ``qualifiedValueShape`` with
``qualifiedMin/MaxCount`` (not disjoint), ``sh:sparql`` SELECT constraints,
``severity``, ``message`` and ``deactivated``.

Anything else raises :class:`UnsupportedShape` naming the shape and the
component: the engine never skips a constraint silently, and
``validate(engine="auto")`` then falls back to pySHACL.

One documented difference of evaluation strategy: a ``sh:sparql`` constraint
is run once for all focus nodes, its ``$this`` joined with the target
pattern, instead of once per pre-bound focus node. Both agree for the usual
constraint bodies (triple patterns and filters over ``$this``); a body whose
meaning depends on ``$this`` being bound *before* evaluation (e.g. a
sub-select that aggregates over ``$this``) is out of scope.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from pvd_graph import store
from pvd_graph.shapes import Result, load_shapes, named_shape, severity_name
from pvd_graph.store import Store

#: Marker of a class whose subclass closure is substituted from the data before running.
_CLASSES = "SUBCLASSES-OF:"

#: Predicates of a shape that carry no constraint (or are read with their component).
_NON_CONSTRAINT = {
    RDF.type, SH.path, SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group,
    SH.deactivated, SH.defaultValue, SH.targetClass, SH.targetNode, SH.targetSubjectsOf,
    SH.targetObjectsOf, SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint, SH.prefixes, SH.declare,
}

#: Datatypes Oxigraph can cast, used to spot literals that may be ill-typed.
_CASTABLE = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.date, XSD.dateTime, XSD.time}

_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}

_RANGES = {  # component parameter → (SPARQL operator that must hold, component IRI)
    SH.minInclusive: (">=", SH.MinInclusiveConstraintComponent),
    SH.maxInclusive: ("<=", SH.MaxInclusiveConstraintComponent),
    SH.minExclusive: (">", SH.MinExclusiveConstraintComponent),
    SH.maxExclusive: ("<", SH.MaxExclusiveConstraintComponent),
}


class UnsupportedShape(ValueError):
    """A shape uses a SHACL feature this engine does not implement."""

    def __init__(self, shape, component, why: str = "not supported by the SPARQL engine"):
        self.shape, self.component = str(shape), str(component)
        super().__init__(f"shape {shape}: {component}: {why}")


@dataclass
class Report:
    """How the violations of one constraint are reported."""

    shape: str  # the reported (named) shape
    constraint: str  # SHACL constraint component IRI
    severity: str
    messages: list[str]
    path: str  # result path IRI, "" for complex paths and node shapes
    has_value: bool = True
    value_is_focus: bool = False  # node shapes: the value node is the focus node
    datatype: URIRef | None = None  # sh:datatype: candidates flagged ?cN are checked in Python
    sparql: bool = False  # rows of a sh:sparql SELECT (?value, ?path, message variables)
    this_projected: bool = True


@dataclass
class Check:
    """One query and the constraints its rows report.

    ``kind`` tells how to read a row: ``values`` (one row per focus and value node, with a
    boolean ``?fN`` per member constraint), ``counts`` (one row per focus node with the
    number ``?n`` of distinct values; members are ``("<"|">", bound)``), ``screen`` (a
    ``counts`` row that also has ``?flagged``, the number of values that may break a value
    constraint; the ``detail`` values check then runs on those focus nodes only), ``focus``
    (each row is one result without value), ``sparql`` (rows of a SHACL-SPARQL constraint).
    """

    query: str
    kind: str
    key: tuple = ()  # what the grouped queries share: (targets, value pattern) or (targets, path, filter)
    members: list[tuple[object, Report]] = field(default_factory=list)
    detail: Check | None = None  # ``screen`` checks: the values check run on the flagged focus nodes


def _nt(term) -> str:
    """An rdflib term in SPARQL syntax."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise ValueError(f"blank node {term} cannot be a constant in a query")


def _list(shapes: Graph, node) -> list:
    return list(Collection(shapes, node))


class _Compiler:
    def __init__(self, shapes: Graph):
        self.g = shapes
        self._fresh = itertools.count()

    # ---- helpers -------------------------------------------------------------------------------
    def var(self) -> str:
        return f"?_v{next(self._fresh)}"

    def instance_of(self, v: str, cls) -> str:
        """Pattern: *v* is an instance of *cls* or of one of its subclasses (``rdf:type/rdfs:subClassOf*``).

        The subclasses are looked up in the data once (:func:`_resolve_classes`) instead of
        following the path for every node: 3× faster on the communes.
        """
        if not isinstance(cls, URIRef):
            raise UnsupportedShape(cls, SH["class"], "a class must be an IRI")
        c = self.var()
        return f"VALUES {c} {{ {_CLASSES}<{cls}> }} {v} <{RDF.type}> {c} ."

    def one(self, shape, pred):
        values = list(self.g.objects(shape, pred))
        if len(values) > 1:
            raise UnsupportedShape(shape, pred, "more than one value")
        return values[0] if values else None

    def path(self, shape, node) -> str:
        """A SHACL path as a SPARQL property path."""
        if isinstance(node, URIRef):
            return f"<{node}>"
        if (node, RDF.first, None) in self.g:
            return "(" + "/".join(self.path(shape, n) for n in _list(self.g, node)) + ")"
        for pred, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                          (SH.zeroOrOnePath, "{}?")):
            inner = self.g.value(node, pred)
            if inner is not None:
                return "(" + fmt.format(self.path(shape, inner)) + ")"
        alt = self.g.value(node, SH.alternativePath)
        if alt is not None:
            return "(" + "|".join(self.path(shape, n) for n in _list(self.g, alt)) + ")"
        raise UnsupportedShape(shape, SH.path, f"unknown path form {node}")

    def messages(self, shape) -> list[str]:
        return [str(m) for m in self.g.objects(shape, SH.message)]

    def severity(self, shape) -> str:
        return severity_name(self.g.value(shape, SH.severity) or SH.Violation)

    def deactivated(self, shape) -> bool:
        return any(str(v).lower() == "true" for v in self.g.objects(shape, SH.deactivated))

    def check_known(self, shape) -> None:
        for pred in set(self.g.predicates(shape)):
            if str(pred).startswith(str(SH)) and pred not in _NON_CONSTRAINT and pred not in _HANDLED:
                raise UnsupportedShape(shape, pred)
        if any(str(v).lower() == "true" for v in self.g.objects(shape, SH.qualifiedValueShapesDisjoint)):
            raise UnsupportedShape(shape, SH.qualifiedValueShapesDisjoint)

    def targets(self, shape) -> str | None:
        """A group pattern binding ?this to every focus node of *shape*, or None without targets."""
        parts = []
        for c in self.g.objects(shape, SH.targetClass):
            parts.append(self.instance_of("?this", c))
        if (shape, RDF.type, RDFS.Class) in self.g and isinstance(shape, URIRef):
            parts.append(self.instance_of("?this", shape))
        nodes = list(self.g.objects(shape, SH.targetNode))
        if nodes:
            parts.append("VALUES ?this { " + " ".join(_nt(n) for n in nodes) + " }")
        for p in self.g.objects(shape, SH.targetSubjectsOf):
            parts.append(f"?this {_nt(p)} [] .")
        for p in self.g.objects(shape, SH.targetObjectsOf):
            parts.append(f"[] {_nt(p)} ?this .")
        if not parts:
            return None
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join("{ " + p + " }" for p in parts) + " } }"

    # ---- value-node conditions ------------------------------------------------------------------
    def value_conditions(self, shape, v: str, depth: int) -> Iterable[tuple[URIRef, str]]:
        """(component, SPARQL expression true when value node *v* violates it) for per-value components."""
        g = self.g
        for c in g.objects(shape, SH["class"]):
            yield SH.ClassConstraintComponent, f"NOT EXISTS {{ {self.instance_of(v, c)} }}"
        for dt in g.objects(shape, SH.datatype):
            yield SH.DatatypeConstraintComponent, "!(" + _datatype_ok(v, dt) + ")"
        for kind in g.objects(shape, SH.nodeKind):
            if kind not in _NODE_KINDS:
                raise UnsupportedShape(shape, SH.nodeKind, f"unknown node kind {kind}")
            yield SH.NodeKindConstraintComponent, "!" + _NODE_KINDS[kind].format(v=v)
        for pattern in g.objects(shape, SH.pattern):
            flags = g.value(shape, SH.flags)
            args = f"STR({v}), {Literal(str(pattern)).n3()}" + (f", {Literal(str(flags)).n3()}" if flags else "")
            yield SH.PatternConstraintComponent, f"(isBlank({v}) || !REGEX({args}))"
        for n in g.objects(shape, SH.minLength):
            yield SH.MinLengthConstraintComponent, f"(isBlank({v}) || STRLEN(STR({v})) < {int(n)})"
        for n in g.objects(shape, SH.maxLength):
            yield SH.MaxLengthConstraintComponent, f"(isBlank({v}) || STRLEN(STR({v})) > {int(n)})"
        for lst in g.objects(shape, SH["in"]):
            members = _list(g, lst)
            ok = " || ".join(f"sameTerm({v}, {_nt(m)})" for m in members) or "false"
            yield SH.InConstraintComponent, f"!({ok})"
        for pred, (op, component) in _RANGES.items():
            for bound in g.objects(shape, pred):
                yield component, f"!COALESCE({v} {op} {_nt(bound)}, false)"
        for lst in g.objects(shape, SH.languageIn):
            langs = [str(x) for x in _list(g, lst)]
            ok = " || ".join(f"langMatches(LANG({v}), {Literal(x).n3()})" for x in langs) or "false"
            yield SH.LanguageInConstraintComponent, f"!(isLiteral({v}) && ({ok}))"
        for other in g.objects(shape, SH.node):
            yield SH.NodeConstraintComponent, self.violates(other, v, depth + 1)
        for other in g.objects(shape, SH["not"]):
            yield SH.NotConstraintComponent, "!" + self.violates(other, v, depth + 1)
        for lst in g.objects(shape, SH["and"]):
            parts = [self.violates(s, v, depth + 1) for s in _list(g, lst)]
            yield SH.AndConstraintComponent, "(" + (" || ".join(parts) or "false") + ")"
        for lst in g.objects(shape, SH["or"]):
            parts = [self.violates(s, v, depth + 1) for s in _list(g, lst)]
            yield SH.OrConstraintComponent, "(" + (" && ".join(parts) or "true") + ")"
        for lst in g.objects(shape, SH.xone):
            parts = [f"IF({self.violates(s, v, depth + 1)}, 0, 1)" for s in _list(g, lst)]
            yield SH.XoneConstraintComponent, "((" + (" + ".join(parts) or "0") + ") != 1)"

    def distinct_values(self, focus: str, path: str, n: int) -> str:
        """A group pattern matching when *focus* has at least *n* distinct values on *path*."""
        vs = [self.var() for _ in range(n)]
        triples = " ".join(f"{focus} {path} {x} ." for x in vs)
        neq = " && ".join(f"!sameTerm({a}, {b})" for a, b in itertools.combinations(vs, 2))
        return "{ " + triples + (f" FILTER({neq})" if neq else "") + " }"

    def violates(self, shape, v: str, depth: int = 0) -> str:
        """A SPARQL expression true when node *v* does not conform to *shape* (used for nested shapes)."""
        if depth > 8:
            raise UnsupportedShape(shape, SH.node, "shapes nested too deeply (recursive?)")
        if self.deactivated(shape):
            return "false"
        self.check_known(shape)
        for pred in (SH.sparql, SH.qualifiedValueShape):
            if (shape, pred, None) in self.g:
                raise UnsupportedShape(shape, pred, "not supported inside sh:node/sh:or/sh:and/sh:not/sh:xone")
        parts = []
        path_node = self.g.value(shape, SH.path)
        if path_node is None:
            parts += [expr for _c, expr in self.value_conditions(shape, v, depth)]
            parts += [f"!sameTerm({v}, {_nt(x)})" for x in self.g.objects(shape, SH.hasValue)]
        else:
            path = self.path(shape, path_node)
            w = self.var()
            for _c, expr in self.value_conditions(shape, w, depth):
                parts.append(f"EXISTS {{ {v} {path} {w} . FILTER({expr}) }}")
            for n in self.g.objects(shape, SH.minCount):
                if int(n) > 0:
                    parts.append(f"NOT EXISTS {self._bounded(shape, v, path, int(n))}")
            for n in self.g.objects(shape, SH.maxCount):
                parts.append(f"EXISTS {self._bounded(shape, v, path, int(n) + 1)}")
            for x in self.g.objects(shape, SH.hasValue):
                parts.append(f"NOT EXISTS {{ {v} {path} {_nt(x)} }}")
            if any(str(u).lower() == "true" for u in self.g.objects(shape, SH.uniqueLang)):
                a, b = self.var(), self.var()
                parts.append(f"EXISTS {{ {v} {path} {a} . {v} {path} {b} . FILTER(!sameTerm({a}, {b}) && "
                             f"LANG({a}) != \"\" && LCASE(LANG({a})) = LCASE(LANG({b}))) }}")
        for prop in self.g.objects(shape, SH.property):
            parts.append(self.violates(prop, v, depth + 1))
        return "(" + (" || ".join(parts) or "false") + ")"

    def _bounded(self, shape, v, path, n) -> str:
        if n > 4:
            raise UnsupportedShape(shape, SH.minCount, "cardinality above 4 inside a nested shape")
        return self.distinct_values(v, path, n)

    # ---- top-level checks -----------------------------------------------------------------------
    def compile(self) -> list[Check]:
        shapes = set(self.g.subjects(RDF.type, SH.NodeShape)) | set(self.g.subjects(RDF.type, SH.PropertyShape))
        for pred in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            shapes |= set(self.g.subjects(pred, None))
        values: dict[tuple, Check] = {}  # (targets, value pattern) → one query for all its constraints
        counts: dict[tuple, Check] = {}  # (targets, path, value filter) → one GROUP BY query
        others: list[Check] = []
        for shape in sorted(shapes, key=str):
            targets = self.targets(shape)
            if targets is None or self.deactivated(shape):
                continue
            members = [shape] + [p for p in self.g.objects(shape, SH.property) if not self.deactivated(p)]
            for member in members:
                self.shape_checks(member, targets, values, counts, others)
        checks = []
        for (targets, _pattern, path), check in values.items():
            count = counts.pop((targets, path, ""), None) if path is not None else None
            if count is None:
                check.query = _values_query(check)
                checks.append(check)
            else:  # one pass for the cardinalities and a flag; values only for flagged focus nodes
                checks.append(Check(_screen_query(check, count), "screen", count.key, count.members, detail=check))
        for check in counts.values():
            check.query = _counts_query(check)
            checks.append(check)
        return checks + others

    def shape_checks(self, shape, targets: str, values: dict, counts: dict, others: list) -> None:
        self.check_known(shape)
        g = self.g
        path_node = g.value(shape, SH.path)
        base = {"shape": named_shape(g, shape), "severity": self.severity(shape),
                "messages": self.messages(shape), "path": str(path_node) if isinstance(path_node, URIRef) else ""}
        if path_node is None:
            path, value_pattern = None, "BIND(?this AS ?value)"
        else:
            path = self.path(shape, path_node)
            value_pattern = f"?this {path} ?value ."
        group = values.setdefault((targets, value_pattern, path), Check("", "values", (targets, value_pattern)))
        for component, expr in self.value_conditions(shape, "?value", 0):
            dt = g.value(shape, SH.datatype) if component == SH.DatatypeConstraintComponent else None
            cand = _maybe_ill_typed("?value", dt) if dt is not None else "false"
            group.members.append(((expr, cand), Report(constraint=str(component), value_is_focus=path is None,
                                                       datatype=dt, **base)))
        if path is None:
            for x in g.objects(shape, SH.hasValue):
                others.append(Check(f"SELECT ?this WHERE {{ {targets} FILTER(!sameTerm(?this, {_nt(x)})) }}",
                                    "focus", members=[(None, Report(constraint=str(SH.HasValueConstraintComponent),
                                                            has_value=False, **base))]))
        else:
            self.focus_checks(shape, targets, path, base, counts, others)
        for constraint in g.objects(shape, SH.sparql):
            others.append(self.sparql_check(shape, constraint, targets, path, base))

    def focus_checks(self, shape, targets: str, path: str, base: dict, counts: dict, others: list) -> None:
        """Components reported once per focus node, without a value."""
        g = self.g

        def counted(op: str, n, component, value_filter: str = "") -> None:
            group = counts.setdefault((targets, path, value_filter),
                                      Check("", "counts", (targets, path, value_filter)))
            group.members.append(((op, int(n)), Report(constraint=str(component), has_value=False, **base)))

        for n in g.objects(shape, SH.minCount):
            if int(n) > 0:
                counted("<", n, SH.MinCountConstraintComponent)
        for n in g.objects(shape, SH.maxCount):
            counted(">", n, SH.MaxCountConstraintComponent)
        for q in g.objects(shape, SH.qualifiedValueShape):
            conforms = "!" + self.violates(q, "?value", 1)
            for n in g.objects(shape, SH.qualifiedMinCount):
                counted("<", n, SH.QualifiedMinCountConstraintComponent, conforms)
            for n in g.objects(shape, SH.qualifiedMaxCount):
                counted(">", n, SH.QualifiedMaxCountConstraintComponent, conforms)
        for x in g.objects(shape, SH.hasValue):
            others.append(Check(f"SELECT ?this WHERE {{ {targets} FILTER NOT EXISTS {{ ?this {path} {_nt(x)} }} }}",
                                "focus", members=[(None, Report(constraint=str(SH.HasValueConstraintComponent),
                                                        has_value=False, **base))]))
        if any(str(u).lower() == "true" for u in g.objects(shape, SH.uniqueLang)):
            q = (f"SELECT ?this ?lang WHERE {{ {targets} ?this {path} ?value . FILTER(LANG(?value) != \"\") "
                 f"BIND(LCASE(LANG(?value)) AS ?lang) }} GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?value) > 1)")
            others.append(Check(q, "focus", members=[(None, Report(constraint=str(SH.UniqueLangConstraintComponent),
                                                           has_value=False, **base))]))


    def sparql_check(self, shape, constraint, targets: str, path: str | None, base: dict) -> Check:
        g = self.g
        select = g.value(constraint, SH.select)
        if select is None:
            raise UnsupportedShape(shape, SH.sparql, "only SELECT-based SPARQL constraints are supported")
        for pred in g.predicates(constraint):
            if str(pred).startswith(str(SH)) and pred not in (SH.select, SH.message, SH.prefixes, SH.deactivated):
                raise UnsupportedShape(shape, pred, "not supported on a sh:sparql constraint")
        text = str(select)
        for unsupported in ("$currentShape", "$shapesGraph"):
            if unsupported in text:
                raise UnsupportedShape(shape, SH.sparql, f"{unsupported} is not supported")
        if "$PATH" in text:
            if path is None:
                raise UnsupportedShape(shape, SH.sparql, "$PATH in a node shape")
            text = text.replace("$PATH", path)
        text = re.sub(r"\$this\b", "?this", text)
        prologue, query = _split_prologue(text)
        m = re.match(r"\s*SELECT\s+((?:DISTINCT|REDUCED)\s+)?(.*?)\s*(WHERE\b|\{)", query, re.IGNORECASE | re.DOTALL)
        if not m:
            raise UnsupportedShape(shape, SH.sparql, "cannot read the SELECT clause")
        projection = m.group(2)
        this_projected = projection.strip() == "*" or bool(re.search(r"\?this\b", projection))
        if not this_projected:
            query = query[:m.start(2)] + "?this " + query[m.start(2):]
        prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self._declared_prefixes(constraint))
        q = f"{prefixes}{prologue}\nSELECT * WHERE {{ {targets} {{ {query} }} }}"
        messages = [str(m) for m in g.objects(constraint, SH.message)] or base["messages"]
        if any(str(v).lower() == "true" for v in g.objects(constraint, SH.deactivated)):
            q = "SELECT ?this WHERE { FILTER(false) }"
        report = Report(constraint=str(SH.SPARQLConstraintComponent), sparql=True, value_is_focus=path is None,
                        this_projected=this_projected, **{**base, "messages": messages})
        return Check(q, "sparql", members=[(None, report)])

    def _declared_prefixes(self, constraint):
        for ontology in self.g.objects(constraint, SH.prefixes):
            for decl in self.g.objects(ontology, SH.declare):
                yield str(self.g.value(decl, SH.prefix)), str(self.g.value(decl, SH.namespace))


_HANDLED = {
    SH["class"], SH.datatype, SH.nodeKind, SH.pattern, SH.minLength, SH.maxLength, SH["in"], SH.minInclusive,
    SH.maxInclusive, SH.minExclusive, SH.maxExclusive, SH.languageIn, SH.uniqueLang, SH.node, SH["not"],
    SH["and"], SH["or"], SH.xone, SH.minCount, SH.maxCount, SH.hasValue, SH.qualifiedValueShape, SH.sparql,
    SH.property,
}


def _split_prologue(text: str) -> tuple[str, str]:
    """(PREFIX/BASE declarations, the rest) of a SPARQL query."""
    m = re.match(r"((?:\s*(?:#[^\n]*\n|PREFIX\s+\S*:\s*<[^>]*>|BASE\s+<[^>]*>))*)(.*)", text, re.IGNORECASE | re.DOTALL)
    return m.group(1), m.group(2)


def _datatype_ok(v: str, dt) -> str:
    """SPARQL expression: *v* is a literal of datatype *dt* (well-formed where Oxigraph can tell)."""
    if dt == RDF.langString:
        return f"(isLiteral({v}) && LANG({v}) != \"\")"
    if dt == RDFS.Literal:
        return f"isLiteral({v})"
    ok = f"(isLiteral({v}) && DATATYPE({v}) = {_nt(dt)} && LANG({v}) = \"\")"
    if dt in _CASTABLE:
        ok = f"({ok} && !isBlank(COALESCE({_nt(dt)}(STR({v})), BNODE())))"
    return ok


def _maybe_ill_typed(v: str, dt) -> str:
    """SPARQL expression: a literal of datatype *dt* that rdflib (hence pySHACL) might call ill-typed.

    A literal in the canonical form of a castable type is always well typed; others
    (non-canonical lexical forms, types Oxigraph cannot cast) go to Python.
    """
    if dt in (XSD.string, RDF.langString, RDFS.Literal) or dt not in _python_datatypes():
        return "false"
    same = f"(isLiteral({v}) && DATATYPE({v}) = {_nt(dt)})"
    if dt in _CASTABLE:
        return f"({same} && STR(COALESCE({_nt(dt)}(STR({v})), \"\")) != STR({v}))"
    return same


@functools.cache
def _python_datatypes() -> frozenset:
    from rdflib.term import XSDToPython

    return frozenset(URIRef(str(k)) for k in XSDToPython if k is not None)


class _QuietIllTyped(logging.Filter):
    """Drops the traceback rdflib logs for each ill-typed literal, in the thread that installed it only.

    Installed on rdflib's term logger for the span of one conversion: the logger's level,
    and what other threads log meanwhile, are left alone.
    """

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return threading.get_ident() != self.thread


def _rdflib_value_ok(term: ox.Literal, dt) -> bool:
    """pySHACL's datatype test for a literal whose datatype is *dt* (rdflib's lexical parsing)."""
    import datetime
    import decimal

    logger = logging.getLogger("rdflib.term")
    quiet = _QuietIllTyped()
    logger.addFilter(quiet)
    try:
        lit = store.to_rdflib(term)
    finally:
        logger.removeFilter(quiet)
    if getattr(lit, "ill_typed", None) is True:
        return False
    expected = {XSD.integer: int, XSD.float: float, XSD.decimal: decimal.Decimal, XSD.boolean: bool,
                XSD.date: datetime.date, XSD.time: datetime.time, XSD.dateTime: datetime.datetime}
    return not (dt in expected and not isinstance(lit.value, expected[dt]))


def compile_shapes(shapes: Graph) -> list[Check]:
    """Every constraint of *shapes* in a few grouped :class:`Check` queries; raises :class:`UnsupportedShape`."""
    return _Compiler(shapes).compile()


def _values_query(check: Check) -> str:
    """One pass over (focus, value) pairs with a flag per constraint: ``?fN`` violated, ``?cN`` to check."""
    targets, value_pattern = check.key
    binds, flags = [], []
    for i, ((expr, cand), _report) in enumerate(check.members):
        binds.append(f"BIND(COALESCE({expr}, false) AS ?f{i})")
        flags.append(f"?f{i}")
        if cand != "false":
            binds.append(f"BIND(COALESCE({cand}, false) AS ?c{i})")
            flags.append(f"?c{i}")
    return (f"SELECT DISTINCT ?this ?value {' '.join(flags)} WHERE {{ {targets} {value_pattern} "
            f"{' '.join(binds)} FILTER({' || '.join(flags) or 'false'}) }}")


def _counts_query(check: Check) -> str:
    """Focus nodes whose number of distinct values breaks one of the member cardinalities."""
    targets, path, value_filter = check.key
    inner = f"?this {path} ?value ." + (f" FILTER({value_filter})" if value_filter else "")
    having = " || ".join(f"COUNT(DISTINCT ?value) {op} {n}" for (op, n), _r in check.members)
    return (f"SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {{ {targets} OPTIONAL {{ {inner} }} }} "
            f"GROUP BY ?this HAVING ({having})")


def _screen_query(values: Check, counts: Check) -> str:
    """Per focus node: number of distinct values, and whether any value may break a value constraint."""
    targets, path, _filter = counts.key
    flags = []
    for (expr, cand), _report in values.members:
        flags.append(f"COALESCE({expr}, false)")
        if cand != "false":
            flags.append(f"COALESCE({cand}, false)")
    having = " || ".join([f"COUNT(DISTINCT ?value) {op} {n}" for (op, n), _r in counts.members]
                         + ["SUM(COALESCE(?flag, 0)) > 0"])
    return (f"SELECT ?this (COUNT(DISTINCT ?value) AS ?n) (SUM(COALESCE(?flag, 0)) AS ?flagged) WHERE {{ {targets} "
            f"OPTIONAL {{ ?this {path} ?value . BIND(IF({' || '.join(flags) or 'false'}, 1, 0) AS ?flag) }} }} "
            f"GROUP BY ?this HAVING ({having})")


def _class_closures(ds: Store, texts: Iterable[str]) -> dict[str, str]:
    """Each class marker in *texts* → the class and its subclasses found in the data, as VALUES terms."""
    closures = {}
    for cls in {m for text in texts for m in re.findall(re.escape(_CLASSES) + r"<([^>]*)>", text)}:
        subs = ds.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* <{cls}> }}", union=True)
        terms = sorted(f"<{row['c'].value}>" for row in subs if isinstance(row["c"], ox.NamedNode))
        closures[f"{_CLASSES}<{cls}>"] = " ".join(terms) or f"<{cls}>"
    return closures


def _resolve(text: str, closures: dict[str, str]) -> str:
    return re.sub(re.escape(_CLASSES) + r"<[^>]*>", lambda m: closures[m.group(0)], text)


def _text(term) -> str:
    return "" if term is None else term.value


def _format(message: str, row: dict) -> str:
    """Substitute ``{?var}`` / ``{$var}`` in a SHACL-SPARQL message with the row's values."""
    return re.sub(r"\{[?$](\w+)\}", lambda m: _text(row.get(m.group(1))) if m.group(1) in row else m.group(0), message)


def _default_message(report: Report, focus: str, value: str) -> str:
    name = report.constraint.rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    on = f"{focus}->{report.path}" if report.path else focus
    return f"{name} constraint violated on {on}" + (f" (value {value})" if value else "")


def _result(report: Report, focus: str, value: str = "", path: str | None = None, row: dict | None = None) -> Result:
    messages = [_format(m, row) for m in report.messages] if row is not None else report.messages
    return Result(severity=report.severity, focus=focus, path=report.path if path is None else path,
                  message=messages[0] if messages else _default_message(report, focus, value),
                  value=value, shape=report.shape, constraint=report.constraint)


def _true(term) -> bool:
    return term is not None and term.value == "true"


def _read(check: Check, rows) -> list[Result]:
    out: list[Result] = []
    if check.kind == "values":
        for row in rows:
            focus, value = row["this"].value, row["value"]
            for i, ((_expr, cand), report) in enumerate(check.members):
                if cand != "false" and _true(row[f"c{i}"]):
                    if _rdflib_value_ok(value, report.datatype):
                        continue
                elif not _true(row[f"f{i}"]):
                    continue
                out.append(_result(report, focus, value.value))
    elif check.kind in ("counts", "screen"):
        for row in rows:
            n = int(row["n"].value)
            for (op, bound), report in check.members:
                if (n < bound) if op == "<" else (n > bound):
                    out.append(_result(report, row["this"].value))
    elif check.kind == "focus":
        report = check.members[0][1]
        out += [_result(report, row["this"].value) for row in rows]
    else:
        out += _read_sparql(check.members[0][1], rows)
    return out


def _read_sparql(report: Report, rows) -> list[Result]:
    out, seen = [], set()
    names = [v.value for v in rows.variables]
    for solution in rows:
        row = {n: solution[n] for n in names if solution[n] is not None}
        if not report.this_projected and "value" not in row and "path" not in row:
            continue  # like pySHACL: a row binding none of $this, ?value, ?path is no result
        key = tuple(sorted((k, str(t)) for k, t in row.items()))
        if key in seen:
            continue
        seen.add(key)
        focus = row["this"].value
        path = row["path"].value if isinstance(row.get("path"), ox.NamedNode) else None
        value = _text(row.get("value")) or (focus if report.value_is_focus else "")
        out.append(_result(report, focus, value, path, row))
    return out


def run_checks(ds: Store, checks: list[Check]) -> list[Result]:
    """Run compiled checks on a store (over the union of its graphs)."""
    texts = [c.query for c in checks] + [_values_query(c.detail) for c in checks if c.detail is not None]
    closures = _class_closures(ds, texts)

    def query(text: str):
        return ds.query(_resolve(text, closures), union=True)

    out: list[Result] = []
    for check in checks:
        rows = query(check.query)
        if check.kind != "screen":
            out += _read(check, rows)
            continue
        rows = list(rows)
        out += _read(check, rows)
        flagged = [row["this"] for row in rows if int(row["flagged"].value) > 0]
        if flagged:
            detail = check.detail
            if not any(isinstance(t, ox.BlankNode) for t in flagged):  # VALUES cannot hold blank nodes
                focus = "VALUES ?this { " + " ".join(str(t) for t in flagged) + " }"
                detail = Check("", "values", (focus, detail.key[1]), detail.members)
            out += _read(detail, query(_values_query(detail)))
    return out


def run_shacl_sparql(ds: Store, shapes: Graph | None = None) -> list[Result]:
    """Validate *ds* with the shapes compiled to SPARQL; same results as :func:`pvd_graph.validate.run_shacl`."""
    shapes = shapes if shapes is not None else load_shapes()
    checks = compile_shapes(shapes)
    return run_checks(ds, checks)
