"""The endpoint in a browser, without a browser: the query page, its catalogue forms, the editor's files.

Expected answers come from the curated Turtle sources read by rdflib and from
the catalogue's own ``.rq`` headers; the editor files served are compared with
the files on disk.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from html import escape, unescape
from pathlib import Path
from unittest import mock

import pyoxigraph as ox
import pytest
import requests
from rdflib import OWL, RDF, RDFS, SH, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from pvd_graph import resources
from pvd_graph.namespaces import PREFIXES

from pvd_graph.query import load_catalogue
from conftest import SHARED_DATA
from serve_support import Server, free_port, run_serve

#: What Chromium sends when it navigates to a page.
CHROMIUM_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
                   "application/signed-exchange;v=b3;q=0.7")
PVD = "https://w3id.org/pvd-graph/id/programme/pvd"


def towns_in_programme(graph: Graph, programme: str, departement: str) -> list[str]:
    """INSEE codes of the towns of a programme in a département, as towns-in-programme defines them."""
    rows = graph.query(f"""
        PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
        SELECT DISTINCT ?insee WHERE {{
          {{ ?town pvd:participatesIn <{programme}> }} UNION {{ ?conv pvd:underProgramme <{programme}> ; pvd:concerns ?town }}
          ?town pvd:inseeCode ?insee ; pvd:inDepartement/pvd:inseeCode "{departement}" .
        }}""")
    return sorted(str(r.insee) for r in rows)


@pytest.fixture(scope="module")
def fake_editor(tmp_path_factory) -> Path:
    """An npm prefix laid out like ``npm install @triply/yasgui`` (stand-in files: no npm in the quick loop)."""
    prefix = tmp_path_factory.mktemp("assets")
    build = prefix / "node_modules" / "@triply" / "yasgui" / "build"
    build.mkdir(parents=True)
    (build / "yasgui.min.js").write_text("window.Yasgui = undefined; // stand-in\n")
    (build / "yasgui.min.css").write_text(".yasgui{}\n")
    return prefix


@contextmanager
def serving(build: Path, tmp_path_factory, *options: str, env: dict | None = None):
    """``pvd-graph serve`` of *build* with one worker, stopped on leaving."""
    with mock.patch.dict(os.environ, env or {}):
        srv = Server(build, "--workers", "1", *options, log_dir=tmp_path_factory.mktemp("logs"))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def plain(curated_build, tmp_path_factory):
    """The server with no editor installed where it looks (``PVD_GRAPH_ASSETS`` on an empty folder)."""
    with serving(curated_build, tmp_path_factory, env={"PVD_GRAPH_ASSETS": str(tmp_path_factory.mktemp("no-assets"))}) as srv:
        yield srv


@pytest.fixture(scope="module")
def with_editor(curated_build, fake_editor, tmp_path_factory):
    with serving(curated_build, tmp_path_factory, "--assets", str(fake_editor)) as srv:
        yield srv


def _forms(page: str) -> dict[str, tuple[str, list[tuple[str, bool]]]]:
    """Catalogue forms of the query page: name → (action, [(field, required)])."""
    out = {}
    for m in re.finditer(r'<form class="example" method="get" action="([^"]+)" data-example="([^"]+)">(.*?)</form>',
                         page, re.S):
        fields = [(name, " required" in rest) for name, rest in re.findall(r'<input name="([^"]+)"([^>]*)>', m.group(3))]
        out[unescape(m.group(2))] = (unescape(m.group(1)), fields)
    return out


def test_catalogue_queries_are_forms_with_their_parameters(plain):
    page = requests.get(plain.base + "/sparql", headers={"Accept": CHROMIUM_ACCEPT}, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    forms = _forms(page.text)
    catalogue = load_catalogue()
    assert set(forms) == set(catalogue)
    for name, q in catalogue.items():
        action, fields = forms[name]
        assert action == f"/catalogue/{name}"
        assert fields == [(p.name, not p.optional) for p in q.params], name
    # no link runs a catalogue text with its parameters left unbound
    assert "/sparql?query=" not in page.text


def test_catalogue_form_answers_chromium_with_a_table(plain, curated):
    """A catalogue form sent by a browser shows a table, not a raw results download."""
    r = requests.get(plain.base + "/catalogue/towns-in-programme", params={"programme": "PVD", "departement": "73"},
                     headers={"Accept": CHROMIUM_ACCEPT}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    expected = towns_in_programme(curated, PVD, "73")
    assert expected
    cells = re.findall(r"<tr><td>([^<]*)</td>", r.text)
    assert cells == expected
    head = re.findall(r"<th>([^<]*)</th>", r.text)
    assert head == load_catalogue()["towns-in-programme"].returns
    assert "programme PVD read as pvd" in r.text  # the normalisation is said


def test_catalogue_parameters_are_bound_not_pasted(plain, curated):
    """The parameters bind the query's variables (SPARQL JSON for a client), whatever the posted text."""
    cq = load_catalogue()["towns-in-programme"]
    r = requests.post(plain.base + "/catalogue/towns-in-programme",
                      data={"query": cq.text, "programme": "pvd", "departement": "73"},
                      headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+json")
    rows = r.json()["results"]["bindings"]
    assert [b["insee"]["value"] for b in rows] == towns_in_programme(curated, PVD, "73")
    assert {b["programme"]["value"] for b in rows} == {PVD}


def test_catalogue_with_a_date_runs_the_dated_text(plain, curated):
    """epci-ranking has a second text for `date` (epci-ranking.dated.rq): the endpoint runs it with a date,
    also when the page posts the text without a date unchanged; at 2000-01-01, before every source, no
    EPCI has a town (without a date the curated graph's EPCI do)."""
    cq = load_catalogue()["epci-ranking"]
    assert cq.dated_text

    def rows(**data):
        r = requests.post(plain.base + "/catalogue/epci-ranking", data={"query": cq.text, "programme": "pvd", **data},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert r.status_code == 200, r.text
        return [b["siren"]["value"] for b in r.json()["results"]["bindings"]]

    assert rows() and rows(date="2000-01-01") == []


def test_an_edited_catalogue_text_without_the_date_it_is_sent_is_a_400_naming_it(plain):
    """A page's text edited so that it no longer selects ?date, posted with a date: one line saying
    which variable and what to do (was an internal 500: Oxigraph refuses to bind an unselected variable)."""
    cq = load_catalogue()["epci-ranking"]
    edited = cq.text + "\n# edited: the text without a date, which does not select ?date\n"
    assert "?date" not in cq.text.split("WHERE", 1)[0]
    r = requests.post(plain.base + "/catalogue/epci-ranking", data={"query": edited, "programme": "pvd", "date": "2024-01-01"},
                      headers={"Accept": "text/csv"}, timeout=30)
    assert r.status_code == 400, r.text
    assert "does not select ?date" in r.text and "\n" not in r.text.strip()


@pytest.mark.parametrize("params,status,words", [
    ({"departement": "73"}, 400, "missing required parameter programme"),
    ({"programme": "pvd", "departement": "7x"}, 400, "departement='7x'"),
    ({"programme": "pvd", "nope": "1"}, 400, "unknown parameter 'nope'"),
])
def test_catalogue_bad_parameter_is_one_line(plain, params, status, words):
    r = requests.get(plain.base + "/catalogue/towns-in-programme", params=params, timeout=10)
    assert r.status_code == status and words in r.text and len(r.text.strip().splitlines()) == 1


@pytest.mark.parametrize("query,params,words", [
    ("towns-in-programme", {"programme": "nope"}, "no programme 'nope' in this graph"),
    ("programmes-of-town", {"insee": "99999"}, "no commune with code 99999 in this graph"),
])
def test_catalogue_values_are_checked_on_the_graph(plain, query, params, words):
    """A value of the right form that names nothing in the graph is refused, not an empty answer."""
    r = requests.get(plain.base + f"/catalogue/{query}", params=params, headers={"Accept": CHROMIUM_ACCEPT}, timeout=30)
    assert r.status_code == 400 and words in r.text and len(r.text.strip().splitlines()) == 1


def test_catalogue_commune_by_name_as_the_cli(plain, curated):
    """``insee=Albertville`` is looked up in the graph, said on the page, and answers as its code does."""
    code = str(curated.value(predicate=RDFS.label, object=Literal("Albertville", lang="fr"), any=False)).rsplit("/", 1)[1]
    pages = [requests.get(plain.base + "/catalogue/programmes-of-town", params={"insee": v},
                          headers={"Accept": CHROMIUM_ACCEPT}, timeout=30) for v in ("Albertville", code)]
    assert [r.status_code for r in pages] == [200, 200]
    assert f"insee Albertville read as {code}" in pages[0].text
    table = [re.search(r"<table>.*</table>", r.text, re.S).group(0) for r in pages]
    assert table[0] == table[1] and table[0].count("<tr>") > 1


def test_unknown_catalogue_query_is_404(plain):
    assert requests.get(plain.base + "/catalogue/no-such-query", timeout=10).status_code == 404


def test_plain_form_when_the_editor_is_absent(plain):
    page = requests.get(plain.base + "/sparql", headers={"Accept": CHROMIUM_ACCEPT}, timeout=10).text
    assert '<textarea name="query">' in page and "<script" not in page
    assert "Éditeur YASGUI absent" in page
    assert "YASGUI not found" in plain.output() and "npm install" in plain.output()
    assert requests.get(plain.base + "/assets/yasgui.min.js", timeout=10).status_code == 404


def test_editor_files_served_from_the_install_folder(with_editor, fake_editor):
    r = requests.get(with_editor.base + "/sparql", headers={"Accept": CHROMIUM_ACCEPT}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script defer src="/assets/yasgui.min.js"></script>' in r.text and '<div id="yasgui"' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "connect-src 'self'" in csp
    build = fake_editor / "node_modules" / "@triply" / "yasgui" / "build"
    for name in ("yasgui.min.js", "yasgui.min.css"):
        got = requests.get(with_editor.base + "/assets/" + name, timeout=10)
        assert got.status_code == 200 and got.content == (build / name).read_bytes()
    setup = requests.get(with_editor.base + "/assets/pvd-yasgui.js", timeout=10)
    assert setup.status_code == 200 and "new Yasgui(" in setup.text
    assert requests.get(with_editor.base + "/assets/..%2Fsecret", timeout=10).status_code == 404
    assert f"YASGUI from {build}" in with_editor.output()
    # entity pages keep their script-free policy
    entity = requests.get(with_editor.base + "/id/commune/73011", headers={"Accept": "text/html"}, timeout=10)
    assert entity.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in entity.headers["content-security-policy"]


def test_assets_folder_without_the_editor_is_one_line(curated_build, tmp_path):
    result = run_serve("--graph", str(curated_build), "--port", str(free_port()), "--assets", str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("pvd-graph serve: error: --assets") and "npm install" in lines[-1]
    assert "Traceback" not in result.stderr


# --- entity pages: labels, order, types of what points here, paging


ALBERTVILLE = URIRef("https://w3id.org/pvd-graph/id/commune/73011")
PVD_NS = "https://w3id.org/pvd-graph/ontology#"


def _section(page: str, heading: str) -> str:
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def _french(graph: Graph, node) -> str | None:
    return next((str(o) for o in graph.objects(node, RDFS.label) if getattr(o, "language", None) == "fr"), None)


@pytest.fixture(scope="module")
def served(curated_build) -> Graph:
    """What the curated build serves: the curated files and the facts the build derives from them
    (graph.nt, parsed apart from the server; e.g. the participations a signed convention implies)."""
    return Graph().parse(curated_build / resources.GRAPH_NT, format="nt")


def test_entity_facts_have_ontology_labels_in_reading_order(plain, served, curated_build, ontology):
    curated = served
    page = requests.get(plain.base + "/id/commune/73011", headers={"Accept": CHROMIUM_ACCEPT}, timeout=10).text
    # an identifier node (…/73011#insee, from alignments.nt) is one row, its own facts nested in it
    top = re.sub(r'(<a id="[^"]+" class="iri">#[^<]+</a>)<table>.*?</table>', r"\1", _section(page, "Faits"))
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", top)
    shown = [re.search(r'<span class="iri">([^<]+)</span>', prop).group(1) for prop, _ in rows]
    alignments = Graph().parse(curated_build / resources.ALIGNMENTS_NT, format="nt")
    facts = set(curated.predicate_objects(ALBERTVILLE)) | set(alignments.predicate_objects(ALBERTVILLE))
    assert len(rows) == len(facts)
    for (prop, _), short in zip(rows, shown):
        if short.startswith("pvd:"):
            label = _french(ontology, URIRef(PVD_NS + short[4:]))
            assert label and prop.startswith(f"{label} <span"), (short, prop)
    # label, type, then codes and figures (literal values), then relations
    kind, names = {}, Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        names.bind(prefix, namespace)
    for p, o in facts:
        short = names.namespace_manager.curie(p)
        kind[short] = 0 if p == RDFS.label else 1 if p == RDF.type else 2 if isinstance(o, Literal) else 3
    groups = [kind[s] for s in shown]
    assert groups == sorted(groups) and groups[:2] == [0, 1]


def test_entity_incoming_resources_have_their_type_and_a_label(plain, served, ontology):
    curated = served
    page = requests.get(plain.base + "/id/commune/73011", headers={"Accept": CHROMIUM_ACCEPT}, timeout=10).text
    links = _section(page, "Liens entrants")
    rows = re.findall(r'<tr><td><a href="/id/([^"]+)">([^<]*)</a>.*?</td><td>(.*?)</td><td>.*?</td></tr>', links)
    incoming = {s for s, _ in curated.subject_predicates(ALBERTVILLE)}
    assert {URIRef("https://w3id.org/pvd-graph/id/" + path) for path, _, _ in rows} == incoming
    everything = curated + ontology
    for path, text, types in rows:
        subject = URIRef("https://w3id.org/pvd-graph/id/" + path)
        kinds = set(everything.objects(subject, RDF.type))
        specific = {k for k in kinds if not any(u != k and (u, RDFS.subClassOf * "+", k) in everything for u in kinds)}
        assert sorted(unescape(t) for t in re.findall(r">([^<]+)</a>", types)) == \
            sorted(_french(ontology, k) or curated.namespace_manager.curie(k) for k in specific), path
        if (subject, URIRef(PVD_NS + "participant"), ALBERTVILLE) in curated:
            programme = curated.value(subject, URIRef(PVD_NS + "inProgramme"))
            assert unescape(text) == f"Participation : Albertville — {_french(curated, programme)}"
        else:
            assert unescape(text) in {str(o) for o in curated.objects(subject, RDFS.label)}, path


@pytest.mark.parametrize("page", ["0", "x", "-1"])
def test_entity_bad_page_number_is_400(plain, page):
    r = requests.get(plain.base + "/id/commune/73011", params={"page": page}, headers={"Accept": "text/html"}, timeout=10)
    assert r.status_code == 400 and "page=" in r.text


# --- the vocabulary at its own IRIs, the VoID description, the w3id.org rules

REPO = Path(__file__).resolve().parents[1]


def test_ontology_page_and_turtle(plain, ontology):
    html = requests.get(plain.base + "/ontology", headers={"Accept": CHROMIUM_ACCEPT}, timeout=10)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Accept" in html.headers["vary"]
    terms = {s for s in ontology.subjects(RDF.type, None) if str(s).startswith(PVD_NS)
             and set(ontology.objects(s, RDF.type)) & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}}
    assert len(terms) > 50
    for term in terms:
        local = str(term)[len(PVD_NS):]
        assert f'<tr id="{local}"><td><b>{escape(_french(ontology, term))}</b>' in html.text, local
    turtle = requests.get(plain.base + "/ontology", headers={"Accept": "text/turtle"}, timeout=10)
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert turtle.content == resources.ONTOLOGY_FILE.read_bytes()
    jsonld = requests.get(plain.base + "/ontology", params={"format": "jsonld"}, timeout=10)
    assert isomorphic(Graph().parse(data=jsonld.content, format="json-ld"), ontology)


def test_entity_types_link_to_the_ontology_page(plain):
    page = requests.get(plain.base + "/id/commune/73011", headers={"Accept": "text/html"}, timeout=10).text
    assert '<a href="/ontology#Commune">' in page


def test_shapes_page_and_turtle(plain):
    shapes = Graph()  # read here: the session's shapes graph may have been added to by other tests
    for path in resources.shapes_files():
        shapes.parse(path, format="turtle")
    turtle = requests.get(plain.base + "/shapes", headers={"Accept": "text/turtle"}, timeout=10)
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    assert isomorphic(Graph().parse(data=turtle.content, format="turtle"), shapes)
    html = requests.get(plain.base + "/shapes", headers={"Accept": CHROMIUM_ACCEPT}, timeout=10).text
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    assert node_shapes
    for shape in node_shapes:
        assert f'<tr id="{str(shape).rsplit("#", 1)[1]}">' in html


def test_void_at_its_well_known_path(plain, curated_build):
    r = requests.get(plain.base + "/.well-known/void", headers={"Accept": "text/turtle"}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    expected = Graph().parse(curated_build / resources.VOID_TTL, format="turtle")
    # and the linkset the endpoint loads beside it (alignments.nt), with its distinct triples counted
    from pvd_graph.server.ontology_pages import alignments_linkset
    from pvd_graph.store import rdflib_graph
    from serve_support import alignment_triples

    expected += rdflib_graph(alignments_linkset(len(alignment_triples(curated_build))))
    assert isomorphic(Graph().parse(data=r.content, format="turtle"), expected)


def test_w3id_rules_lead_to_pages_the_server_answers(plain):
    """Each IRI form of the graph, rewritten by deploy/w3id/.htaccess, is a path this server answers."""
    rules = re.findall(r"^RewriteRule (\S+) (\S+) \[([^\]]+)\]", (REPO / "deploy/w3id/.htaccess").read_text(), re.M)
    assert rules
    iris = ["ontology", "ontology/0.1.0", "shapes", "id/commune/73011", "id/programme/pvd", "dataset", "sparql", ""]
    for iri in iris:
        rule = next(((pattern, target, flags) for pattern, target, flags in rules if re.search(pattern, iri)), None)
        assert rule, f"no w3id rule for https://w3id.org/pvd-graph/{iri}"
        pattern, target, flags = rule
        assert re.search(r"R=30[237]", flags)
        url = re.sub(pattern, target.replace("$", "\\"), iri).replace("https://DEPLOYMENT", plain.base)
        r = requests.get(url, headers={"Accept": "text/turtle"}, timeout=10, allow_redirects=False)
        assert r.status_code in (200, 302), (iri, url, r.status_code)


# --- entity pages on the enlarged national build: a programme of thousands, a source, a town

PVD_IRI = ox.NamedNode(PVD)


@pytest.fixture(scope="module")
def national(enlarged_build, tmp_path_factory):
    with serving(enlarged_build, tmp_path_factory) as srv:
        yield srv


@pytest.fixture(scope="module")
def national_triples(enlarged_build) -> list:
    with open(enlarged_build / resources.GRAPH_NT, "rb") as fh:
        return list(ox.parse(fh, format=ox.RdfFormat.N_TRIPLES))


def test_programme_page_counts_and_pages_every_link(national, national_triples):
    incoming = {t for t in national_triples if t.object == PVD_IRI}
    participations = {t.subject for t in incoming if t.predicate.value == PVD_NS + "inProgramme"}
    assert len(incoming) > 2000 and participations
    pages = -(-len(incoming) // 200)
    first = requests.get(national.base + "/id/programme/pvd", headers={"Accept": CHROMIUM_ACCEPT}, timeout=60)
    assert first.status_code == 200 and len(first.content) < 150_000
    said = re.search(r"<p>([\d\u202f]+) liens entrants ; ici 1 à 200 \(page 1 sur (\d+)\)", first.text)
    assert said and int(said.group(1).replace("\u202f", "")) == len(incoming) and int(said.group(2)) == pages
    counts = re.findall(r'<td><a href="/ontology#Participation">participation</a></td><td>([\d\u202f]+)</td>', first.text)
    assert [int(c.replace("\u202f", "")) for c in counts] == [len(participations)]
    seen = set()
    for n in range(1, pages + 1):
        page = first if n == 1 else requests.get(national.base + "/id/programme/pvd", params={"page": n},
                                                 headers={"Accept": "text/html"}, timeout=60)
        rows = re.findall(r'<tr><td><a href="/id/([^"]+)">', _section(page.text, "Liens entrants"))
        assert len(rows) == (200 if n < pages else len(incoming) - 200 * (pages - 1))
        seen.update(rows)
    assert seen == {t.subject.value[len("https://w3id.org/pvd-graph/id/"):] for t in incoming}
    # the RDF description keeps 2,000 links and says so
    ttl = requests.get(national.base + "/id/programme/pvd", headers={"Accept": "text/turtle"}, timeout=60)
    assert ttl.headers["x-incoming-links"].startswith(f"2000 of {len(incoming)} shown")
    assert ttl.text.startswith(f"# 2000 of the {len(incoming)} incoming links")


def test_source_page_shows_its_checksum_once(national):
    """The checksum of the COG communes file (computed here from the file) appears once on its source's page,
    nested in the row of its property (no ``_:b0`` row with a second table repeating it)."""
    import hashlib

    digest = hashlib.sha256((SHARED_DATA / "cog" / "communes.json").read_bytes()).hexdigest()
    page = requests.get(national.base + "/id/source/cog-communes", headers={"Accept": "text/html"}, timeout=60).text
    assert page.count(digest) == 1
    assert "<code>_:" not in page  # the checksum node is its facts, nested in the row, not a label shown again
    assert "xsd:integer" not in page and "xsd:gYear" not in page


def test_town_page_values_and_points(national, national_triples):
    town = ox.NamedNode(str(ALBERTVILLE))
    page = requests.get(national.base + "/id/commune/73011", headers={"Accept": "text/html"}, timeout=60).text
    population = next(t.object for t in national_triples if t.subject == town and t.predicate.value == PVD_NS + "population")
    assert f"<td>{population.value}</td>" in page and "xsd:integer" not in page
    points = [t.object for t in national_triples if t.subject == town and t.object.value.startswith(town.value + "#")]
    assert points
    for point in points:
        fragment = point.value.split("#", 1)[1]
        assert page.count(f'<a id="{fragment}"') == 1
        for t in national_triples:
            if t.subject == point and isinstance(t.object, ox.Literal):
                assert escape(t.object.value) in page, (point, t.predicate)
