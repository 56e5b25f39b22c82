"""The web application (Starlette): SPARQL 1.1 Protocol on ``/sparql``, entity pages under ``/id/``.

This process only parses requests, checks them and hands the work to the
:class:`~pvd_graph.server.pool.QueryPool`; it never runs a query itself.

Entity pages answer directly (200) in the format chosen by ``Accept`` (or
``?format=``), with ``Vary: Accept``: no 303 redirects, the same URL serves
HTML, Turtle, JSON-LD and N-Triples.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from pvd_graph.alignments import ALIGNMENTS_GRAPH
from pvd_graph.errors import UserError
from pvd_graph.namespaces import ID, ids
from pvd_graph.server import formats, pages
from pvd_graph.server.assets import Assets
from pvd_graph.server.catalogue import CLIENT_NOTES_HEADER, NOTES_HEADER, notes_field
from pvd_graph.server.ontology_pages import Documents, ontology_html, shapes_html
from pvd_graph.server.description import DatasetView, service_description
from pvd_graph.server.engine import Reply, error
from pvd_graph.server.guard import Refused, check_query
from pvd_graph.server.pool import QueryPool

#: Longest accepted request target (path + query string), in bytes → 414 beyond.
MAX_URL = 32 * 1024
#: Longest accepted request body (a POSTed query), in bytes → 413 beyond.
MAX_BODY = 1024 * 1024
#: Oversized bodies up to this size are drained before the 413 (see :func:`_body`).
DRAIN = 8 * MAX_BODY

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*\Z")
_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
}
#: The query page with the editor: scripts, styles, images and requests from this server only.
_EDITOR_HEADERS = {
    **_HTML_HEADERS,
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'"),
}
#: Request parameters of /catalogue/NAME that are not the query's own parameters.
_PROTOCOL_PARAMS = {"query", "format"}


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _response(reply: Reply, request: Request | None = None) -> Response:
    """*reply* as a response; given the *request*, a 200 gets an ``ETag`` and a matching ``If-None-Match`` a 304.

    The ETag is weak (``W/``): the same answer may be sent gzipped or not.
    """
    headers = dict(reply.headers)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Access-Control-Allow-Origin"] = "*"
    if reply.media_type.startswith("text/html"):
        headers.update(_HTML_HEADERS)
    if request is not None and reply.status == 200:
        digest = hashlib.sha256(reply.media_type.encode() + b"\0" + reply.body).hexdigest()[:32]
        headers["ETag"] = tag = f'W/"{digest}"'
        wanted = {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}
        if tag.removeprefix("W/") in wanted or "*" in wanted:
            return Response(status_code=304, headers={k: v for k, v in headers.items() if k in ("ETag", "Vary")})
    return Response(reply.body, status_code=reply.status, headers=headers, media_type=reply.media_type)


def _html(text: str, status: int = 200, headers: dict | None = None) -> Response:
    return Response(text, status_code=status, media_type="text/html; charset=utf-8",
                    headers=dict(headers or _HTML_HEADERS))


def _form(raw: bytes) -> dict[str, list[str]]:
    """URL-encoded parameters, refusing invalid UTF-8 (raw or percent-encoded) with a 400."""
    try:
        return parse_qs(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BadRequest(400, "the request parameters are not valid UTF-8") from None
    except ValueError as exc:
        raise BadRequest(400, f"malformed request parameters: {exc}") from None


async def _body(request: Request) -> bytes:
    """The request body, at most :data:`MAX_BODY` bytes, else 413.

    An oversized body is still read (and dropped) up to :data:`DRAIN` bytes
    before answering, so the client receives the 413 instead of a connection
    reset; beyond that the connection is simply closed.
    """
    declared = request.headers.get("content-length")
    too_large = BadRequest(413, f"request body too large (limit {MAX_BODY} bytes)")
    if declared and declared.isdigit() and int(declared) > DRAIN:
        raise too_large
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > DRAIN:
                break
            if size <= MAX_BODY:
                chunks.append(chunk)
    except ClientDisconnect:
        raise _Gone() from None
    if size > MAX_BODY:
        raise too_large
    return b"".join(chunks)


class _Gone(Exception):
    """The client disconnected before its answer: nothing more is sent, nothing is logged as an error."""


async def _disconnected(request: Request) -> None:
    """Return when the client closes the connection (the request body, if any, has been read)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _unless_gone(request: Request, work) -> Reply:
    """Await *work* (a :meth:`QueryPool.run`), cancelling it if the client disconnects first.

    Cancelling the pool's run kills the worker running the query, so an
    abandoned runaway query stops taking a worker at once.
    """
    task, gone = asyncio.ensure_future(work), asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait((task, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise _Gone()
    return task.result()


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(400, f"parameter {name!r} given {len(values)} times; give it once")
    return values[0]


def _first(params: dict[str, list[str]], name: str) -> str | None:
    """First value of a lenient parameter (SPARQLWrapper sends ``format=tsv&format=text/tab-separated-values``)."""
    values = params.get(name)
    return values[0] if values else None


def create_app(pool: QueryPool, examples: list[dict] | None = None, view: DatasetView | None = None,
               assets: Assets | None = None) -> Starlette:
    """The ASGI application over a started :class:`QueryPool`; *view* describes what its workers loaded.

    *assets* says where the query page's editor is (:func:`~pvd_graph.server.assets.locate`);
    without it the page is the plain form.
    """
    from pvd_graph.query import catalogue_text, load_catalogue

    config = pool.config
    limits = {"timeout": config.timeout, "max_results": config.limits.max_results}
    examples = examples if examples is not None else catalogue_examples()
    view = view or DatasetView.of(pool.figures, build=False)
    asset_files = assets.files() if assets else {}
    queries = load_catalogue()
    docs = Documents.load(config.graph, alignments=view.named.get(ALIGNMENTS_GRAPH))
    doc_pages = {"ontology": ontology_html(docs.ontology, pages.html_page),
                 "shapes": shapes_html(docs.shapes, pages.html_page)}

    def no_query(request: Request, params: dict) -> Response:
        """``/sparql`` without a query: the service description for RDF clients, else the query page."""
        try:
            fmt = formats.negotiate((formats.HTML,) + formats.GRAPHS, request.headers.get("accept"),
                                    _first(params, "format"))
        except formats.NotAcceptable:
            fmt = formats.HTML
        if fmt is formats.HTML:
            page = _html(pages.query_page(examples, limits, _one(params, "edit") or "", view, editor=bool(asset_files)),
                         headers=_EDITOR_HEADERS if asset_files else None)
            page.headers["Vary"] = "Accept"
            return page
        endpoint = str(request.url.replace(query="", fragment=""))
        media = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
        return _response(Reply(200, media, service_description(endpoint, view, fmt.ox_format), {"Vary": "Accept"}))

    async def sparql_request(request: Request, params: dict, query: str | None) -> Response:
        if "update" in params:
            raise BadRequest(403, "SPARQL Update is not allowed: this endpoint is read-only")
        if query is None:
            return no_query(request, params)
        try:
            check_query(query)  # cheap: refuse before a worker is taken
        except Refused as exc:
            raise BadRequest(exc.status, str(exc)) from None
        reply = await _unless_gone(request, pool.run({
            "op": "sparql", "query": query, "accept": request.headers.get("accept"),
            "format": _first(params, "format"), "base_iri": str(request.url.replace(query="", fragment="")),
            "default_graph_uri": params.get("default-graph-uri"),
            "named_graph_uri": params.get("named-graph-uri"),
        }))
        reply.headers.setdefault("Vary", "Accept")
        return _response(reply, request)

    async def sparql(request: Request) -> Response:
        try:
            params = _form(request.scope.get("query_string", b""))
            if request.method in ("GET", "HEAD"):
                return await sparql_request(request, params, _one(params, "query"))
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await _body(request)
            if ctype == "application/x-www-form-urlencoded":
                form = _form(body)
                merged = {**params, **form}
                return await sparql_request(request, merged, _one(form, "query"))
            if ctype == "application/sparql-update":
                raise BadRequest(403, "SPARQL Update is not allowed: this endpoint is read-only")
            if ctype == "application/sparql-query":
                charset = re.search(r";\s*charset=\"?([^\";]+)", request.headers.get("content-type", ""), re.I)
                if charset and charset.group(1).strip().lower() not in ("utf-8", "utf8"):
                    raise BadRequest(400, f"charset {charset.group(1).strip()} is not accepted: send the query in UTF-8")
                try:
                    query = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise BadRequest(400, "the query is not valid UTF-8") from None
                return await sparql_request(request, params, query)
            raise BadRequest(415, "POST a form (application/x-www-form-urlencoded) or application/sparql-query")
        except BadRequest as exc:
            return _response(error(exc.status, str(exc)))
        except _Gone:
            return Response(status_code=499)  # never sent: the connection is closed

    async def entity(request: Request) -> Response:
        path = request.path_params["path"]
        segments = path.split("/")
        if not path or not all(_SEGMENT.match(s) for s in segments):
            return _response(error(404, "no such resource"))
        try:
            params = _form(request.scope.get("query_string", b""))
            fmt = _first(params, "format")
            page = _first(params, "page") or "1"
            if not page.isdigit() or int(page) < 1:
                raise BadRequest(400, f"page={page!r}: give a page number from 1")
        except BadRequest as exc:
            return _response(error(exc.status, str(exc)))
        try:
            reply = await _unless_gone(request, pool.run({
                "op": "entity", "iri": ids.path(path), "accept": request.headers.get("accept"),
                "format": fmt, "id_base": ID, "page": int(page)}))
        except _Gone:
            return Response(status_code=499)  # never sent: the connection is closed
        return _response(reply, request)

    async def home(request: Request) -> Response:
        return RedirectResponse("/sparql", status_code=302)

    async def asset(request: Request) -> Response:
        path = asset_files.get(request.path_params["name"])
        if path is None:
            return _response(error(404, "no such file"))
        return FileResponse(path, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=3600"})

    async def catalogue(request: Request) -> Response:
        """A catalogue query with its parameters as request fields (see :mod:`~pvd_graph.server.catalogue`).

        The query text is the catalogue's, or the ``query`` field (the editor sends
        the text of its tab). A browser asking for HTML gets a table; other clients
        get the SPARQL results in the negotiated format.
        """
        cq = queries.get(request.path_params["name"])
        if cq is None:
            return _response(error(404, f"no catalogue query {request.path_params['name']!r}"))
        try:
            params = _form(request.scope.get("query_string", b""))
            if request.method == "POST":
                ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype != "application/x-www-form-urlencoded":
                    raise BadRequest(415, "POST a form (application/x-www-form-urlencoded)")
                params = {**params, **_form(await _body(request))}
            values = {k: v for k in params if k not in _PROTOCOL_PARAMS and (v := _one(params, k)).strip()}
            text = catalogue_text(cq, values, _one(params, "query"))
            try:
                cq.check_form(values)  # cheap: refuse before a worker is taken
                check_query(text)
            except UserError as exc:
                raise BadRequest(400, str(exc)) from None
            except Refused as exc:
                raise BadRequest(403, str(exc)) from None
            try:
                html = formats.negotiate((formats.HTML,) + formats.RESULTS, request.headers.get("accept"),
                                         _first(params, "format")) is formats.HTML
            except formats.NotAcceptable:
                html = False  # the worker answers 406 (or the format of a CONSTRUCT)
        except BadRequest as exc:
            return _response(error(exc.status, str(exc)))
        reply = await pool.run({
            "op": "catalogue", "name": cq.name, "values": values, "query": text,
            "accept": "application/sparql-results+json" if html else request.headers.get("accept"),
            "format": None if html else _first(params, "format")})
        notes = json.loads(reply.headers.pop(NOTES_HEADER, "[]"))
        said = {CLIENT_NOTES_HEADER: notes_field(notes)} if notes else {}  # CSV, JSON…: beside the rows
        reply.headers.update(said)
        if not html or reply.status != 200 or not reply.media_type.startswith("application/sparql-results+json"):
            return _response(reply)
        data = json.loads(reply.body)
        head = cq.returns or data["head"]["vars"]
        rows = [[b.get(v, {}).get("value", "") for v in head] for b in data["results"]["bindings"]]
        given = ", ".join(f"{k}={v}" for k, v in values.items()) or "sans paramètre"
        page = _html(pages.results_page(f"{cq.title or cq.name} ({given})", head, rows, notes))
        page.headers["Vary"] = "Accept"
        page.headers.update(said)
        return page

    def document(request: Request, doc, html: str | None) -> Response:
        """An RDF document in the format asked for (``Accept`` or ``?format=``), or its HTML page."""
        try:
            params = _form(request.scope.get("query_string", b""))
            offers = ((formats.HTML,) if html else ()) + formats.GRAPHS
            fmt = formats.negotiate(offers, request.headers.get("accept"), _first(params, "format"))
        except BadRequest as exc:
            return _response(error(exc.status, str(exc)))
        except formats.NotAcceptable as exc:
            return _response(error(406, str(exc)))
        if fmt is formats.HTML:
            page = _html(html)
            page.headers["Vary"] = "Accept"
            return page
        media = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
        return _response(Reply(200, media, doc.serialize(fmt), {"Vary": "Accept"}))

    async def ontology(request: Request) -> Response:
        return document(request, docs.ontology, doc_pages["ontology"])

    async def shapes(request: Request) -> Response:
        return document(request, docs.shapes, doc_pages["shapes"])

    async def void(request: Request) -> Response:
        if docs.void is None:
            return _response(error(404, "this server does not serve a build folder: there is no void.ttl to describe it"))
        return document(request, docs.void, None)

    app = Starlette(routes=[
        Route("/", home),
        Route("/ontology", ontology),
        Route("/shapes", shapes),
        Route("/.well-known/void", void),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/catalogue/{name}", catalogue, methods=["GET", "POST"]),
        Route("/assets/{name}", asset),
        Route("/id/{path:path}", entity),
    ])
    return _Limits(_wrapped(app))


def _wrapped(app):
    """*app* with gzip (for clients that accept it) and CORS.

    CORS: any origin may query (public data, no credentials); preflights
    (OPTIONS with ``Access-Control-Request-*``) are answered, so a page served
    elsewhere can POST ``application/sparql-query``.
    """
    return CORSMiddleware(GZipMiddleware(app, minimum_size=1024), allow_origins=["*"],
                          allow_methods=["GET", "HEAD", "POST"], allow_headers=["*"],
                          expose_headers=[CLIENT_NOTES_HEADER], max_age=86400)


class _Limits:
    """ASGI wrapper refusing oversized request targets before any routing (414)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            if size > MAX_URL:
                await _response(error(414, f"request URL too long (limit {MAX_URL} bytes); POST the query instead"))(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)


def catalogue_examples() -> list[dict]:
    """The catalogue queries (``queries/*.rq``) with their title and description, for the query page."""
    from pvd_graph.query import load_catalogue

    return [{"name": name, "title": q.title or name, "description": q.description, "query": q.text,
             "dated_query": q.dated_text,
             "params": [{"name": p.name, "optional": p.optional, "description": p.description, "example": p.example}
                        for p in q.params]}
            for name, q in load_catalogue().items()]
