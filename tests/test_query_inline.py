"""Bound values written into the query text (pvd_graph/inline.py) give the rows substitutions give.

Issue 20: Oxigraph plans a query before its substitutions are known, so a bound town or
programme never narrowed the plan; :func:`pvd_graph.inline.inline_bindings` writes each bound
value as its serialised RDF term. These tests check (a) that every catalogue query, with the
parameters of its header and those the catalogue tests use, answers the same rows both ways on
the enlarged national build, and is actually inlined; (b) that a hostile value cannot change
the query: it is one literal or IRI token after serialisation, or it is not inlined at all.
Speed is measured in benchmarks/ (bench_queries.py, the ``queries`` and ``oxigraph`` stages).
"""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from pvd_graph import inline, query, store

E = "http://example.org/"
DATA = f"""
<{E}a> a <{E}A> ; <{E}q> 1 ; <{E}r> "x" ; <{E}label> "Albertville" .
<{E}b> a <{E}A> ; <{E}q> 2 .
<{E}c> a <{E}A> .
"""
P = f"PREFIX : <{E}>\n"


@pytest.fixture(scope="module")
def small():
    ds = store.new_dataset()
    ds._ox.load(DATA.encode(), format=ox.RdfFormat.TURTLE)
    return ds


def both(ds, text, bindings):
    """(rows with the values inlined, rows with substitutions), as multisets of plain values."""
    def rows(sent, subs):
        return Counter(tuple(None if t is None else str(t) for t in row) for row in ds.query(sent, bindings=subs))

    sent, rest = inline.inline_bindings(text, bindings)
    assert rest == {}, f"not inlined: {text}"
    return rows(sent, {}), rows(text, bindings)


# --- the meaning of a substituted variable, construct by construct ---------------------------------

@pytest.mark.parametrize("text", [
    "SELECT ?x ?p WHERE { ?x a :A MINUS { ?x :q ?p } }",
    "SELECT ?x ?p ?y WHERE { ?x a :A OPTIONAL { ?x :q ?p BIND(1 AS ?y) } }",
    "SELECT ?x ?p ?v WHERE { ?x a :A OPTIONAL { ?x :q ?v FILTER(?v = ?p) } }",
    "SELECT ?x ?p WHERE { ?x a :A MINUS { ?x :q ?v FILTER(?v = ?p) } }",
    "SELECT ?x ?p WHERE { ?x a :A FILTER NOT EXISTS { ?x :q ?p } }",
    "SELECT ?x ?p WHERE { { ?x :q ?p } UNION { ?x :r ?r FILTER(COALESCE(?p != ?p, true)) } }",
    # a sub-query that does not project ?p has its own, unbound ?p (a and b, not only a)
    "SELECT ?x ?p WHERE { ?x a :A { SELECT ?x WHERE { ?x :q ?p } } }",
    # projected by an aggregating sub-query, grouped by; then by the query itself
    "SELECT ?x ?p ?n WHERE { ?x a :A OPTIONAL { SELECT ?x ?p (COUNT(*) AS ?n) WHERE { ?x :q ?p } GROUP BY ?x ?p } }",
    "SELECT ?p (COUNT(?x) AS ?n) WHERE { ?x :q ?p } GROUP BY ?p ORDER BY ?p",
    "SELECT ?p (COUNT(?x) AS ?n) WHERE { ?x :q ?v FILTER(?v > ?p) } GROUP BY ?p HAVING (COUNT(?x) >= ?p)",
    "SELECT (STR(?p) AS ?s) ?p WHERE { ?x :q ?p }",
])
def test_inlined_values_mean_what_substitutions_mean(small, text):
    inlined, substituted = both(small, P + text, {"p": ox.Literal(1)})
    assert inlined == substituted


def test_unprojected_subquery_variable_is_left_alone():
    sent, _ = inline.inline_bindings(P + "SELECT ?x ?p WHERE { ?x a :A { SELECT ?x WHERE { ?x :q ?p } } }",
                                     {"p": ox.Literal(1)})
    assert sent.endswith('SELECT ?x (1 AS ?p) WHERE { ?x a :A { SELECT ?x WHERE { ?x :q ?p } } }'.replace(
        "(1 AS", '("1"^^<http://www.w3.org/2001/XMLSchema#integer> AS'))


@pytest.mark.parametrize("text", [
    "SELECT ?x ?p WHERE { ?x :q ?v BIND(?v AS ?p) }",  # assigned
    "SELECT ?x ?p WHERE { ?x :q ?v FILTER(BOUND(?p)) }",  # BOUND takes a variable
    "SELECT ?x ?p WHERE { VALUES ?p { 1 2 } ?x :q ?p }",
    "SELECT ?x ?p WHERE { ?x :q ?v } VALUES (?p) { (1) }",
    "SELECT * WHERE { ?x :q ?p }",
    "SELECT ?x WHERE { ?x :q ?p }",  # not projected: Oxigraph refuses the substitution, say it the same way
    "ASK { ?x :q ?p }",
    "SELECT ?x ?p WHERE { ?x a :A { SELECT * WHERE { ?x :q ?p } } }",
    "SELECT ?x ?p WHERE { ?x a :A { SELECT ?p WHERE { ?x :q ?p } } }",  # would project nothing
])
def test_what_cannot_be_rewritten_is_left_to_substitutions(text):
    bindings = {"p": ox.Literal(1)}
    assert inline.inline_bindings(P + text, bindings) == (P + text, bindings)


# --- (b) hostile values ---------------------------------------------------------------------------

HOSTILE = ['x" } ; SELECT * { ?s ?p ?o } #', "a}\n>b", 'a\r\nb"', "'''", '"""', "tab\there", "x\\", "?label",
           "<http://example.org/a>", "é ∑ 🙂"]
LABEL_QUERY = P + "SELECT ?s ?label WHERE { ?s :label ?label }"


def _skeleton(text):
    """The tokens of a text, each bound term replaced by its kind (whitespace and comments left out)."""
    return [kind if kind in ("string", "iri", "var") else tok for kind, tok in inline._tokens(text)
            if kind not in ("ws", "comment")]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_is_one_literal_token(small, value):
    sent, rest = inline.inline_bindings(LABEL_QUERY, {"label": Literal(value)})
    assert rest == {}
    # the same query, the variable's occurrences now one string token each (the projection: "(term AS ?label)")
    expected = _skeleton(LABEL_QUERY.replace("?s ?label WHERE", "?s (\"\" AS ?label) WHERE")
                         .replace(":label ?label", ':label ""'))
    assert _skeleton(sent) == expected
    strings = [tok for kind, tok in inline._tokens(sent) if kind == "string"]
    assert len(strings) == 2 and len(set(strings)) == 1
    # read back by Oxigraph as the very value, and answering as substitutions do (nothing here)
    assert [r[0].value for r in small.query(f"SELECT ?v WHERE {{ BIND({strings[0]} AS ?v) }}")] == [value]
    assert both(small, LABEL_QUERY, {"label": Literal(value)}) == (Counter(), Counter())


def test_the_real_label_still_matches(small):
    inlined, substituted = both(small, LABEL_QUERY, {"label": Literal("Albertville")})
    assert inlined == substituted == Counter({(f"<{E}a>", '"Albertville"'): 1})


@pytest.mark.parametrize("value", ["\\u0022 } #", "ctrl\x01char", "\\U0000007D"])
def test_a_value_whose_text_sparql_would_unescape_is_not_inlined(small, value):
    """SPARQL reads \\u escapes before parsing: such a term is bound by substitution instead."""
    bindings = {"label": Literal(value)}
    assert inline.inline_bindings(LABEL_QUERY, bindings) == (LABEL_QUERY, bindings)
    assert list(small.query(LABEL_QUERY, bindings=bindings)) == []


def test_a_hostile_iri_is_refused():
    with pytest.raises(ValueError):
        inline.inline_bindings(P + "SELECT ?s ?o WHERE { ?s :q ?o }", {"s": URIRef(E + "a> } #")})


def test_hostile_value_through_the_query_layer(small):
    """An ad hoc query's free-text parameter, through run_query: the same rows both ways, one term."""
    text = "# param: label (xsd:string) an exact label\n" + LABEL_QUERY
    for value in [*HOSTILE, "Albertville"]:
        fast = query.run_query(small, text, {"label": value})
        slow = query.run_query(small, text, {"label": value}, inline=False)
        assert fast == slow
    assert query.run_query(small, text, {"label": "Albertville"})[1] == [(URIRef(f"{E}a"), Literal("Albertville"))]


# --- (a) the catalogue on the enlarged national build ------------------------------------------------

#: parameters the catalogue tests use beyond the headers' examples, where another branch of the query answers
MORE_CASES = [
    ("conventions-between", {"from": "2021-06-01", "to": "2021-06-02"}),
    ("epci-history-of-town", {"insee": "56010"}),  # a former EPCI
    ("programmes-of-town", {"insee": "73011"}),
]


def catalogue_cases():
    """Each query with its required examples, then with each optional example added on its own."""
    cases = []
    for name, q in sorted(query.load_catalogue().items()):
        required = {p.name: p.example for p in q.params if not p.optional}
        cases.append((name, required))
        cases += [(name, {**required, p.name: p.example}) for p in q.params if p.optional and p.example]
    return cases + MORE_CASES


@pytest.mark.national
def test_every_catalogue_query_gives_the_same_rows_inlined(enlarged_build):
    ds = query.open_graph(enlarged_build)
    catalogue = query.load_catalogue()
    nonempty = compared = 0
    for name, params in catalogue_cases():
        q = catalogue[name]
        bindings = q.bindings(params, ds)
        text = query.text_for(q, bindings)  # with a date, the query's dated text if it has one
        sent, rest = query.sent_text(text, bindings)
        assert rest == {} and (sent != text) == bool(bindings), (name, params)
        if not bindings:  # the very text the substitution path sends: nothing to compare
            continue
        _, fast_columns, fast = query.execute(ds, q, bindings)
        _, slow_columns, slow = query.execute(ds, q, bindings, inline=False)
        assert fast_columns == slow_columns == (q.returns or fast_columns), name
        assert Counter(fast) == Counter(slow), (name, params)
        compared += 1
        nonempty += bool(fast)
    assert nonempty >= compared - 2  # nearly every case has rows: the comparison is not vacuous
