"""``pvd-graph serve``: a read-only SPARQL endpoint and linked-data pages over a build.

* :mod:`~pvd_graph.server.listener` — the listening socket, bound before anything is loaded;
* :mod:`~pvd_graph.server.guard` — refuses SPARQL Update and ``SERVICE``;
* :mod:`~pvd_graph.server.pool` — query worker processes with a time limit;
* :mod:`~pvd_graph.server.engine` — runs queries on Oxigraph, result-size limit, serialisation;
* :mod:`~pvd_graph.server.formats` — content negotiation;
* :mod:`~pvd_graph.server.pages` — HTML (query page, catalogue results, entity pages);
* :mod:`~pvd_graph.server.catalogue` — catalogue queries with their parameters bound (``/catalogue/NAME``);
* :mod:`~pvd_graph.server.ontology_pages` — ``/ontology``, ``/shapes``, ``/.well-known/void``;
* :mod:`~pvd_graph.server.entity_page` — what an entity page shows, gathered in a worker;
* :mod:`~pvd_graph.server.assets` — the query page's editor (YASGUI), found beside the package;
* :mod:`~pvd_graph.server.description` — the dataset view: start-up line, query page, service description;
* :mod:`~pvd_graph.server.app` — the Starlette application.
"""

from __future__ import annotations


def __getattr__(name: str):
    """``Limits``, ``PoolConfig`` and ``QueryPool``, imported when first asked for: ``pvd-graph query``
    reads :mod:`~pvd_graph.server.guard` without starting the pool's machinery (asyncio, multiprocessing)."""
    if name == "Limits":
        from pvd_graph.server.engine import Limits
        return Limits
    if name in ("PoolConfig", "QueryPool"):
        from pvd_graph.server import pool
        return getattr(pool, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def serve(graph=None, host: str = "127.0.0.1", port: int = 8000, workers: int = 2, timeout: float = 10.0,
          max_results: int = 10_000, log=None, queue_wait: float = 2.0, max_memory: float = 1024.0,
          events=None, request_timeout: float = 10.0, assets_dir=None, aside: int | None = None,
          memory: bool = False) -> None:
    """Listen on *host*:*port*, load *graph* (a build folder or RDF file) in the query workers, serve until interrupted.

    *log* receives the start-up lines, *events* one line per operator event
    (timeout, memory cut, crash, abandoned query, worker replaced, query moved
    aside). *aside* bounds the long queries moved out of the workers' way
    (see :mod:`~pvd_graph.server.pool`; ``None``: as many as *workers*). With *memory*, the
    build's files are parsed into an in-memory store (shared by the forks) instead of opening its
    on-disk store read-only in each worker.

    The address is bound first: a port in use or an address this machine does
    not have is a :class:`~pvd_graph.errors.UserError` before anything is loaded, and so is an
    *assets_dir* without the query page's editor (see :mod:`~pvd_graph.server.assets`).
    """
    from pathlib import Path

    import uvicorn

    from pvd_graph import resources
    from pvd_graph.errors import UserError
    from pvd_graph.namespaces import ID
    from pvd_graph.server.app import MAX_URL, create_app
    from pvd_graph.server.description import DatasetView
    from pvd_graph.server.listener import guarded_protocol, listen, url_host

    from pvd_graph.server.assets import locate
    from pvd_graph.server.engine import Limits
    from pvd_graph.server.pool import PoolConfig, QueryPool

    log = log or (lambda _m: None)
    assets = locate(assets_dir)
    sock = listen(host, port)
    try:
        base = f"http://{url_host(host)}:{port}"
        pool = QueryPool(PoolConfig(graph=None if graph is None else str(graph), workers=workers, timeout=timeout,
                                    limits=Limits(max_results=max_results), id_base=ID, queue_wait=queue_wait,
                                    max_memory=max_memory, aside=aside, memory=memory), log=events or log)
        log(f"loading the graph (once: the {workers} query worker(s) are forks of the process holding it)")
        pool.start()
        try:
            view = DatasetView.of(pool.figures, Path(graph or resources.DEFAULT_BUILD_DIR).is_dir())
            config = uvicorn.Config(create_app(pool, view=view, assets=assets), log_level="warning", access_log=False,
                                    h11_max_incomplete_event_size=8 * MAX_URL, limit_concurrency=512,
                                    http=guarded_protocol(request_timeout))
            server = uvicorn.Server(config)
            log(f"loaded {view.summary()}; " + ("the build's on-disk store, opened read-only by each worker"
                                                 if pool.figures.get("on_disk") else
                                                 "in memory, shared by the workers (forks)"))
            log(assets.log_line())
            # the socket already listens: connections made from now on wait in its queue until served
            log(f"serving {base}/sparql and {base}/id/…")
            server.run(sockets=[sock])
            if not server.started:
                raise UserError(f"the web server did not start on {base} (see the messages above)")
        finally:
            pool.close()
    finally:
        sock.close()


__all__ = ["Limits", "PoolConfig", "QueryPool", "serve"]
