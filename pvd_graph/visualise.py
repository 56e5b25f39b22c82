"""Writers for the partner network: interactive HTML, PNG/SVG pictures, GraphML and GEXF.

:func:`write_network` picks the writer from the file extension. The graph is
the :class:`networkx.MultiGraph` of :func:`pvd_graph.network.build_network`.

The HTML page works offline: the vis-network viewer script (and its style
sheet) is read at run time from the copy shipped inside the installed
``pyvis`` wheel and inlined into the page; no third-party script is kept in
this repository and nothing is fetched from a CDN. pyvis is an optional
extra (``pip install 'pvd-graph[html]'``: it brings IPython along, most of the
install's weight); without it an ``.html`` output is refused in one line and
the other formats work. The page sets
``data-nodes``/``data-edges`` on ``<body>`` once the network is drawn (the
browser tests read them).

Large graphs: above :data:`HTML_AGGREGATE_ABOVE` nodes the page (and the
picture) merge communes into their EPCI (:func:`pvd_graph.network.aggregate_communes`);
a graph still above :data:`HTML_MAX_NODES` is refused with a hint to use
``--departement`` or ``--focus``.
"""

from __future__ import annotations

import html
import importlib.util
import json
import math
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from pvd_graph.errors import UserError
from pvd_graph.namespaces import ID
from pvd_graph.network import NODE_TYPES, RELATIONS, aggregate_communes, aggregate_departements, collapse

#: Above this many nodes, communes are merged into their EPCI for drawing (and, when that is
#: still above it, communes and EPCI into their département: :func:`drawable`).
HTML_AGGREGATE_ABOVE = 600
#: Above this many nodes (after aggregation) a drawing is refused.
HTML_MAX_NODES = 4000
#: Pictures get crowded sooner than the interactive page.
IMAGE_AGGREGATE_ABOVE = 400

#: Colours per node type (Okabe–Ito palette, readable by colour-blind people).
COLOURS = {
    "commune": "#56B4E9", "epci": "#0072B2", "departement": "#009E73", "region": "#2CA02C",
    "state": "#D55E00", "agency": "#E69F00", "organisation": "#CC79A7", "programme": "#F0E442",
    "convention": "#8C8C8C", "resource": "#C8B89E",
}
#: vis-network shapes per node type (the legend shows the colours).
SHAPES = {
    "commune": "dot", "epci": "diamond", "departement": "triangle", "region": "triangleDown",
    "state": "star", "agency": "hexagon", "organisation": "hexagon", "programme": "star",
    "convention": "square", "resource": "dot",
}
#: Matplotlib markers matching :data:`SHAPES` as closely as it allows.
MARKERS = {
    "commune": "o", "epci": "D", "departement": "^", "region": "v", "state": "*",
    "agency": "h", "organisation": "h", "programme": "*", "convention": "s", "resource": "o",
}
#: One colour and one line style per relation, none shared (the legend shows both).
EDGE_COLOURS = {  # Paul Tol's muted palette and greys: none is a node type's colour
    "cosigned": "#444444", "signatory": "#AA4499", "concerns": "#9A9A9A", "memberOf": "#332288",
    "participatesIn": "#999933", "ledBy": "#CC6677", "partner": "#44AA99",
    "underProgramme": "#117733", "partOf": "#882255",
}
#: Dash pattern per relation as (dash, gap) lengths in pixels; None is a solid line.
EDGE_DASHES: dict[str, tuple[int, ...] | None] = {
    "cosigned": None, "signatory": None, "concerns": (2, 4), "memberOf": (8, 4),
    "participatesIn": (4, 4), "ledBy": None, "partner": (10, 3, 2, 3),
    "underProgramme": (2, 2), "partOf": (12, 6),
}
#: Short names of programmes in drawn labels: the distinct end of a convention's title stays visible.
_ABBREVIATIONS = (
    ("Petites villes de demain", "PVD"), ("Action cœur de ville", "ACV"),
    ("Opération de revitalisation de territoire", "ORT"),
    ("Contrat de relance et de transition écologique", "CRTE"),
    ("Agence nationale de la cohésion des territoires", "ANCT"),
)
#: Node types drawn first, under the actors (the State must not hide behind the programme's star).
_BACKGROUND = ("programme", "convention", "resource")

EXTENSIONS = (".html", ".png", ".svg", ".graphml", ".gexf")


def write_network(graph: nx.MultiGraph, path: Path | str, title: str | None = None,
                  link_base: str | None = None) -> nx.MultiGraph:
    """Write *graph* to *path*, in the format its extension names; returns the graph written.

    The graph written is *graph* itself (in :func:`canonical` order), or its
    aggregation by EPCI for a large HTML page or picture (see the module
    docstring). *link_base* (HTML only): the address of a ``pvd-graph serve``
    whose entity pages a click opens instead of the ``https://w3id.org/…`` IRI.
    """
    path = Path(path)
    writer = writer_for(path)
    graph = canonical(graph)
    if writer in (write_graphml, write_gexf):
        writer(graph, path)
        return graph
    if writer is write_html:
        return writer(graph, path, title=title, link_base=link_base)
    return writer(graph, path, title=title)


def canonical(graph: nx.MultiGraph) -> nx.MultiGraph:
    """*graph* with its nodes and edges inserted in a fixed order, so that one command gives one file.

    networkx keeps insertion order, and the network is built from sets whose
    order changes with Python's string hashing from one process to the next:
    the seeded layouts then start from other positions. Nodes come sorted by
    IRI, background types (programmes, conventions) first so that they are
    drawn under the actors; edges sorted by their two ends and relation.
    """
    out = nx.MultiGraph(**graph.graph)
    out.add_nodes_from(sorted(graph.nodes(data=True),
                              key=lambda item: (item[1].get("type") not in _BACKGROUND, item[0])))
    out.add_edges_from(sorted(((*sorted((u, v)), key, attrs) for u, v, key, attrs in graph.edges(keys=True, data=True)),
                              key=lambda edge: (edge[0], edge[1], str(edge[2]))))
    return out


def writer_for(path: Path) -> Callable:
    """The writer for *path*'s extension.

    A :class:`UserError` for an unknown extension, a missing folder, or an
    ``.html`` page without its viewer script (optional extra ``html``).
    """
    writers: dict[str, Callable] = {
        ".html": write_html, ".png": write_image, ".svg": write_image,
        ".graphml": write_graphml, ".gexf": write_gexf,
    }
    writer = writers.get(path.suffix.lower())
    if writer is None:
        raise UserError(f"{path}: unknown output extension {path.suffix!r}; expected one of {', '.join(EXTENSIONS)}")
    if not path.parent.is_dir():
        raise UserError(f"{path.parent}: no such folder")
    if writer is write_html:
        _vis_assets()  # the optional viewer script is there (or one line says how to get it)
    return writer


def drawable(graph: nx.MultiGraph, aggregate_above: int | None = None) -> nx.MultiGraph:
    """*graph*, aggregated when above *aggregate_above* nodes; refuses what stays too big.

    First the communes merge into their EPCI; when that is still above the
    threshold (a national programme), communes and EPCI merge into their
    département. What was done is in ``graph.graph["aggregated"]``, which the
    title and the legend say.
    """
    if aggregate_above is None:
        aggregate_above = HTML_AGGREGATE_ABOVE
    if graph.number_of_nodes() > aggregate_above:
        by_epci = aggregate_communes(graph)
        graph = canonical(by_epci if by_epci.number_of_nodes() <= aggregate_above else aggregate_departements(graph))
    if graph.number_of_nodes() > HTML_MAX_NODES:
        raise UserError(f"{graph.number_of_nodes()} nodes even with communes merged into their EPCI: "
                        "too many to draw; narrow it with --departement, --programme or --focus")
    return graph


def default_title(graph: nx.MultiGraph) -> str:
    parts = ["Réseau des partenaires"]
    meta = graph.graph
    if meta.get("focus"):
        centre = next((a["label"] for _, a in graph.nodes(data=True) if a.get("distance") == 0
                       and a.get("type") not in ("convention", "programme")), meta["focus"])
        parts.append(f"autour de {centre}")
    if meta.get("programme"):
        parts.append(f"programme {meta['programme']}")
    if meta.get("departement"):
        parts.append(f"département {meta['departement']}")
    if meta.get("aggregated"):
        parts.append(f"({AGGREGATED_NOTES.get(meta['aggregated'], meta['aggregated'])})")
    return " — ".join(parts[:1] + [" · ".join(parts[1:])]) if len(parts) > 1 else parts[0]


# --- HTML ----------------------------------------------------------------------

#: The one line that says how to get the interactive page's script.
HTML_ASSET_MISSING = ("an .html page needs vis-network's script, which comes with the optional package pyvis: "
                      "pip install 'pvd-graph[html]' (from a clone: pip install '.[html]'); "
                      ".png, .svg, .graphml and .gexf need nothing more")


def _vis_assets() -> tuple[str, str]:
    """vis-network's minified script and style sheet, read from the installed pyvis wheel.

    pyvis is found, not imported: importing it loads IPython (a third of a second).
    """
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(HTML_ASSET_MISSING)
    libs = sorted(Path(spec.submodule_search_locations[0]).glob("templates/lib/vis-*/vis-network.min.js"),
                  key=lambda p: tuple(int(x) for x in p.parent.name[4:].split(".") if x.isdigit()))
    if not libs:
        raise UserError(f"vis-network.min.js not found inside the installed pyvis package; {HTML_ASSET_MISSING}")
    script = libs[-1].read_text(encoding="utf-8")
    css_file = libs[-1].with_name("vis-network.css")
    css = css_file.read_text(encoding="utf-8") if css_file.is_file() else ""
    return script, css


def _tooltip(attrs: dict) -> str:
    lines = [attrs.get("label", ""), NODE_TYPES.get(attrs.get("type"), "") +
             (f" ({attrs['subtype']})" if attrs.get("subtype") else "")]
    for key, name in (("code", "code"), ("signed_on", "signée le"), ("population", "population"),
                      ("communes", "communes regroupées")):
        if key in attrs:
            lines.append(f"{name} : {attrs[key]}")
    lines.append(attrs.get("iri", ""))
    return "\n".join(line for line in lines if line)


def is_focus(attrs: dict) -> bool:
    """The town (or EPCI, resource) an ego network is drawn around."""
    return attrs.get("distance") == 0 and attrs.get("type") not in ("convention", "programme")


def link(iri: str, link_base: str | None) -> str:
    """Where a click on *iri* goes: its page on *link_base* (a ``pvd-graph serve``) when it is the project's."""
    if link_base and iri.startswith(ID):
        return link_base.rstrip("/") + "/id/" + iri[len(ID):]
    return iri


def _vis_data(graph: nx.MultiGraph, link_base: str | None = None) -> dict:
    degree = dict(graph.degree())
    nodes = []
    for n, attrs in graph.nodes(data=True):
        node_type = attrs.get("type", "resource")
        size = 10 + min(30, 3 * degree[n] ** 0.5)
        node = {
            "id": n, "label": attrs.get("label", n), "title": _tooltip(attrs),
            "iri": attrs.get("iri", n), "href": link(attrs.get("iri", n), link_base),
            "group": node_type, "shape": SHAPES.get(node_type, "dot"),
        }
        if is_focus(attrs):  # the centre: bigger, with a thick dark border and a bold label
            size += 10
            node.update(borderWidth=4, font={"bold": True, "size": 18},
                        color={"background": COLOURS.get(node_type, COLOURS["resource"]), "border": FOCUS_BORDER})
        node["size"] = round(size, 1)
        nodes.append(node)
    edges = []
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        weight = attrs.get("weight", 1)
        title = RELATIONS.get(key, key) + (f" ({weight} conventions)" if key == "cosigned" else "")
        dashes = EDGE_DASHES.get(key)
        edges.append({
            "from": u, "to": v, "title": title, "relation": key,
            "width": min(8, 1 + weight) if key == "cosigned" else 1.5,
            "dashes": list(dashes) if dashes else False,
            "color": {"color": EDGE_COLOURS.get(key, "#999999"), "opacity": 0.8},
        })
    return {"nodes": nodes, "edges": edges}


#: Border of the focus node, in the page and in pictures (said in the legend).
FOCUS_BORDER = "#000000"


def _line_sample(relation: str) -> str:
    """A short line drawn in *relation*'s colour and dash pattern, for the page's legend."""
    dashes = EDGE_DASHES.get(relation)
    dash = f' stroke-dasharray="{" ".join(map(str, dashes))}"' if dashes else ""
    return (f'<svg class="ln" width="26" height="8" aria-hidden="true"><line x1="0" y1="4" x2="26" y2="4" '
            f'stroke="{EDGE_COLOURS[relation]}" stroke-width="2"{dash}/></svg>')


def _legend_html(graph: nx.MultiGraph) -> str:
    types = {t for _, t in graph.nodes(data="type")}
    relations = {k for _, _, k in graph.edges(keys=True)}
    items = [f'<li><span class="sw" style="background:{COLOURS[t]}"></span>{html.escape(name)}</li>'
             for t, name in NODE_TYPES.items() if t in types]
    if any(is_focus(a) for _, a in graph.nodes(data=True)):
        items.append(f'<li><span class="sw focus" style="border-color:{FOCUS_BORDER}"></span>au centre du réseau</li>')
    items += [f'<li>{_line_sample(r)}{html.escape(name)}</li>' for r, name in RELATIONS.items() if r in relations]
    if aggregated_note(graph):
        items.append(f'<li class="note">{html.escape(aggregated_note(graph))}</li>')
    return "\n".join(items)


#: What the title and legend say of an aggregated drawing (keys: ``graph.graph["aggregated"]``).
AGGREGATED_NOTES = {
    "communes merged into their EPCI": "communes regroupées par EPCI",
    "communes and EPCI merged into their département": "communes et EPCI regroupés par département",
}


def aggregated_note(graph: nx.MultiGraph) -> str:
    """The legend's line for an aggregated drawing (empty when nothing was merged)."""
    what = graph.graph.get("aggregated")
    if not what:
        return ""
    return f"{AGGREGATED_NOTES.get(what, what)} ; taille : nombre de communes, épaisseur : nombre de liens"


def _physics(n: int) -> dict:
    """Physics that settles fast: bounded stabilisation, then frozen (see the page script)."""
    return {
        "layout": {"improvedLayout": n <= 1000, "randomSeed": 7},
        "physics": {
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -80 if n <= 300 else -50,
                                 "springLength": 140 if n <= 300 else 80, "avoidOverlap": 0.5},
            "stabilization": {"enabled": True, "iterations": 400 if n <= 300 else 150 if n <= 1500 else 80,
                              "updateInterval": 50},
            "minVelocity": 1.0,
        },
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False, "keyboard": True},
        "nodes": {"font": {"size": 14 if n <= 300 else 10, "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "borderWidth": 1, "widthConstraint": {"maximum": 170}},  # long names wrap
        "edges": {"smooth": False},
        # Every group styled as the legend says: vis-network otherwise gives groups colours of its
        # own palette, which win over a node's colour in some of its layouts.
        "groups": {t: {"color": {"background": COLOURS[t], "border": "#333333",
                                 "highlight": {"background": COLOURS[t], "border": "#000000"},
                                 "hover": {"background": COLOURS[t], "border": "#000000"}},
                       "shape": SHAPES[t]} for t in NODE_TYPES},
    }


_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pvd-graph">
<title>__TITLE__</title>
<style>__VIS_CSS__</style>
<style>
html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; font-size: 14px; color: #222; }
#network { position: absolute; top: 0; bottom: 0; right: 0; left: 300px; background: #fbfbfb; }
#panel { position: absolute; top: 0; bottom: 0; left: 0; width: 276px; overflow-y: auto; background: #fff;
         border-right: 1px solid #ccc; padding: 10px 12px; }
#panel h1 { font-size: 15px; margin: 0 0 6px; }
#count { color: #555; margin-bottom: 6px; }
#search { width: 100%; box-sizing: border-box; padding: 4px 6px; font-size: 14px; }
#found { color: #555; font-size: 12px; min-height: 1em; }
#legend { list-style: none; margin: 8px 0 0; padding: 0; font-size: 13px; }
#legend li { margin: 2px 0; white-space: nowrap; }
.sw { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; border: 1px solid #0003; }
.ln { margin-right: 5px; vertical-align: 1px; }
.sw.focus { background: #fff; border: 3px solid; width: 7px; height: 7px; }
#legend li.note { white-space: normal; color: #555; margin-top: 6px; }
#hint { font-size: 11px; color: #666; margin-top: 6px; }
div.vis-tooltip { white-space: pre-line; font-family: system-ui, sans-serif; font-size: 13px; max-width: 420px; }
</style>
</head>
<body>
<div id="network"></div>
<div id="panel">
  <h1>__TITLE__</h1>
  <div id="count">__COUNT__</div>
  <input id="search" type="search" list="labels" placeholder="Rechercher (nom, code)…" aria-label="Rechercher un nœud">
  <datalist id="labels"></datalist>
  <div id="found"></div>
  <ul id="legend">
__LEGEND__
  </ul>
  <div id="hint">Molette : zoom · glisser : déplacer · survol : détails · clic : ouvrir la ressource</div>
</div>
<script type="application/json" id="graph-data">__DATA__</script>
<script type="application/json" id="graph-options">__OPTIONS__</script>
<script>__VIS_JS__</script>
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var options = JSON.parse(document.getElementById("graph-options").textContent);
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(document.getElementById("network"), {nodes: nodes, edges: edges}, options);
  var list = document.getElementById("labels");
  data.nodes.forEach(function (n) { var o = document.createElement("option"); o.value = n.label; list.appendChild(o); });
  network.once("stabilizationIterationsDone", function () { network.setOptions({physics: false}); network.fit(); });
  network.once("afterDrawing", function () {
    var shown = Object.keys(network.getPositions()).length;
    document.body.dataset.nodes = String(shown);
    document.body.dataset.edges = String(edges.length);
    document.getElementById("count").textContent = shown + " nœuds · " + edges.length + " liens";
  });
  network.on("click", function (p) {
    if (p.nodes.length === 1) {
      var n = nodes.get(p.nodes[0]);
      if (n && n.href) { window.open(n.href, "_blank", "noopener"); }
    }
  });
  var search = document.getElementById("search"), found = document.getElementById("found");
  function find() {
    var q = search.value.trim().toLowerCase();
    if (!q) { network.unselectAll(); found.textContent = ""; return; }
    var hits = nodes.get({filter: function (n) {
      return n.label.toLowerCase().indexOf(q) >= 0 || n.title.toLowerCase().indexOf(q) >= 0;
    }}).map(function (n) { return n.id; });
    network.selectNodes(hits);
    found.textContent = hits.length + " résultat" + (hits.length > 1 ? "s" : "");
    if (hits.length) { network.focus(hits[0], {scale: 1.2, animation: {duration: 400}}); }
  }
  search.addEventListener("change", find);
  search.addEventListener("keydown", function (e) { if (e.key === "Enter") { find(); } });
})();
</script>
</body>
</html>
"""


def _json_for_script(value) -> str:
    """JSON that cannot close its ``<script>`` element (``<`` written as ``\\u003c``)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def _inline(text: str, tag: str) -> str:
    """Third-party text inlined in a *tag* element: only ``</tag`` is escaped (more breaks vis-network)."""
    return text.replace(f"</{tag}", f"<\\/{tag}")


def write_html(graph: nx.MultiGraph, path: Path | str, title: str | None = None,
               link_base: str | None = None) -> nx.MultiGraph:
    """A self-contained interactive page of *graph*; returns the graph drawn (maybe aggregated)."""
    graph = drawable(graph)
    script, css = _vis_assets()
    title = title or default_title(graph)
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    page = (_PAGE
            .replace("__TITLE__", html.escape(title))
            .replace("__COUNT__", f"{n} nœuds · {m} liens (chargement…)")
            .replace("__LEGEND__", _legend_html(graph))
            .replace("__DATA__", _json_for_script(_vis_data(graph, link_base)))
            .replace("__OPTIONS__", _json_for_script(_physics(n)))
            .replace("__VIS_CSS__", _inline(css, "style"))
            .replace("__VIS_JS__", _inline(script, "script")))
    Path(path).write_text(page, encoding="utf-8")
    return graph


# --- pictures -------------------------------------------------------------------

def _layout(graph: nx.MultiGraph) -> dict:
    simple = collapse(graph)
    if simple.number_of_nodes() <= 500:
        k = 2.2 / max(1, simple.number_of_nodes()) ** 0.5
        return nx.spring_layout(simple, k=k, iterations=200, seed=7, weight=None)
    # spring_layout needs scipy above 500 nodes; ForceAtlas2 is numpy only (~0.1 s per iteration at 1,200 nodes).
    return nx.forceatlas2_layout(simple, max_iter=60, seed=7, weight=None, gravity=5.0, distributed_action=True)


def _labelled(graph: nx.MultiGraph, limit: int = 60) -> set[str]:
    """Every node of a small graph; of a big one, the actors with most links."""
    if graph.number_of_nodes() <= limit:
        return set(graph)
    ranked = sorted(graph, key=lambda n: (graph.nodes[n].get("type") in ("commune", "convention"),
                                          -graph.degree(n), graph.nodes[n].get("label", n)))
    return set(ranked[:limit])


def write_image(graph: nx.MultiGraph, path: Path | str, title: str | None = None) -> nx.MultiGraph:
    """A PNG or SVG picture with labels and a legend.

    Drawn on a :class:`matplotlib.figure.Figure` of its own, never through ``pyplot``:
    the process's backend (a notebook's, a GUI's) is left as it was, and no figure is
    left open in pyplot's list.
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    graph = drawable(graph, IMAGE_AGGREGATE_ABOVE)
    pos = _layout(graph)
    fig = Figure(figsize=(14, 10), dpi=120)
    ax = fig.subplots()
    for key in RELATIONS:
        edgelist = [(u, v) for u, v, k in graph.edges(keys=True) if k == key]
        if edgelist:
            widths = [edge_width(graph.edges[u, v, key].get("weight", 1)) for u, v in edgelist]
            nx.draw_networkx_edges(graph, pos, edgelist=edgelist, ax=ax, edge_color=EDGE_COLOURS[key],
                                   width=widths, alpha=0.7, style=_mpl_style(key))
    degree = dict(graph.degree())
    scale = min(1.0, (60 / graph.number_of_nodes()) ** 0.5)  # smaller marks for crowded pictures
    # background types first (drawn under), then the actors; the focus last, ringed
    order = sorted(NODE_TYPES, key=lambda t: t not in _BACKGROUND)
    for node_type in order:
        nodelist = [n for n, t in graph.nodes(data="type") if t == node_type]
        if nodelist:
            sizes = [scale * (180 + 120 * min(25, degree[n]) ** 0.5) if "communes" not in graph.nodes[n]
                     else scale * (120 + 90 * graph.nodes[n]["communes"] ** 0.5) for n in nodelist]
            focus = [is_focus(graph.nodes[n]) for n in nodelist]
            nx.draw_networkx_nodes(graph, pos, nodelist=nodelist, ax=ax, node_color=COLOURS[node_type],
                                   node_shape=MARKERS[node_type], node_size=[s * (1.6 if f else 1) for s, f in zip(sizes, focus)],
                                   edgecolors=[FOCUS_BORDER if f else "#333333" for f in focus],
                                   linewidths=[3.0 if f else 0.6 for f in focus])
    small = graph.number_of_nodes() <= 60
    chosen = _labelled(graph, 60 if small else 25)
    labels = {n: _short(graph.nodes[n].get("label", n), lines=3 if small else 2)
              for n in graph if n in chosen}  # in the graph's (canonical) order: the same file every run
    ys = [y for _, y in pos.values()]
    drop = 0.035 * ((max(ys) - min(ys)) or 1)  # labels under their node, not over it
    label_pos = {n: (x, y - drop) for n, (x, y) in pos.items()}
    nx.draw_networkx_labels(graph, label_pos, labels=labels, ax=ax, font_size=9 if len(labels) <= 30 else 7,
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
    present = {t for _, t in graph.nodes(data="type")}
    handles = [Line2D([], [], marker=MARKERS[t], linestyle="", markersize=10, markerfacecolor=COLOURS[t],
                      markeredgecolor="#333333", label=name) for t, name in NODE_TYPES.items() if t in present]
    relations = {k for _, _, k in graph.edges(keys=True)}
    if any(is_focus(a) for _, a in graph.nodes(data=True)):
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=11, markerfacecolor="white",
                              markeredgecolor=FOCUS_BORDER, markeredgewidth=2.5, label="au centre du réseau"))
    handles += [Line2D([], [], color=EDGE_COLOURS[r], label=name, linestyle=_mpl_style(r), linewidth=1.8)
                for r, name in RELATIONS.items() if r in relations]
    if aggregated_note(graph):
        handles.append(Line2D([], [], linestyle="", label=textwrap.fill(aggregated_note(graph), 40)))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=10)
    ax.set_title(title or default_title(graph), fontsize=13)
    ax.set_axis_off()
    ax.margins(0.12)  # room for the labels of the outermost nodes
    fig.tight_layout()
    fmt = Path(path).suffix[1:].lower()
    # SVG keeps its text as text (searchable, selectable); no date, so output is repeatable.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pvd-graph"}):
        fig.savefig(path, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return graph


def edge_width(weight: int) -> float:
    """A picture's line width for a tie of *weight* (conventions shared, or links merged): grows slowly."""
    return min(4.5, 0.6 + 1.1 * math.log2(1 + weight))


def _mpl_style(relation: str):
    """matplotlib's line style for *relation*'s dash pattern (the page's pattern, in points)."""
    dashes = EDGE_DASHES.get(relation)
    return (0, tuple(d * 0.6 for d in dashes)) if dashes else "solid"


def _short(label: str, width: int = 30, lines: int = 2) -> str:
    """A label on at most *lines* lines of about *width* characters, programme names abbreviated.

    What is too long is cut in the middle, not at the end: two conventions' titles
    differ at their end (« … — Ugine », « … — Albertville »).
    """
    room = width * lines
    if len(label) > width:
        for name, short in _ABBREVIATIONS:
            label = label.replace(name, short)
    if len(label) > room:
        head = (room - 1) * 2 // 5
        label = label[:head].rstrip() + "…" + label[len(label) - (room - 1 - head):].lstrip()
    wrapped = textwrap.wrap(label, width, break_long_words=False, break_on_hyphens=False)
    if len(wrapped) > lines:  # long words: keep the cut label on as few lines as it takes
        wrapped = textwrap.wrap(label, width + 8, break_long_words=True)[:lines]
    return "\n".join(wrapped)


# --- GraphML / GEXF -------------------------------------------------------------------

def exportable(graph: nx.MultiGraph) -> nx.MultiGraph:
    """A copy whose attribute values are all str, int, float or bool (what GraphML/GEXF can hold)."""
    def clean(attrs: dict) -> dict:
        return {k: (v if isinstance(v, (str, int, float, bool)) else str(v)) for k, v in attrs.items() if v is not None}

    out = nx.MultiGraph(**clean(graph.graph))
    out.add_nodes_from((n, clean(a)) for n, a in graph.nodes(data=True))
    out.add_edges_from((u, v, k, clean(a)) for u, v, k, a in graph.edges(keys=True, data=True))
    return out


#: What an XML NMTOKEN holds (GraphML's type for node, edge and key ids), in Python's terms.
_NMTOKEN = re.compile(r"[\w.:-]+")


def graphml_ids(graph: nx.MultiGraph) -> dict[str, str]:
    """GraphML node ids: ``type:key`` for the project's IRIs (``commune:73011``), ``n<i>`` otherwise.

    GraphML ids are XML NMTOKENs, which an IRI is not (``/`` is not allowed
    in one); the IRI itself stays in the node's ``iri`` attribute.
    """
    ids = {}
    for i, node in enumerate(graph):
        local = node[len(ID):].replace("/", ":", 1) if node.startswith(ID) else ""
        ids[node] = local if _NMTOKEN.fullmatch(local) else f"n{i}"
    return ids


def write_graphml(graph: nx.MultiGraph, path: Path | str) -> None:
    """GraphML valid against the GraphML 1.0 schema.

    Key ids are ``d0``, ``d1``… (a node and an edge attribute may share a
    name, ``label``, but not an id); node ids come from :func:`graphml_ids`
    and edge ids are ``e0``, ``e1``… (unique in the file, as the schema
    wants); the relation, which keys the edge in the MultiGraph, is in the
    edge's ``relation`` attribute. :func:`read_graphml` reads it back.
    """
    graph = exportable(graph)
    ids = graphml_ids(graph)
    out = nx.MultiGraph(**graph.graph)
    out.add_nodes_from((ids[n], {"iri": n, **attrs}) for n, attrs in graph.nodes(data=True))
    out.add_edges_from((ids[u], ids[v], f"e{i}", {"relation": str(key), **attrs})
                       for i, (u, v, key, attrs) in enumerate(graph.edges(keys=True, data=True)))
    nx.write_graphml(out, path, named_key_ids=False)


def read_graphml(path: Path | str) -> nx.MultiGraph:
    """A GraphML file of :func:`write_graphml` as the partner network: nodes by IRI, edges keyed by relation."""
    read = nx.read_graphml(path, force_multigraph=True)
    graph = nx.MultiGraph(**read.graph)
    graph.add_nodes_from((attrs["iri"], attrs) for _, attrs in read.nodes(data=True))
    iri = dict(read.nodes(data="iri"))
    graph.add_edges_from((iri[u], iri[v], attrs["relation"], attrs) for u, v, attrs in read.edges(data=True))
    return graph


def write_gexf(graph: nx.MultiGraph, path: Path | str) -> None:
    """GEXF 1.2 whose ``lastmodifieddate`` is the data's date (``data_date``: its newest source's
    retrieval), or absent when the graph has none: networkx writes today's date there, so the same
    command gave another file each day."""
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    writer.add_graph(exportable(graph))
    meta = writer.xml.find("meta")
    if graph.graph.get("data_date"):
        meta.set("lastmodifieddate", graph.graph["data_date"])
    else:
        meta.attrib.pop("lastmodifieddate", None)
    with open(path, "wb") as f:
        writer.write(f)
