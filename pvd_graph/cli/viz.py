"""``pvd-graph viz``."""

from __future__ import annotations

from pvd_graph.cli._common import Progress, add_graph, add_quiet

HELP = "draw the partner network: interactive HTML, PNG/SVG picture, GraphML or GEXF"


def add_network_filters(parser) -> None:
    """Options shared by ``viz`` and ``network-stats``."""
    add_graph(parser)
    parser.add_argument("--programme", metavar="SLUG", help="only this programme (pvd, acv, ort, crte, ti, va, france-services, …)")
    parser.add_argument("--departement", metavar="CODE", help="only this département (e.g. 73)")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD",
                        help="the network as of this date: conventions signed by then, towns selected by then, "
                             "memberships valid then")


def add_arguments(parser) -> None:
    add_network_filters(parser)
    parser.add_argument("--focus", metavar="INSEE|SIREN|IRI|NAME",
                        help="ego network around this commune, EPCI or resource (a commune or EPCI may be given "
                             "by name: Albertville)")
    parser.add_argument("--depth", type=int, default=1, metavar="N",
                        help="ego network radius in actor-to-actor steps (default 1; conventions and programmes count 0)")
    parser.add_argument("--no-conventions", dest="conventions", action="store_false",
                        help="no convention nodes: tie signatories directly, weighted by shared conventions")
    parser.add_argument("--title", help="title of the page or picture")
    parser.add_argument("--link-base", metavar="URL",
                        help="HTML: a click opens the node's page on this pvd-graph serve (e.g. http://127.0.0.1:8000) "
                             "instead of its https://w3id.org/… IRI")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="output file: .html, .png, .svg, .graphml or .gexf")
    add_quiet(parser)


def link_base(value: str | None) -> str | None:
    """--link-base checked: an http(s) address, one line otherwise."""
    from urllib.parse import urlsplit

    from pvd_graph.errors import UserError
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UserError(f"--link-base {value!r}: expected the address of a pvd-graph serve, e.g. http://127.0.0.1:8000")
    return value


def run(args) -> int:
    from pathlib import Path

    from pvd_graph import lookup, store
    from pvd_graph.network import as_of_day, build_network
    from pvd_graph.visualise import write_network, writer_for

    writer_for(Path(args.out))  # a wrong extension (or --link-base, or a bad date) fails before the graph is loaded
    link_base(args.link_base)
    if args.as_of is not None:
        as_of_day(args.as_of)
    progress = Progress(args.quiet)
    ds = store.open_built(args.graph)
    progress("graph loaded")
    focus = args.focus
    if focus is not None and lookup.looks_like_name(focus):
        match = lookup.resolve_name(ds, focus, kinds=("commune", "epci"), what="--focus")
        progress(f"--focus {focus.strip()} read as {match.describe()}")
        focus = match.iri
    graph = build_network(ds, focus=focus, depth=args.depth, programme=args.programme,
                          departement=args.departement, include_conventions=args.conventions,
                          as_of=args.as_of)
    progress(f"network: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
    drawn = write_network(graph, Path(args.out), title=args.title, link_base=link_base(args.link_base))
    note = f" ({drawn.graph['aggregated']})" if drawn.graph.get("aggregated") else ""
    progress(f"wrote {args.out}: {drawn.number_of_nodes()} nodes, {drawn.number_of_edges()} edges{note}")
    return 0
