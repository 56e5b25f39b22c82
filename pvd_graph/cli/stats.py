"""``pvd-graph stats``."""

from __future__ import annotations

import json

from pvd_graph.cli._common import add_graph, add_quiet

HELP = "count resources per class and triples per property"


def add_arguments(parser) -> None:
    add_graph(parser)
    parser.add_argument("--format", choices=("table", "json"), default="table")
    add_quiet(parser)


def run(args) -> int:
    from pvd_graph import store
    from pvd_graph.stats import graph_stats
    from pvd_graph.terms import shorten

    stats = graph_stats(store.open_built(args.graph))
    if args.format == "json":
        print(json.dumps(stats, indent=1))
        return 0
    for title, rows in (("class", stats["classes"]), ("property", stats["properties"])):
        width = max([len(shorten(k)) for k, _ in rows] + [len(title)])
        print(f"{title:<{width}}  {'count':>8}")
        for key, n in rows:
            print(f"{shorten(key):<{width}}  {n:>8}")
        print()
    return 0
