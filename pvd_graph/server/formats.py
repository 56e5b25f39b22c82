"""Content negotiation: which serialisation a client gets, from ``Accept`` or ``format=``."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    keys: tuple[str, ...]  # names accepted in ?format= (the first is shown)
    media_type: str  # what the response says it is
    aliases: tuple[str, ...]  # other media types a client may ask for
    ox_format: object  # pyoxigraph QueryResultsFormat or RdfFormat; None for HTML


def _f(keys, media, aliases, fmt):
    return Format(tuple(keys.split()), media, aliases, fmt)


#: Results of SELECT and ASK; the first is the default.
RESULTS = (
    _f("json", "application/sparql-results+json", ("application/json", "text/javascript", "application/javascript"), ox.QueryResultsFormat.JSON),
    _f("xml", "application/sparql-results+xml", ("application/xml", "text/xml"), ox.QueryResultsFormat.XML),
    _f("csv", "text/csv", (), ox.QueryResultsFormat.CSV),
    _f("tsv", "text/tab-separated-values", (), ox.QueryResultsFormat.TSV),
)
#: Results of CONSTRUCT and DESCRIBE, and entity descriptions; the first is the default.
GRAPHS = (
    _f("turtle ttl n3", "text/turtle", ("application/x-turtle",), ox.RdfFormat.TURTLE),
    _f("ntriples nt n-triples", "application/n-triples", ("text/plain",), ox.RdfFormat.N_TRIPLES),
    _f("jsonld json-ld json", "application/ld+json", ("application/x-json+ld", "application/json"), ox.RdfFormat.JSON_LD),
    _f("rdfxml rdf xml", "application/rdf+xml", (), ox.RdfFormat.RDF_XML),
)
HTML = _f("html", "text/html", ("application/xhtml+xml",), None)


class NotAcceptable(Exception):
    """No offered format matches the client's ``Accept`` header."""


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an ``Accept`` header, best first (ties keep the client's order)."""
    ranges = []
    for i, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        if q > 0:
            ranges.append((media, q, i))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(m, q) for m, q, _ in ranges]


def negotiate(offers: tuple[Format, ...], accept: str | None, key: str | None = None) -> Format:
    """The format to answer with. ``key`` (from ``?format=``) wins over ``Accept``.

    No ``Accept`` header means the first offer; a header matching nothing raises
    :class:`NotAcceptable`. A ``key`` this endpoint does not know (SPARQLWrapper
    sends ``format=rdf+xml`` with its RDF/XML ``Accept``) gives way to
    ``Accept`` when that names a media type (not only ``*/*``): a client asking
    clearly is not refused for a name it added.
    """
    if key:
        key = key.strip().lower()
        if "/" in key:  # a media type list, as SPARQLWrapper sends: read it like Accept
            return negotiate(offers, key)
        for offer in offers:
            if key in offer.keys:
                return offer
        if any(key in o.keys for o in RESULTS + GRAPHS + (HTML,)):
            return offers[0]  # e.g. format=csv on a CONSTRUCT: the default of this result kind
        if any(media not in ("*/*", "*") for media, _q in parse_accept(accept)):
            return negotiate(offers, accept)
        raise NotAcceptable(f"unknown format {key!r}; use one of {', '.join(o.keys[0] for o in offers)}")
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    for media, _q in ranges:
        if media in ("*/*", "*"):
            return offers[0]
        if media.endswith("/*"):
            for offer in offers:
                if offer.media_type.startswith(media[:-1]):
                    return offer
            continue
        for offer in offers:
            if media == offer.media_type or media in offer.aliases:
                return offer
    raise NotAcceptable(
        "none of the requested media types can be served here; available: "
        + ", ".join(o.media_type for o in offers)
    )
