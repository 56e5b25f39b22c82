"""Exports: every format round-trips, sorted formats are byte-stable, JSON-LD reads with short keys."""

from __future__ import annotations

import io
import json
import re

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from pvd_graph import export, resources, store
from pvd_graph.cli import main
from pvd_graph.namespaces import ID, ID_PREFIXES

SMALL = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/pvd-graph/id/> .
<https://w3id.org/pvd-graph/graph/curated> {
  id:commune\\/73011 a pvd:Commune ; rdfs:label "Albertville"@fr ; pvd:inseeCode "73011" ;
      pvd:population 19120 ; pvd:memberOf id:epci\\/200068997 ; pvd:participatesIn id:programme\\/pvd .
  id:convention\\/pvd-albertville-ort-2023 a pvd:ORTConvention ; pvd:signedOn "2023-07-11"^^xsd:date ;
      rdfs:label "Convention « ORT » d'Albertville"@fr ; pvd:concerns id:commune\\/73011 .
}
<https://w3id.org/pvd-graph/graph/cog-communes> {
  id:commune\\/73011 a pvd:Commune ; rdfs:label "Albertville"@fr , "Albertville"@en ; pvd:population 19120 .
  id:commune\\/73303 a pvd:Commune ; rdfs:label "Ugine"@fr ; pvd:memberOf id:epci\\/200068997 .
}
"""


@pytest.fixture()
def small(tmp_path):
    path = tmp_path / "small.trig"
    path.write_text(SMALL, encoding="utf-8")
    return path


def _export(ds, fmt) -> bytes:
    buf = io.BytesIO()
    export.export(ds, fmt, buf)
    return buf.getvalue()


def _union(path) -> Graph:
    """The union graph of a dataset file, by rdflib's own parser (the reference)."""
    ds = Dataset()
    ds.parse(path, format="trig")
    g = Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def _suffix(fmt: str) -> str:
    return export.FORMATS[export.SYNTAX[fmt]][1]


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld-union", "rdfxml"])
def test_triple_formats_round_trip_to_the_union(small, tmp_path, fmt):
    ds = _open(small, fmt)
    out = tmp_path / f"out{_suffix(fmt)}"
    result = export.export_file(ds, fmt, out)
    back = Graph().parse(out, format=export.RDFLIB_FORMATS[fmt])
    expected = _union(small)
    assert isomorphic(back, expected)
    assert result.statements == len(expected) == 14
    assert result.bytes == out.stat().st_size


@pytest.mark.parametrize("fmt", ["nq", "trig", "jsonld"])
def test_dataset_formats_keep_one_graph_per_source(small, tmp_path, fmt):
    ds = _open(small, fmt)
    out = tmp_path / f"out{export.FORMATS[fmt][1]}"
    export.export_file(ds, fmt, out)
    back = export.read_back(out, fmt)
    ref = ox.Store()
    ref.bulk_load(path=str(small), format=ox.RdfFormat.TRIG)
    assert {str(q) for q in back} == {str(q) for q in ref}
    assert {str(g) for g in back.named_graphs()} == {
        "<https://w3id.org/pvd-graph/graph/curated>", "<https://w3id.org/pvd-graph/graph/cog-communes>"}


@pytest.mark.parametrize("fmt", ["nt", "nq"])
def test_line_formats_are_sorted_unique_and_stable(small, fmt):
    first = _export(_open(small, fmt), fmt)
    second = _export(_open(small, fmt), fmt)  # a second store: the blank nodes get other labels
    assert first == second
    lines = first.decode("utf-8").splitlines()
    assert lines == sorted(set(lines))
    # a triple present in two graphs is written once in N-Triples, once per graph in N-Quads
    typed = [line for line in lines if line.startswith("<https://w3id.org/pvd-graph/id/commune/73011> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>")]
    assert len(typed) == (1 if fmt == "nt" else 2)


def test_turtle_uses_the_project_prefixes(small):
    text = _export(store.open_built(small), "ttl").decode("utf-8")
    assert "@prefix pvd: <https://w3id.org/pvd-graph/ontology#> ." in text
    assert "<https://w3id.org/pvd-graph/ontology#" not in text.split("@prefix void")[-1]


@pytest.mark.parametrize("fmt", ["ttl", "trig"])
def test_turtle_and_trig_name_resources_by_type(small, fmt):
    """``commune:73011``, not ``id:commune\\/73011``; TriG names its graphs ``graph:curated``."""
    text = _export(_open(small, fmt), fmt).decode("utf-8")
    assert "\\/" not in text and "<https://w3id.org/pvd-graph/id/" not in text.split("@prefix void")[-1]
    assert "@prefix commune: <https://w3id.org/pvd-graph/id/commune/> ." in text
    assert "commune:73011 " in text and "convention:pvd-albertville-ort-2023" in text
    assert ("graph:curated {" in text) == (fmt == "trig")


def test_jsonld_uses_the_published_context(small):
    doc = json.loads(_export(store.open_built(small), "jsonld-union"))
    with open(resources.CONTEXT_FILE, encoding="utf-8") as fh:
        assert doc["@context"] == json.load(fh)["@context"]
    nodes = {n["@id"]: n for n in doc["@graph"]}
    albertville = nodes["commune:73011"]
    assert albertville["label"] == "Albertville"
    assert albertville["rdfs:label"] == {"@language": "en", "@value": "Albertville"}
    assert albertville["memberOf"] == "epci:200068997"
    assert albertville["participatesIn"] == "programme:pvd"
    assert albertville["population"] == "19120"
    assert albertville["type"] == "Commune"
    ort = nodes["convention:pvd-albertville-ort-2023"]
    assert ort["signedOn"] == "2023-07-11" and ort["type"] == "ORTConvention"
    assert [n["@id"] for n in doc["@graph"]] == sorted(nodes)


@pytest.mark.parametrize("fmt", ["jsonld", "jsonld-union"])
def test_jsonld_batches_do_not_change_the_graph(small, monkeypatch, fmt):
    ds = _open(small, fmt)
    whole = _export(ds, fmt)
    monkeypatch.setattr(export, "_NODES_PER_WRITE", 1)
    assert _export(ds, fmt) == whole


def test_cli_writes_file_and_stdout(small, tmp_path, capsysbinary):
    out = tmp_path / "x.nt"
    assert main(["export", "--graph", str(small), "--format", "nt", "--out", str(out), "-q"]) == 0
    assert main(["export", "--graph", str(small), "--format", "nt", "-q"]) == 0
    assert capsysbinary.readouterr().out == out.read_bytes()
    assert out.read_bytes().count(b"\n") == 14


def test_issue_12_out_in_a_missing_folder_is_refused_not_created(small, tmp_path, capsys):
    out = tmp_path / "no" / "such" / "x.ttl"
    assert main(["export", "--graph", str(small), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(out) in err and "does not exist" in err
    assert not (tmp_path / "no").exists()


def test_issue_12_an_unwritable_out_names_the_users_file(small, capsys):
    # /proc refuses new files: the message names /proc/x.ttl, not the temporary sibling
    assert main(["export", "--graph", str(small), "--out", "/proc/x.ttl", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "/proc/x.ttl: cannot write" in err and "/proc/.x.ttl." not in err


def test_issue_12_export_counts_what_it_loaded(small, tmp_path, capsys):
    assert main(["export", "--graph", str(small), "-f", "nt", "--out", str(tmp_path / "x.nt")]) == 0
    assert main(["export", "--graph", str(small), "-f", "nq", "--out", str(tmp_path / "x.nq")]) == 0
    err = capsys.readouterr().err
    triples = (tmp_path / "x.nt").read_bytes().count(b"\n")
    quads = (tmp_path / "x.nq").read_bytes().count(b"\n")
    assert triples != quads  # the small file states one triple in two graphs
    assert f"loaded {triples} triples" in err and f"loaded {quads} quads" in err


def test_cli_missing_graph_is_one_line_error(tmp_path, capsys):
    assert main(["export", "--graph", str(tmp_path / "nope"), "--format", "ttl"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err


@pytest.mark.parametrize("alias", [*export.ALIASES, "Turtle", "N-Triples", "RDF/XML", "JSON-LD", "TTL"])
def test_format_aliases(small, capsysbinary, alias):
    name = export.ALIASES.get(alias.lower(), alias.lower())
    assert main(["export", "--graph", str(small), "-f", alias, "-q"]) == 0
    assert capsysbinary.readouterr().out == _export(_open(small, name), name)


def test_unknown_format_is_one_line_listing_the_known_ones(small, capsys):
    assert main(["export", "--graph", str(small), "-f", "n3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'n3'" in err
    for name in [*export.FORMATS, *export.ALIASES]:
        assert name in err


@pytest.mark.parametrize("fmt", list(export.FORMATS))
def test_the_out_extension_chooses_the_format(small, tmp_path, fmt):
    """``export -o x.nt`` writes N-Triples (it wrote Turtle, which ``--graph x.nt`` could not read)."""
    for ext in store.SYNTAXES[fmt][2]:
        out = tmp_path / f"x{ext}"
        assert main(["export", "--graph", str(small), "--out", str(out), "-q"]) == 0
        assert out.read_bytes() == _export(_open(small, fmt), fmt)


@pytest.mark.parametrize("argv, expected", [
    (["-f", "nt", "--out", "x.ttl"], "announces ttl, not nt; name it .nt or choose -f ttl"),
    (["-f", "json-ld", "--out", "x.rdf"], "announces rdfxml, not jsonld"),
    (["--out", "x.txt"], "unknown RDF file extension '.txt'"),
    (["-f", "nq", "--out", "x"], "no file extension"),
])
def test_an_out_file_that_could_not_be_read_back_is_refused(small, tmp_path, capsys, argv, expected):
    folder = tmp_path / "out"
    folder.mkdir()
    argv = [*argv[:-1], str(folder / argv[-1])]
    assert main(["export", "--graph", str(small), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err
    assert list(folder.iterdir()) == []


# --- on the real builds ---------------------------------------------------------------------------

def _open(build, fmt):
    """A build opened as the export command does: named graphs for N-Quads and TriG, else the union."""
    return store.open_built(build, graphs="named" if fmt in export.DATASET_FORMATS else "union")


@pytest.mark.parametrize("fmt", list(export.SYNTAX))
def test_curated_build_round_trips(curated_build, tmp_path, fmt):
    """An export read back by rdflib is the build's file as rdflib reads it (the reference)."""
    out = tmp_path / f"curated{_suffix(fmt)}"
    export.export_file(_open(curated_build, fmt), fmt, out)
    if fmt in export.DATASET_FORMATS:
        ds = Dataset()
        ds.parse(curated_build / resources.DATASET_NQ, format="nquads")
        back = Dataset()
        back.parse(out, format=export.RDFLIB_FORMATS[fmt])
        assert {str(c.identifier) for c in back.graphs() if len(c)} == {str(c.identifier) for c in ds.graphs() if len(c)}
        for ctx in ds.graphs():
            if len(ctx):
                assert isomorphic(back.graph(ctx.identifier), ctx), ctx.identifier
    else:
        back = Graph().parse(out, format=export.RDFLIB_FORMATS[fmt])
        assert isomorphic(back, Graph().parse(curated_build / resources.GRAPH_NT, format="nt"))


@pytest.mark.parametrize("fmt, name", [("nt", resources.GRAPH_NT), ("nq", resources.DATASET_NQ)])
def test_curated_lines_match_the_build_file_and_are_stable(curated_build, fmt, name):
    """Same statements as the build's own file; blank nodes (ontology unionOf lists) get canonical
    labels, so two exports of two loads are byte-identical although the parser picks new labels."""
    first = _export(_open(curated_build, fmt), fmt)
    assert first == _export(_open(curated_build, fmt), fmt)
    ours = first.decode("utf-8").splitlines()
    theirs = (curated_build / name).read_text(encoding="utf-8").splitlines()
    assert len(ours) == len(theirs)
    assert any("_:" in line for line in ours)
    assert {x for x in ours if "_:" not in x} == {x for x in theirs if "_:" not in x}


def test_albertville_jsonld_is_readable(curated_build):
    doc = json.loads(_export(store.open_built(curated_build), "jsonld-union"))
    nodes = {n["@id"]: n for n in doc["@graph"]}
    albertville = nodes["commune:73011"]
    assert albertville["label"] == "Albertville"
    assert albertville["memberOf"] == "epci:200068997"
    programmes = albertville["participatesIn"]
    assert "programme:pvd" in (programmes if isinstance(programmes, list) else [programmes])
    framework = nodes["convention:pvd-arlysere-convention-cadre-2023"]
    assert framework["signedOn"] == "2023-07-03"
    assert {"commune:73011", "commune:73303", "epci:200068997", "organisation:etat"} <= set(framework["signatory"])
    assert nodes["convention:pvd-albertville-ort-2023"]["partOf"] == "convention:pvd-arlysere-convention-cadre-2023"


def _assert_same_statements(got: list[str], expected: list[str], dataset: bool) -> None:
    """Same N-Triples/N-Quads lines; the few with blank nodes (labels differ by design) by isomorphism."""
    assert len(got) == len(expected) > 300_000
    assert {x for x in got if "_:" not in x} == {x for x in expected if "_:" not in x}
    blank_got = [x for x in got if "_:" in x]
    blank_expected = [x for x in expected if "_:" in x]
    assert blank_expected and len(blank_got) == len(blank_expected)
    if dataset:
        a, b = Dataset(), Dataset()
        a.parse(data="\n".join(blank_got), format="nquads")
        b.parse(data="\n".join(blank_expected), format="nquads")
        assert {str(c.identifier) for c in a.graphs() if len(c)} == {str(c.identifier) for c in b.graphs() if len(c)}
        for c in b.graphs():
            if len(c):
                assert isomorphic(a.graph(c.identifier), c)
    else:
        assert isomorphic(Graph().parse(data="\n".join(blank_got), format="nt"),
                          Graph().parse(data="\n".join(blank_expected), format="nt"))


def _assert_readable_turtle(text: str) -> None:
    """Per-type prefixes (``commune:73011``), never an escaped slash (``id:commune\\/73011``)."""
    assert "\\/" not in text
    for name, iri in ID_PREFIXES.items():
        assert f"@prefix {name}: <{iri}> ." in text
    assert "commune:73011 " in text and "epci:200068997" in text and "programme:pvd" in text


@pytest.mark.parametrize("fmt", list(export.SYNTAX))
def test_national_build_round_trips(national_build, tmp_path, fmt):
    """Counts and the set of N-Triples/N-Quads lines, compared in Oxigraph (rdflib is too slow here;
    for JSON-LD, Oxigraph's JSON-LD 1.1 processor expands our compacted output: graph names included);
    the few statements with blank nodes (labels differ by design) are compared by isomorphism."""
    ds = _open(national_build, fmt)
    out = tmp_path / f"national{_suffix(fmt)}"
    export.export_file(ds, fmt, out)
    back = export.read_back(out, fmt)
    if fmt in export.DATASET_FORMATS:
        expected = (national_build / resources.DATASET_NQ).read_bytes().decode("utf-8").splitlines()
        got = back.dump(ox.RdfFormat.N_QUADS).decode("utf-8").splitlines()
    else:
        expected = (national_build / resources.GRAPH_NT).read_bytes().decode("utf-8").splitlines()
        got = back.dump(ox.RdfFormat.N_TRIPLES, graph=ox.DefaultGraph()).decode("utf-8").splitlines()
    _assert_same_statements(got, expected, fmt in export.DATASET_FORMATS)
    if fmt in ("ttl", "trig"):
        _assert_readable_turtle(out.read_text(encoding="utf-8"))


def test_the_builds_turtle_is_readable_and_is_graph_nt(national_build):
    text = (national_build / resources.GRAPH_TTL).read_text(encoding="utf-8")
    _assert_readable_turtle(text)
    back = ox.Store()
    back.bulk_load(text.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    got = back.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode("utf-8").splitlines()
    expected = (national_build / resources.GRAPH_NT).read_text(encoding="utf-8").splitlines()
    _assert_same_statements(got, expected, dataset=False)


def _id_namespaces(build) -> dict[str, str]:
    """``type`` → ``https://w3id.org/pvd-graph/id/<type>/`` of every resource IRI of *build*'s dataset.nq."""
    types = set(re.findall(r"<https://w3id\.org/pvd-graph/id/([^/>]+)/",
                           (build / resources.DATASET_NQ).read_text(encoding="utf-8")))
    return {name: f"{ID}{name}/" for name in types}


def assert_context_covers_the_id_namespaces(build) -> None:
    """Each ``id/<type>/`` namespace of *build* is a prefix of the JSON-LD context, of that same name
    (issue 20: ``participation:…``, not ``id:participation/…``), and of the Turtle prefixes."""
    found = _id_namespaces(build)
    context = export.load_context()
    assert {name: iri for name, iri in found.items() if context.get(name) != iri} == {}
    assert found.items() <= ID_PREFIXES.items()
    in_context = {k: v for k, v in context.items() if isinstance(v, str) and v.startswith(ID) and v != ID}
    assert in_context == ID_PREFIXES


def test_every_resource_type_has_its_prefix(national_build):
    """Each ``id/<type>/`` of the national graph has a prefix in Turtle and in the JSON-LD context."""
    assert {"commune", "epci", "departement", "region", "programme", "convention"} <= set(_id_namespaces(national_build))
    assert_context_covers_the_id_namespaces(national_build)


def test_every_resource_type_of_the_enlarged_build_has_its_prefix(enlarged_build):
    """The enlarged build (both shared folders) mints participations, ORT, QPV, typologies, territories,
    memberships, groupings and France services: each namespace has its context prefix."""
    assert {"participation", "ort", "qpv", "typology", "membership", "france-services"} <= set(_id_namespaces(enlarged_build))
    assert_context_covers_the_id_namespaces(enlarged_build)


# --- JSON-LD: the dataset form, the context's terms, bounded memory (issue 20) -----------------------

def test_jsonld_is_the_dataset_and_jsonld_union_the_union(small, tmp_path):
    """``-f jsonld``: one node object per named graph (its IRI as ``@id``, its nodes in ``@graph``), read
    back by rdflib's JSON-LD parser as the same quads; ``-f jsonld-union``: the union, each triple once."""
    out, union = tmp_path / "x.jsonld", tmp_path / "u.jsonld"
    assert main(["export", "--graph", str(small), "-f", "jsonld", "-o", str(out), "-q"]) == 0
    assert main(["export", "--graph", str(small), "-f", "jsonld-union", "-o", str(union), "-q"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    graphs = {g["@id"]: g["@graph"] for g in doc["@graph"]}
    assert set(graphs) == {"graph:cog-communes", "graph:curated"}
    assert {n["@id"] for n in graphs["graph:cog-communes"]} == {"commune:73011", "commune:73303"}
    expected, back = Dataset(), Dataset()
    expected.parse(small, format="trig")
    back.parse(out, format="json-ld")
    assert {str(c.identifier) for c in back.graphs() if len(c)} == {str(c.identifier) for c in expected.graphs() if len(c)}
    for ctx in expected.graphs():
        if len(ctx):
            assert isomorphic(back.graph(ctx.identifier), ctx), ctx.identifier
    assert isomorphic(Graph().parse(union, format="json-ld"), _union(small))
    assert "graph:" not in union.read_text(encoding="utf-8").split('"@graph"', 1)[1]


def test_jsonld_with_small_sort_runs_is_the_same(curated_build, monkeypatch):
    """The external sort (runs merged) gives the output of one run."""
    for fmt in ("jsonld", "jsonld-union"):
        whole = _export(_open(curated_build, fmt), fmt)
        monkeypatch.setattr(export, "_RUN_BYTES", 2000)
        assert _export(_open(curated_build, fmt), fmt) == whole
        monkeypatch.undo()


@pytest.mark.parametrize("fmt", ["nt", "jsonld-union"])
def test_issue_20_a_builds_union_is_read_from_graph_nt_with_the_same_bytes(curated_build, tmp_path, fmt):
    """A build opened for a union format reads its sorted graph.nt instead of dumping and sorting the
    store: the same bytes as the store's own dump sorted (the store loaded from a copy of the file,
    which is not a build's, so not read so)."""
    ds = export.open_for_export(curated_build, fmt)
    assert ds.sorted_union_file() == curated_build / resources.GRAPH_NT
    copy = tmp_path / "copy.nt"
    copy.write_bytes((curated_build / resources.GRAPH_NT).read_bytes())
    dumped = export.open_for_export(copy, fmt)
    assert dumped.sorted_union_file() is None
    assert _export(ds, fmt) == _export(dumped, fmt)


def test_issue_20_a_changed_store_or_file_is_not_read_from_graph_nt(curated_build, tmp_path):
    """The shortcut holds only while neither the store nor graph.nt has changed since the build was opened."""
    ds = export.open_for_export(curated_build, "nt")
    extra = ox.Quad(ox.NamedNode(f"{ID}commune/00000"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                    ox.Literal("Nouvelle"), ox.DefaultGraph())
    ds.extend([extra])
    assert ds.sorted_union_file() is None
    assert f"{extra.triple} .".encode() in _export(ds, "nt").splitlines()
    folder = tmp_path / "build"
    folder.mkdir()
    for name in (resources.GRAPH_NT, resources.MANIFEST_JSON):
        (folder / name).write_bytes((curated_build / name).read_bytes())
    ds = export.open_for_export(folder, "nt")
    assert ds.sorted_union_file() == folder / resources.GRAPH_NT
    (folder / resources.GRAPH_NT).write_bytes(b"")  # replaced after the store was loaded
    assert ds.sorted_union_file() is None
    assert _export(ds, "nt") == (curated_build / resources.GRAPH_NT).read_bytes()


def test_issue_20_iris_compact_by_their_namespace_as_each_alone_would():
    """The compactor applies a namespace's rule learnt from its first IRI (speed); every IRI gets what
    the full computation gives it alone, in either order, also where a term is named like a compact
    IRI (``commune:2``), a prefix is declared longer than the namespace (``c7`` for ``…/commune/7``),
    an IRI is a term's own, or its last segment is not plain."""
    context = {**export.load_context(), "commune:2": {"@id": "http://example.org/other"},
               "c7": {"@id": f"{ID}commune/7", "@prefix": True}}
    iris = [f"{ID}commune/{x}" for x in ("1", "2", "3", "73011", "7x", "a%20b", "")] + [
        f"{ID}epci/200068997", f"{ID}epci/2", "http://example.org/other", "http://example.org/a/b",
        "http://example.org/a/c", f"{ID}commune/1#x", "https://w3id.org/pvd-graph/ontology#memberOf"]
    alone = {}
    for iri in iris:
        compactor = export._Compactor(context)
        alone[iri] = compactor.iri(f"<{iri}>".encode())
        assert alone[iri] == compactor._compact(iri)
    assert alone[f"{ID}commune/73011"] == "commune:73011" and alone[f"{ID}epci/2"] == "epci:2"
    for order in (iris, iris[::-1]):
        compactor = export._Compactor(context)
        assert {iri: compactor.iri(f"<{iri}>".encode()) for iri in order} == alone


def test_jsonld_names_keep_their_meaning_when_a_term_could_mislead(tmp_path):
    """A vocabulary name that is another property's term (``pvd:label`` would read as ``label``, i.e.
    rdfs:label @fr) and values a coerced term would misread (an English label, a decimal population,
    a plain string under ``memberOf``) keep explicit forms: expanded, the same quads."""
    path = tmp_path / "tricky.trig"
    path.write_text("""
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/pvd-graph/graph/g> {
  <https://w3id.org/pvd-graph/id/commune/1> a pvd:label ; pvd:label "x" ; rdfs:label "A"@fr , "A"@en , "A" ;
      pvd:population 12 , "1.5"^^xsd:decimal , "n" ; pvd:memberOf <https://w3id.org/pvd-graph/id/epci/2> , "e" ;
      pvd:note "l1\\nl2 \\"q\\" \\\\ \\u00e9" ;
      pvd:link <https://w3id.org/pvd-graph/id/participation/commune-1-pvd> , <http://example.org/a#b> .
}
""", encoding="utf-8")
    out = tmp_path / "tricky.jsonld"
    assert main(["export", "--graph", str(path), "-f", "jsonld", "-o", str(out), "-q"]) == 0
    node = json.loads(out.read_text(encoding="utf-8"))["@graph"][0]["@graph"][0]
    assert "label" in node and node["label"] == "A"  # the French label only
    assert {"@id": "participation:commune-1-pvd"} in node["link"]
    assert node["type"] != "label" and node.get("pvd:label") == "x"
    expected, back = Dataset(), Dataset()
    expected.parse(path, format="trig")
    back.parse(out, format="json-ld")
    g = "https://w3id.org/pvd-graph/graph/g"
    assert set(back.graph(URIRef(g))) == set(expected.graph(URIRef(g)))
    ours = ox.Store()
    ours.load(path=str(out), format=ox.RdfFormat.JSON_LD)
    ref = ox.Store()
    ref.load(path=str(path), format=ox.RdfFormat.TRIG)
    assert set(map(str, ours)) == set(map(str, ref))


def _values(node_or_list):
    return node_or_list if isinstance(node_or_list, list) else [node_or_list]


def test_national_jsonld_uses_the_contexts_terms(national_build, tmp_path):
    """Every statement whose value fits a coerced term of the context is written under that term as a
    bare string (counted from dataset.nq, per term), and no IRI that a prefix of the context covers is
    written in full."""
    out = tmp_path / "national.jsonld"
    export.export_file(export.open_for_export(national_build, "jsonld"), "jsonld", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    context = export.load_context()
    prefixes = {v for v in context.values() if isinstance(v, str) and v.startswith("http")}
    expand = {k: v for k, v in context.items() if isinstance(v, str) and not k.startswith("@")}

    def full(compact: str) -> str:
        prefix, _, rest = compact.partition(":")
        return expand[prefix] + rest

    coerced = {}  # term → (property IRI, what its values are)
    for name, definition in context.items():
        if isinstance(definition, dict) and "@id" in definition:
            kind = definition.get("@type") or (("@language", definition["@language"]) if "@language" in definition
                                               else "string")
            coerced[name] = (full(definition["@id"]), kind)
    expected = dict.fromkeys(coerced, 0)
    line_re = re.compile(r'^(\S+) <([^>]+)> (.*) <[^>]+> \.$')
    for line in (national_build / resources.DATASET_NQ).read_text(encoding="utf-8").splitlines():
        _s, p, o = line_re.match(line).groups()
        for name, (iri, kind) in coerced.items():
            if p != iri:
                continue
            if kind == "@id":
                expected[name] += o.startswith(("<", "_:"))
            elif isinstance(kind, tuple):
                expected[name] += o.endswith(f'"@{kind[1]}')
            elif kind == "string":  # xsd:string, written plain in N-Quads
                expected[name] += o.startswith('"') and o.endswith('"')
            else:
                expected[name] += o.endswith(f'"^^<{full(kind)}>')
    got = dict.fromkeys(coerced, 0)
    full_iris = []
    for graph in doc["@graph"]:
        for node in graph["@graph"]:
            for key, value in node.items():
                if key.startswith("http"):
                    full_iris.append(key)
                for v in _values(value):
                    if key in got and isinstance(v, str):
                        got[key] += 1
                    ref = v if key in ("@id", "type") or (key in coerced and coerced[key][1] == "@id") else (
                        v.get("@id") if isinstance(v, dict) else None)
                    if isinstance(ref, str) and ref.startswith("http"):
                        full_iris.append(ref)
    assert got == expected and sum(expected.values()) > 100_000
    assert expected["memberOf"] and expected["label"] and expected["population"]
    assert not [iri for iri in full_iris if any(iri.startswith(p) for p in prefixes)]


def _node_objects(doc: dict, dataset: bool) -> int:
    return sum(len(g["@graph"]) for g in doc["@graph"]) if dataset else len(doc["@graph"])


@pytest.mark.parametrize("fmt", list(export.SYNTAX))
def test_issue_20_the_summary_line_never_says_a_false_zero(small, tmp_path, capsys, fmt):
    """``ExportResult.nodes``: the JSON-LD node objects written, one per subject and graph (the distinct
    subjects of each graph of the source, as rdflib reads it, and the node objects in the file); ``None``
    for the formats whose subjects are not counted, and the CLI's last line then says nothing of them."""
    out = tmp_path / f"x{_suffix(fmt)}"
    assert main(["export", "--graph", str(small), "-f", fmt, "-o", str(out)]) == 0
    line = capsys.readouterr().err.strip().splitlines()[-1]
    result = export.export(_open(small, fmt), fmt, io.BytesIO())
    source = Dataset()
    source.parse(small, format="trig")
    quads = list(source.quads((None, None, None, None)))
    if export.SYNTAX[fmt] == "jsonld":
        dataset = fmt in export.DATASET_FORMATS
        expected = len({(s, g) for s, _p, _o, g in quads} if dataset else {s for s, _p, _o, _g in quads})
        assert result.nodes == expected == _node_objects(json.loads(out.read_text(encoding="utf-8")), dataset) > 0
        assert f" {expected} node objects, " in line
    else:
        assert result.nodes is None and "node objects" not in line
    assert (result.statements is None) == (fmt == "trig")
    assert not re.search(r"\b0 (statements|node objects)", line)
    assert line.endswith(f"{out}: {result.summary()}") and f"{out.stat().st_size} bytes" in line
