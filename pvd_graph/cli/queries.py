"""``pvd-graph queries``: list the query catalogue with descriptions and parameters."""

from __future__ import annotations

import sys

HELP = "list the catalogue of named SPARQL queries, their parameters and columns"


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args) -> int:
    from pvd_graph.query import describe_catalogue, load_catalogue

    sys.stdout.write(describe_catalogue(load_catalogue(), args.format))
    return 0
