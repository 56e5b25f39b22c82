"""The SPARQL SHACL engine reports exactly what pySHACL reports.

Compared on (severity, focus, path, shape, constraint, value): on a test shapes
graph exercising every supported component, on every shape fixture of the
project with the project's shapes, and once on the national graph.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph

from pvd_graph import store
from pvd_graph.shacl_sparql import UnsupportedShape, compile_shapes, run_shacl_sparql
from pvd_graph.validate import run_shacl

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"

PREFIXES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

SHAPES = PREFIXES + r"""
ex:Named a sh:PropertyShape ; sh:path rdfs:label ; sh:minCount 1 ; sh:maxCount 1 ;
    sh:datatype rdf:langString ; sh:languageIn ( "fr" ) ; sh:uniqueLang true ; sh:message "un libellé fr"@fr .

ex:TownShape a sh:NodeShape ;
    sh:targetClass ex:Town ;
    sh:property ex:Named ;
    sh:property [ sh:path ex:code ; sh:minCount 1 ; sh:datatype xsd:string ; sh:pattern "^[0-9]{5}$" ;
                  sh:minLength 5 ; sh:maxLength 5 ] ,
                [ sh:path ex:population ; sh:maxCount 1 ; sh:datatype xsd:integer ; sh:minInclusive 0 ;
                  sh:maxExclusive 1000000 ; sh:severity sh:Warning ; sh:message "population"@fr ] ,
                [ sh:path ex:memberOf ; sh:class ex:Group ; sh:nodeKind sh:IRI ] ,
                [ sh:path ex:kind ; sh:in ( "a" "b" ex:c ) ] ,
                [ sh:path ex:area ; sh:minExclusive 0.0 ; sh:maxInclusive 100 ; sh:datatype xsd:decimal ] ,
                [ sh:path ex:since ; sh:datatype xsd:date ] ,
                [ sh:path ex:name ; sh:pattern "^ville" ; sh:flags "i" ] ,
                [ sh:path ( ex:memberOf ex:seat ) ; sh:maxCount 1 ] ,
                [ sh:path [ sh:alternativePath ( ex:partner ( ex:memberOf ex:partner ) ) ] ; sh:minCount 2 ] ,
                [ sh:path ex:partner ; sh:or ( [ sh:class ex:Group ] [ sh:class ex:Town ] ) ;
                  sh:not [ sh:hasValue ex:forbidden ] ] ,
                [ sh:path ex:partner ; sh:xone ( [ sh:class ex:Group ] [ sh:nodeKind sh:IRI ] ) ] ,
                [ sh:path ex:partner ; sh:and ( [ sh:nodeKind sh:IRI ] [ sh:not [ sh:class ex:Banned ] ] ) ] .

ex:GroupShape a sh:NodeShape ;
    sh:targetClass ex:Group ;
    sh:nodeKind sh:IRI ;
    sh:property [ sh:path [ sh:inversePath ex:memberOf ] ; sh:minCount 1 ] ,
                [ sh:path ex:member ; sh:qualifiedValueShape [ sh:class ex:Capital ] ; sh:qualifiedMinCount 1 ;
                  sh:qualifiedMaxCount 1 ] ,
                [ sh:path ex:chair ; sh:hasValue ex:boss ] ,
                [ sh:path [ sh:inversePath ex:memberOf ] ; sh:node ex:SmallShape ; sh:severity sh:Info ] .

ex:SmallShape a sh:NodeShape ;
    sh:property [ sh:path ex:population ; sh:maxInclusive 5000 ] .

ex:TargetNodeShape a sh:NodeShape ;
    sh:targetNode ex:t1 , ex:absent , "a literal" ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ] .

ex:SubjectsShape a sh:NodeShape ;
    sh:targetSubjectsOf ex:chair ;
    sh:class ex:Group .

ex:ObjectsShape a sh:NodeShape ;
    sh:targetObjectsOf ex:chair ;
    sh:nodeKind sh:IRI ;
    sh:hasValue ex:boss .

ex:Seated a sh:NodeShape , rdfs:Class ;
    sh:property [ sh:path ex:seat ; sh:minCount 1 ] .

ex:Off a sh:NodeShape ; sh:targetClass ex:Town ; sh:deactivated true ; sh:property [ sh:path ex:none ; sh:minCount 1 ] .

ex:SparqlShape a sh:NodeShape ;
    sh:targetClass ex:Town ;
    sh:property [
        sh:path ex:population ;
        sh:sparql [ a sh:SPARQLConstraint ; sh:message "trop grand : {?value} pour {$this}"@fr ;
                    sh:select "SELECT $this ?value WHERE { $this $PATH ?value . FILTER(isNumeric(?value) && ?value > 50000) }" ] ] ;
    sh:sparql [ a sh:SPARQLConstraint ;
                sh:select "PREFIX ex: <http://example.org/> SELECT ?x WHERE { $this ex:twin ?x . FILTER(?x = $this) }" ] ,
              [ a sh:SPARQLConstraint ; sh:select "SELECT $this WHERE { $this <http://example.org/twin> $this }" ] .
"""

DATA = PREFIXES + r"""
ex:SubTown rdfs:subClassOf ex:Town .
ex:Metro rdfs:subClassOf ex:Group .
ex:t1 a ex:Town ; rdfs:label "Un"@fr ; ex:code "01001" ; ex:population 120 ; ex:memberOf ex:g1 ;
    ex:kind "a" ; ex:area 12.5 ; ex:since "2020-01-01"^^xsd:date ; ex:name "Ville-Un" ; ex:partner ex:g1 , ex:t2 .
ex:t2 a ex:SubTown ; rdfs:label "Deux"@en , "Deux"@fr , "Zwei"@fr ; ex:code "1002" , 1002 ; ex:population -4 , "x" ;
    ex:memberOf ex:t1 , "g" ; ex:kind "z" , ex:c ; ex:area 0 , 150 , "12"^^xsd:decimal ; ex:since "2020-13-01"^^xsd:date ,
    "2020-01-01" ; ex:name "bourg" ; ex:partner ex:forbidden , [ a ex:Group ] , ex:ban ; ex:twin ex:t2 .
ex:ban a ex:Banned , ex:Group .
ex:t3 a ex:Town ; rdfs:label "Trois" ; ex:code "03003" , "030031" ; ex:population 60000 , "1200"^^xsd:integer ;
    ex:memberOf ex:g1 , ex:g2 ; ex:partner ex:g2 .
ex:g1 a ex:Group ; ex:member ex:t1 , ex:t3 ; ex:chair ex:boss .
ex:g2 a ex:Metro ; ex:member ex:t4 ; ex:chair ex:other .
ex:g1 ex:seat ex:s1 . ex:g2 ex:seat ex:s2 .
ex:t1 a ex:Capital . ex:t3 a ex:Capital .
ex:lonely a ex:Seated .
"""


def _key(results, blanks=frozenset()) -> Counter:
    """The results to compare; the labels in *blanks* (blank nodes) all read ``_:b``."""
    def term(text: str) -> str:
        return "_:b" if text in blanks else text

    return Counter((r.severity, term(r.focus), r.path, r.shape, r.constraint, term(r.value)) for r in results)


def _dataset(*turtle_texts: str):
    ds = store.new_dataset()
    for text in turtle_texts:
        ds.load(text, ox.RdfFormat.TURTLE)
    return ds


class _Parsed:
    """pySHACL's data graph from an independent rdflib parse of the text, not from the store."""

    def __init__(self, text: str):
        self.graph = Graph().parse(data=text, format="turtle")
        self.blanks = {str(n) for n in self.graph.all_nodes() if isinstance(n, BNode)}

    def rdflib_graph(self) -> Graph:
        return self.graph


def _compare(ds, shapes: Graph, reference=None) -> Counter:
    """Both engines on *ds* (pySHACL on *reference* when given); returns the (equal) counter of results.

    The labels of blank nodes differ between the store and an independent parse: then they are
    compared as blank nodes, not by label."""
    if reference is None:
        expected = _key(run_shacl(ds, shapes))
        actual = _key(run_shacl_sparql(ds, shapes))
    else:
        blanks = {t.value for q in ds for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
        expected = _key(run_shacl(reference, shapes), reference.blanks)
        actual = _key(run_shacl_sparql(ds, shapes), blanks)
    missing, extra = expected - actual, actual - expected
    assert not missing and not extra, f"missing: {sorted(missing)}\nextra: {sorted(extra)}"
    return actual


@pytest.mark.parametrize("reference", ["store", "rdflib parse"])
def test_every_component_matches_pyshacl(reference):
    """The SPARQL engine on the store reports what pySHACL reports, pySHACL reading the store's
    rdflib graph or an independent rdflib parse of the same Turtle."""
    shapes = Graph().parse(data=SHAPES, format="turtle")
    results = _compare(_dataset(DATA), shapes, _Parsed(DATA) if reference == "rdflib parse" else None)
    constraints = {c.rsplit("#", 1)[-1] for (_s, _f, _p, _sh, c, _v) in results}
    # the test data really exercises the components (no vacuous comparison)
    for name in ("MinCount", "MaxCount", "Datatype", "NodeKind", "Class", "Pattern", "MinLength", "MaxLength",
                 "In", "HasValue", "MinInclusive", "MaxInclusive", "MinExclusive", "MaxExclusive", "LanguageIn",
                 "UniqueLang", "Node", "Not", "Or", "Xone", "And", "QualifiedMinCount", "QualifiedMaxCount",
                 "SPARQL"):
        assert f"{name}ConstraintComponent" in constraints, name
    severities = {s for (s, *_rest) in results}
    assert severities == {"Violation", "Warning", "Info"}


def test_sparql_messages_substitute_bindings():
    shapes = Graph().parse(data=SHAPES, format="turtle")
    results = run_shacl_sparql(_dataset(DATA), shapes)
    messages = {r.message for r in results if r.constraint.endswith("SPARQLConstraintComponent") and r.value == "60000"}
    assert messages == {"trop grand : 60000 pour http://example.org/t3"}
    assert {r.message for r in results if r.shape == "http://example.org/Named"} == {"un libellé fr"}


def test_unsupported_component_is_an_error_naming_the_shape():
    shapes = Graph().parse(data=PREFIXES + """
        ex:S a sh:NodeShape ; sh:targetClass ex:Town ; sh:closed true .""", format="turtle")
    with pytest.raises(UnsupportedShape, match=r"http://example.org/S.*closed"):
        compile_shapes(shapes)
    shapes = Graph().parse(data=PREFIXES + """
        ex:S a sh:NodeShape ; sh:targetClass ex:Town ; sh:property [ sh:path ex:p ; sh:lessThan ex:q ] .""",
                           format="turtle")
    with pytest.raises(UnsupportedShape, match="lessThan"):
        compile_shapes(shapes)


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*/*.ttl"))


def test_project_shapes_compile_and_fixtures_exist():
    from pvd_graph.validate import load_shapes

    assert compile_shapes(load_shapes())
    assert len(_fixture_files()) > 20, "the shape fixtures are compared below"


@pytest.mark.parametrize("fixture", _fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shape_fixture_matches_pyshacl(fixture):
    from pvd_graph.validate import load_shapes

    ds = store.new_dataset()  # the fixture alone, as the shape tests validate it
    ds.load_file(fixture, graph="urn:fixture")
    results = _compare(ds, load_shapes())
    assert bool(results) == fixture.name.startswith("invalid-"), "fixture validity as announced by its name"


def test_national_graph_matches_pyshacl(national_build):
    from pvd_graph.validate import load_shapes

    ds = store.open_built(national_build)
    results = _compare(ds, load_shapes())
    assert store.triple_count(ds) > 100_000
    assert results == _key(run_shacl_sparql(ds))  # deterministic


def test_engine_selection_and_fallback():
    from pvd_graph.validate import validate

    shapes = Graph().parse(data=SHAPES, format="turtle")
    ds = _dataset(DATA)
    fast = validate(ds, shapes, engine="auto")
    assert fast.engine == "sparql"
    reference = validate(ds, shapes, engine="pyshacl")
    assert reference.engine == "pyshacl" and _key(fast.results) == _key(reference.results)
    closed = Graph().parse(data=PREFIXES + """
        ex:S a sh:NodeShape ; sh:targetClass ex:Town ; sh:closed true ; sh:ignoredProperties ( rdf:type ) .""",
                           format="turtle")
    report = validate(_dataset(DATA), closed, engine="auto")  # unsupported: falls back to pySHACL
    assert report.engine == "pyshacl" and not report.conforms
    with pytest.raises(UnsupportedShape):
        validate(_dataset(DATA), closed, engine="sparql")


def test_issue_13_ill_typed_literals_are_quiet_without_changing_rdflibs_logger(monkeypatch):
    """The check of an ill-typed literal silences rdflib's traceback for its own thread only:
    the logger's level stays as it was, and another thread's warning meanwhile still gets through."""
    import logging
    import threading

    from pvd_graph import shacl_sparql

    ds, shapes = _dataset(DATA), Graph().parse(data=SHAPES, format="turtle")  # parsing logs: not counted
    logger = logging.getLogger("rdflib.term")
    seen: list[tuple[str, str]] = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append((record.threadName, record.getMessage()))

    handler = Collect(level=logging.DEBUG)
    logger.addHandler(handler)
    level_before, filters_before = logger.level, list(logger.filters)
    levels_during: list[int] = []
    convert = store.to_rdflib

    def spying(term):
        levels_during.append(logger.level)
        other = threading.Thread(target=logger.warning, args=("from another thread",), name="other")
        other.start()
        other.join()
        return convert(term)

    monkeypatch.setattr(shacl_sparql.store, "to_rdflib", spying)
    try:
        results = run_shacl_sparql(ds, shapes)
    finally:
        logger.removeHandler(handler)
    assert any(r.value == "2020-13-01" for r in results)  # the ill-typed date was checked and reported
    assert levels_during and set(levels_during) == {level_before}
    assert (logger.level, logger.filters) == (level_before, filters_before)
    assert seen.count(("other", "from another thread")) == len(levels_during)
    assert not [m for t, m in seen if t != "other"]  # rdflib's own tracebacks stayed quiet
