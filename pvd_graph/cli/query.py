"""``pvd-graph query``: run a catalogue query by name, or an ad hoc query from a file or the command line."""

from __future__ import annotations

import sys

from pvd_graph.cli._common import add_backend, add_graph, add_quiet

HELP = "run a catalogue SPARQL query (or an ad hoc one) on the built graph"

FORMATS = ("table", "csv", "tsv", "json")


def add_arguments(parser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("name", nargs="?", help="catalogue query name ('pvd-graph queries' lists them)")
    what.add_argument("--file", metavar="FILE.rq", help="run the SPARQL query in this file")
    what.add_argument("--sparql", metavar="QUERY", help="run this SPARQL query text (SELECT, ASK or CONSTRUCT)")
    parser.add_argument("--param", "-p", metavar="KEY=VALUE", action="append", default=[],
                        help="query parameter, repeatable (e.g. --param insee=73011)")
    parser.add_argument("--format", "-f", choices=FORMATS, default="table",
                        help="output: aligned table (default), csv or tsv with a header line, "
                             "json (a list of objects, one per row)")
    add_graph(parser)
    add_backend(parser)
    add_quiet(parser)


def parse_params(items: list[str]) -> dict[str, str]:
    from pvd_graph.errors import UserError

    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--param {item!r}: expected KEY=VALUE")
        if key in params:
            raise UserError(f"--param {key} given twice")
        params[key] = value
    return params


def run(args) -> int:
    from pvd_graph import query

    # everything about the request is checked before the graph is loaded
    params = parse_params(args.param)
    if args.file:
        q = query.load_query_file(args.file)
    elif args.sparql is not None:
        q = query.resolve(args.sparql, catalogue={})
    else:
        q = query.resolve(args.name)
    bindings = q.bindings(params)
    ds = query.open_graph(args.graph, backend=args.backend)
    form, columns, rows = query.execute(ds, q, bindings)
    if form == "CONSTRUCT":  # a graph: N-Triples whatever the format
        sys.stdout.write(query.ntriples(rows))
        return 0
    sys.stdout.write(query.format_rows(columns, rows, args.format))
    return 0

