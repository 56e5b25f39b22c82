"""Maps of programme towns: points over département and région outlines (PNG, SVG, offline HTML).

PNG and SVG are drawn by matplotlib; the HTML page is a Leaflet map made with folium-offline (the
optional extra ``maps``: folium with Leaflet's script and styles embedded, so the page needs no CDN),
without a tile layer: the outlines are drawn as GeoJSON.

The points are the graph's own GeoSPARQL geometries (``geo:hasGeometry/geo:asWKT``, one per
source that gives a position); the outlines are GeoJSON the user gives (``--outlines``) or, by
default, the département and région outlines that the build's source folders held (the
``contours/`` of ``../shared/more-data``, which the build sets aside as drawing data and names in
``manifest.json``). Nothing is fetched from a tile server or a CDN.

What cannot be placed is said, never dropped silently: a town without a point, or whose only
points lie outside its zone (the ANCT ACV files place overseas towns at the positions of their
own inset maps, not at their coordinates), is counted in the legend and in the log.

Overseas départements are drawn as insets, each at its real coordinates, in a column beside
metropolitan France (the outlines shipped in ``contours/`` cover metropolitan France only: the
insets then show their points in a frame, and say that their outline is not provided).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pvd_graph import store
from pvd_graph.errors import UserError
from pvd_graph.namespaces import ONTOLOGY, RDFS, ids
from pvd_graph.visualise import link

#: Bounding boxes (lon min, lon max, lat min, lat max) of metropolitan France and of each overseas
#: département: a point outside its zone's box is not a position of the town (see the module docstring).
ZONES = {
    "metro": (-5.5, 10.0, 41.0, 51.5),
    "971": (-62.0, -60.9, 15.8, 16.6),   # Guadeloupe
    "972": (-61.3, -60.7, 14.3, 14.95),  # Martinique
    "973": (-54.7, -51.5, 2.0, 6.0),     # Guyane
    "974": (55.1, 56.0, -21.5, -20.8),   # La Réunion
    "976": (44.9, 45.4, -13.1, -12.5),   # Mayotte
}
OVERSEAS = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte"}

#: Colours of categories (Okabe–Ito, then Tol's muted palette): programme slugs or statuses, in order.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#332288",
           "#882255", "#117733", "#999933", "#AA4499")
ATTRIBUTION = "Contours : IGN Admin Express COG simplifié (Licence Ouverte) · points : sources du graphe"
#: What a map drawn without outlines says instead (it must not credit outlines it does not show).
NO_OUTLINES = "Points : sources du graphe · contours non fournis (--outlines)"


def attribution(departements) -> str:
    return ATTRIBUTION if departements else NO_OUTLINES

_QUERY = """
PREFIX pvd: <{ont}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
SELECT ?town ?insee ?name ?dep ?reg
       (GROUP_CONCAT(DISTINCT STR(?wkt); separator="|") AS ?points)
       (GROUP_CONCAT(DISTINCT STR(?st); separator=" ; ") AS ?statuses) WHERE {{
  ?town pvd:participatesIn <{programme}> ; a pvd:Commune ; pvd:inseeCode ?insee ; pvd:inDepartement ?d .
  ?d pvd:inseeCode ?dep .
  OPTIONAL {{ ?d pvd:inRegion/pvd:inseeCode ?reg }}
  OPTIONAL {{ ?town rdfs:label ?name }}
  OPTIONAL {{ ?town geo:hasGeometry/geo:asWKT ?wkt }}
  OPTIONAL {{ ?p pvd:participant ?town ; pvd:inProgramme <{programme}> ; pvd:participationStatus ?st }}
}} GROUP BY ?town ?insee ?name ?dep ?reg ORDER BY ?insee
"""


@dataclass
class Town:
    iri: str
    insee: str
    name: str
    departement: str
    region: str
    category: str
    lon: float | None = None
    lat: float | None = None

    @property
    def zone(self) -> str:
        return self.departement if self.departement in OVERSEAS else "metro"


@dataclass
class MapData:
    """What a map draws: placed towns, the ones it could not place, and what was asked."""
    towns: list[Town]
    unplaced: list[Town]
    programmes: list[str]
    colour_by: str
    categories: list[str] = field(default_factory=list)
    departement: str | None = None
    region: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # programme slug → its label in the graph
    as_of: str | None = None


def _parse_point(wkt: str) -> tuple[float, float] | None:
    text = wkt.strip()
    if not text.upper().startswith("POINT(") or not text.endswith(")"):
        return None
    try:
        lon, lat = (float(x) for x in text[6:-1].split())
    except ValueError:
        return None
    return lon, lat


def _in_zone(lon: float, lat: float, zone: str) -> bool:
    x0, x1, y0, y1 = ZONES[zone]
    return x0 <= lon <= x1 and y0 <= lat <= y1


def map_data(ds, programmes: list[str], departement: str | None = None, region: str | None = None,
             colour_by: str | None = None, as_of: str | None = None) -> MapData:
    """The towns of *programmes* (slugs) with a position, filtered by *departement* or *region* code.

    *colour_by*: ``programme`` or ``status`` (the participation status the graph gives);
    by default ``status`` for one programme, ``programme`` for several. A town in several
    of the programmes drawn is the category "a + b" (by status, with several programmes: "a : its
    status + b : its status"). *as_of* (``YYYY-MM-DD``): only the towns in
    the programme at that date, by the rules of ``towns-in-programme``'s ``date`` (the catalogue
    query itself decides, so the map and the query never disagree); statuses are then today's.
    """
    if not programmes:
        raise UserError("map: give at least one --programme (e.g. --programme pvd)")
    prefixes = {"pvd": ONTOLOGY, "rdfs": str(RDFS)}
    known = {str(row[0]).rsplit("/", 1)[-1] for row in store.query(
        ds, "SELECT DISTINCT ?p WHERE { ?p a pvd:Programme }", prefixes=prefixes)}
    unknown = [p for p in programmes if p not in known]
    if unknown:
        raise UserError(f"--programme {unknown[0]!r}: no such programme in the graph (known: {', '.join(sorted(known))})")
    labels = {str(r[0]).rsplit("/", 1)[-1]: str(r[1]) for r in store.query(
        ds, "SELECT ?p ?l WHERE { ?p a pvd:Programme ; rdfs:label ?l FILTER(LANG(?l) = 'fr' || LANG(?l) = '') }",
        prefixes=prefixes)}
    colour_by = colour_by or ("status" if len(programmes) == 1 else "programme")
    if colour_by not in ("programme", "status"):
        raise UserError(f"--colour-by {colour_by!r}: expected programme or status")
    selected = _towns_as_of(ds, programmes, as_of) if as_of else None
    by_town: dict[str, Town] = {}
    in_programmes: dict[str, list[str]] = {}
    statuses: dict[str, list[str]] = {}
    points: dict[str, list[str]] = {}
    for slug in programmes:
        for row in store.query(ds, _QUERY.format(ont=ONTOLOGY, programme=ids.programme(slug))):
            d = row.asdict()
            iri = str(d["town"])
            dep, reg = str(d["dep"]), str(d.get("reg", ""))
            if departement and dep != departement or region and reg != region:
                continue
            if selected is not None and str(d["insee"]) not in selected[slug]:
                continue
            status = str(d.get("statuses", "")) or "statut non donné"
            town = by_town.setdefault(iri, Town(iri, str(d["insee"]), str(d.get("name", d["insee"])), dep, reg, status))
            in_programmes.setdefault(iri, []).append(slug)
            statuses.setdefault(iri, []).append(f"{slug} : {status}")
            points.setdefault(iri, []).extend(p for p in str(d.get("points", "")).split("|") if p)
    for iri, town in by_town.items():
        if colour_by == "programme":
            town.category = " + ".join(in_programmes[iri])
        elif len(programmes) > 1:  # each programme's own status, never one programme's for all
            town.category = " + ".join(statuses[iri])
        for wkt in sorted(set(points[iri])):
            xy = _parse_point(wkt)
            if xy and _in_zone(*xy, town.zone):
                town.lon, town.lat = xy
                break
    towns = sorted(by_town.values(), key=lambda t: t.insee)
    placed = [t for t in towns if t.lon is not None]
    counts = Counter(t.category for t in towns)
    categories = sorted(counts, key=lambda c: (-counts[c], c))
    return MapData(placed, [t for t in towns if t.lon is None], list(programmes), colour_by, categories,
                   departement, region, {p: labels.get(p, p) for p in programmes}, as_of)


def _towns_as_of(ds, programmes: list[str], as_of: str) -> dict[str, set[str]]:
    """programme slug → INSEE codes of its towns at *as_of*, as ``towns-in-programme date=…`` gives them."""
    from pvd_graph.query import plain, run_query

    found = {}
    for slug in programmes:
        columns, rows = run_query(ds, "towns-in-programme", {"programme": slug, "date": as_of})
        at = columns.index("insee")
        found[slug] = {str(plain(row[at])) for row in rows}
    return found


# --- outlines ---------------------------------------------------------------------------

def load_outlines(path: Path) -> list[tuple[str, str, list[list[tuple[float, float]]]]]:
    """(code, name, rings) of each feature of a GeoJSON file of polygons; one line for a bad file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not a readable GeoJSON file ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise UserError(f"{path}: not a GeoJSON FeatureCollection")
    out = []
    for i, feature in enumerate(data.get("features", []), start=1):
        geometry = (feature or {}).get("geometry") or {}
        props = (feature or {}).get("properties") or {}
        kind, coords = geometry.get("type"), geometry.get("coordinates")
        polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
        if polygons is None:
            raise UserError(f"{path}: feature {i}: geometry {kind!r} is not a Polygon or MultiPolygon")
        rings = [[(float(x), float(y)) for x, y, *_ in ring] for polygon in polygons for ring in polygon]
        out.append((str(props.get("code", "")), str(props.get("nom", props.get("name", ""))), rings))
    return out


def default_outlines(build: Path | None) -> tuple[Path | None, Path | None, list[str]]:
    """The département and région outline files the build's source folders held (or None), and
    the outline files the build recorded that cannot be found from here.

    The manifest names the files as the build was given them (relative to the folder it ran in):
    run from another folder, they are not found, and the caller says so rather than drawing a
    map without outlines as if none had been given.
    """
    if build is None or not (Path(build) / "manifest.json").is_file():
        return None, None, []
    manifest = json.loads((Path(build) / "manifest.json").read_text(encoding="utf-8"))
    found: dict[str, Path] = {}
    missing: list[str] = []
    for name in manifest.get("ignored", []):
        low = Path(name).name.lower()
        for kind in ("departements", "regions"):
            if low.startswith(kind) and low.endswith(".geojson"):
                if Path(name).is_file():
                    found.setdefault(kind, Path(name))
                else:
                    missing.append(name)
    return found.get("departements"), found.get("regions"), missing


# --- drawing ------------------------------------------------------------------------------

def colours(data: MapData) -> dict[str, str]:
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(data.categories)}


def title(data: MapData) -> str:
    what = " et ".join(data.labels.get(p, p) for p in data.programmes)
    where = (f" — département {data.departement}" if data.departement
             else f" — région {data.region}" if data.region else "")
    when = f" au {data.as_of}" if data.as_of else ""
    return f"Communes du programme {what}{where}{when}"


def legend_lines(data: MapData) -> list[tuple[str | None, str]]:
    """(colour or None, text) for each category with its count, then what was not placed."""
    placed = Counter(t.category for t in data.towns)
    lines: list[tuple[str | None, str]] = [(colours(data)[c], f"{c} ({placed[c]})") for c in data.categories
                                          if placed[c]]
    if data.unplaced:
        lines.append((None, f"{len(data.unplaced)} commune(s) sans position connue, non placée(s)"))
    return lines


def _shown_outlines(data: MapData, departements, regions) -> tuple[list, list]:
    """The département and région outlines a map of *data* draws: those of the département or région
    asked for (a région's départements are those of its towns), every one otherwise; no région
    outline on a map of one département."""
    deps = [d for d in departements or [] if not data.departement or d[0] == data.departement]
    if data.region:
        of_region = {t.departement for t in data.towns + data.unplaced}
        deps = [d for d in deps if d[0] in of_region]
    shown_regions = [r for r in regions or [] if not data.departement and (not data.region or r[0] == data.region)]
    return deps, shown_regions


def _bounds(rings, towns: list[Town]) -> tuple[float, float, float, float]:
    xs = [x for ring in rings for x, _ in ring] + [t.lon for t in towns]
    ys = [y for ring in rings for _, y in ring] + [t.lat for t in towns]
    if not xs:
        return ZONES["metro"]
    pad = 0.03 * max(max(xs) - min(xs), max(ys) - min(ys), 0.2)
    return min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad


def write_image(data: MapData, path: Path, departements=None, regions=None, choropleth: bool = False) -> None:
    """PNG or SVG: metropolitan France (or the area asked) with overseas insets, legend and counts."""
    import matplotlib

    fig, _axes = draw(data, departements, regions, choropleth)
    fmt = Path(path).suffix[1:].lower()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pvd-graph"}):
        fig.savefig(path, format=fmt, metadata={"Date": None} if fmt == "svg" else None)


def draw(data: MapData, departements=None, regions=None, choropleth: bool = False):
    """The map as a matplotlib Figure (never through pyplot) and its axes by zone (``metro``, ``971``…)."""
    import matplotlib
    from matplotlib.collections import PatchCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon

    metro = [t for t in data.towns if t.zone == "metro"]
    overseas = sorted({t.zone for t in data.towns if t.zone != "metro"})
    shown_deps, shown_regions = _shown_outlines(data, departements, regions)
    main_area = bool(metro) or (not overseas and bool(shown_deps))
    fig = Figure(figsize=(12, 10), dpi=110)
    ax = fig.add_axes((0.22, 0.06, 0.56, 0.86)) if main_area else None
    axes = {"metro": ax} if ax is not None else {}
    palette = colours(data)
    if ax is not None:
        per_dep = Counter(t.departement for t in data.towns + data.unplaced)
        patches, faces = [], []
        cmap = matplotlib.colormaps["Greys"]  # no hue: the points keep theirs
        top = max(per_dep.values(), default=1)
        for code, _name, rings in shown_deps:
            for ring in rings:
                patches.append(Polygon(ring, closed=True))
                faces.append(cmap(0.05 + 0.5 * per_dep[code] / top) if choropleth and per_dep.get(code) else "#f1f1ef")
        ax.add_collection(PatchCollection(patches, facecolors=faces, edgecolors="#b5b5b5", linewidths=0.4))
        if shown_regions:
            ax.add_collection(PatchCollection([Polygon(r, closed=True) for _c, _n, rings in shown_regions for r in rings],
                                              facecolors="none", edgecolors="#6b6b6b", linewidths=0.9))
        _scatter(ax, metro, palette)
        x0, x1, y0, y1 = _bounds([r for _c, _n, rings in shown_deps for r in rings], metro)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
        ax.set_axis_off()
        if choropleth:
            from matplotlib.cm import ScalarMappable
            from matplotlib.colors import Normalize
            shades = matplotlib.colors.LinearSegmentedColormap.from_list("shades", [cmap(0.05), cmap(0.55)])
            bar = fig.colorbar(ScalarMappable(Normalize(0, top), shades), ax=ax, fraction=0.03, pad=0.01)
            bar.set_label("communes du programme par département")
    for i, zone in enumerate(overseas):  # insets, one under the other on the left
        inset = axes[zone] = fig.add_axes((0.02, 0.76 - i * 0.17, 0.17, 0.15))
        towns = [t for t in data.towns if t.zone == zone]
        _scatter(inset, towns, palette, size=14)
        x0, x1, y0, y1 = ZONES[zone]
        inset.set_xlim(x0, x1)
        inset.set_ylim(y0, y1)
        inset.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_title(f"{OVERSEAS[zone]} ({len(towns)})", fontsize=9)
        if not any(code == zone for code, _n, _r in departements or []):
            inset.text(0.5, 0.04, "contour non fourni", transform=inset.transAxes, ha="center", fontsize=7, color="#777")
    handles = [Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor=colour or "white",
                      markeredgecolor="#333333" if colour else "white", label=text)
               for colour, text in legend_lines(data)]
    fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.995, 0.93), frameon=False, fontsize=9,
               title="statut" if data.colour_by == "status" else "programme", title_fontsize=9)
    fig.suptitle(f"{title(data)} · {len(data.towns) + len(data.unplaced)} communes", fontsize=13)
    fig.text(0.99, 0.01, attribution(shown_deps), ha="right", fontsize=7, color="#555555")
    return fig, axes


def _scatter(ax, towns: list[Town], palette: dict[str, str], size: float = 9) -> None:
    for category, colour in palette.items():
        chosen = [t for t in towns if t.category == category]
        if chosen:
            ax.scatter([t.lon for t in chosen], [t.lat for t in chosen], s=size, c=colour,
                       edgecolors="#222222", linewidths=0.25, zorder=3)


# --- offline HTML -------------------------------------------------------------------------

#: What an ``.html`` map needs, and how to get it (one line, like the network page's viewer).
HTML_MAP_MISSING = ("an .html map needs Leaflet, which comes with the optional package folium-offline: "
                    "pip install 'pvd-graph[maps]' (from a clone: pip install '.[maps]'); .png and .svg need nothing more")


def _folium():
    try:
        import offlinefolium
    except ImportError:
        raise UserError(HTML_MAP_MISSING) from None
    return offlinefolium


#: A map with at most this many towns shows their tooltips (name, code, status) permanently.
LABEL_UP_TO = 40


def _feature_collection(outlines) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code, "nom": name},
         "geometry": {"type": "MultiPolygon", "coordinates": [[[list(xy) for xy in ring]] for ring in rings]}}
        for code, name, rings in outlines]}


def write_html(data: MapData, path: Path, departements=None, regions=None, link_base: str | None = None) -> None:
    """A self-contained Leaflet page (folium-offline: Leaflet's script and styles inlined, no tile layer):
    outlines, one circle per town with a tooltip and a link to its page, a legend with counts and
    buttons that frame each overseas département at its real coordinates."""
    folium = _folium()
    palette = colours(data)
    deps, shown_regions = _shown_outlines(data, departements, regions)
    metro = [t for t in data.towns if t.zone == "metro"] or data.towns
    x0, x1, y0, y1 = _bounds([r for _c, _n, rings in deps for r in rings], metro)
    fmap = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], tiles=None, zoom_start=6, prefer_canvas=False,
                      control_scale=True)
    fmap.get_root().header.add_child(folium.Element(
        '<meta name="generator" content="pvd-graph">'
        '<style>.leaflet-container { background: #ffffff; } .pvd-legend { background: #fff; padding: 6px 9px;'
        ' font: 13px system-ui, sans-serif; border: 1px solid #bbb; max-width: 300px; }'
        ' .pvd-legend .sw { display: inline-block; width: 10px; height: 10px; border-radius: 50%;'
        ' border: 1px solid #333; margin-right: 6px; } .pvd-legend small { color: #555; }</style>'))
    fmap.get_root().header.add_child(folium.Element(f"<title>{html.escape(title(data))}</title>"))
    if deps:
        folium.GeoJson(_feature_collection(deps), name="départements",
                       style_function=lambda _f: {"fillColor": "#f1f1ef", "color": "#b5b5b5", "weight": 0.7,
                                                  "fillOpacity": 1},
                       tooltip=folium.GeoJsonTooltip(fields=["nom", "code"], aliases=["", "code"])).add_to(fmap)
    if shown_regions:
        folium.GeoJson(_feature_collection(shown_regions), name="régions", interactive=False,
                       style_function=lambda _f: {"fill": False, "color": "#6b6b6b", "weight": 1.3}).add_to(fmap)
    named = len(data.towns) <= LABEL_UP_TO  # a small map names its towns, a big one on hover
    for category, colour in palette.items():
        layer = folium.FeatureGroup(name=category)
        for t in data.towns:
            if t.category == category:
                href = html.escape(link(t.iri, link_base))
                folium.CircleMarker([t.lat, t.lon], radius=4, color="#222222", weight=0.6, fill=True,
                                    fill_color=colour, fill_opacity=1,
                                    # a small map names its towns (the popup gives code and link), a big one
                                    # shows name, code and status on hover
                                    tooltip=folium.Tooltip(html.escape(t.name), permanent=True, direction="right",
                                                           style="font-size: 11px; padding: 0 3px")
                                    if named else f"{html.escape(t.name)} ({t.insee}) — {html.escape(category)}",
                                    popup=folium.Popup(f'<a href="{href}">{html.escape(t.name)} ({t.insee})</a>'
                                                       f" — {html.escape(category)}")
                                    ).add_to(layer)
        layer.add_to(fmap)
    fmap.fit_bounds([[y0, x0], [y1, x1]])
    lines = "".join(f'<div><span class="sw" style="background:{c}"></span>{html.escape(text)}</div>' if c
                    else f"<div><small>{html.escape(text)}</small></div>" for c, text in legend_lines(data))
    zones = sorted({t.zone for t in data.towns if t.zone != "metro"})
    jumps = " ".join(
        f'<button type="button" data-bounds="{ZONES[z][2]},{ZONES[z][0]},{ZONES[z][3]},{ZONES[z][1]}">'
        f'{OVERSEAS[z]} ({sum(1 for t in data.towns if t.zone == z)})</button>' for z in zones)
    if zones:
        jumps += f' <button type="button" data-bounds="{y0},{x0},{y1},{x1}">retour</button>'
    legend = (f'<div class="pvd-legend"><b>{html.escape(title(data))}</b> · {len(data.towns) + len(data.unplaced)}'
              f' communes{lines}<div>{jumps}</div><small>{html.escape(attribution(deps))}</small></div>')
    name = fmap.get_name()
    fmap.get_root().script.add_child(folium.Element(f"""
document.addEventListener("DOMContentLoaded", function () {{  // after the map's own script
  var box = L.control({{position: "topright"}});
  box.onAdd = function () {{ var d = L.DomUtil.create("div"); d.innerHTML = {json.dumps(legend)};
    L.DomEvent.disableClickPropagation(d); return d; }};
  box.addTo({name});
  document.querySelectorAll(".pvd-legend button").forEach(function (b) {{
    b.addEventListener("click", function () {{ var v = b.dataset.bounds.split(",").map(Number);
      {name}.fitBounds([[v[0], v[1]], [v[2], v[3]]]); }}); }});
}});"""))
    Path(path).write_text(_stable_ids(fmap.get_root().render()), encoding="utf-8")


#: folium's element ids: 32 hex digits (uuid4) after the element's kind (``map_…``, ``popup_…``)
_RANDOM_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def _stable_ids(page: str) -> str:
    """*page* with folium's random element ids numbered in order of first appearance: one command
    writes the same file every run."""
    numbers: dict[str, str] = {}
    return _RANDOM_ID.sub(lambda m: numbers.setdefault(m.group(0), f"{len(numbers):05d}"), page)


EXTENSIONS = (".png", ".svg", ".html")


def write_map(data: MapData, path: Path, departements=None, regions=None, choropleth: bool = False,
              link_base: str | None = None) -> None:
    suffix = Path(path).suffix.lower()
    if suffix == ".html":
        write_html(data, path, departements, regions, link_base)
    elif suffix in (".png", ".svg"):
        write_image(data, path, departements, regions, choropleth)
    else:
        raise UserError(f"{path}: unknown map extension {Path(path).suffix!r}; expected one of {', '.join(EXTENSIONS)}")
