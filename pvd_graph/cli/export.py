"""``pvd-graph export``."""

from __future__ import annotations

from pvd_graph.cli._common import Progress, add_backend, add_graph, add_quiet

HELP = "write the built graph as Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML"

_FORMATS = ("ttl", "nt", "nq", "trig", "jsonld", "rdfxml")


def add_arguments(parser) -> None:
    parser.add_argument("--format", "-f", choices=_FORMATS, default="ttl",
                        help="ttl, nt (sorted), jsonld, rdfxml: union of the graphs; "
                             "nq (sorted), trig: one named graph per source (default: ttl)")
    add_graph(parser)
    parser.add_argument("--out", "-o", metavar="FILE", default=None, help="output file (default: stdout)")
    add_backend(parser)
    add_quiet(parser)


def run(args) -> int:
    from pvd_graph import store
    from pvd_graph.export import export_file

    progress = Progress(args.quiet)
    # N-Quads and TriG keep one named graph per source; the other formats write the union
    ds = store.open_built(args.graph, backend=args.backend,
                          graphs="named" if args.format in ("nq", "trig") else "union")
    progress(f"loaded {store.triple_count(ds)} quads")
    result = export_file(ds, args.format, args.out, progress)
    if args.out:
        counted = f"{result.statements} statements, " if result.statements else ""
        progress(f"{args.out}: {counted}{result.bytes} bytes")
    return 0
