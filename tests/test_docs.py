"""Ontology documentation: every class and property with its definition; shapes summarised per class."""

from __future__ import annotations

import html
import re

import pytest
from rdflib import Graph
from rdflib.namespace import OWL, RDF, SH, SKOS

from pvd_graph import resources
from pvd_graph.cli import main
from pvd_graph.docs import load_shapes, shapes_html, shorten, summarise_shapes

PVD = "https://w3id.org/pvd-graph/ontology#"


def _text(path) -> str:
    """Page text with tags removed, entities decoded and white space collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    assert main(["docs", "--out", str(out), "-q"]) == 0
    return out


def test_every_class_and_property_with_its_definition(docs):
    onto = Graph().parse(resources.ONTOLOGY_FILE, format="turtle")
    page = _text(docs / "index.html")
    terms = [s for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
             for s in onto.subjects(RDF.type, kind) if str(s).startswith(PVD)]
    assert len(terms) >= 40
    for term in terms:
        definition = onto.value(term, SKOS.definition, any=True)
        for d in onto.objects(term, SKOS.definition):
            if d.language == "fr":
                definition = d
        assert str(term) in page, term
        assert re.sub(r"\s+", " ", str(definition)) in page, term
    assert 'href="shapes.html"' in (docs / "index.html").read_text(encoding="utf-8")


def test_shapes_page_lists_every_target_class_and_message(docs):
    shapes = load_shapes()
    page = _text(docs / "shapes.html")
    for target in set(shapes.objects(None, SH.targetClass)):
        assert shorten(target) in page
    for node_shape in set(shapes.subjects(SH.targetClass, None)):
        for prop in shapes.objects(node_shape, SH.property):
            for msg in shapes.objects(prop, SH.message):
                if msg.language == "fr":
                    assert re.sub(r"\s+", " ", str(msg)) in page


def test_shapes_summary_of_a_small_graph_is_escaped():
    g = Graph().parse(data="""
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix pvd: <https://w3id.org/pvd-graph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/pvd-graph/shapes#X> a sh:NodeShape ; sh:targetClass pvd:Commune ;
  sh:property [ sh:path pvd:population ; sh:maxCount 1 ; sh:datatype xsd:integer ;
                sh:severity sh:Warning ; sh:message "<b>population</b> & co"@fr ] ,
              [ sh:path [ sh:inversePath pvd:memberOf ] ; sh:in ( "CA" "CC" ) ] .
""", format="turtle")
    (cls,) = summarise_shapes(g)
    assert cls.target == "pvd:Commune" and cls.shapes == ["pvdsh:X"]
    rows = {r.path: r for r in cls.rows}
    assert rows["pvd:population"].severity == "Warning"
    assert ("max", "1") in rows["pvd:population"].constraints
    assert ("type", "xsd:integer") in rows["pvd:population"].constraints
    assert rows["^pvd:memberOf"].constraints == [("valeurs", "( CA CC )")]
    assert rows["^pvd:memberOf"].severity == "Violation"
    page = shapes_html([cls])
    assert "&lt;b&gt;population&lt;/b&gt; &amp; co" in page and "<b>population" not in page


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["docs", "--help"])
    assert exc.value.code == 0 and "--out" in capsys.readouterr().out
