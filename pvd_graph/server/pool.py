"""Query worker processes with a deadline: the time limit and the isolation of the endpoint.

Oxigraph has no query timeout and a query cannot be interrupted from Python,
so each query runs in one of ``workers`` child processes that hold their own
copy of the store. The web process waits for the answer at most ``timeout``
seconds; past that it kills the worker (the runaway query dies with it),
answers 503, and starts a fresh worker in the same slot. Other slots keep
serving meanwhile, so one slow query never blocks the others; while every
slot is busy, new queries wait in line up to ``timeout`` seconds, then get 503.

Workers are started with the ``spawn`` method (no ``fork`` of a threaded
server) and load the build's ``dataset.nq`` through :func:`pvd_graph.store.open_built`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pvd_graph.errors import UserError
from pvd_graph.server.engine import Limits, Reply, error


@dataclass
class PoolConfig:
    graph: str | None
    workers: int = 2
    timeout: float = 10.0
    limits: Limits = None
    id_base: str | None = None

    def __post_init__(self):
        self.limits = self.limits or Limits()


def _worker_main(conn, config: PoolConfig) -> None:  # runs in the child process
    from pvd_graph.errors import UserError as _UserError
    from pvd_graph.server.engine import dataset_figures, describe_entity, run_sparql
    from pvd_graph.server.catalogue import run_catalogue
    from pvd_graph.store import open_built

    try:
        store = open_built(config.graph, graphs="both")
    except _UserError as exc:
        conn.send(("error", str(exc)))
        return
    conn.send(("ready", dataset_figures(store)))
    while True:
        try:
            request = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            if request["op"] == "entity":
                reply = describe_entity(store, request)
            elif request["op"] == "catalogue":
                reply = run_catalogue(store, request, config.limits)
            else:
                reply = run_sparql(store, request, config.limits)
        except Exception as exc:  # an engine bug must not kill the worker silently
            reply = error(500, f"internal error: {type(exc).__name__}: {exc}")
        conn.send(reply)


class _Slot:
    """One worker process and the pipe to it; used by one thread at a time."""

    def __init__(self, ctx, config: PoolConfig):
        self.ctx, self.config = ctx, config
        self.proc = self.conn = None
        self.figures: dict = {}
        self.restarts = 0

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker_main, args=(child, self.config), daemon=True,
                                     name="pvd-graph-query-worker")
        self.proc.start()
        child.close()
        self.conn = parent
        try:
            kind, value = parent.recv()
        except EOFError:
            raise UserError("a query worker died while loading the graph") from None
        if kind == "error":
            raise UserError(value)
        self.figures = value

    def stop(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()
        if self.proc is not None:
            self.proc.join(5)
        if self.conn is not None:
            self.conn.close()

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def call(self, request: dict, timeout: float) -> Reply:
        try:
            self.conn.send(request)
            if self.conn.poll(timeout):
                return self.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self.restart()
            return error(500, "the query worker crashed; it has been restarted")
        self.restart()
        return error(503, f"query cancelled: it ran longer than the time limit of {timeout:g} s")


class QueryPool:
    """``workers`` query processes, used from the asyncio web process."""

    def __init__(self, config: PoolConfig):
        self.config = config
        ctx = multiprocessing.get_context("spawn")
        self.slots = [_Slot(ctx, config) for _ in range(config.workers)]
        self._threads = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="pvd-query")
        self._idle: asyncio.Queue | None = None

    @property
    def figures(self) -> dict:
        """What each worker loaded (see :func:`~pvd_graph.server.engine.dataset_figures`)."""
        return self.slots[0].figures

    def start(self) -> None:
        """Start every worker (in parallel) and wait until each has loaded the graph."""
        errors = []

        def start(slot):
            try:
                slot.start()
            except UserError as exc:
                errors.append(exc)

        list(self._threads.map(start, self.slots))
        if errors:
            self.close()
            raise errors[0]

    def close(self) -> None:
        for slot in self.slots:
            slot.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def run(self, request: dict) -> Reply:
        loop = asyncio.get_running_loop()
        if self._idle is None:
            self._idle = asyncio.Queue()
            for slot in self.slots:
                self._idle.put_nowait(slot)
        try:
            slot = await asyncio.wait_for(self._idle.get(), self.config.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            reply = error(503, "the server is busy: every query worker is taken; try again later")
            reply.headers["Retry-After"] = "5"
            return reply
        future = loop.run_in_executor(self._threads, slot.call, request, self.config.timeout)
        # the slot goes back to the line only when its thread is done, even if the client left
        future.add_done_callback(lambda _f: self._idle.put_nowait(slot))
        return await asyncio.shield(future)
