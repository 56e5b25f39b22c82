"""``pvd-graph validate``."""

from __future__ import annotations

from pvd_graph.cli._common import add_graph, add_quiet

HELP = "validate a graph file or build folder with the SHACL shapes and SPARQL checks"


def add_arguments(parser) -> None:
    parser.add_argument("graph_arg", nargs="?", default=None, metavar="GRAPH",
                        help="RDF file or build folder (the same as --graph; default: the last build, ./pvd-build)")
    add_graph(parser)
    parser.add_argument("--format", choices=("text", "turtle", "json"), default="text",
                        help="report format (default: text)")
    add_quiet(parser)


def run(args) -> int:
    from pvd_graph.errors import EXIT_OK, EXIT_PROBLEMS, UserError
    from pvd_graph.validate import validate_file

    if args.graph_arg is not None and args.graph is not None and args.graph_arg != args.graph:
        raise UserError(f"two graphs given ({args.graph_arg} and --graph {args.graph}); give one")
    report = validate_file(args.graph if args.graph is not None else args.graph_arg)
    print(report.render(args.format))
    return EXIT_OK if report.conforms else EXIT_PROBLEMS
