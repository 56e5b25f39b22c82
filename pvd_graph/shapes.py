"""The SHACL shapes: reading them, refusing a bad shapes file, and what each engine can run.

:func:`load_shapes` reads the project's shapes (``ontology/shapes/``) and/or the user's
(``--shapes FILE_OR_DIR``). Each file is checked on its own, so that an error names it:

* it parses (one line: file, line, parser message);
* every ``sh:`` term it uses is in the SHACL vocabulary (a misspelt ``sh:minCont`` would
  otherwise be ignored by every engine: a check silently not run);
* it holds no SHACL-AF rules (``sh:rule``) or SHACL-JS (``sh:js``…): validation here runs
  without inference and no engine here runs JavaScript, so such a shape would be ignored;
* it conforms to the W3C "shapes for shapes" (shacl-shacl, appendix C of the Recommendation:
  ``sh:minCount "one"``, a blank node as ``sh:targetNode`` or ``sh:datatype``…).

:func:`plan` then says, per targeted shape, what the ``shacl`` engine cannot run; those shapes
are validated by pySHACL instead (:mod:`pvd_graph.validate`), and the reason is announced.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS, BNode, Graph, URIRef
from rdflib.namespace import OWL, SH
from rdflib.util import guess_format

from pvd_graph import resources
from pvd_graph.errors import UserError, describe_parse_error
from pvd_graph.terms import shorten

SEVERITIES = ("Violation", "Warning", "Info")
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
# the SHACL terms that no engine here runs, with the reason
REFUSED = {SH.rule: "SHACL-AF rules (sh:rule) infer triples; validation runs without inference",
           SH.js: "SHACL-JS (sh:js) is not run by any engine here",
           SH.jsFunctionName: "SHACL-JS is not run by any engine here",
           SH.jsLibrary: "SHACL-JS is not run by any engine here"}
RDF_SUFFIXES = (".ttl", ".nt", ".n3", ".rdf", ".owl", ".xml", ".jsonld", ".trig", ".nq")


@dataclass(frozen=True)
class Result:
    """One validation result, in the terms a reader needs."""

    severity: str  # Violation | Warning | Info | the local name of a custom severity
    focus: str
    path: str  # a predicate IRI, or a complex path in SPARQL syntax
    message: str
    value: str = ""
    shape: str = ""  # the named shape (or check query) that produced it
    constraint: str = ""  # SHACL constraint component, or "sparql-check"


def shapes_paths(given: list[Path | str] | None = None, only: bool = False) -> list[Path]:
    """The shapes files: the project's (unless *only*) then every file or folder of *given*."""
    paths = [] if only else list(resources.shapes_files())
    for item in given or ():
        item = Path(item)
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.suffix.lower() in RDF_SUFFIXES)
            if not found:
                raise UserError(f"{item}: no RDF file ({', '.join(RDF_SUFFIXES)}) in this shapes folder")
            paths += found
        elif item.is_file():
            paths.append(item)
        else:
            raise UserError(f"{item}: no such shapes file or folder")
    if not paths:
        raise UserError("--only-shapes needs --shapes FILE_OR_DIR: no shapes to validate with")
    return paths


def load_shapes(given: list[Path | str] | None = None, only: bool = False, check: bool = True) -> Graph:
    """All shapes files as one rdflib graph; a bad file is a one-line UserError naming it."""
    g = Graph()
    for path in shapes_paths(given, only):
        one = Graph()
        try:
            with exact_literals():
                one.parse(path, format=guess_format(str(path)) or "turtle")
        except Exception as exc:  # rdflib raises several parser exception types
            raise UserError(describe_parse_error(path, exc)) from None
        if check:
            check_shapes(one, path)
        g += one
        for prefix, ns in one.namespaces():
            g.bind(prefix, ns, override=False)
    if only and not targeted_shapes(g):  # validating with them would "conform", having checked nothing
        raise UserError(f"{', '.join(map(str, given or ()))}: no shape with a target (sh:targetClass, sh:targetNode…): "
                        "nothing to validate")
    return g


@contextmanager
def exact_literals():
    """Literals as written: rdflib otherwise rewrites ``"1"^^xsd:boolean`` as ``"true"``, ``"01"`` as ``"1"``…

    which changes what a shape means (W3C ``uniqueLang-002``: ``sh:uniqueLang "1"^^xsd:boolean``
    is not ``true`` and must be ignored) and what a report says."""
    before = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = before


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[frozenset, object]:
    """The SHACL vocabulary and the compiled shacl-shacl shapes, both as pySHACL ships them."""
    import pyshacl
    import shacl

    assets = Path(pyshacl.__file__).parent / "assets"
    vocab = Graph().parse(assets / "shacl.ttl", format="turtle")
    terms = frozenset(s for s in vocab.subjects() if isinstance(s, URIRef) and str(s).startswith(str(SH)))
    return terms, shacl.Shapes.from_file(str(assets / "shacl-shacl.ttl"))


# shacl-shacl results on these components are about the values a file writes (a file is checked
# alone, so that the error names it: sh:minCount 1 on sh:path, say, may be met in another file); the
# structural ones (sh:xone of the path forms…) flag shapes that the W3C suite itself validates with
_META_COMPONENTS = {"DatatypeConstraintComponent", "NodeKindConstraintComponent", "MaxCountConstraintComponent",
                    "InConstraintComponent", "MinInclusiveConstraintComponent", "LanguageInConstraintComponent"}


def shape_nodes(g: Graph) -> set:
    """Every node of *g* that a shape's validation reads (the shapes and what they lead to)."""
    roots = targeted_shapes(g) | set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    roots |= set(g.subjects(SH.path, None))
    out: set = set()
    for root in roots:
        if root not in out:
            out |= closure(g, root)
    return out


def check_shapes(g: Graph, path: Path) -> None:
    """Refuse (UserError, one line) a shapes file no engine would run as written."""
    terms, shsh = _vocabulary()
    for s in shape_nodes(g):
        for p, o in g.predicate_objects(s):
            for term in (p, o):
                if isinstance(term, URIRef) and str(term).startswith(str(SH)) and term not in terms:
                    raise UserError(f"{path}: {shorten(str(term))} (on {_node(g, s)}) is not a SHACL term")
            if p in REFUSED:
                raise UserError(f"{path}: {shorten(str(p))} on {_node(g, s)}: {REFUSED[p]}")
    report = shsh.validate_text(g.serialize(format="nt"), format="ntriples")
    for r in report.results:
        if r.severity == "Violation" and r.component in _META_COMPONENTS:
            term = shorten((r.path or "").strip("<>"))
            value = " a blank node" if (r.value or "").startswith("_:") else f" {r.value}" if r.value else ""
            on = "an anonymous shape" if r.focus_node.startswith("_:") else shorten(r.focus_node.strip("<>"))
            raise UserError(f"{path}: {term}{value} on {on}: not a well-formed shape "
                            f"(SHACL's shapes for shapes: {r.component.removesuffix('ConstraintComponent')})")


def _node(g: Graph, term) -> str:
    """A shape as a reader finds it in the file: its IRI, or the path of an anonymous one."""
    if not isinstance(term, BNode):
        return shorten(str(term))
    path = g.value(term, SH.path)
    return f"the blank node with sh:path {shorten(str(path))}" if isinstance(path, URIRef) else "a blank node"


def severity_name(iri) -> str:
    """``sh:Warning`` → ``Warning``; a custom severity keeps its local name (never made a violation)."""
    text = str(iri)
    return text.rsplit("#", 1)[-1] if text.startswith(str(SH)) else text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def named_shape(shapes: Graph, shape) -> str:
    """The IRI of a result's shape; for an anonymous shape, the nearest named one above it."""
    seen = set()
    todo = [shape]
    while todo:
        node = todo.pop(0)
        if isinstance(node, URIRef):
            return str(node)
        if node in seen or node is None:
            continue
        seen.add(node)
        todo += [s for s, _ in shapes.subject_predicates(node)]
    return ""


# -- what each engine can run ---------------------------------------------------------------

def targeted_shapes(shapes: Graph) -> set:
    """Every shape that selects focus nodes: explicit targets, or a class that is also a shape."""
    out = {s for t in TARGETS for s in shapes.subjects(t, None)}
    for cls in (RDFS.Class, OWL.Class):
        for s in shapes.subjects(RDF.type, cls):
            if (s, RDF.type, SH.NodeShape) in shapes or (s, RDF.type, SH.PropertyShape) in shapes \
                    or (s, SH.property, None) in shapes:
                out.add(s)
    return out


def target_triples(shapes: Graph, shape) -> list[tuple]:
    """The triples that make *shape* select focus nodes (removed to keep an engine off it)."""
    out = [(shape, t, o) for t in TARGETS for o in shapes.objects(shape, t)]
    out += [(shape, RDF.type, c) for c in (RDFS.Class, OWL.Class) if (shape, RDF.type, c) in shapes]
    return out


# the properties whose values are shapes, constraints or their parts (not data: sh:targetNode,
# sh:hasValue, sh:in… name nodes of the data graph)
_LEADS_TO = (SH.property, SH.node, SH["not"], SH["and"], SH["or"], SH.xone, SH.qualifiedValueShape, SH.sparql,
             SH.target, SH.prefixes, SH.declare, RDF.first, RDF.rest)


def closure(shapes: Graph, shape) -> set:
    """The nodes a shape's validation reads: itself and the shapes and constraints it leads to."""
    seen, todo = set(), [shape]
    while todo:
        node = todo.pop()
        if node in seen or node == RDF.nil:
            continue
        seen.add(node)
        todo += [o for p in _LEADS_TO for o in shapes.objects(node, p) if isinstance(o, (URIRef, BNode))]
    return seen


def plan(shapes: Graph) -> dict:
    """{targeted shape: [features the ``shacl`` engine does not run]}, only shapes with some.

    Found by trying shacl 0.3.4 against pySHACL (tests/test_w3c_shacl.py keeps them honest):
    it ignores a parameterised ``sh:SPARQLTargetType`` (no focus node, so a wrong "conforms")
    and stops on a SPARQL query calling a ``sh:SPARQLFunction`` of the shapes graph.
    """
    functions = set(shapes.subjects(RDF.type, SH.SPARQLFunction)) | set(shapes.subjects(RDF.type, SH.Function))
    component_params = {p for c in shapes.subjects(RDF.type, SH.ConstraintComponent)
                        for param in shapes.objects(c, SH.parameter) for p in shapes.objects(param, SH.path)}
    out: dict = {}
    for shape in targeted_shapes(shapes):
        features = []
        nodes = closure(shapes, shape)
        for target in shapes.objects(shape, SH.target):
            kinds = set(shapes.objects(target, RDF.type))
            if kinds and SH.SPARQLTarget not in kinds:
                features.append(f"custom target type {', '.join(sorted(shorten(str(k)) for k in kinds))}")
        if functions and any((n, SH.sparql, None) in shapes or any((n, p, None) in shapes for p in component_params)
                             for n in nodes):
            features.append("SPARQL with SHACL functions (sh:SPARQLFunction) declared in the shapes graph")
        if features:
            out[shape] = features
    return out
