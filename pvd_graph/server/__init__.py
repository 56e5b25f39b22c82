"""``pvd-graph serve``: a read-only SPARQL endpoint and linked-data pages over a build.

* :mod:`~pvd_graph.server.guard` — refuses SPARQL Update and ``SERVICE``;
* :mod:`~pvd_graph.server.pool` — query worker processes with a time limit;
* :mod:`~pvd_graph.server.engine` — runs queries on Oxigraph, result-size limit, serialisation;
* :mod:`~pvd_graph.server.formats` — content negotiation;
* :mod:`~pvd_graph.server.pages` — HTML (query page, entity pages);
* :mod:`~pvd_graph.server.app` — the Starlette application.
"""

from __future__ import annotations

from pvd_graph.server.engine import Limits
from pvd_graph.server.pool import PoolConfig, QueryPool


def serve(graph=None, host: str = "127.0.0.1", port: int = 8000, workers: int = 2, timeout: float = 10.0,
          max_results: int = 10_000, log=None) -> None:
    """Load *graph* (a build folder or RDF file) in the query workers, then serve until interrupted."""
    import uvicorn

    from pvd_graph.namespaces import ID
    from pvd_graph.server.app import MAX_URL, create_app

    pool = QueryPool(PoolConfig(graph=None if graph is None else str(graph), workers=workers, timeout=timeout,
                                limits=Limits(max_results=max_results), id_base=ID))
    if log:
        log(f"loading the graph in {workers} query worker(s)")
    pool.start()
    try:
        if log:
            log(f"{pool.triples} triples; serving http://{host}:{port}/sparql and http://{host}:{port}/id/…")
        uvicorn.run(create_app(pool), host=host, port=port, log_level="warning", access_log=False,
                    h11_max_incomplete_event_size=8 * MAX_URL, limit_concurrency=512)
    finally:
        pool.close()


__all__ = ["Limits", "PoolConfig", "QueryPool", "serve"]
