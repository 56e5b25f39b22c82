"""The SHACL engines: per-shape fallback, announced; bad shapes refused in one line; a lossless report.

Expected results are pySHACL's (the reference engine) on the same input, or facts of the input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH, XSD

from pvd_graph import store
from pvd_graph.errors import UserError
from pvd_graph.shapes import load_shapes
from pvd_graph.validate import run_checks, run_shapes, shape_results, validate, validate_file

REPO = Path(__file__).resolve().parents[1]
EX = Namespace("http://example.org/")
PREFIXES = """@prefix ex: <http://example.org/> . @prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
# ex:Everyone selects its focus nodes with a parameterised SPARQL target type, which shacl 0.3.4
# ignores (no focus node: a wrong "conforms"); ex:TownShape is plain core SHACL
SHAPES = PREFIXES + """
ex:Tagged a sh:SPARQLTargetType ; rdfs:subClassOf sh:Target ; sh:parameter [ sh:path ex:tag ] ;
    sh:select "SELECT ?this WHERE { ?this <http://example.org/tag> $tag }" .
ex:Everyone a sh:NodeShape ; sh:target [ a ex:Tagged ; ex:tag "x" ] ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "un nom"@fr ] .
ex:TownShape a sh:NodeShape ; sh:targetClass ex:Town ;
    sh:property [ sh:path ex:area ; sh:datatype xsd:integer ; sh:severity ex:Bad ] ,
                [ sh:path ex:label ; sh:minCount 1 ; sh:severity sh:Warning ] .
"""
DATA = PREFIXES + """
ex:a ex:tag "x" .
ex:b ex:tag "x" ; ex:name "B" .
ex:t1 a ex:Town ; ex:area "4.0"^^xsd:decimal ; ex:label "T1" .
ex:t2 a ex:Town ; ex:area 3 .
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _key(report) -> Counter:
    return Counter((r.severity, r.focus, r.path, r.value, r.shape, r.constraint) for r in report.results)


def _pyshacl_key(data: Path, shapes: Path) -> Counter:
    """The reference: pySHACL itself on the files, its results in the same terms."""
    import pyshacl

    shapes_graph = Graph().parse(shapes)
    _c, report, _t = pyshacl.validate(Graph().parse(data), shacl_graph=shapes_graph, inference="none",
                                      advanced=True, allow_warnings=True)
    out = Counter()
    for node in report.objects(None, SH.result):
        shape = report.value(node, SH.sourceShape)
        named = next((str(p) for p in shapes_graph.subjects(SH.property, shape) if isinstance(p, URIRef)), str(shape))
        sev = report.value(node, SH.resultSeverity)
        out[(str(sev).rsplit("#", 1)[-1].rsplit("/", 1)[-1], str(report.value(node, SH.focusNode)),
             str(report.value(node, SH.resultPath) or ""), str(report.value(node, SH.value) or ""), named,
             str(report.value(node, SH.sourceConstraintComponent)))] += 1
    return out


def test_a_shape_shacl_cannot_run_goes_alone_to_pyshacl_and_is_announced(tmp_path):
    data, shapes = _write(tmp_path, "data.ttl", DATA), _write(tmp_path, "shapes.ttl", SHAPES)
    report = validate_file(data, shapes=[shapes], only_shapes=True)
    assert _key(report) == _pyshacl_key(data, shapes)
    assert any(r.focus == str(EX.a) and r.shape == str(EX.Everyone) for r in report.results)  # the target ran
    assert len(report.fallbacks) == 1  # one shape, one feature: ex:TownShape stays on shacl
    assert report.fallbacks[0].startswith("http://example.org/Everyone: custom target type http://example.org/Tagged: not run by shacl 0.3.4")
    assert report.fallbacks[0].endswith("validated by pyshacl 0.40.1")
    assert report.engine == "shacl 0.3.4 + pyshacl 0.40.1 for 1 shape"
    assert "fallback: http://example.org/Everyone: custom target type" in report.to_text()
    assert json.loads(report.to_json())["fallbacks"] == report.fallbacks
    with pytest.raises(UserError, match="--engine shacl cannot run http://example.org/Everyone"):
        validate_file(data, engine="shacl", shapes=[shapes], only_shapes=True)


def test_a_result_on_a_blank_node_of_the_data_names_that_node(tmp_path):
    """shacl renames the data's blank nodes in its report: the shape goes to pySHACL, announced,
    and the result's focus node is the data's own blank node (described by its ex:tag)."""
    data = _write(tmp_path, "data.nt", '_:someone <http://example.org/tag> "x" .\n'
                                       '_:town <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/Town> .\n')
    shapes = _write(tmp_path, "shapes.ttl", PREFIXES + "ex:TownShape a sh:NodeShape ; sh:targetClass ex:Town ;"
                                                       " sh:property [ sh:path ex:label ; sh:minCount 1 ] .")
    ds = store.open_built(data)
    shapes_graph = load_shapes([shapes], only=True)
    report = validate(ds, shapes_graph, checks=False)
    assert [f.split(":", 2)[-1].strip() for f in report.fallbacks] == \
        ["a blank node of the data as focus node or value: shacl 0.3.4 renames them, validated by pyshacl 0.40.1"]
    (node,) = report.shapes_run.nodes
    focus = report.shapes_run.graph.value(node, SH.focusNode)
    assert isinstance(focus, BNode)
    assert (store.to_ox(focus), None, None) and any(
        q.subject.value == str(focus) and q.object.value == "http://example.org/Town" for q in ds)


def test_the_turtle_report_is_lossless_and_says_sh_conforms_as_shacl_defines_it(tmp_path):
    data, shapes = _write(tmp_path, "data.ttl", DATA), _write(tmp_path, "shapes.ttl", SHAPES)
    g = validate_file(data, shapes=[shapes], only_shapes=True).to_graph()
    values = set(g.objects(None, SH.value))
    assert Literal("4.0", datatype=XSD.decimal, normalize=False) in values  # as written, not "4"
    assert [str(v) for v in values if isinstance(v, Literal) and v.datatype == XSD.decimal] == ["4.0"]
    assert EX.Bad in set(g.objects(None, SH.resultSeverity))  # a custom severity is kept
    # only a warning left: the exit status passes, SHACL's sh:conforms is false
    warn = _write(tmp_path, "warn.ttl", PREFIXES + "ex:S a sh:NodeShape ; sh:targetClass ex:Town ;"
                                                   " sh:property [ sh:path ex:label ; sh:minCount 1 ; sh:severity sh:Warning ] .")
    report = validate_file(data, shapes=[warn], only_shapes=True)
    assert report.conforms and not report.shacl_conforms
    assert list(report.to_graph().objects(None, SH.conforms)) == [Literal(False)]
    assert "SHACL's sh:conforms is false" in report.summary()


def test_shacl_reads_every_named_graph_of_the_store():
    """The store is handed over as N-Quads: a violation stated in a named graph is found."""
    ds = store.new_dataset()
    ds.load(b'<http://example.org/t> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/Town> '
            b'<http://example.org/g1> .\n', format=store.ox.RdfFormat.N_QUADS)
    shapes = Graph().parse(data=PREFIXES + "ex:S a sh:NodeShape ; sh:targetClass ex:Town ;"
                                           " sh:property [ sh:path ex:label ; sh:minCount 1 ] .", format="turtle")
    fast, reference = run_shapes(ds, shapes, "shacl"), run_shapes(ds, shapes, "pyshacl")
    assert len(fast.nodes) == len(reference.nodes) == 1


BAD = {
    "mincount.ttl": ('ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount "one" ] .',
                     'sh:minCount "one"'),
    "targetnode.ttl": ("ex:S a sh:NodeShape ; sh:targetNode [ ex:a 1 ] ; sh:class ex:C .", "sh:targetNode a blank node"),
    "datatype.ttl": ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:datatype [ ] ] .",
                     "sh:datatype a blank node"),
    "typo.ttl": ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCont 1 ] .",
                 "sh:minCont (on the blank node with sh:path http://example.org/p) is not a SHACL term"),
    "rule.ttl": ("ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:rule [ a sh:TripleRule ; sh:subject sh:this ; "
                 "sh:predicate ex:p ; sh:object 1 ] .", "sh:rule on http://example.org/S: SHACL-AF rules"),
    "syntax.ttl": ("ex:S a sh:NodeShape ; sh:targetClass ex:C", "syntax.ttl:4: cannot parse RDF"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_shapes_file_is_one_line_naming_the_file_and_the_term_exit_2(tmp_path, name):
    text, said = BAD[name]
    shapes = _write(tmp_path, name, PREFIXES + text + "\n")
    data = _write(tmp_path, "data.ttl", DATA)
    for command in (["validate", str(data), "--shapes", str(shapes)],
                    ["build", "--out", str(tmp_path / "out"), "--shapes", str(shapes)]):
        done = subprocess.run([sys.executable, "-m", "pvd_graph", *command, "-q"], cwd=REPO, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert str(shapes) in lines[0] and said in lines[0], lines[0]
        assert not (tmp_path / "out").exists()  # refused before any work


@pytest.mark.slow
def test_build_with_user_shapes_records_the_engine(tmp_path):
    """build --shapes adds a shape to the project's: its results land in the build's report; the
    engine that ran is in validation.txt, manifest.json and the log."""
    shapes = _write(tmp_path, "mine.ttl", PREFIXES + "@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .\n"
                    "ex:CommuneNeedsAComment a sh:NodeShape ; sh:targetClass pvd:Commune ;"
                    " sh:property [ sh:path rdfs:comment ; sh:minCount 1 ; sh:severity sh:Info ] .")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "pvd_graph", "build", "--out", str(out), "--shapes", str(shapes)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    ds = store.open_built(out)
    communes = {r[0] for r in ds.select("SELECT ?c WHERE { ?c a <https://w3id.org/pvd-graph/ontology#Commune> "
                                        "FILTER NOT EXISTS { ?c <http://www.w3.org/2000/01/rdf-schema#comment> ?x } }")}
    assert communes
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["validation_engine"] == "shacl 0.3.4"
    text = (out / "validation.txt").read_text(encoding="utf-8")
    assert "engine: shacl 0.3.4" in text.splitlines()[1]
    assert text.count("[http://example.org/CommuneNeedsAComment]") == len(communes)
    assert "engine: shacl 0.3.4" in done.stderr


def test_a_check_row_keeps_its_terms_in_the_turtle_report(tmp_path):
    """A SPARQL check's blank-node focus stays a blank node, its typed value keeps its datatype."""
    check = _write(tmp_path, "odd-violation.rq", "SELECT ?focus ?path ?value ?message WHERE { "
                   "?focus <http://example.org/area> ?value . BIND(<http://example.org/area> AS ?path) "
                   "BIND('odd' AS ?message) }")
    ds = store.new_dataset()
    ds.load(b'_:x <http://example.org/area> "12"^^<http://www.w3.org/2001/XMLSchema#gYear> .', format=store.ox.RdfFormat.N_TRIPLES)
    run = run_shapes(ds, Graph().parse(data=SHAPES, format="turtle"), "auto")

    (result,) = run_checks(ds, [check], into=run)
    node = run.nodes[-1]
    assert isinstance(run.graph.value(node, SH.focusNode), BNode)
    assert run.graph.value(node, SH.value) == Literal("12", datatype=XSD.gYear)
    assert result.focus.startswith("_:") and result.value == "12"


NESTED = PREFIXES + """@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .
# a property shape inside a property shape (W3C property/property-001): the retired compiler ignored
# the inner one and said "conforms"
ex:CommuneDepartement a sh:NodeShape ; sh:targetClass pvd:Commune ;
    sh:property [ sh:path pvd:inDepartement ;
                  sh:property [ sh:path pvd:inseeCode ; sh:pattern "^[0-9]{3}$" ; sh:message "code sur 3 chiffres"@fr ] ] .
"""


def test_a_nested_property_shape_on_the_curated_build_reports_what_pyshacl_reports(curated_build, tmp_path):
    shapes = _write(tmp_path, "nested.ttl", NESTED)
    fast = validate_file(curated_build, shapes=[shapes], only_shapes=True)
    reference = validate_file(curated_build, engine="pyshacl", shapes=[shapes], only_shapes=True)
    ds = store.open_built(curated_build)
    wrong = ds.select("SELECT ?c WHERE { ?c a <https://w3id.org/pvd-graph/ontology#Commune> ; "
                      "<https://w3id.org/pvd-graph/ontology#inDepartement>/<https://w3id.org/pvd-graph/ontology#inseeCode> ?code "
                      "FILTER(!REGEX(STR(?code), '^[0-9]{3}$')) }")
    assert wrong  # the two-digit codes of the curated départements (73: Savoie)
    assert len(fast.results) == len(wrong) and _key(fast) == _key(reference)
    assert not fast.conforms and fast.engine == "shacl 0.3.4" and fast.fallbacks == []


def test_the_enlarged_build_names_shacl_as_its_engine(enlarged_build):
    """The build's own report names shacl: no fallback on the project's shapes."""
    text = (enlarged_build / "validation.txt").read_text(encoding="utf-8").splitlines()
    assert text[1] == "engine: shacl 0.3.4"
    assert json.loads((enlarged_build / "manifest.json").read_text(encoding="utf-8"))["validation_engine"] == "shacl 0.3.4"


# the parameters of the project's property shapes that a wrong, a missing or one more value breaks
MUTATED = {SH.datatype: "Datatype", SH["class"]: "Class", SH.minCount: "MinCount", SH.maxCount: "MaxCount",
           SH.pattern: "Pattern", SH["in"]: "In", SH.minInclusive: "MinInclusive", SH.maxInclusive: "MaxInclusive",
           SH.languageIn: "LanguageIn", SH.hasValue: "HasValue", SH.nodeKind: "NodeKind", SH["or"]: "Or"}


def _mutate(ds, shapes: Graph) -> set:
    """Break every property shape (on a predicate) of every class-targeted project shape on three of its
    focus nodes: a wrong value (the string "x!"), no value, one more value (another node's).

    Returns the constraint components that these must trigger (of the parameters in MUTATED)."""
    ox = store.ox
    must = set()
    for node_shape, cls in sorted(shapes.subject_objects(SH.targetClass)):
        for shape in shapes.objects(node_shape, SH.property):
            path = shapes.value(shape, SH.path)
            if not isinstance(path, URIRef):
                continue
            rows = ds.select(f"SELECT ?f ?v WHERE {{ ?f a <{cls}> ; <{path}> ?v }} ORDER BY ?f ?v LIMIT 3")
            if len(rows) < 3:
                continue  # a class the graph has (almost) no instance of
            (wrong, value), (bare, other), (more, _) = rows
            p, g = ox.NamedNode(str(path)), ox.DefaultGraph()
            ds.remove(ox.Quad(wrong, p, value, g))
            for q in list(ds.quads(bare, p, None, g)):
                ds.remove(q)
            ds.extend([ox.Quad(wrong, p, ox.Literal("x!"), g), ox.Quad(more, p, other, g)])
            must |= {f"{SH}{name}ConstraintComponent" for param, name in MUTATED.items() if (shape, param, None) in shapes}
    return must


def _sparql_value_aside(key: Counter) -> Counter:
    """*key* with the one divergence between the engines set aside (pinned by the test below): the
    sh:value of a sh:sparql result whose SELECT binds no ?value (shacl: the focus node; pySHACL: none)."""
    out = Counter()
    for (severity, focus, path, value, shape, component), n in key.items():
        if component == str(SH.SPARQLConstraintComponent) and value in (focus, ""):
            value = "(focus node or none)"
        out[(severity, focus, path, value, shape, component)] += n
    return out


def test_a_sparql_constraint_binding_no_value_is_the_one_known_divergence():
    """pvdsh:ConventionShape's signatory rule (SELECT $this only) on a convention with one signatory:
    both engines report it, shacl 0.3.4 with the focus node as sh:value, pySHACL without sh:value."""
    ds = store.new_dataset()
    ds.load(b"@prefix pvd: <https://w3id.org/pvd-graph/ontology#> . <http://example.org/c> a pvd:Convention ; "
            b"pvd:signatory <http://example.org/s> . <http://example.org/s> a pvd:Commune .", format=store.ox.RdfFormat.TURTLE)
    shapes = load_shapes()
    sparql = str(SH.SPARQLConstraintComponent)
    fast, reference = (Counter(k for k in _key(validate(ds, shapes, engine=e, checks=False)) if k[5] == sparql)
                       for e in ("shacl", "pyshacl"))
    assert [k[3] for k in fast] == ["http://example.org/c"] and [k[3] for k in reference] == [""]
    assert _sparql_value_aside(fast) == _sparql_value_aside(reference)


@pytest.mark.slow
def test_the_national_graph_and_a_mutated_copy_are_validated_by_shacl_as_pyshacl_does(national_build):
    """shacl gives pySHACL's results on the national graph (../shared/data) mutated to break every kind
    of project shape: one pySHACL run (slow: minutes; hours on the enlarged graph). The copy keeps every
    unmutated node of the national graph, so its results hold the original graph's as well."""
    ds = store.open_built(national_build, use_store=False)  # mutated in memory: never the build's store
    shapes = load_shapes()
    before = _key(validate(ds, shapes, engine="shacl", checks=False))
    must = _mutate(ds, shapes)
    fast = validate(ds, shapes, engine="shacl", checks=False)
    reference = validate(ds, shapes, engine="pyshacl", checks=False)
    assert fast.engine == "shacl 0.3.4" and reference.engine.startswith("pyshacl")
    assert _sparql_value_aside(_key(fast)) == _sparql_value_aside(_key(reference))
    found = {r.constraint for r in fast.results}
    assert must and must <= found, sorted(must - found)
    assert len(fast.results) > sum(before.values()) and not fast.conforms


def test_shapes_that_select_nothing_are_refused_rather_than_conforming(tmp_path):
    shapes = _write(tmp_path, "untargeted.ttl", PREFIXES + "ex:S a sh:NodeShape ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .")
    with pytest.raises(UserError, match="untargeted.ttl: no shape with a target"):
        validate_file(_write(tmp_path, "data.ttl", DATA), shapes=[shapes], only_shapes=True)


@pytest.mark.slow
def test_help_says_that_warnings_pass_the_exit_status():
    for command in ("validate", "build"):
        done = subprocess.run([sys.executable, "-m", "pvd_graph", command, "--help"], cwd=REPO, capture_output=True,
                              text=True, timeout=120)
        text = " ".join(done.stdout.split())
        assert "--engine {auto,shacl,pyshacl}" in text and "--only-shapes" in text
        assert "0 no violation (warnings and infos pass, although SHACL's sh:conforms" in text


def _luhn_valid(code: str) -> bool:
    digits = [int(c) for c in reversed(code)]
    return sum(d if i % 2 == 0 else (2 * d - 9 if 2 * d > 9 else 2 * d) for i, d in enumerate(digits)) % 10 == 0


def test_every_result_of_the_report_names_its_source_shape_component_and_severity(curated_build):
    """A SPARQL check's result node is a W3C result like an engine's (mutated graph: a SIREN whose Luhn
    key is wrong, added to an EPCI); and the checks, run alongside the engine, give the sequential answers."""
    ds = store.open_built(curated_build, use_store=False)  # mutated in memory: never the build's store
    pvd = "https://w3id.org/pvd-graph/ontology#"
    epci = next(s for (s,) in ds.select(f"SELECT ?s WHERE {{ ?s a <{pvd}EPCI> ; <{pvd}siren> ?v }} LIMIT 1"))
    bad = next(c for c in (str(n) for n in range(200000000, 200000100)) if not _luhn_valid(c))
    ds.extend([store.ox.Quad(epci, store.ox.NamedNode(pvd + "siren"), store.ox.Literal(bad), store.ox.DefaultGraph())])
    report = validate(ds)

    flagged = [(r.focus, r.value) for r in report.results if r.shape == "check:siren-luhn-violation"]
    assert flagged == [(epci.value, bad)]
    g = report.to_graph()
    nodes = list(g.objects(None, SH.result))
    assert len(nodes) == len(report.results) > 1  # the check's row and the shapes' results (two SIRENs)
    for node in nodes:
        for p in (SH.focusNode, SH.sourceShape, SH.sourceConstraintComponent, SH.resultSeverity):
            assert len(list(g.objects(node, p))) == 1, (node, p)
    (check,) = [n for n in nodes if g.value(n, SH.value) == Literal(bad) and g.value(n, SH.sourceConstraintComponent)
                == SH.SPARQLConstraintComponent]
    shape = g.value(check, SH.sourceShape)
    assert shape == URIRef("https://w3id.org/pvd-graph/shapes#check-siren-luhn-violation")
    assert (shape, RDF.type, SH.NodeShape) in g and g.value(check, SH.resultSeverity) == SH.Violation

    shapes = load_shapes()
    sequential = shape_results(run_shapes(ds, shapes), shapes) + run_checks(ds)
    assert Counter(report.results) == Counter(sequential)
