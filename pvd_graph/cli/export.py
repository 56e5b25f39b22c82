"""``pvd-graph export``."""

from __future__ import annotations

from pvd_graph.cli._common import Progress, add_graph, add_quiet

HELP = "write the built graph as Turtle, N-Triples, N-Quads, TriG, JSON-LD (dataset or union) or RDF/XML"


#: The formats and their aliases (pvd_graph.export.FORMATS and ALIASES; a test keeps them in step),
#: written out so that ``pvd-graph --help`` does not import rdflib.
_FORMATS_HELP = ("ttl (turtle), nt (ntriples, n-triples), nq (nquads, n-quads), trig, "
                 "jsonld (json-ld, json), rdfxml (rdf/xml, rdf-xml, xml, rdf), jsonld-union")


def add_arguments(parser) -> None:
    parser.add_argument("--format", "-f", metavar="FORMAT", default=None,
                        help=f"{_FORMATS_HELP}. ttl, nt (sorted), rdfxml, jsonld-union: union of the graphs; "
                             "nq (sorted), trig, jsonld: one named graph per source (JSON-LD: one node object "
                             "per graph, its IRI as @id, its nodes in @graph; both JSON-LD compacted with "
                             "ontology/context.jsonld) "
                             "(default: the one --out's extension names, else ttl)")
    add_graph(parser)
    parser.add_argument("--out", "-o", metavar="FILE", default=None,
                        help="output file, named with the format's extension so that --graph reads it back "
                             "(.ttl .nt .nq .trig .jsonld/.json .rdf/.rdfxml/.xml); default: stdout")
    add_quiet(parser)


def run(args) -> int:
    from pvd_graph import store
    from pvd_graph.export import DATASET_FORMATS, export_file, open_for_export, resolve_format

    fmt = resolve_format(args.format, args.out)  # before loading: a wrong name fails at once
    progress = Progress(args.quiet)
    # N-Quads, TriG and JSON-LD keep one named graph per source; the other formats write the union
    ds = open_for_export(args.graph, fmt)
    count = store.triple_count(ds)
    progress(f"loaded {count} quads (one named graph per source)" if fmt in DATASET_FORMATS
             else f"loaded {count} triples (the union of the sources, each triple once)")
    result = export_file(ds, fmt, args.out, progress)
    if args.out:
        progress(f"{args.out}: {result.summary()}")
    return 0
