"""Issue 19, "the network, fixed": colours as the legend says, one command one file, readable labels,
the focus highlighted, national views aggregated by département, clicks to a local endpoint."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from PIL import Image

from browser import screenshot
from pvd_graph import network, store, visualise
from pvd_graph.cli import main
from pvd_graph.identifiers import commune_iri

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "network" / "albertville.ttl"

#: vis-network's own group palette (its first ten "background" colours): none may show on a page.
VIS_PALETTE = ("#97C2FC", "#FFFF00", "#FB7E81", "#7BE141", "#EB7DF4", "#AD85E4", "#C2FABC", "#FFA807",
               "#6E6EFD", "#FFC0CB")


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def _pixel_counts(png: Path) -> Counter:
    with Image.open(png) as img:
        pixels = np.asarray(img.convert("RGB")).reshape(-1, 3)
    return Counter(map(tuple, pixels))


def _types(graph: nx.MultiGraph) -> set[str]:
    return {t for _, t in graph.nodes(data="type")}


@pytest.fixture(scope="module")
def albertville() -> nx.MultiGraph:
    return network.build_network(store.open_built(FIXTURE), focus="73011")


def test_relations_have_distinct_colours_and_styles_none_a_node_colour():
    colours = list(visualise.EDGE_COLOURS.values())
    assert len(set(colours)) == len(colours) == len(network.RELATIONS)
    assert not set(c.lower() for c in colours) & set(c.lower() for c in visualise.COLOURS.values())
    # "piloté par" / "partenaire" and "signataire" / "fait partie de" looked alike: no longer
    for a, b in (("ledBy", "partner"), ("signatory", "partOf")):
        assert visualise.EDGE_COLOURS[a] != visualise.EDGE_COLOURS[b]
        assert visualise.EDGE_DASHES[a] != visualise.EDGE_DASHES[b]


def test_png_colours_are_the_legends(albertville, tmp_path):
    """Every node type drawn shows its legend colour; no other type's colour is in the picture."""
    out = tmp_path / "albertville.png"
    drawn = visualise.write_network(albertville, out)
    counts = _pixel_counts(out)
    present = _types(drawn)
    for node_type, colour in visualise.COLOURS.items():
        pixels = counts[_rgb(colour)]
        if node_type in present:
            assert pixels >= 20, f"{node_type} ({colour}) drawn but its colour is not in the picture"
        else:
            assert pixels == 0, f"{colour} of {node_type}, which is not drawn, is in the picture"


def test_html_colours_are_the_legends_in_chromium(tmp_path):
    """vis-network's default group palette (which took over above a few hundred nodes) never shows."""
    graph = network.build_network(store.open_built(FIXTURE))
    big = nx.MultiGraph(**graph.graph)
    big.add_nodes_from(graph.nodes(data=True))
    big.add_edges_from(graph.edges(keys=True, data=True))
    epci = next(n for n, t in graph.nodes(data="type") if t == "epci")
    programme = next(n for n, t in graph.nodes(data="type") if t == "programme")
    for i in range(400):  # a programme-sized network, drawn with vis-network's improvedLayout
        town = f"urn:test:commune-{i}"
        big.add_node(town, type="commune", label=f"Commune {i}", iri=town)
        big.add_edge(town, epci, key="memberOf", weight=1)
        big.add_edge(town, programme, key="participatesIn", weight=1)
    out = tmp_path / "big.html"
    drawn = visualise.write_network(big, out)
    options = json.loads(re.search(r'id="graph-options">(.*?)</script>', out.read_text(encoding="utf-8")).group(1))
    assert {t: g["color"]["background"] for t, g in options["groups"].items()} == visualise.COLOURS
    counts = _pixel_counts(screenshot(out, "viz-colours-big", budget_ms=15000))
    for colour in VIS_PALETTE:
        assert counts[_rgb(colour)] < 5, f"vis-network's own {colour} is on the page"
    for node_type in _types(drawn) & {"commune", "epci", "programme"}:
        assert counts[_rgb(visualise.COLOURS[node_type])] >= 20, node_type


def _viz_twice(tmp_path: Path, suffix: str, *args: str) -> tuple[bytes, bytes]:
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"run{seed}{suffix}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "pvd_graph", "viz", "--graph", str(FIXTURE), *args,
                        "--out", str(out), "-q"], cwd=REPO, env=env, check=True, capture_output=True)
        outs.append(out.read_bytes())
    return outs[0], outs[1]


@pytest.mark.parametrize("suffix", [".png", ".svg", ".html", ".graphml"])
def test_one_command_gives_the_same_file(tmp_path, suffix):
    """Two processes (other string hashing, hence other set orders) write identical bytes."""
    first, second = _viz_twice(tmp_path, suffix)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_labels_keep_what_tells_conventions_apart():
    a = "Convention d'adhésion Petites villes de demain — Saint-Jean-de-Maurienne, Saint-Michel-de-Maurienne"
    b = "Convention d'adhésion Petites villes de demain — Saint-Jean-de-Maurienne, Modane"
    short_a, short_b = visualise._short(a, lines=2), visualise._short(b, lines=2)
    assert short_a != short_b
    assert all(len(line) <= 38 for line in short_a.splitlines()) and len(short_a.splitlines()) <= 2
    assert short_b.replace("\n", " ").endswith("Modane")
    assert visualise._short("Albertville") == "Albertville"
    assert visualise._short("Petites villes de demain") == "Petites villes de demain"  # short enough: not abbreviated


def test_focus_is_highlighted_and_in_the_legend(albertville, tmp_path):
    data = visualise._vis_data(visualise.canonical(albertville))
    focus = [n for n in data["nodes"] if n.get("borderWidth")]
    assert [n["id"] for n in focus] == [commune_iri("73011")]
    assert "au centre du réseau" in visualise._legend_html(albertville)


def test_state_is_drawn_over_the_programme(albertville):
    order = list(visualise.canonical(albertville))
    kinds = [albertville.nodes[n]["type"] for n in order]
    assert max(i for i, k in enumerate(kinds) if k in ("programme", "convention")) < kinds.index("state")


def test_link_base_sends_clicks_to_the_local_endpoint(albertville, tmp_path):
    out = tmp_path / "a.html"
    assert main(["viz", "--graph", str(FIXTURE), "--focus", "73011", "--link-base", "http://127.0.0.1:8000/",
                 "--out", str(out), "-q"]) == 0
    nodes = json.loads(re.search(r'id="graph-data">(.*?)</script>', out.read_text(encoding="utf-8")).group(1))["nodes"]
    albertville_node = next(n for n in nodes if n["id"] == commune_iri("73011"))
    assert albertville_node["href"] == "http://127.0.0.1:8000/id/commune/73011"
    assert albertville_node["iri"] == commune_iri("73011")


def test_bad_link_base_is_one_line(tmp_path, capsys):
    assert main(["viz", "--graph", str(FIXTURE), "--link-base", "ftp:/x", "--out", str(tmp_path / "a.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--link-base" in err[0]


@pytest.mark.national
def test_national_programme_picture_is_aggregated_by_departement(national_build, shared_data, tmp_path):
    """PVD as a picture: one node per département sized by its towns, counted as the 2021 list counts them."""
    graph = network.build_network(store.open_built(national_build), programme="pvd")
    out = tmp_path / "pvd.png"
    drawn = visualise.write_network(graph, out)
    assert drawn.graph["aggregated"] == "communes and EPCI merged into their département"
    assert not _types(drawn) & {"commune", "epci"}
    with open(national_build / "rejects.csv", encoding="utf-8") as f:
        rejected = {int(r["line"]) for r in csv.DictReader(f)
                    if r["file"].endswith("anct_pvd_communes_2021.csv") and r["outcome"] == "row rejected"}
    with open(shared_data / "anct_pvd_communes_2021.csv", encoding="utf-8") as f:
        per_dep = Counter(row["insee_dep"] for line, row in enumerate(csv.DictReader(f), start=2)
                          if line not in rejected)
    towns_in_graph = Counter(a["departement"].rsplit("/", 1)[-1] for _, a in graph.nodes(data=True)
                             if a.get("type") == "commune")
    drawn_deps = {a["code"]: a["communes"] for _, a in drawn.nodes(data=True) if a.get("type") == "departement"}
    assert drawn_deps == dict(towns_in_graph)
    assert sum(drawn_deps.values()) == sum(per_dep.values())
    differing = {d for d in per_dep.keys() | drawn_deps.keys() if per_dep.get(d) != drawn_deps.get(d)}
    assert len(differing) <= 2, differing  # the list's département column against the code's
    assert "département" in visualise.default_title(drawn)
    assert _pixel_counts(out)[_rgb(visualise.COLOURS["departement"])] > 100
