"""Ontology documentation: every class and property with its definition; shapes summarised per class."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

from pvd_graph import resources
from pvd_graph.cli import main
from pvd_graph.docs import LANGUAGES, load_shapes, shapes_html, shorten, summarise_shapes

PVD = "https://w3id.org/pvd-graph/ontology#"
REPO = Path(__file__).resolve().parents[1]


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


class _Headings(HTMLParser):
    """Text of each ``<h3>`` heading (a term's title), its ``<sup>`` type badge left out."""

    def __init__(self):
        super().__init__()
        self.headings: list[str] = []
        self._in = self._sup = False

    def handle_starttag(self, tag, attrs):
        if tag == "h3":
            self._in = True
            self.headings.append("")
        elif tag == "sup":
            self._sup = True

    def handle_endtag(self, tag):
        if tag == "h3":
            self._in = False
            self.headings[-1] = " ".join(self.headings[-1].split())
        elif tag == "sup":
            self._sup = False

    def handle_data(self, data):
        if self._in and not self._sup:
            self.headings[-1] += data


@pytest.fixture(scope="module", params=LANGUAGES)
def page(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"docs-{request.param}")
    assert main(["docs", "--out", str(out), "--lang", request.param, "-q"]) == 0
    return request.param, (out / "index.html").read_text(encoding="utf-8")


def test_each_term_is_titled_once_in_the_page_language(page):
    """The heading of pvd:Commune reads "commune", not "communecommune" (pyLODE joins every label)."""
    lang, text = page
    onto = Graph().parse(resources.ONTOLOGY_FILE, format="turtle")
    parser = _Headings()
    parser.feed(text)
    headings = parser.headings
    terms = [s for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
             for s in onto.subjects(RDF.type, kind) if str(s).startswith(PVD)]
    assert len(terms) >= 40
    for term in terms:
        (label,) = [str(x) for x in onto.objects(term, RDFS.label) if x.language == lang]
        assert headings.count(label) >= 1, (term, label)
        others = [str(x) for x in onto.objects(term, RDFS.label) if x.language != lang]
        assert all(label + other not in headings and other + label not in headings for other in others)
    assert "commune" in headings and "communecommune" not in headings
    assert ("État" if lang == "fr" else "State") in headings and "ÉtatState" not in headings
    assert f'<html lang="{lang}">' in text


def test_definitions_are_in_the_page_language_only(page):
    lang, text = page
    onto = Graph().parse(resources.ONTOLOGY_FILE, format="turtle")
    plain = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))
    definitions = list(onto.subject_objects(SKOS.definition))
    assert len(definitions) >= 80
    for _term, d in definitions:
        assert (re.sub(r"\s+", " ", str(d)) in plain) == (d.language == lang), d


def test_quiet_docs_print_nothing(tmp_path):
    """pyLODE turns on DEBUG logging for the whole process when imported: ``-q`` must still print nothing."""
    run = subprocess.run([sys.executable, "-m", "pvd_graph", "docs", "-q", "--out", str(tmp_path / "docs")],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    assert (tmp_path / "docs" / "index.html").is_file()
