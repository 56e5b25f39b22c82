"""``pvd-graph serve``."""

from __future__ import annotations

import os

from pvd_graph.cli._common import Progress, add_graph, add_quiet

HELP = "serve a read-only SPARQL endpoint and linked-data pages over a build"


def add_arguments(parser) -> None:
    add_graph(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="time limit per query in seconds; longer queries are cancelled with 503 (default: 10)")
    parser.add_argument("--max-results", type=int, default=10_000, metavar="N",
                        help="most rows (SELECT) or triples (CONSTRUCT) per answer; more gives 422 (default: 10000)")
    parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)), metavar="N",
                        help="query worker processes, forks of the one process that loads the graph (they share it) "
                             "(default: CPUs, at most 4)")
    parser.add_argument("--queue-wait", type=float, default=2.0, metavar="S",
                        help="while every worker is busy, how long a query waits for one before 503 with "
                             "Retry-After (default: 2)")
    parser.add_argument("--aside", type=int, default=None, metavar="N",
                        help="long queries that may run aside at once: a query that has used 0.1 s of CPU while no "
                             "worker is free (10 ms while another query waits) leaves its worker to a spare fork and "
                             "goes on in its own process (same limits, lowest CPU priority), so light queries never "
                             "wait for it; 0: never (default: --workers)")
    parser.add_argument("--max-memory", type=float, default=1024.0, metavar="MIB",
                        help="memory a worker may take for one query above the loaded graph; past it the query "
                             "gets 503 and the worker is replaced (default: 1024)")
    parser.add_argument("--memory", action="store_true",
                        help="parse the build's files into memory (once, shared by the workers) instead of opening "
                             "its on-disk store: slower to start, more memory, faster string-heavy queries")
    parser.add_argument("--request-timeout", type=float, default=10.0, metavar="S",
                        help="seconds a client has to send a whole request; a slower or idle one gets 408 and is "
                             "disconnected (default: 10)")
    parser.add_argument("--assets", metavar="DIR", default=None,
                        help="folder where npm installed @triply/yasgui, the query page's editor (default: "
                             "$PVD_GRAPH_ASSETS, else ~/.cache/pvd-graph/assets; without it the page is a plain form)")
    add_quiet(parser)


def run(args) -> int:
    from pvd_graph.errors import UserError
    from pvd_graph.server import serve

    positive = {"--workers": args.workers, "--timeout": args.timeout, "--max-results": args.max_results,
                "--queue-wait": args.queue_wait, "--max-memory": args.max_memory,
                "--request-timeout": args.request_timeout}
    for option, value in positive.items():
        if value <= 0:
            raise UserError(f"{option} {value:g}: must be positive")
    if args.aside is not None and args.aside < 0:
        raise UserError(f"--aside {args.aside}: must be 0 or more")
    progress = Progress(args.quiet)
    serve(args.graph, host=args.host, port=args.port, workers=args.workers, timeout=args.timeout,
          max_results=args.max_results, log=progress, queue_wait=args.queue_wait, max_memory=args.max_memory,
          events=Progress(False) if args.quiet else progress, request_timeout=args.request_timeout,
          assets_dir=args.assets, aside=args.aside, memory=args.memory)
    return 0
