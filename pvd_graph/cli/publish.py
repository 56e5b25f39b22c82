"""``pvd-graph publish``."""

from __future__ import annotations

import os

from pvd_graph.cli._common import Progress, add_graph, add_quiet

#: pvd_graph.publish.UNION_GRAPH and namespaces.GRAPHS, written out so that --help imports no RDF library
UNION_GRAPH = "https://w3id.org/pvd-graph/graph/union"
BUILD_GRAPHS = "https://w3id.org/pvd-graph/graph/"

HELP = "push the build to a triplestore (SPARQL 1.1 Graph Store Protocol) and check counts"


def add_arguments(parser) -> None:
    add_graph(parser)
    parser.add_argument("--endpoint", required=True, metavar="URL",
                        help="Graph Store Protocol URL, e.g. http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso)")
    parser.add_argument("--union-graph", metavar="IRI", default=None,
                        help="one graph holding the union of the sources, each triple once "
                             f"(the default, into {UNION_GRAPH}, when --graph-iri is not given)")
    parser.add_argument("--graph-iri", metavar="BASE", default=None,
                        help="one graph per source, <BASE><source>; BASE ends with / or # "
                             f"({BUILD_GRAPHS} keeps the build's names); a triple stated by several sources "
                             "is then in several graphs; with --union-graph, both are published")
    parser.add_argument("--query-endpoint", metavar="URL", default=None,
                        help="SPARQL query URL for the count check (default: guessed for Virtuoso, Fuseki, Oxigraph)")
    parser.add_argument("--user", default=None, help="user name for HTTP authentication")
    parser.add_argument("--password", default=None,
                        help="password (default: the PVD_PUBLISH_PASSWORD environment variable)")
    parser.add_argument("--auth", choices=("digest", "basic"), default="digest",
                        help="HTTP authentication scheme (default: digest, as Virtuoso wants)")
    parser.add_argument("--chunk-size", type=int, default=50_000, metavar="N", help="triples per request (default: 50000)")
    add_quiet(parser)


def run(args) -> int:
    import sys

    from pvd_graph.publish import publish

    password = args.password if args.password is not None else os.environ.get("PVD_PUBLISH_PASSWORD")
    report = publish(args.graph, args.endpoint, args.graph_iri, union_graph=args.union_graph,
                     query_endpoint=args.query_endpoint,
                     user=args.user, password=password, auth=args.auth, chunk_size=args.chunk_size,
                     log=Progress(args.quiet))
    if report.shared:
        print(f"pvd-graph publish: warning: {report.shared:,} triples are in more than one of the graphs "
              "published: a query over all graphs at once (on Virtuoso, any query without FROM or GRAPH) "
              "returns them once per graph; query one graph with FROM <IRI>", file=sys.stderr)
    for g in report.graphs:
        print(f"{g.target}\t{g.sent}\t{g.found}\t{'ok' if g.ok else 'MISMATCH'}")
    if not report.ok:
        for line in report.mismatches():
            print(f"pvd-graph publish: count mismatch: {line}", file=sys.stderr)
        return 1
    return 0
