"""The one N-Triples/N-Quads path (issue #13): written, read, sorted and canonicalised in pvd_graph.ntriples.

Property tests against pyoxigraph's own parser, and the export's N-Triples and
N-Quads of a build compared byte for byte with the build's graph.nt and dataset.nq.
"""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvd_graph import export, ntriples, resources, store

# --- generated statements ---------------------------------------------------------------------

_IRI_CHARS = st.characters(whitelist_categories=("Ll", "Lu", "Lo", "Nd"), whitelist_characters="-._~/=&'()*+,;:@!$")
iris = st.builds(lambda local: ox.NamedNode("http://example.org/" + local), st.text(_IRI_CHARS, max_size=12))
blanks = st.builds(ox.BlankNode, st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6))
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)  # quotes, line breaks, controls
literals = st.one_of(
    st.builds(ox.Literal, _TEXT),
    st.builds(lambda t, lang: ox.Literal(t, language=lang), _TEXT, st.sampled_from(["fr", "en", "fr-ca"])),
    st.builds(lambda t, dt: ox.Literal(t, datatype=dt), _TEXT, iris),
)
graphs = st.one_of(st.just(ox.DefaultGraph()), iris)
quads = st.builds(ox.Quad, st.one_of(iris, blanks), iris, st.one_of(iris, blanks, literals), graphs)
triples = st.builds(ox.Triple, st.one_of(iris, blanks), iris, st.one_of(iris, blanks, literals))


@settings(max_examples=200, deadline=None)
@given(st.lists(quads, max_size=30))
def test_written_quads_parse_back_to_the_same_set(statements):
    text = ntriples.write(statements)
    assert set(ox.parse(text, format=ox.RdfFormat.N_QUADS)) == set(statements)
    assert text.count(b"\n") == len(statements), "one statement per line"


@settings(max_examples=200, deadline=None)
@given(st.lists(triples, max_size=30))
def test_written_triples_parse_back_with_their_terms(statements):
    text = ntriples.write(statements)
    assert {q.triple for q in ntriples.read(text)} == set(statements)
    terms = ntriples.triple_terms(text)
    assert [tuple(t.decode("utf-8") for t in row) for row in terms] == [
        (str(t.subject), str(t.predicate), str(t.object)) for t in statements]


@settings(max_examples=200, deadline=None)
@given(st.lists(quads, max_size=30), st.randoms())
def test_sorting_does_not_depend_on_the_input_order(statements, rnd):
    text = ntriples.write(statements)
    shuffled = statements[:]
    rnd.shuffle(shuffled)
    once = ntriples.sort_lines(text)
    assert ntriples.sort_lines(ntriples.write(shuffled)) == once
    assert ntriples.sort_lines(once) == once, "sorting a sorted text changes nothing"
    lines = once.splitlines()
    assert lines == sorted(set(lines)), "sorted, each line once"
    assert set(ox.parse(once, format=ox.RdfFormat.N_QUADS)) == set(statements)


@settings(max_examples=200, deadline=None)
@given(st.sets(st.builds(ox.Quad, iris, iris, st.one_of(iris, literals), iris), max_size=30))
def test_union_and_dataset_are_the_sorted_triples_and_quads(statements):
    """The one-sort path of the build gives what sorting each file alone gives."""
    nt, nq = ntriples.union_and_dataset(ntriples.write(statements))
    assert nq == ntriples.sort_lines(ntriples.write(statements))
    assert nt == ntriples.sort_lines(ntriples.write(q.triple for q in statements))


def _relabelled(statements: list, rnd: random.Random) -> list:
    """The same graph with other blank-node labels, in another order."""
    labels = {}

    def term(t):
        if isinstance(t, ox.BlankNode):
            return labels.setdefault(t, ox.BlankNode(f"x{rnd.randrange(10**9)}n{len(labels)}"))
        return t

    out = [type(s)(*(term(t) for t in s)) for s in statements]
    rnd.shuffle(out)
    return out


@settings(max_examples=100, deadline=None)
@given(st.lists(triples, max_size=15), st.randoms())
def test_canonical_labels_depend_neither_on_order_nor_on_input_labels(statements, rnd):
    canonical = ntriples.sort_lines(ntriples.write(ntriples.canonical(statements)))
    assert ntriples.sort_lines(ntriples.write(ntriples.canonical(_relabelled(statements, rnd)))) == canonical


@settings(max_examples=100, deadline=None)
@given(st.lists(quads, max_size=15), st.randoms())
def test_canonical_quads_depend_neither_on_order_nor_on_input_labels(statements, rnd):
    canonical = ntriples.sort_lines(ntriples.write(ntriples.canonical_quads(statements)))
    assert ntriples.sort_lines(ntriples.write(ntriples.canonical_quads(_relabelled(statements, rnd)))) == canonical
    assert len(set(ntriples.canonical_quads(statements))) == len(set(statements)), "no two nodes merged"


def test_a_blank_node_shared_by_two_graphs_stays_one_node():
    b, p = ox.BlankNode("b"), ox.NamedNode("http://example.org/p")
    g1, g2 = ox.NamedNode("http://example.org/g1"), ox.NamedNode("http://example.org/g2")
    a, c = ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/c")
    out = ntriples.canonical_quads([ox.Quad(a, p, b, g1), ox.Quad(b, p, c, g2)])
    assert {q.graph_name for q in out} == {g1, g2}
    assert len({q.object for q in out if q.subject == a} & {q.subject for q in out if q.object == c}) == 1


@settings(max_examples=100, deadline=None)
@given(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
       st.text("abcdefghijklmnopqrstuvwxyz0123456789/", min_size=1, max_size=20))
def test_a_filled_template_is_the_statements_written_term_by_term(code, path):
    def shape(iri: str, value: str) -> list[ox.Triple]:
        s = ox.NamedNode(iri)
        return [ox.Triple(s, ox.NamedNode("http://example.org/code"), ox.Literal(value)),
                ox.Triple(ox.NamedNode(iri + "#id"), ox.NamedNode("http://example.org/see"),
                          ox.NamedNode("http://example.org/api/" + value)),
                ox.Triple(s, ox.NamedNode("http://example.org/label"), ox.Literal("{x} %s", language="fr"))]

    template = ntriples.Template(shape("http://hole.invalid/e", "0hole0"), "http://hole.invalid/e", "0hole0")
    iri = "http://example.org/" + path
    assert template.fill(iri, code).encode("utf-8") == ntriples.write(shape(iri, code))


# --- the export writes a build's files back byte for byte --------------------------------------

def _export(build, fmt: str, tmp_path) -> bytes:
    out = tmp_path / f"out{export.FORMATS[fmt][1]}"
    ds = store.open_built(build, graphs="named" if fmt in export.DATASET_FORMATS else "union")
    export.export_file(ds, fmt, out)
    return out.read_bytes()


def test_export_of_the_curated_build_is_its_graph_nt_and_dataset_nq(curated_build, tmp_path):
    """The curated build has blank nodes (the ontology's owl:unionOf lists): their labels survive."""
    nt = (curated_build / resources.GRAPH_NT).read_bytes()
    assert b"_:" in nt
    assert _export(curated_build, "nt", tmp_path) == nt
    assert _export(curated_build, "nq", tmp_path) == (curated_build / resources.DATASET_NQ).read_bytes()


def test_export_of_the_national_build_is_its_graph_nt_and_dataset_nq(national_build, tmp_path):
    nt = (national_build / resources.GRAPH_NT).read_bytes()
    assert b"_:checksum-" in nt  # the provenance's checksum nodes, beside the ontology's blank nodes
    assert _export(national_build, "nt", tmp_path) == nt
    assert _export(national_build, "nq", tmp_path) == (national_build / resources.DATASET_NQ).read_bytes()


@pytest.mark.parametrize("fmt", ["ttl", "trig"])
def test_blank_nodes_read_from_other_syntaxes_get_canonical_labels(tmp_path, fmt):
    """Parsers pick blank-node labels: a file read twice, or written with other labels, exports the same bytes."""
    text = {"ttl": "<http://example.org/a> <http://example.org/p> [ <http://example.org/q> 1 ] .\n"
                   "_:x <http://example.org/q> _:y .\n",
            "trig": "<http://example.org/g> { <http://example.org/a> <http://example.org/p> [ "
                    "<http://example.org/q> 1 ] . _:x <http://example.org/q> _:y . }\n"}[fmt]
    outs = []
    for i, body in enumerate((text, text, text.replace("_:x", "_:other"))):
        path = tmp_path / f"in{i}.{fmt}"
        path.write_text(body, encoding="utf-8")
        out = tmp_path / f"out{i}.nq"
        export.export_file(store.open_built(path, graphs="named"), "nq", out)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert outs[0].count(b"_:cb") == 4
