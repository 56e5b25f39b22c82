"""The SHACL shapes: meta-validation, messages, and one fixture pair per constraint.

Every invalid fixture opens with ``# violates: pvdsh:Shape path sh:Component``;
the report must contain a result from that shape (or from one of its property
shapes), on that path, from that constraint component — so a fixture cannot
pass by failing somewhere else. Paths are written in SPARQL property-path
syntax (``^p`` inverse, ``a|b`` alternative, ``a/b`` sequence).
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from pvd_graph.namespaces import PREFIXES, PVD, PVDSH

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
VALID = sorted(FIXTURES.glob("*/valid-*.ttl"))
INVALID = sorted(FIXTURES.glob("*/invalid-*.ttl"))

# shape parameters → the constraint component they belong to
_COMPONENTS = {
    SH.minCount: "MinCount", SH.maxCount: "MaxCount", SH.datatype: "Datatype", SH.pattern: "Pattern",
    SH.languageIn: "LanguageIn", SH["class"]: "Class", SH["in"]: "In", SH["or"]: "Or",
    SH.minInclusive: "MinInclusive", SH.maxInclusive: "MaxInclusive", SH.node: "Node",
    SH.hasValue: "HasValue", SH.qualifiedMinCount: "QualifiedMinCount", SH.sparql: "SPARQL",
}


def _curie(term) -> str:
    for prefix, base in PREFIXES.items():
        if str(term).startswith(base) and prefix != "id":
            return f"{prefix}:{str(term)[len(base):]}"
    return str(term)


def render_path(graph: Graph, path) -> str:
    """A SHACL path (IRI or blank-node structure) in SPARQL property-path syntax."""
    if isinstance(path, URIRef) and (path, RDF.first, None) not in graph and path != RDF.nil:
        return _curie(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + render_path(graph, inverse)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(render_path(graph, p) for p in Collection(graph, alternatives))
    return "/".join(render_path(graph, p) for p in Collection(graph, path))


def _announced(path: Path) -> tuple[str, str, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# violates: "), f"{path.name} must open with '# violates: shape path component'"
    shape, prop, component = first.removeprefix("# violates: ").split()
    return shape, prop, component


def _validate(data: Graph, shapes: Graph):
    return pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)


def test_shapes_pass_meta_validation(shapes):
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=shapes, meta_shacl=True, inference="none")
    assert conforms, text


def test_every_property_shape_has_a_french_message(shapes):
    property_shapes = set(shapes.objects(None, SH.property))
    assert property_shapes
    for ps in property_shapes:
        messages = [m for m in shapes.objects(ps, SH.message) if isinstance(m, Literal) and m.language == "fr"]
        assert messages, f"property shape {render_path(shapes, shapes.value(ps, SH.path))} has no French sh:message"


def test_shapes_are_named_after_their_class(shapes, ontology):
    """Every node shape is ``pvdsh:<Name>Shape``; one with target classes is named after one of them, or
    after a class they all specialise (``pvdsh:OrganisationShape`` targets pvd:Agency and pvd:State)."""
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        assert str(node_shape).startswith(str(PVDSH)) and str(node_shape).endswith("Shape"), node_shape
        targets = set(shapes.objects(node_shape, SH.targetClass))
        if targets:
            named = PVD[str(node_shape)[len(str(PVDSH)):-len("Shape")]]
            assert named in targets or all((t, RDFS.subClassOf, named) in ontology for t in targets), node_shape


def test_no_sparql_constraint_on_large_classes(shapes):
    """pySHACL re-parses sh:sparql per focus node: none on communes or EPCI."""
    for node_shape in (PVDSH.CommuneShape, PVDSH.EPCIShape):
        for ps in shapes.objects(node_shape, SH.property):
            assert (ps, SH.sparql, None) not in shapes, f"{node_shape} has a SPARQL constraint"
        assert (node_shape, SH.sparql, None) not in shapes


@pytest.mark.parametrize("fixture", VALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_valid_fixture_conforms(fixture, shapes):
    conforms, _, text = _validate(Graph().parse(fixture), shapes)
    assert conforms, text


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_invalid_fixture_breaks_the_announced_constraint(fixture, shapes):
    shape, path, component = _announced(fixture)
    conforms, report, text = _validate(Graph().parse(fixture), shapes)
    assert not conforms
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        source = report.value(result, SH.sourceShape)
        parents = {_curie(p) for p in shapes.subjects(SH.property, source)}
        result_path = report.value(result, SH.resultPath)
        found.append((
            {_curie(source)} | parents,
            render_path(report, result_path) if result_path is not None else None,
            _curie(report.value(result, SH.sourceConstraintComponent)),
        ))
    assert any(shape in shapes_ and path == p and component == c for shapes_, p, c in found), (
        f"expected {shape} {path} {component}; got {found}\n{text}"
    )


def _constraints(shapes: Graph) -> set[tuple[str, str, str]]:
    """Every (property shape, path, component) reachable from a targeted node shape."""
    out = set()
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    for node_shape in set(shapes.subjects(RDF.type, SH.NodeShape)):
        if not any((node_shape, t, None) in shapes for t in targets):
            continue
        for ps in shapes.objects(node_shape, SH.property):
            path = render_path(shapes, shapes.value(ps, SH.path))
            for parameter, component in _COMPONENTS.items():
                if (ps, parameter, None) in shapes:
                    out.add((ps, path, f"sh:{component}ConstraintComponent"))
    return out


def test_every_constraint_has_an_invalid_fixture(shapes):
    announced = [_announced(f) for f in INVALID]
    missing = []
    for ps, path, component in _constraints(shapes):
        owners = {_curie(ps)} | {_curie(p) for p in shapes.subjects(SH.property, ps)}
        if not any(s in owners and p == path and c == component for s, p, c in announced):
            missing.append(f"{sorted(owners)} {path} {component}")
    assert not missing, "constraints without an invalid fixture:\n" + "\n".join(sorted(missing))


def test_every_concern_has_a_valid_fixture():
    concerns = {p.parent.name for p in INVALID}
    assert concerns == {p.parent.name for p in VALID}


def test_large_pvd_town_is_only_a_warning(shapes):
    """No result at any depth (sh:detail included) is a violation for a PVD town over 20,000."""
    data = Graph().parse(FIXTURES / "programmes" / "invalid-pvd-town-over-20000.ttl")
    _, report, _ = _validate(data, shapes)
    severities = set(report.objects(None, SH.resultSeverity))
    assert severities == {SH.Warning}
    conforms, _, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    assert conforms
