"""The fast paths of the query layer (issue 20) give the answers of the slow ones, on the enlarged graph.

* ``lookup.by_code`` reads the store's indexes instead of a SPARQL query (which Oxigraph
  planned before knowing the code: a join over every commune for each town parameter);
* result terms are built directly where rdflib's constructors would only re-check them.

Speed itself is measured in ``benchmarks/`` (never in tests); these tests check that the
answers did not change, against the slow path computed here and against the source files.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pyoxigraph as ox
import pytest

from pvd_graph import lookup, query, store
from pvd_graph.identifiers import commune_iri

PREFIXES = """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
#: the SPARQL query by_code ran before, without its substitution: code → IRIs, all at once
OLD_BY_CODE = PREFIXES + "SELECT ?iri ?code WHERE { ?iri pvd:%(prop)s ?code . %(of_class)s }"


@pytest.fixture(scope="module")
def enlarged(enlarged_build):
    return query.open_graph(enlarged_build)


def _cog(shared_data, name):
    return json.loads((shared_data / "cog" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("prop, cls, cog_file", [
    ("inseeCode", "Commune", "communes.json"),
    ("inseeCode", "Departement", "departements.json"),
    ("inseeCode", "Region", "regions.json"),
    ("siren", "EPCI", "epci.json"),
])
def test_by_code_finds_what_the_sparql_lookup_found(enlarged, shared_data, prop, cls, cog_file):
    """Every code of the COG file, every code the graph gives that property, and the codes of the
    other kinds (a région code is also a département code: 94, 93…): the same IRI, or none, as the
    old query (``?iri pvd:<prop> ?code`` and ``a pvd:<cls>`` or what lookup.ALSO adds)."""
    expected = defaultdict(set)
    for iri, code in enlarged.select(OLD_BY_CODE % {"prop": prop, "of_class": lookup.of_class(cls)}):
        expected[code.value].add(iri.value)
    codes = {c["code"] for c in _cog(shared_data, cog_file)} | set(expected)
    codes |= {c["code"] for name in ("departements.json", "regions.json") for c in _cog(shared_data, name)}
    assert len(codes) > len(_cog(shared_data, cog_file)) // 2 and expected
    wrong = {}
    for code in sorted(codes):
        found = lookup.by_code(enlarged, prop, code, cls)
        right = found in expected[code] if expected.get(code) else found is None
        if not right:
            wrong[code] = (found, sorted(expected.get(code, ())))
    assert not wrong


def test_by_code_finds_the_cog_communes(enlarged, shared_data):
    """Against the source file: each current commune of the COG (type COM) is found as its IRI."""
    communes = [c["code"] for c in _cog(shared_data, "communes.json") if c.get("type", "commune-actuelle")
                == "commune-actuelle"]
    assert len(communes) > 30_000
    missing = [c for c in communes if lookup.by_code(enlarged, "inseeCode", c, "Commune") != commune_iri(c)]
    assert not missing


def test_a_code_parameter_is_checked_without_a_sparql_query(enlarged, monkeypatch):
    """``insee=73011`` is checked against the graph from its indexes: no query planned over every
    commune (the old lookup ran one per town parameter, ~0.1–0.2 s on the national graph)."""
    ran = []
    real = enlarged.query
    monkeypatch.setattr(enlarged, "query", lambda *a, **k: ran.append(a[0]) or real(*a, **k))
    bindings = query.load_catalogue()["partners-of-town"].bindings({"insee": "73011"}, enlarged)
    assert str(bindings["insee"]) == "73011" or str(bindings["insee"]).endswith("/73011")
    assert ran == []
    with pytest.raises(query.UserError, match="no commune with code 73999"):
        query.load_catalogue()["partners-of-town"].bindings({"insee": "73999"}, enlarged)
    assert ran == []


def test_result_terms_are_the_ordinary_conversion(enlarged):
    """Every distinct term of the graph: the direct construction equals store.to_rdflib's, with the
    same Python value, language and datatype."""
    terms = set()
    for quad in enlarged.quads():
        terms.add(quad.subject)
        terms.add(quad.object)
    kinds = defaultdict(int)
    for term in terms:
        fast, slow = query._rdflib_term(term, store.to_rdflib), store.to_rdflib(term)
        assert (type(fast), fast, fast.n3()) == (type(slow), slow, slow.n3()), term
        if isinstance(term, ox.Literal):
            assert (fast.toPython(), fast.language, fast.datatype) == (slow.toPython(), slow.language, slow.datatype)
            kinds["lang" if term.language else term.datatype.value] += 1
    assert kinds["lang"] and kinds["http://www.w3.org/2001/XMLSchema#string"] and len(kinds) > 3


@pytest.mark.parametrize("name, params", [
    ("towns-in-programme", {"programme": "pvd"}),
    ("pvd-ort-timeline", {}),
    ("france-services-near", {}),
    ("partners-of-town", {"insee": "73011"}),
])
def test_catalogue_rows_are_the_slow_paths(enlarged, name, params):
    """run_query's rows (fast lookup, direct terms) equal Oxigraph's rows converted by store.to_rdflib."""
    q = query.load_catalogue()[name]
    columns, rows = query.run_query(enlarged, name, params)
    result = enlarged.query(q.text, bindings=q.bindings(params), prefixes=None)
    variables = [v.value for v in result.variables]
    slow = [tuple(None if t is None else store.to_rdflib(t) for t in row) for row in result]
    index = [variables.index(c) for c in columns]
    assert rows and rows == [tuple(r[i] for i in index) for r in slow]
    assert [[type(v) for v in r] for r in rows] == [[type(r[i]) for i in index] for r in slow]
