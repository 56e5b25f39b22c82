"""``pvd-graph query``: run a catalogue query by name, or an ad hoc query from a file or the command line."""

from __future__ import annotations

import sys

from pvd_graph.cli._common import add_graph, add_quiet

HELP = "run a catalogue SPARQL query (or an ad hoc one) on the built graph"

#: result formats: tables (SELECT, ASK; also CONSTRUCT as subject, predicate, object rows) and graphs
TABLE_FORMATS = ("table", "csv", "csv-excel", "tsv", "json")
GRAPH_FORMATS = ("nt", "ttl")
SYNONYMS = {"turtle": "ttl", "ntriples": "nt"}


def add_arguments(parser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("name", nargs="?", help="catalogue query name ('pvd-graph queries' lists them)")
    what.add_argument("--file", metavar="FILE.rq", help="run the SPARQL query in this file")
    what.add_argument("--sparql", metavar="QUERY", help="run this SPARQL query text (SELECT, ASK or CONSTRUCT)")
    parser.add_argument("--param", "-p", metavar="KEY=VALUE", action="append", default=[],
                        help="query parameter, repeatable (e.g. --param insee=73011, "
                             "or a commune by name: insee=Albertville)")
    parser.add_argument("--format", "-f", choices=TABLE_FORMATS + GRAPH_FORMATS + tuple(SYNONYMS), default=None,
                        help="output: aligned table (default for SELECT/ASK), csv (RFC 4180), csv-excel "
                             "(for Excel: ';', UTF-8 BOM, codes kept as text), tsv, json (a list of objects); "
                             "for CONSTRUCT/DESCRIBE nt (N-Triples, default) or ttl/turtle, or a table format "
                             "for subject, predicate, object rows")
    add_graph(parser)
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
    from pvd_graph.errors import UserError

    fmt = SYNONYMS.get(args.format, args.format)
    # everything about the request that needs no graph is checked before the graph is loaded
    params = parse_params(args.param)
    if args.file:
        q = query.load_query_file(args.file)
    elif args.sparql is not None:
        q = query.resolve(args.sparql, catalogue={})
    else:
        q = query.resolve(args.name)
    query.check_text(q)
    q.check_form(params)
    ds = query.open_graph(args.graph, text=q.text_for(params))
    notes: list[str] = []
    bindings = q.bindings(params, ds, notes)
    for note in notes:
        print(f"pvd-graph query: {note}", file=sys.stderr)
    form, columns, rows = query.execute(ds, q, bindings)
    if form == "CONSTRUCT" and fmt in (None, *GRAPH_FORMATS):
        sys.stdout.write(query.ntriples(rows) if fmt in (None, "nt") else query.turtle(rows))
        return 0
    if fmt in GRAPH_FORMATS:
        raise UserError(f"--format {args.format} is for CONSTRUCT/DESCRIBE results; a {form} result is a table "
                        f"({', '.join(TABLE_FORMATS)})")
    text = query.format_rows(columns, rows, fmt or "table")
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        sys.stdout.write(text)
        return 0
    sys.stdout.flush()  # the bytes as formatted (CRLF kept), whatever the platform's newline
    out.write(text.encode("utf-8"))
    out.flush()
    return 0
