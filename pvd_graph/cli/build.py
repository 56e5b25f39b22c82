"""``pvd-graph build``."""

from __future__ import annotations

import sys

from pvd_graph.cli._common import Progress, add_quiet
from pvd_graph.cli.validate import EXIT_NOTE, add_shapes_options

HELP = "assemble ontology, curated data and imported sources; validate; write the build folder"


def add_arguments(parser) -> None:
    parser.epilog = EXIT_NOTE
    parser.add_argument("--sources", metavar="DIR", action="extend", nargs="+",
                        help="folder(s) of official source files to import, read together as one import "
                        "(repeat or list several: --sources ../shared/data ../shared/more-data); "
                        "default: curated data only")
    parser.add_argument("--out", metavar="DIR", default=None, help="build folder to write (default: ./pvd-build)")
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="folder of curated Turtle to use instead of the embedded data/")
    parser.add_argument("--no-validate", action="store_true", help="skip validation (faster, not recommended)")
    parser.add_argument("--force", action="store_true",
                        help="build even when the inputs (source files, curated data, ontology, shapes, code, "
                        "options) are unchanged since the build in --out, which is otherwise reused as it is")
    add_shapes_options(parser)
    parser.add_argument("--show", type=int, default=50, metavar="N",
                        help="print at most N validation results (default 50; the full report is in the build folder)")
    add_quiet(parser)


def run(args) -> int:
    from pvd_graph import rebuild, resources
    from pvd_graph.errors import EXIT_OK, EXIT_PROBLEMS

    log = Progress(args.quiet)
    out = args.out or resources.DEFAULT_BUILD_DIR
    if not args.force:
        previous, why = rebuild.reusable(out, rebuild.inputs(
            args.sources, data_dir=args.data, run_validation=not args.no_validate, engine=args.engine,
            shapes=args.shapes, only_shapes=args.only_shapes))
        if previous is not None:
            # said even with -q: the folder was not written by this run
            print(f"pvd-graph build: inputs unchanged since {out}/{resources.MANIFEST_JSON}: reused "
                  "(--force rebuilds)", file=sys.stderr)
            if previous.get("violations"):
                print(f"{previous['violations']} violations (see {out}/{resources.REPORT_TXT})")
            return EXIT_OK if previous.get("conforms", False) else EXIT_PROBLEMS
        if why not in ("no previous build", "inputs not readable"):
            log(f"rebuilding {out}: {why}")
    from pvd_graph.build import build_graph

    result = build_graph(args.sources, out, data_dir=args.data,
                          run_validation=not args.no_validate, log=log, engine=args.engine,
                          shapes=args.shapes, only_shapes=args.only_shapes)
    if args.quiet:
        # even quiet, say what did not land: a refused source or rejected rows (details in rejects.csv)
        for r in result.imports:
            if r.error:
                print(f"pvd-graph build: source refused: {r.error}", file=sys.stderr)  # starts with the path
        for warning in result.source_warnings:
            print(f"pvd-graph build: warning: {warning}", file=sys.stderr)
        rejected = sum(len(r.rejects) for r in result.imports)
        if rejected:
            print(f"pvd-graph build: {rejected} row{'s' if rejected != 1 else ''} rejected (see {out}/rejects.csv)", file=sys.stderr)
    if result.report is not None:
        if not result.report.conforms or not args.quiet:
            print(result.report.to_text(limit=args.show), file=sys.stdout if not result.report.conforms else sys.stderr)
    return EXIT_OK if result.conforms else EXIT_PROBLEMS
