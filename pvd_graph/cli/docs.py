"""``pvd-graph docs``."""

from __future__ import annotations

from pvd_graph.cli._common import Progress, add_quiet

HELP = "generate the ontology documentation (HTML, with the SHACL shapes per class)"


def add_arguments(parser) -> None:
    parser.add_argument("--out", "-o", metavar="DIR", default="docs", help="output folder (default: ./docs)")
    add_quiet(parser)


def run(args) -> int:
    from pvd_graph.docs import generate_docs

    progress = Progress(args.quiet)
    for path in generate_docs(args.out):
        progress(f"wrote {path}")
    return 0
