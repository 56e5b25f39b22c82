"""``pvd-graph viz`` writers: HTML in a real (headless) browser, PNG/SVG read back, GraphML/GEXF reopened."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from browser import body_data, drawn_dom, screenshot
from graphml_schema import schema_errors
from pvd_graph import network, store, visualise
from pvd_graph.cli import main
from pvd_graph.errors import UserError
from pvd_graph.identifiers import commune_iri, epci_iri

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "network" / "albertville.ttl"
ALBERTVILLE_PARTNERS = {"Albertville", "Ugine", "CA Arlysère", "État", "ANCT", "Anah", "Banque des Territoires"}


@pytest.fixture(scope="module")
def albertville() -> nx.MultiGraph:
    return network.build_network(store.open_built(FIXTURE), focus="73011")


def _assert_same_graph(read: nx.MultiGraph, graph: nx.MultiGraph) -> None:
    assert dict(read.nodes(data=True)) == dict(graph.nodes(data=True))
    def edges(g):
        return sorted((*sorted((u, v)), str(k), sorted(a.items())) for u, v, k, a in g.edges(keys=True, data=True))
    assert edges(read) == edges(graph)


def test_graphml_keeps_every_attribute(albertville, tmp_path):
    out = tmp_path / "albertville.graphml"
    assert main(["viz", "--graph", str(FIXTURE), "--focus", "73011", "--out", str(out), "-q"]) == 0
    read = visualise.read_graphml(out)
    _assert_same_graph(read, albertville)
    assert read.nodes[epci_iri("200068997")]["siren"] == "200068997"  # a code stays a string
    assert isinstance(read.nodes[epci_iri("200068997")]["distance"], int)


@pytest.mark.parametrize("options", [{}, {"focus": "73011"}, {"include_conventions": False}])
def test_issue_12_graphml_is_valid_against_the_schema(tmp_path, options):
    graph = network.build_network(store.open_built(FIXTURE), **options)
    out = tmp_path / "network.graphml"
    visualise.write_network(graph, out)
    assert schema_errors(out) == []
    root = ET.parse(out).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    keys = {(k.get("for"), k.get("attr.name")) for k in root.iterfind("g:key", ns)}
    assert {("node", "label"), ("edge", "label")} <= keys  # same name, two keys
    # Readable node ids; the IRI in its attribute.
    node = root.find("g:graph/g:node[@id='commune:73011']", ns)
    assert node is not None


def test_graphml_schema_catches_a_duplicate_key_id(tmp_path):
    """The check can fail: the file networkx writes with named key ids (what viz wrote before #12)."""
    graph = network.build_network(store.open_built(FIXTURE), focus="73011")
    out = tmp_path / "named.graphml"
    nx.write_graphml(visualise.exportable(nx.relabel_nodes(graph, visualise.graphml_ids(graph))), out,
                     named_key_ids=True)
    assert any("Duplicate key-sequence ['label']" in e for e in schema_errors(out))


def test_gexf_keeps_every_attribute(albertville, tmp_path):
    out = tmp_path / "albertville.gexf"
    visualise.write_network(albertville, out)
    read = nx.read_gexf(out, relabel=False)
    assert set(read) == set(albertville)
    for n, attrs in albertville.nodes(data=True):
        assert read.nodes[n] == attrs
    assert read.number_of_edges() == albertville.number_of_edges()
    assert {(a["relation"], a["weight"]) for *_, a in read.edges(data=True)} == \
           {(a["relation"], a["weight"]) for *_, a in albertville.edges(data=True)}


def test_exportable_drops_none_attributes_and_writes_others_as_text():
    """GraphML/GEXF writers take no None and no arbitrary object: ``exportable`` drops the one, stringifies the other."""
    graph = nx.MultiGraph()
    graph.add_node("a", label="A", population=None, when=object())
    clean = visualise.exportable(graph)
    assert "population" not in clean.nodes["a"] and isinstance(clean.nodes["a"]["when"], str)


def test_png_is_a_real_picture(albertville, tmp_path):
    from PIL import Image
    import numpy as np

    out = tmp_path / "albertville.png"
    visualise.write_network(albertville, out)
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (1680, 1200)
        pixels = np.asarray(img.convert("RGB"), dtype=float)
    assert pixels.std() > 10  # not blank
    assert (pixels.min(axis=2) < 200).mean() > 0.01  # some ink beyond the white background
    # Node colours of the legend are drawn: the State's vermillion is there.
    assert (np.abs(pixels - [0xD5, 0x5E, 0x00]).sum(axis=2) < 30).sum() > 20


def test_svg_has_labels_and_legend_as_text(albertville, tmp_path):
    out = tmp_path / "albertville.svg"
    visualise.write_network(albertville, out)
    texts = {"".join(t.itertext()).strip() for t in ET.parse(out).iter("{http://www.w3.org/2000/svg}text")}
    assert ALBERTVILLE_PARTNERS <= texts
    assert {"Commune", "EPCI", "Agence", "signataire", "membre de"} <= texts


def test_html_is_self_contained(albertville, tmp_path):
    out = tmp_path / "albertville.html"
    visualise.write_network(albertville, out)
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing fetched
    assert "vis-network" in page and page.count("</script>") == 4
    for label in ALBERTVILLE_PARTNERS:
        assert f'"label": "{label}"' in page


def test_html_renders_in_chromium(albertville, tmp_path):
    out = tmp_path / "albertville.html"
    visualise.write_network(albertville, out)
    data = body_data(drawn_dom(out))
    assert int(data["nodes"]) == albertville.number_of_nodes()
    assert int(data["edges"]) == albertville.number_of_edges()
    shot = screenshot(out, "viz-albertville-fixture")
    from PIL import Image
    import numpy as np
    with Image.open(shot) as img:
        assert img.size == (1200, 800)
        assert np.asarray(img.convert("L"), dtype=float).std() > 10


def test_html_escapes_labels(tmp_path):
    graph = nx.MultiGraph()
    graph.add_node("urn:x", label="</script><script>alert(1)</script>", type="commune", iri="urn:x")
    out = tmp_path / "x.html"
    visualise.write_html(graph, out)
    assert "<script>alert" not in out.read_text(encoding="utf-8")
    assert body_data(drawn_dom(out))["nodes"] == "1"


def test_big_graph_is_aggregated_then_refused(monkeypatch):
    graph = network.build_network(store.open_built(FIXTURE))
    monkeypatch.setattr(visualise, "HTML_AGGREGATE_ABOVE", 5)
    drawn = visualise.drawable(graph)
    assert drawn.graph["aggregated"] and commune_iri("73011") not in drawn
    monkeypatch.setattr(visualise, "HTML_MAX_NODES", 5)
    with pytest.raises(UserError, match="--departement"):
        visualise.drawable(graph)


def test_unknown_extension_is_a_usage_error(tmp_path, capsys):
    assert main(["viz", "--graph", str(FIXTURE), "--out", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown output extension '.pdf'" in err[0]


def test_bad_focus_on_the_command_line(tmp_path, capsys):
    assert main(["viz", "--graph", str(FIXTURE), "--focus", "ABC", "--out", str(tmp_path / "x.html"), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pvd-graph viz: error: --focus")
    assert not (tmp_path / "x.html").exists()


@pytest.fixture
def without_pyvis(monkeypatch):
    """As after ``pip install .`` without the ``html`` extra: the pyvis package cannot be found."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyvis" else find_spec(name, *a))


def test_issue_12_html_without_its_asset_is_one_line(without_pyvis, tmp_path, capsys):
    out = tmp_path / "x.html"
    # A missing graph too: the asset is checked first, before anything is loaded.
    assert main(["viz", "--graph", str(tmp_path / "no-build"), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'pvd-graph[html]'" in err[0], err
    assert not out.exists()


def test_gexf_is_dated_by_its_data_not_by_the_day_it_is_written(tmp_path, monkeypatch):
    """GEXF's lastmodifieddate is the newest source's retrieval day, absent without one; the file
    does not change with the day it is written (networkx wrote today's date)."""
    import time

    import pyoxigraph as ox

    ds = store.open_built(FIXTURE)
    undated = tmp_path / "undated.gexf"
    visualise.write_gexf(network.build_network(ds, focus="73011"), undated)
    assert "lastmodifieddate" not in undated.read_text()
    ds.extend([ox.Quad(ox.NamedNode("https://w3id.org/pvd-graph/id/source/x"),
                       ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime"),
                       ox.Literal("2024-10-15T08:00:00+00:00", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")))])
    graph = network.build_network(ds, focus="73011")
    first, second = tmp_path / "a.gexf", tmp_path / "b.gexf"
    visualise.write_gexf(graph, first)
    monkeypatch.setattr(time, "strftime", lambda *a: "2031-01-01")
    visualise.write_gexf(graph, second)
    assert 'lastmodifieddate="2024-10-15"' in first.read_text()
    assert first.read_bytes() == second.read_bytes()
    assert nx.read_gexf(first).number_of_nodes() == graph.number_of_nodes()


@pytest.mark.parametrize("suffix", [".png", ".svg", ".graphml", ".gexf"])
def test_issue_12_other_formats_need_no_html_asset(without_pyvis, tmp_path, suffix):
    out = tmp_path / f"albertville{suffix}"
    assert main(["viz", "--graph", str(FIXTURE), "--focus", "73011", "--out", str(out), "-q"]) == 0
    assert out.stat().st_size > 1000


def test_issue_12_pyvis_is_an_extra_not_a_dependency():
    """pyvis brings IPython, jedi and prompt_toolkit: only the interactive page (and its tests) need it."""
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    def names(requirements):
        return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}
    assert "pyvis" not in names(project["dependencies"])
    assert "pyvis" in names(project["optional-dependencies"]["html"])
    assert "pyvis" in names(project["optional-dependencies"]["test"])  # .ci/run installs '.[test]'


def test_issue_13_image_export_leaves_the_backend_and_pyplot_alone(tmp_path):
    """A notebook's backend stays the notebook's: writing PNG and SVG does not call matplotlib.use."""
    code = (
        "import sys, matplotlib\n"
        "matplotlib.use('pdf')\n"  # any backend other than Agg stands for the user's
        "from pvd_graph import network, store, visualise\n"
        f"g = network.build_network(store.open_built({str(FIXTURE)!r}), focus='73011')\n"
        f"visualise.write_network(g, {str(tmp_path / 'a.png')!r})\n"
        f"visualise.write_network(g, {str(tmp_path / 'a.svg')!r})\n"
        "import matplotlib.pyplot as plt\n"
        "print(matplotlib.get_backend(), len(plt.get_fignums()))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["pdf", "0"]
    assert (tmp_path / "a.png").stat().st_size > 0 and (tmp_path / "a.svg").stat().st_size > 0
