"""``pvd-graph map``."""

from __future__ import annotations

from pvd_graph.cli._common import Progress, add_graph, add_quiet

HELP = "map the towns of a programme: points over département and région outlines (PNG, SVG, offline HTML)"


def add_arguments(parser) -> None:
    add_graph(parser)
    parser.add_argument("--programme", action="append", required=True, metavar="SLUG",
                        help="programme to map (pvd, acv, ort, …); repeat for several, coloured by programme")
    parser.add_argument("--departement", metavar="CODE", help="only this département (e.g. 73)")
    parser.add_argument("--region", metavar="CODE", help="only this région (INSEE code, e.g. 84)")
    parser.add_argument("--as-of", metavar="DATE",
                        help="only the towns in the programme at this date (YYYY-MM-DD), as towns-in-programme's date")
    parser.add_argument("--colour-by", choices=("programme", "status"),
                        help="point colours: the participation status (default for one programme) or the programme")
    parser.add_argument("--choropleth", action="store_true",
                        help="PNG/SVG: shade each département by its number of the programme's towns")
    parser.add_argument("--outlines", metavar="GEOJSON",
                        help="département outlines (default: the contours/ files the build's sources held)")
    parser.add_argument("--region-outlines", metavar="GEOJSON", help="région outlines drawn over them")
    parser.add_argument("--link-base", metavar="URL",
                        help="HTML: points link to their page on this pvd-graph serve instead of their IRI")
    parser.add_argument("--out", required=True, metavar="FILE", help="output file: .png, .svg or .html")
    add_quiet(parser)


def run(args) -> int:
    import sys
    from pathlib import Path

    from pvd_graph import maps, resources, store
    from pvd_graph.cli.viz import link_base
    from pvd_graph.network import as_of_day
    from pvd_graph.errors import UserError

    out = Path(args.out)
    if out.suffix.lower() not in maps.EXTENSIONS:
        raise UserError(f"{out}: unknown map extension {out.suffix!r}; expected one of {', '.join(maps.EXTENSIONS)}")
    if not out.parent.is_dir():
        raise UserError(f"{out.parent}: no such folder")
    if out.suffix.lower() == ".html":
        maps._folium()  # the optional Leaflet package is there, or one line says how to get it
    base = link_base(args.link_base)
    as_of = as_of_day(args.as_of) if args.as_of is not None else None  # a bad date: one line, before loading
    progress = Progress(args.quiet)
    build = Path(args.graph) if args.graph else resources.DEFAULT_BUILD_DIR
    dep_file, reg_file, unfound = maps.default_outlines(build if build.is_dir() else None)
    dep_file = Path(args.outlines) if args.outlines else dep_file
    reg_file = Path(args.region_outlines) if args.region_outlines else (None if args.outlines else reg_file)
    departements = maps.load_outlines(dep_file) if dep_file else None
    regions = maps.load_outlines(reg_file) if reg_file else None
    ds = store.open_built(args.graph)
    progress("graph loaded")
    data = maps.map_data(ds, args.programme, departement=args.departement, region=args.region,
                         colour_by=args.colour_by, as_of=as_of)
    if not data.towns and not data.unplaced:
        raise UserError(f"no town of {', '.join(args.programme)} matches the filters given")
    if departements is None and unfound and not args.outlines:  # the build had outlines, not found from here
        print(f"pvd-graph map: warning: the build's outlines {unfound[0]} are not found from {Path.cwd()} "
              "(the build names them as it was given them: run from the folder it ran in, or give "
              "--outlines GEOJSON): points only", file=sys.stderr)
    elif departements is None:  # said even with -q (once the request is known good): points without outlines
        print("pvd-graph map: warning: no département outlines (give --outlines GEOJSON, or build with the "
              "contours/ folder): points only", file=sys.stderr)
    if data.unplaced:
        sample = ", ".join(f"{t.name} ({t.insee})" for t in data.unplaced[:5])
        progress(f"{len(data.unplaced)} town(s) without a known position are not drawn (said in the legend): {sample}"
                 + (", …" if len(data.unplaced) > 5 else ""))
    maps.write_map(data, out, departements, regions, choropleth=args.choropleth, link_base=base)
    progress(f"wrote {out}: {len(data.towns)} towns placed, {len(data.unplaced)} without a position")
    return 0
