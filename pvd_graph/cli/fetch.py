"""``pvd-graph fetch``."""

from __future__ import annotations

import sys

HELP = "download the official source files (PVD, CRTE, COG) into a cache for 'build --sources'"


def add_arguments(parser) -> None:
    parser.add_argument("--cache", metavar="DIR", default=None,
                        help="download folder (default: $PVD_GRAPH_CACHE or ~/.cache/pvd-graph)")
    parser.add_argument("--base-url", metavar="URL", default=None,
                        help="fetch every file as URL/<file name> from a mirror instead of the official "
                             "addresses (also $PVD_GRAPH_FETCH_BASE)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                        help="seconds to wait for a server (default 60)")
    parser.add_argument("--list", dest="lists", action="append", default=[], metavar="SCHEME",
                        help="also fetch ANCT's data.gouv.fr list of communes of this scheme, named by its id "
                             "column without 'id_' (cde, site, cite, va…; 'all' for every one); repeatable")


def run(args) -> int:
    from pvd_graph import resources
    from pvd_graph.errors import EXIT_OK, EXIT_PROBLEMS, UserError
    from pvd_graph.fetch import fetch_all

    cache = args.cache or resources.DEFAULT_CACHE_DIR
    from pvd_graph.importers.anct_lists import SCHEMES

    unknown = [s for s in args.lists if s not in SCHEMES and s != "all"]
    if unknown:
        raise UserError(f"fetch --list: unknown scheme {unknown[0]!r} (known: {', '.join(SCHEMES)}, or all)")
    lists = tuple(SCHEMES) if "all" in args.lists else tuple(dict.fromkeys(args.lists))
    report = fetch_all(cache, base_url=args.base_url, timeout=args.timeout, lists=lists)
    if report.offline:
        first = report.outcomes[0]
        raise UserError(f"offline: cannot reach {first.url} ({first.detail}); cache {cache} left as it was")
    for outcome in report.outcomes:
        print(f"  {outcome}", file=sys.stdout if outcome.status in ("downloaded", "not modified") else sys.stderr)
    if report.ok:
        print(f"cache {cache} up to date; build with: pvd-graph build --sources {cache}")
        return EXIT_OK
    print(f"pvd-graph fetch: some files could not be updated (see above); cache {cache} keeps the last good copies",
          file=sys.stderr)
    return EXIT_PROBLEMS
