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
import re
from collections.abc import Callable
from pathlib import Path

import networkx as nx

from pvd_graph.errors import UserError
from pvd_graph.namespaces import ID
from pvd_graph.network import NODE_TYPES, RELATIONS, aggregate_communes, collapse

#: Above this many nodes, communes are merged into their EPCI for drawing.
HTML_AGGREGATE_ABOVE = 1500
#: Above this many nodes (after aggregation) a drawing is refused.
HTML_MAX_NODES = 4000
#: Pictures get crowded sooner than the interactive page.
IMAGE_AGGREGATE_ABOVE = 400

#: Colours per node type (Okabe–Ito palette, readable by colour-blind people).
COLOURS = {
    "commune": "#56B4E9", "epci": "#0072B2", "departement": "#009E73", "region": "#2CA02C",
    "state": "#D55E00", "agency": "#E69F00", "organisation": "#CC79A7", "programme": "#F0E442",
    "convention": "#8C8C8C", "resource": "#CCCCCC",
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
EDGE_COLOURS = {
    "cosigned": "#555555", "signatory": "#555555", "concerns": "#AAAAAA", "memberOf": "#0072B2",
    "participatesIn": "#C9B800", "ledBy": "#E69F00", "partner": "#E69F00",
    "underProgramme": "#C9B800", "partOf": "#8C8C8C",
}

EXTENSIONS = (".html", ".png", ".svg", ".graphml", ".gexf")


def write_network(graph: nx.MultiGraph, path: Path | str, title: str | None = None) -> nx.MultiGraph:
    """Write *graph* to *path*, in the format its extension names; returns the graph written.

    The graph written is *graph* itself, or its aggregation by EPCI for a
    large HTML page or picture (see the module docstring).
    """
    path = Path(path)
    writer = writer_for(path)
    if writer in (write_graphml, write_gexf):
        writer(graph, path)
        return graph
    return writer(graph, path, title=title)


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
    """*graph*, aggregated by EPCI when above *aggregate_above* nodes; refuses what stays too big."""
    if aggregate_above is None:
        aggregate_above = HTML_AGGREGATE_ABOVE
    if graph.number_of_nodes() > aggregate_above:
        graph = aggregate_communes(graph)
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
        parts.append("(communes regroupées par EPCI)")
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


def _vis_data(graph: nx.MultiGraph) -> dict:
    degree = dict(graph.degree())
    nodes = []
    for n, attrs in graph.nodes(data=True):
        node_type = attrs.get("type", "resource")
        size = 10 + min(30, 3 * degree[n] ** 0.5)
        if attrs.get("distance") == 0 and node_type not in ("convention", "programme"):
            size += 10
        nodes.append({
            "id": n, "label": attrs.get("label", n), "title": _tooltip(attrs), "iri": attrs.get("iri", n),
            "group": node_type, "shape": SHAPES.get(node_type, "dot"), "size": round(size, 1),
            "color": COLOURS.get(node_type, COLOURS["resource"]),
        })
    edges = []
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        weight = attrs.get("weight", 1)
        title = RELATIONS.get(key, key) + (f" ({weight} conventions)" if key == "cosigned" else "")
        edges.append({
            "from": u, "to": v, "title": title, "relation": key,
            "width": min(8, 1 + weight) if key == "cosigned" else 1.5,
            "dashes": key in ("memberOf", "concerns", "participatesIn"),
            "color": {"color": EDGE_COLOURS.get(key, "#999999"), "opacity": 0.7},
        })
    return {"nodes": nodes, "edges": edges}


def _legend_html(graph: nx.MultiGraph) -> str:
    types = {t for _, t in graph.nodes(data="type")}
    relations = {k for _, _, k in graph.edges(keys=True)}
    items = [f'<li><span class="sw" style="background:{COLOURS[t]}"></span>{html.escape(name)}</li>'
             for t, name in NODE_TYPES.items() if t in types]
    items += [f'<li><span class="ln{" dash" if r in ("memberOf", "concerns", "participatesIn") else ""}" '
              f'style="border-color:{EDGE_COLOURS[r]}"></span>{html.escape(name)}</li>'
              for r, name in RELATIONS.items() if r in relations]
    return "\n".join(items)


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
.ln { display: inline-block; width: 18px; border-top: 2px solid; margin-right: 5px; vertical-align: 3px; }
.ln.dash { border-top-style: dashed; }
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
      if (n && n.iri) { window.open(n.iri, "_blank", "noopener"); }
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


def write_html(graph: nx.MultiGraph, path: Path | str, title: str | None = None) -> nx.MultiGraph:
    """A self-contained interactive page of *graph*; returns the graph drawn (maybe aggregated)."""
    graph = drawable(graph)
    script, css = _vis_assets()
    title = title or default_title(graph)
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    page = (_PAGE
            .replace("__TITLE__", html.escape(title))
            .replace("__COUNT__", f"{n} nœuds · {m} liens (chargement…)")
            .replace("__LEGEND__", _legend_html(graph))
            .replace("__DATA__", _json_for_script(_vis_data(graph)))
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
            widths = [min(6, 0.6 + graph.edges[u, v, key].get("weight", 1) * 0.6) for u, v in edgelist]
            nx.draw_networkx_edges(graph, pos, edgelist=edgelist, ax=ax, edge_color=EDGE_COLOURS[key],
                                   width=widths, alpha=0.6,
                                   style="dashed" if key in ("memberOf", "concerns", "participatesIn") else "solid")
    degree = dict(graph.degree())
    scale = min(1.0, (60 / graph.number_of_nodes()) ** 0.5)  # smaller marks for crowded pictures
    for node_type in NODE_TYPES:
        nodelist = [n for n, t in graph.nodes(data="type") if t == node_type]
        if nodelist:
            sizes = [scale * (180 + 120 * min(25, degree[n]) ** 0.5) for n in nodelist]
            nx.draw_networkx_nodes(graph, pos, nodelist=nodelist, ax=ax, node_color=COLOURS[node_type],
                                   node_shape=MARKERS[node_type], node_size=sizes,
                                   edgecolors="#333333", linewidths=0.6)
    labels = {n: _short(graph.nodes[n].get("label", n))
              for n in _labelled(graph, 60 if graph.number_of_nodes() <= 60 else 25)}
    ys = [y for _, y in pos.values()]
    drop = 0.035 * ((max(ys) - min(ys)) or 1)  # labels under their node, not over it
    label_pos = {n: (x, y - drop) for n, (x, y) in pos.items()}
    nx.draw_networkx_labels(graph, label_pos, labels=labels, ax=ax, font_size=9 if len(labels) <= 30 else 7,
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
    present = {t for _, t in graph.nodes(data="type")}
    handles = [Line2D([], [], marker=MARKERS[t], linestyle="", markersize=10, markerfacecolor=COLOURS[t],
                      markeredgecolor="#333333", label=name) for t, name in NODE_TYPES.items() if t in present]
    relations = {k for _, _, k in graph.edges(keys=True)}
    handles += [Line2D([], [], color=EDGE_COLOURS[r], label=name,
                       linestyle="--" if r in ("memberOf", "concerns", "participatesIn") else "-")
                for r, name in RELATIONS.items() if r in relations]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=10)
    ax.set_title(title or default_title(graph), fontsize=13)
    ax.set_axis_off()
    ax.margins(0.08)
    fig.tight_layout()
    fmt = Path(path).suffix[1:].lower()
    # SVG keeps its text as text (searchable, selectable); no date, so output is repeatable.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pvd-graph"}):
        fig.savefig(path, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return graph


def _short(label: str, width: int = 40) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


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
    nx.write_gexf(exportable(graph), path)
