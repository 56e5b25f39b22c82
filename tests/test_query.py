"""The query library and the ``query``/``queries`` commands, on a small graph written here.

The small graph has the cases the national data has only a few of: a town
outside any EPCI, a town in a département outside any région, a convention
without a date, an umbrella convention two levels up, an EPCI across two
départements. Tests on the real graphs are in ``test_catalogue.py``.
"""

from __future__ import annotations

import json

import pytest

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


@pytest.fixture(scope="module", params=["oxigraph", "memory"])
def small(request, small_file):
    return store.open_built(small_file, backend=request.param)


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
    assert rows == [("73011", "Albertville", "73", "200068997"), ("73303", "Ugine", "73", None),
                    ("74010", "Annecy", "74", "200068997"), ("97502", "Saint-Pierre", "975", None)]


@pytest.mark.parametrize("params, expected", [
    ({"departement": "73"}, ["73011", "73303"]),
    ({"region": "84"}, ["73011", "73303", "74010"]),
    ({"epci": "200068997"}, ["73011", "74010"]),
    ({"epci": "200068997", "departement": "74"}, ["74010"]),
    ({"departement": "975"}, ["97502"]),
    ({"region": "11"}, []),
])
def test_towns_in_programme_filters(small, params, expected):
    rows = values(query.run_query(small, "towns-in-programme", {"programme": "pvd", **params}))
    assert [r[0] for r in rows] == expected


def test_partners_of_town_follow_umbrella_conventions_at_any_depth(small):
    rows = values(query.run_query(small, "partners-of-town", {"insee": "73011"}))
    assert sorted(rows, key=str) == sorted([
        ("etat", "État", "top", "2020-05-01"),
        ("200068997", "CA Arlysère", "mid", "2021-06-01"),
    ], key=str)  # the town itself is not its own partner


def test_programmes_of_town_since_is_the_first_signed_convention(small):
    rows = values(query.run_query(small, "programmes-of-town", {"insee": "73303"}))
    assert rows == [("pvd", "Petites villes de demain", "2021-06-02")]
    rows = values(query.run_query(small, "programmes-of-town", {"insee": "73011"}))
    assert rows == [("acv", "Action cœur de ville", None), ("pvd", "Petites villes de demain", None)]


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


def test_syntax_error_is_one_line(small):
    with pytest.raises(UserError) as err:
        query.run_query(small, "SELECT ?x WHERE { ?x ?y }")
    assert "SPARQL error" in str(err.value) and "\n" not in str(err.value)


def test_unknown_name_is_a_user_error():
    with pytest.raises(UserError, match="no query named 'town-in-programme'"):
        query.resolve("town-in-programme")


# --- output formats -------------------------------------------------------------

def test_formats(small):
    cols, rows = query.run_query(small, "towns-in-programme", {"programme": "pvd", "departement": "73"})
    assert query.format_rows(cols, rows, "csv") == (
        "insee,name,departement,epci\n73011,Albertville,73,200068997\n73303,Ugine,73,\n")
    assert query.format_rows(cols, rows, "tsv").splitlines()[2] == "73303\tUgine\t73\t"
    assert json.loads(query.format_rows(cols, rows, "json"))[1] == {
        "insee": "73303", "name": "Ugine", "departement": "73", "epci": None}
    table = query.format_rows(cols, rows, "table").splitlines()
    assert table[0].split() == cols and table[-1] == "(2 rows)"


# --- the commands ---------------------------------------------------------------

def test_cli_query_csv(small_file, capsys):
    assert main(["query", "towns-in-programme", "--param", "programme=pvd", "--param", "epci=200068997",
                 "--format", "csv", "--graph", str(small_file)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "insee,name,departement,epci", "73011,Albertville,73,200068997", "74010,Annecy,74,200068997"]


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
    (["query", "--sparql", "SELEC ?x WHERE {}"], "SPARQL error"),
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


@pytest.mark.parametrize("command", ["query", "queries"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0 and "usage: pvd-graph " + command in capsys.readouterr().out
