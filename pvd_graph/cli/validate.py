"""``pvd-graph validate``."""

from __future__ import annotations

from pvd_graph.cli._common import add_backend

HELP = "validate a graph file or build folder with the SHACL shapes and SPARQL checks"


def add_arguments(parser) -> None:
    parser.add_argument("graph", nargs="?", default=None, metavar="GRAPH",
                        help="RDF file or build folder (default: the last build, ./pvd-build)")
    parser.add_argument("--format", choices=("text", "turtle", "json"), default="text",
                        help="report format (default: text)")
    add_backend(parser)


def run(args) -> int:
    from pvd_graph.errors import EXIT_OK, EXIT_PROBLEMS
    from pvd_graph.validate import validate_file

    report = validate_file(args.graph, backend=args.backend)
    print(report.render(args.format))
    return EXIT_OK if report.conforms else EXIT_PROBLEMS
