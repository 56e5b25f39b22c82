"""The query library and the ``query``/``queries`` commands, on a small graph written here.

The small graph has the cases the national data has only a few of: a town
outside any EPCI, a town in a département outside any région, a convention
without a date, an umbrella convention two levels up, an EPCI across two
départements. Tests on the real graphs are in ``test_catalogue.py``.
"""

from __future__ import annotations

import json

import pytest

from rdflib.namespace import RDF

from pvd_graph import query, store
from pvd_graph.cli import main
from pvd_graph.errors import UserError

SMALL = """
@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix c: <https://w3id.org/pvd-graph/id/commune/> .
@prefix e: <https://w3id.org/pvd-graph/id/epci/> .
@prefix d: <https://w3id.org/pvd-graph/id/departement/> .
@prefix r: <https://w3id.org/pvd-graph/id/region/> .
@prefix p: <https://w3id.org/pvd-graph/id/programme/> .
@prefix o: <https://w3id.org/pvd-graph/id/organisation/> .
@prefix v: <https://w3id.org/pvd-graph/id/convention/> .

p:pvd a pvd:Programme ; rdfs:label "Petites villes de demain"@fr .
p:acv a pvd:Programme ; rdfs:label "Action cœur de ville"@fr .
<https://w3id.org/pvd-graph/id/typology/centralite> a pvd:Typology ; rdfs:label "Niveaux de centralité"@fr .
o:etat a pvd:State ; rdfs:label "État"@fr .
r:84 a pvd:Region ; pvd:inseeCode "84" ; rdfs:label "Auvergne-Rhône-Alpes"@fr .
d:73 a pvd:Departement ; pvd:inseeCode "73" ; pvd:inRegion r:84 .
d:74 a pvd:Departement ; pvd:inseeCode "74" ; pvd:inRegion r:84 .
d:975 a pvd:Departement ; pvd:inseeCode "975" .
e:200068997 a pvd:EPCI ; pvd:siren "200068997" ; rdfs:label "CA Arlysère"@fr .
c:73011 a pvd:Commune ; pvd:inseeCode "73011" ; rdfs:label "Albertville"@fr ; pvd:inDepartement d:73 ;
    pvd:memberOf e:200068997 ; pvd:participatesIn p:pvd, p:acv .
c:74010 a pvd:Commune ; pvd:inseeCode "74010" ; rdfs:label "Annecy"@fr ; pvd:inDepartement d:74 ;
    pvd:memberOf e:200068997 ; pvd:participatesIn p:pvd .
c:73303 a pvd:Commune ; pvd:inseeCode "73303" ; rdfs:label "Ugine"@fr ; pvd:inDepartement d:73 ;
    pvd:participatesIn p:pvd .
c:97502 a pvd:Commune ; pvd:inseeCode "97502" ; rdfs:label "Saint-Pierre"@fr ; pvd:inDepartement d:975 ;
    pvd:participatesIn p:pvd .
d:974 a pvd:Departement ; pvd:inseeCode "974" .
c:97416 a pvd:Commune ; pvd:inseeCode "97416" ; rdfs:label "Saint-Pierre"@fr ; pvd:inDepartement d:974 .
c:74998 a pvd:Commune ; pvd:inseeCode "74998" ; rdfs:label "Annécy"@fr ; pvd:inDepartement d:74 .
v:top a pvd:FrameworkConvention ; pvd:signedOn "2020-05-01"^^xsd:date ; pvd:signatory o:etat ;
    pvd:underProgramme p:acv .
v:mid a pvd:FrameworkConvention ; pvd:partOf v:top ; pvd:signedOn "2021-06-01"^^xsd:date ;
    pvd:signatory e:200068997, c:73011 ; pvd:underProgramme p:acv .
v:own a pvd:TownConvention ; pvd:partOf v:mid ; pvd:concerns c:73011 ; pvd:signatory c:73011 ;
    pvd:underProgramme p:acv ; rdfs:label "Convention d'Albertville"@fr .
v:other a pvd:TownConvention ; pvd:concerns c:73303 ; pvd:signatory c:73303, c:74010 ;
    pvd:signedOn "2021-06-02"^^xsd:date ; pvd:underProgramme p:pvd .
"""


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small.ttl"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small(small_file):
    return store.open_built(small_file)


def values(result):
    columns, rows = result
    return [tuple(query.plain(v) for v in row) for row in rows]


# --- header parsing and parameter checks --------------------------------------

def test_header_is_parsed_with_continuations_params_and_returns():
    q = query.parse_header(
        "# title: T\n# description: first line\n#   second line\n"
        '# param: dep (xsd:string, departement, optional) code, ex. "73"\n'
        '# param: p (pvd:Programme) programme, ex. "pvd"\n# returns: a, ?b\nSELECT * {}', "t")
    assert (q.title, q.description, q.returns) == ("T", "first line second line", ["a", "b"])
    assert q.params[0] == query.Param("dep", "xsd:string", "departement", True, "code", "73")
    assert q.params[1].type == "pvd:Programme" and not q.params[1].optional


@pytest.mark.parametrize("line", ["# param: x", "# param: x (xsd:strin) a", "# param: x (xsd:string, opt) a"])
def test_malformed_param_line_is_refused(line):
    with pytest.raises(ValueError):
        query.parse_header(line + "\nSELECT * {}", "t")


def test_params_are_normalised_and_bound_as_rdf_terms():
    q = query.parse_header(
        "# param: insee (xsd:string, insee)\n# param: p (pvd:Programme)\n# param: d (xsd:date)\n", "t")
    b = q.bindings({"insee": " 1001", "p": "acv", "d": "2023-07-03"})
    assert b["insee"].toPython() == "01001"
    assert str(b["p"]) == "https://w3id.org/pvd-graph/id/programme/acv"
    assert b["d"].datatype.endswith("#date") and str(b["d"]) == "2023-07-03"


@pytest.mark.parametrize("params, message", [
    ({"i": "7301"}, "unknown parameter 'i'"),  # reported before the missing required insee
    ({"insee": "730111"}, "INSEE code '730111'"),
    ({"insee": "20004"}, "2A or 2B"),
    ({"insee": "73011", "zip": "1"}, "unknown parameter 'zip'"),
    ({"insee": "73011", "d": "03/07/2023"}, "not a date"),
    ({"insee": "73011", "d": "2023-02-30"}, "day is out of range"),
    ({"insee": "73011", "p": "PVD!"}, "not a lower-case slug"),
])
def test_bad_params_are_one_line_user_errors(params, message):
    q = query.parse_header("# param: insee (xsd:string, insee)\n# param: p (pvd:Programme, optional)\n"
                           "# param: d (xsd:date, optional)\n", "t")
    with pytest.raises(UserError) as err:
        q.bindings(params)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_required_param():
    q = query.parse_header("# param: insee (xsd:string, insee)\n", "t")
    with pytest.raises(UserError, match="missing required parameter insee"):
        q.bindings({})


# --- the catalogue queries on the small graph ---------------------------------

def test_towns_in_programme_keeps_towns_without_epci_and_outside_regions(small):
    rows = values(query.run_query(small, "towns-in-programme", {"programme": "pvd"}))
    assert [r[:4] for r in rows] == [("73011", "Albertville", "200068997", "CA Arlysère"), ("73303", "Ugine", None, None),
                                     ("74010", "Annecy", "200068997", "CA Arlysère"), ("97502", "Saint-Pierre", None, None)]
    # no participation node, no population in the small graph: status, listed, joined empty, not ""
    assert {r[4:] for r in rows} == {(None, None, None, None)}


@pytest.mark.parametrize("params, expected", [
    ({"departement": "73"}, ["73011", "73303"]),
    ({"region": "84"}, ["73011", "73303", "74010"]),
    ({"epci": "200068997"}, ["73011", "74010"]),
    ({"epci": "200068997", "departement": "74"}, ["74010"]),
    ({"departement": "975"}, ["97502"]),
    ({"departement": "974"}, []),  # a département of the graph without PVD towns
])
def test_towns_in_programme_filters(small, params, expected):
    rows = values(query.run_query(small, "towns-in-programme", {"programme": "pvd", **params}))
    assert [r[0] for r in rows] == expected


def test_partners_of_town_follow_umbrella_conventions_at_any_depth(small):
    rows = values(query.run_query(small, "partners-of-town", {"insee": "73011"}))
    assert sorted(rows, key=str) == sorted([
        ("etat", "État", "signataire", "acv", "top", "2020-05-01"),
        ("200068997", "CA Arlysère", "signataire", "acv", "mid", "2021-06-01"),
    ], key=str)  # the town itself is not its own partner; no programme has ledBy/partner here


def test_programmes_of_town_without_participation_gives_the_first_signed_convention(small):
    rows = values(query.run_query(small, "programmes-of-town", {"insee": "73303"}))
    assert rows == [("pvd", "Petites villes de demain", None, None, None, "other", "2021-06-02")]
    rows = values(query.run_query(small, "programmes-of-town", {"insee": "73011"}))
    assert rows == [("acv", "Action cœur de ville", None, None, None, None, None),
                    ("pvd", "Petites villes de demain", None, None, None, None, None)]


def test_conventions_between_is_inclusive(small):
    rows = values(query.run_query(small, "conventions-between", {"from": "2021-06-01", "to": "2021-06-02"}))
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        ("mid", "2021-06-01", "acv", None), ("other", "2021-06-02", "pvd", "73303")]


def test_quality_queries(small):
    assert values(query.run_query(small, "quality-towns-without-epci", {})) == [
        ("pvd", "73303", "Ugine", "73"), ("pvd", "97502", "Saint-Pierre", "975")]
    assert [r[0] for r in values(query.run_query(small, "quality-conventions-without-date", {}))] == ["own"]
    [(siren, name, deps)] = values(query.run_query(small, "quality-epci-across-departements", {}))
    assert (siren, name, set(deps.split())) == ("200068997", "CA Arlysère", {"73", "74"})


def test_epci_ranking_region_summary_and_overlap(small):
    assert values(query.run_query(small, "epci-ranking", {"programme": "pvd"})) == [
        ("200068997", "CA Arlysère", 2)]
    assert values(query.run_query(small, "region-summary", {})) == [
        ("84", "Auvergne-Rhône-Alpes", "acv", 1), ("84", "Auvergne-Rhône-Alpes", "pvd", 3)]
    assert values(query.run_query(small, "programme-overlap", {"first": "acv", "second": "pvd"})) == [
        ("73011", "Albertville", "73")]


def test_ad_hoc_select_ask_construct(small):
    cols, rows = query.run_query(small, "SELECT ?n WHERE { ?x <https://w3id.org/pvd-graph/ontology#inseeCode> ?n } "
                                        "ORDER BY ?n LIMIT 2")
    assert cols == ["n"] and values((cols, rows)) == [("73",), ("73011",)]
    assert values(query.run_query(small, "ASK { ?x a <https://w3id.org/pvd-graph/ontology#Region> }")) == [(True,)]
    cols, rows = query.run_query(
        small, "CONSTRUCT { ?r ?p ?o } WHERE { ?r a <https://w3id.org/pvd-graph/ontology#Region> ; ?p ?o }")
    assert cols == ["subject", "predicate", "object"] and len(rows) == 3


@pytest.mark.parametrize("text, where, found", [
    ("SELEC ?x WHERE {}", "line 1, column 1: expected SELECT, ASK, CONSTRUCT or DESCRIBE", "'SELEC'"),
    ("# a comment\nPREFIX a: <x:>\n  selec * {}", "line 3, column 3: expected SELECT", "'selec'"),
    ("SELECT ?x\nWHERE {\n  ?x ?y . }", "line 3, column 3", "'?x'"),
    ("SELECT * WHERE { ?s ?p ?o } LIMT 3", "line 1, column 29", "'LIMT'"),
    ("SELECT * WHERE {\n ?s ?p ?o\n", "line 3, column 1", "the end of the query"),
])
def test_syntax_error_is_one_readable_line(small, text, where, found):
    with pytest.raises(UserError) as err:
        query.run_query(small, text)
    message = str(err.value)
    assert f"SPARQL syntax error at {where}" in message and message.endswith(f"found {found}")
    assert "\n" not in message and "\\u{" not in message and "CONSTRUCT" not in message.replace(
        "SELECT, ASK, CONSTRUCT or DESCRIBE", "")


@pytest.mark.parametrize("text", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DELETE WHERE { ?s ?p ?o }", "LOAD <http://example.org/x.ttl>",
    "CLEAR ALL", "PREFIX pvd: <urn:x#>\nDROP GRAPH <urn:g>", "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_updates_are_refused_before_the_graph_is_loaded(tmp_path, capsys, text):
    assert main(["query", "--sparql", text, "--graph", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "SPARQL Update" in err and "not supported" in err and err.count("\n") == 1


def test_ad_hoc_queries_have_the_project_prefixes(small):
    from rdflib import Graph

    from pvd_graph.namespaces import PREFIXES, PVD

    g = Graph().parse(data=SMALL, format="turtle")
    expected = sorted(str(o) for s in g.subjects(RDF.type, PVD.Commune) for o in g.objects(s, PVD.inseeCode))
    cols, rows = query.run_query(small, "SELECT ?n WHERE { ?t a pvd:Commune ; pvd:inseeCode ?n ; rdfs:label ?l "
                                        "FILTER(DATATYPE(?n) = xsd:string) } ORDER BY ?n")
    assert [r[0] for r in values((cols, rows))] == expected
    # every prefix of the shared table is declared (the endpoint's query page declares the same table)
    for prefix, namespace in PREFIXES.items():
        [(iri,)] = values(query.run_query(small, f"SELECT ?i WHERE {{ BIND({prefix}:x AS ?i) }}"))
        assert iri == namespace + "x"


def test_unknown_name_is_a_user_error():
    with pytest.raises(UserError, match="no query named 'town-in-programme'"):
        query.resolve("town-in-programme")


# --- output formats -------------------------------------------------------------

def test_formats(small):
    cols, rows = query.run_query(small, "towns-in-programme", {"programme": "pvd", "departement": "73"})
    assert query.format_rows(cols, rows, "csv") == (
        "insee,name,epci,epci_name,population,status,listed,joined\r\n"
        "73011,Albertville,200068997,CA Arlysère,,,,\r\n73303,Ugine,,,,,,\r\n")
    assert query.format_rows(cols, rows, "tsv").splitlines()[2] == "73303\tUgine\t\t\t\t\t\t"
    assert json.loads(query.format_rows(cols, rows, "json"))[1] == {
        "insee": "73303", "name": "Ugine", "epci": None, "epci_name": None, "population": None,
        "status": None, "listed": None, "joined": None}
    table = query.format_rows(cols, rows, "table").splitlines()
    assert table[0].split() == cols and table[-1] == "(2 rows)"


# --- the commands ---------------------------------------------------------------

def test_cli_query_csv(small_file, capsys):
    assert main(["query", "towns-in-programme", "--param", "programme=pvd", "--param", "epci=200068997",
                 "--format", "csv", "--graph", str(small_file)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "insee,name,epci,epci_name,population,status,listed,joined",
        "73011,Albertville,200068997,CA Arlysère,,,,", "74010,Annecy,200068997,CA Arlysère,,,,"]


def test_cli_query_file_with_params(small_file, tmp_path, capsys):
    rq = tmp_path / "mine.rq"
    rq.write_text("# title: t\n# param: dep (xsd:string, departement)\n"
                  "SELECT ?dep ?r WHERE { ?d <https://w3id.org/pvd-graph/ontology#inseeCode> ?dep ;"
                  " <https://w3id.org/pvd-graph/ontology#inRegion> ?r }\n", encoding="utf-8")
    assert main(["query", "--file", str(rq), "-p", "dep=74", "-f", "json", "--graph", str(small_file)]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"dep": "74", "r": "https://w3id.org/pvd-graph/id/region/84"}]


def test_cli_construct_prints_ntriples(small_file, capsys):
    assert main(["query", "--sparql", "CONSTRUCT { ?d ?p ?o } WHERE { ?d ?p ?o FILTER(?o = \"975\") }",
                 "--graph", str(small_file)]) == 0
    assert capsys.readouterr().out == (
        '<https://w3id.org/pvd-graph/id/departement/975> '
        '<https://w3id.org/pvd-graph/ontology#inseeCode> "975" .\n')


@pytest.mark.parametrize("argv, message", [
    (["query", "partners-of-town", "--param", "insee=7301X"], "INSEE code '7301X'"),
    (["query", "partners-of-town"], "missing required parameter insee"),
    (["query", "partners-of-town", "--param", "insee=73011", "--param", "foo=1"], "unknown parameter 'foo'"),
    (["query", "partners-of-town", "--param", "insee"], "expected KEY=VALUE"),
    (["query", "conventions-between", "-p", "from=2020-01-01", "-p", "to=31/12/2020"], "not a date"),
    (["query", "towns-in-programme", "-p", "programme=pvd", "-p", "epci=200068998"], "Luhn"),
    (["query", "nope"], "no query named 'nope'"),
    (["query", "--sparql", "SELEC ?x WHERE {}"], "SPARQL syntax error at line 1, column 1"),
    (["query", "towns-in-programme", "-p", "programme=foo"], "no programme 'foo' in this graph (known: acv, pvd)"),
    (["query", "partners-of-town", "-p", "insee=99999"], "no commune with code 99999 in this graph"),
    (["query", "towns-in-programme", "-p", "programme=pvd", "-p", "departement=01"], "no département with code 01"),
    (["query", "towns-in-programme", "-p", "programme=pvd", "-p", "region=11"], "no région with code 11"),
    (["query", "towns-in-programme", "-p", "programme=pvd", "-p", "epci=200067221"], "no EPCI with code 200067221"),
    (["query", "partners-of-town", "-p", "insee=Saint-Pierre"], "2 communes named 'Saint-Pierre': "
                                                                "97416 (Saint-Pierre, 974); 97502 (Saint-Pierre, 975)"),
    (["query", "partners-of-town", "-p", "insee=Chambéry"], "no commune named 'Chambéry' in this graph"),
    (["query", "partners-of-town", "-p", "insee=Albertvile"], "did you mean Albertville?"),
    (["query", "partners-of-town", "-p", "insee=annecy"], "2 communes named 'annecy'"),
    (["query", "--sparql", "SELECT ?x WHERE { ?x ?y ?z }", "-f", "turtle"], "is for CONSTRUCT/DESCRIBE results"),
    (["query", "--file", "/nonexistent/q.rq"], "cannot read query file"),
])
def test_cli_errors_are_one_line_exit_2(small_file, capsys, argv, message):
    assert main(argv + ["--graph", str(small_file)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pvd-graph query: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_params_are_refused_before_the_graph_is_loaded(tmp_path, capsys):
    # the graph path does not exist: the parameter error must come first
    assert main(["query", "partners-of-town", "-p", "insee=1", "--graph", str(tmp_path / "none")]) == 2
    assert "INSEE code" in capsys.readouterr().err


def test_cli_queries_lists_catalogue(capsys):
    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    for name, q in query.load_catalogue().items():
        assert f"{name} — {q.title}" in out
    assert "--param insee (xsd:string, insee): code INSEE de la commune" in out
    assert main(["queries", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {q["name"] for q in listed} == set(query.load_catalogue())


# --- parameters checked by meaning, names for codes -------------------------------

def test_from_after_to_is_refused_before_the_graph_is_loaded(tmp_path, capsys):
    argv = ["query", "conventions-between", "-p", "from=2021-06-02", "-p", "to=2021-06-01"]
    assert main(argv + ["--graph", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "from=2021-06-02 is after to=2021-06-01" in err and err.count("\n") == 1


def test_normalised_values_say_how_they_were_read():
    q = query.parse_header("# param: insee (xsd:string, insee)\n# param: p (pvd:Programme)\n", "t")
    notes = []
    b = q.bindings({"insee": "7301", "p": "PVD"}, notes=notes)
    assert notes == ["insee 7301 read as 07301", "p PVD read as pvd"]
    assert str(b["insee"]) == "07301" and str(b["p"]).endswith("/programme/pvd")
    notes.clear()
    q.bindings({"insee": "07301", "p": "pvd"}, notes=notes)
    assert notes == []  # nothing said when nothing was changed


def _cli(capsys, *argv):
    code = main(["query", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_programme_in_capitals_is_accepted_and_said(small_file, capsys):
    base = ["towns-in-programme", "-f", "csv", "--graph", str(small_file)]
    code, out, err = _cli(capsys, *base, "-p", "programme=PVD")
    assert code == 0 and err == "pvd-graph query: programme PVD read as pvd\n"
    assert out == _cli(capsys, *base, "-p", "programme=pvd")[1]


@pytest.mark.parametrize("name, code", [("Albertville", "73011"), ("ugine", "73303"), ("Annecy", "74010"),
                                        ("Annécy", "74998"), ("  Saint Pierre ", None)])
def test_a_commune_may_be_given_by_name(small_file, capsys, name, code):
    base = ["programmes-of-town", "-f", "json", "--graph", str(small_file)]
    result = _cli(capsys, *base, "-p", f"insee={name}")
    if code is None:  # a loose match with two communes
        assert result[0] == 2 and "2 communes named 'Saint Pierre'" in result[2]
        return
    assert result[0] == 0 and result[1] == _cli(capsys, *base, "-p", f"insee={code}")[1]
    assert result[2].startswith(f"pvd-graph query: insee {name.strip()} read as {code} (")


def test_every_catalogue_parameter_is_checked_by_meaning(small):
    """A well-formed value that names nothing in the graph is refused, for every parameter of every query."""
    absent = {"insee": "99999", "siren": "200067221", "departement": "01", "region": "11", "pvd:Programme": "foo",
              "pvd:Typology": "foo"}
    for name, q in query.load_catalogue().items():
        for p in q.params:
            if p.type == "xsd:date":  # dates are checked by their order, but for the "as of" date of a state
                assert p.not_before or any(o.not_before == p.name for o in q.params) or p.name == "date", f"{name}: {p.name}"
                continue
            kind = p.form or p.type
            assert kind in absent, f"{name}: parameter {p.name} ({kind}) has no check by meaning"
            values = {o.name: o.example for o in q.params if not o.optional}
            values[p.name] = absent[kind]
            with pytest.raises(UserError, match="in this graph"):
                q.bindings(values, small)
            if p.example:  # while the example, which the small graph has, is accepted
                assert str(q.bindings({**values, p.name: p.example}, small)[p.name]).endswith(p.example)


# --- spreadsheets and graph formats ------------------------------------------------

TRICKY = ('SELECT ?text ?n ?d WHERE { VALUES (?text ?n ?d) { ("a,b" 1 1.5) ("say \\"hi\\"" 2 2.25) '
          '("two\\nlines" 3 0.75) ("01001" 4 10.25) ("2A004" 5 0.1) ("=1+1" 6 1.5) ("Île-de-France été" 7 7.5) } } '
          'ORDER BY ?n')


def test_csv_is_rfc_4180(small):
    import csv
    import io

    cols, rows = query.run_query(small, TRICKY)
    text = query.format_rows(cols, rows, "csv")
    assert text.count("\r\n") == len(rows) + 1 and "\n" not in text.replace("\r\n", "").replace("two\nlines", "")
    parsed = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert parsed == [cols] + [[str(query.plain(v)) for v in row] for row in rows]


def test_csv_excel_keeps_codes_as_text_and_accents(small_file, capsys):
    import csv
    import io

    raw = main(["query", "--sparql", TRICKY, "-f", "csv-excel", "--graph", str(small_file)])
    out = capsys.readouterr().out
    assert raw == 0 and out.startswith("\ufeff")
    body = out.encode("utf-8")
    assert body.startswith(b"\xef\xbb\xbf") and body.count(b"\r\n") == 8
    parsed = list(csv.reader(io.StringIO(out[1:], newline=""), delimiter=";", strict=True))
    assert parsed[0] == ["text", "n", "d"]
    assert [r[0] for r in parsed[1:]] == ["a,b", 'say "hi"', "two\nlines", '="01001"', '="2A004"', '="=1+1"',
                                          "Île-de-France été"]
    assert [r[1] for r in parsed[1:]] == [str(i) for i in range(1, 8)]  # integers stay numbers
    assert [r[2] for r in parsed[1:]] == ["1,5", "2,25", "0,75", "10,25", "0,1", "1,5", "7,5"]  # decimal comma


def test_construct_as_turtle(small_file, capsys):
    from rdflib import Graph

    text = 'CONSTRUCT { ?d ?p ?o } WHERE { ?d a pvd:Departement ; ?p ?o }'
    outputs = {}
    for fmt in ("nt", "ttl", "turtle"):
        assert main(["query", "--sparql", text, "-f", fmt, "--graph", str(small_file)]) == 0
        outputs[fmt] = capsys.readouterr().out
    assert outputs["ttl"] == outputs["turtle"] and "@prefix pvd:" in outputs["ttl"]
    # one prefix per resource type, as in graph.ttl: departement:73, never id:departement\/73
    assert "@prefix departement:" in outputs["ttl"] and "\\/" not in outputs["ttl"]
    nt = Graph().parse(data=outputs["nt"], format="nt")
    assert len(nt) == 10 and set(Graph().parse(data=outputs["ttl"], format="turtle")) == set(nt)


# --- one dataset view: the command line sees what the endpoint serves -----------------

COUNT_NAMED = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNT_DEFAULT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def endpoint_count(build, text: str) -> int:
    """The count the endpoint answers: its workers' loading function and query engine."""
    from pvd_graph.server.engine import Limits, run_sparql

    reply = run_sparql(store.open_built(build, graphs="both"),
                       {"query": text, "accept": "text/csv"}, Limits())
    assert reply.status == 200, reply.body
    return int(reply.body.decode().split()[1])


def lines(path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def test_query_sees_the_endpoint_dataset(curated_build):
    from pvd_graph import resources

    ds = query.open_graph(curated_build)
    named = lines(curated_build / resources.DATASET_NQ) + lines(curated_build / resources.ALIGNMENTS_NT)  # + graph/alignments
    for text, expected in ((COUNT_NAMED, named), (COUNT_DEFAULT, lines(curated_build / resources.GRAPH_NT))):
        [(n,)] = values(query.run_query(ds, text))
        assert n == expected == endpoint_count(curated_build, text)


def test_query_reads_the_named_graphs_only_when_its_text_can_reach_them(curated_build):
    """Given its text, ``open_graph`` skips ``dataset.nq`` unless GRAPH or FROM appears, with the same answers."""
    from pvd_graph import resources

    full = query.open_graph(curated_build)
    compared = []
    for name, q in query.load_catalogue().items():
        lean = query.open_graph(curated_build, text=q.text)
        assert store.triple_count(lean) == lines(curated_build / resources.GRAPH_NT), name  # no named graph
        params = {p.name: p.example for p in q.params if p.example and not p.optional}
        assert query.run_query(lean, name, params) == query.run_query(full, name, params), name
        compared.append(name)
    assert len(compared) == len(query.load_catalogue()) >= 10
    from_graph = ("SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/pvd-graph/graph/curated> WHERE { ?s ?p ?o }")
    for text in (COUNT_NAMED, from_graph, COUNT_NAMED.lower()):
        lean = query.open_graph(curated_build, text=text)
        assert store.triple_count(lean) == store.triple_count(full) > lines(curated_build / resources.GRAPH_NT)
        [(n,)] = values(query.run_query(lean, text))
        assert n > 0 and [(n,)] == values(query.run_query(full, text)), text


def test_a_name_without_the_graph_is_refused_not_left_unbound():
    q = query.load_catalogue()["partners-of-town"]
    q.check_form({"insee": "Albertville"})  # before loading: the name waits for the graph
    with pytest.raises(UserError, match="only be looked up in an opened graph"):
        q.bindings({"insee": "Albertville"})
