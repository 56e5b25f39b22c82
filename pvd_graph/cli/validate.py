"""``pvd-graph validate``."""

from __future__ import annotations

import sys

from pvd_graph.cli._common import add_graph, add_quiet

HELP = "validate a graph file or build folder with the SHACL shapes and SPARQL checks"
EXIT_NOTE = ("exit status: 0 no violation (warnings and infos pass, although SHACL's sh:conforms, in the "
             "Turtle report, is then false), 1 violations, 2 usage or input error (a bad shapes file included)")


def add_shapes_options(parser) -> None:
    """--engine, --shapes, --only-shapes: shared by ``validate`` and ``build``."""
    parser.add_argument("--engine", choices=("auto", "shacl", "pyshacl"), default="auto",
                        help="SHACL engine: shacl (fast, Rust), pyshacl (the reference), or auto (default: shacl, "
                        "and pySHACL for each shape shacl cannot run, announced in the report)")
    parser.add_argument("--shapes", metavar="FILE_OR_DIR", action="extend", nargs="+", default=None,
                        help="shapes files or folders of your own, added to the project's shapes")
    parser.add_argument("--only-shapes", action="store_true",
                        help="validate with the --shapes only (not the project's shapes nor its SPARQL checks); "
                        "a W3C SHACL test file holds data and shapes: validate FILE --only-shapes --shapes FILE")


def add_arguments(parser) -> None:
    parser.epilog = EXIT_NOTE
    parser.add_argument("graph_arg", nargs="?", default=None, metavar="GRAPH",
                        help="RDF file or build folder (the same as --graph; default: the last build, ./pvd-build)")
    add_graph(parser)
    parser.add_argument("--format", choices=("text", "turtle", "json"), default="text",
                        help="report format (default: text; turtle: the W3C sh:ValidationReport)")
    add_shapes_options(parser)
    add_quiet(parser)


def run(args) -> int:
    from pvd_graph.errors import EXIT_OK, EXIT_PROBLEMS, UserError
    from pvd_graph.validate import validate_file

    if args.graph_arg is not None and args.graph is not None and args.graph_arg != args.graph:
        raise UserError(f"two graphs given ({args.graph_arg} and --graph {args.graph}); give one")
    report = validate_file(args.graph if args.graph is not None else args.graph_arg, engine=args.engine,
                           shapes=args.shapes, only_shapes=args.only_shapes)
    if not args.quiet:
        for line in report.engine_lines():
            print(f"pvd-graph validate: {line}", file=sys.stderr)
    print(report.render(args.format))
    return EXIT_OK if report.conforms else EXIT_PROBLEMS
