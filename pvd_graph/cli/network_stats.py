"""``pvd-graph network-stats``."""

from __future__ import annotations

import json

from pvd_graph.cli._common import Progress, add_quiet
from pvd_graph.cli.viz import add_network_filters

HELP = "most central organisations, connected components and communities of the partner network"


def add_arguments(parser) -> None:
    add_network_filters(parser)
    parser.add_argument("--top", type=int, default=20, metavar="N", help="rows per table (default 20)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    add_quiet(parser)


def _table(rows: list[list], headers: list[str]) -> str:
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) and rows for i in range(len(headers))]
    return "\n".join("  ".join(c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
                     for r in cells)


def run(args) -> int:
    from pvd_graph import store
    from pvd_graph.errors import UserError
    from pvd_graph.network import as_of_day, build_network, network_stats

    if args.top < 1:
        raise UserError(f"--top must be 1 or more, not {args.top}")
    if args.as_of is not None:
        as_of_day(args.as_of)  # before the graph is loaded
    progress = Progress(args.quiet)
    ds = store.open_built(args.graph)
    graph = build_network(ds, programme=args.programme, departement=args.departement, include_conventions=False,
                          as_of=args.as_of)
    progress(f"network: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
    stats = network_stats(graph, top=args.top)
    if args.format == "json":
        print(json.dumps(stats, indent=1, ensure_ascii=False))
        return 0
    sampled = ("exact" if stats["betweenness_sources"] == stats["nodes"]
               else f"estimated from {stats['betweenness_sources']} sampled sources")
    print(f"Partner network: {stats['nodes']} nodes, {stats['edges']} ties "
          "(conventions folded into co-signature ties weighted by shared conventions)")
    print(f"\nMost central organisations (betweenness {sampled}, unweighted)")
    print(_table([[i, r["label"], r["type"], r["code"], r["degree"], r["weighted_degree"], f"{r['betweenness']:.4f}"]
                  for i, r in enumerate(stats["central"], 1)],
                 ["#", "organisation", "type", "code", "degree", "weighted", "betweenness"]))
    print(f"\nConnected components: {stats['components']} ({stats['isolated']} isolated nodes); "
          f"largest sizes: {', '.join(map(str, stats['component_sizes'][:10]))}")
    print(f"\nCommunities (Louvain, modularity {stats['modularity']}): {len(stats['communities'])} shown")
    print(_table([[i, c["size"], ", ".join(m["label"] for m in c["members"])]
                  for i, c in enumerate(stats["communities"], 1)],
                 ["#", "size", "main members"]))
    return 0
