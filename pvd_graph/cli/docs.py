"""``pvd-graph docs``."""

from __future__ import annotations

from pvd_graph.cli._common import Progress, add_quiet

HELP = "generate the ontology documentation (HTML, with the SHACL shapes per class)"


def add_arguments(parser) -> None:
    parser.add_argument("--out", "-o", metavar="DIR", default="docs", help="output folder (default: ./docs)")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr",
                        help="language of the ontology page's labels and definitions (default: fr)")
    add_quiet(parser)


def run(args) -> int:
    from pvd_graph.docs import generate_docs

    progress = Progress(args.quiet)
    for path in generate_docs(args.out, lang=args.lang):
        progress(f"wrote {path}")
    return 0
