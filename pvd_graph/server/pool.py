"""Query worker processes with a deadline: the time limit and the isolation of the endpoint.

Oxigraph has no query timeout and a query cannot be interrupted from Python,
so each query runs in one of ``workers`` child processes that hold their own
copy of the store. Killing the process is the only way to stop a query, so it
is how every runaway ends:

* **time limit**: the web process waits for the answer at most ``timeout``
  seconds; then it kills the worker and answers 503 at once;
* **client gone**: when the client disconnects before the answer, the web
  application cancels the request (see :mod:`~pvd_graph.server.app`) and the
  worker running it is killed;
* **memory**: while waiting, the web process reads the worker's resident size
  (``/proc/PID/statm``, Linux) every :data:`WATCH_INTERVAL` seconds; past
  ``max_memory`` MiB above what it held once loaded, the worker is killed and
  the query gets 503;
* **crash**: a worker that dies (SIGSEGV, abort) gives 500.

A killed worker is replaced in the background: the answer never waits for the
replacement to load. ``spares`` workers are kept loaded and idle for that: a
killed worker's slot takes a spare at once (a fresh spare then loads in the
background), so abandoning ``workers`` runaway queries still leaves a worker
ready within milliseconds; without a spare left, the slot reloads the graph
(seconds) while the other slots serve. While every slot is
busy, a new query waits at most ``queue_wait`` seconds for one, then gets 503
with ``Retry-After``. Each of these events is one log line (what, a hash of
the query, how long it ran).

Workers are started with the ``spawn`` method (no ``fork`` of a threaded
server) and load the build's ``dataset.nq`` through :func:`pvd_graph.store.open_built`;
they answer on a thread with a :data:`WORKER_STACK` stack (see
:mod:`~pvd_graph.server.guard` for why).
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pvd_graph.errors import UserError
from pvd_graph.server.engine import Limits, Reply, error

#: Stack of the thread that runs queries in a worker. Reserved, not used: the
#: pages are only touched by a deeply recursive query.
WORKER_STACK = 256 * 1024 * 1024
#: Seconds between two reads of a busy worker's memory.
WATCH_INTERVAL = 0.05
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def query_hash(request: dict) -> str:
    """A short name for a query in the log (the query text itself may be long or private)."""
    text = request.get("query") or request.get("iri") or ""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]


def resident_mib(pid: int) -> float | None:
    """Resident memory of process *pid* in MiB, ``None`` where ``/proc`` cannot tell."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE / 2 ** 20
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class PoolConfig:
    graph: str | None
    workers: int = 2
    timeout: float = 10.0
    limits: Limits = None
    id_base: str | None = None
    queue_wait: float = 2.0  # seconds a query waits for a free worker before 503
    max_memory: float = 1024.0  # MiB a worker may grow above its loaded size while answering
    spares: int = 1  # loaded idle workers ready to replace a killed one

    def __post_init__(self):
        self.limits = self.limits or Limits()


def _worker_main(conn, config: PoolConfig) -> None:  # runs in the child process
    import threading

    threading.stack_size(WORKER_STACK)
    thread = threading.Thread(target=_serve_queries, args=(conn, config), name="pvd-graph-queries")
    thread.start()
    thread.join()


def _serve_queries(conn, config: PoolConfig) -> None:
    from pvd_graph.errors import UserError as _UserError
    from pvd_graph.server.engine import dataset_figures, describe_entity, run_sparql
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
            else:
                reply = run_sparql(store, request, config.limits)
        except MemoryError:
            reply = error(503, "query cancelled: it needed more memory than this endpoint allows")
        except Exception as exc:  # an engine bug must not kill the worker silently
            reply = error(500, f"internal error: {type(exc).__name__}: {exc}")
        conn.send(reply)


class _Slot:
    """One worker process and the pipe to it; used by one thread at a time."""

    def __init__(self, ctx, config: PoolConfig, number: int):
        self.ctx, self.config, self.number = ctx, config, number
        self.proc = self.conn = None
        self.figures: dict = {}
        self.restarts = 0
        self.loaded_mib: float | None = None
        self.killed = False  # set at once by kill(): the process may take a moment to be gone

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
        self.loaded_mib = resident_mib(self.proc.pid)
        self.killed = False

    def kill(self) -> None:
        """Stop the worker now (a no-op if it is already dead); the thread waiting on it returns."""
        self.killed = True
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()

    @property
    def dead(self) -> bool:
        return self.killed or self.proc is None or not self.proc.is_alive()

    def stop(self) -> None:
        self.kill()
        if self.proc is not None:
            self.proc.join(5)
        if self.conn is not None:
            self.conn.close()

    def adopt(self, spare: _Slot) -> None:
        """Take over the loaded process of *spare* (this slot's own process is stopped)."""
        self.proc, self.conn, self.figures, self.loaded_mib = spare.proc, spare.conn, spare.figures, spare.loaded_mib
        self.killed = False
        spare.proc = spare.conn = None
        self.restarts += 1

    def call(self, request: dict, timeout: float) -> tuple[Reply, str | None]:
        """The worker's reply and what went wrong (``None``, ``"timeout"``, ``"memory"``, ``"crash"``)."""
        deadline = time.monotonic() + timeout
        cap = None if self.loaded_mib is None else self.loaded_mib + self.config.max_memory
        try:
            self.conn.send(request)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    return error(503, f"query cancelled: it ran longer than the time limit of {timeout:g} s"), "timeout"
                if self.conn.poll(min(left, WATCH_INTERVAL)):
                    return self.conn.recv(), None
                used = None if cap is None else resident_mib(self.proc.pid)
                if used is not None and used > cap:
                    self.kill()
                    return error(503, "query cancelled: it needed more memory than this endpoint allows "
                                      f"({self.config.max_memory:g} MiB per query)"), "memory"
        except (EOFError, OSError):
            self.kill()
            return error(500, "the query worker crashed; it is being restarted"), "crash"


class QueryPool:
    """``workers`` query processes, used from the asyncio web process; *log* receives one line per event."""

    def __init__(self, config: PoolConfig, log=None):
        self.config = config
        self.log = log or (lambda _m: None)
        ctx = multiprocessing.get_context("spawn")
        self.slots = [_Slot(ctx, config, i + 1) for i in range(config.workers)]
        self.spares = [_Slot(ctx, config, 0) for _ in range(config.spares)]
        self._ready: queue.SimpleQueue[_Slot] = queue.SimpleQueue()  # loaded spares
        # a thread per call, per replacement and per spare loading: never more at once
        self._threads = ThreadPoolExecutor(max_workers=2 * config.workers + config.spares, thread_name_prefix="pvd-query")
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

        list(self._threads.map(start, self.slots + self.spares))
        if errors:
            self.close()
            raise errors[0]
        for spare in self.spares:
            self._ready.put(spare)

    def close(self) -> None:
        for slot in self.slots + self.spares:
            slot.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _replace(self, slot: _Slot) -> str:
        """Give *slot* a live worker again (on a pool thread): a loaded spare if one is ready, else a new one."""
        slot.stop()
        try:
            spare = self._ready.get_nowait()
        except queue.Empty:
            slot.start()
            return "with a new worker (graph reloaded)"
        slot.adopt(spare)
        self._threads.submit(self._refill, spare)
        return "with a spare"

    def _refill(self, spare: _Slot) -> None:
        started = time.monotonic()
        try:
            spare.start()
        except UserError as exc:
            self.log(f"spare worker: could not be started ({exc})")
            return
        self._ready.put(spare)
        self.log(f"spare worker: loaded in {time.monotonic() - started:.1f} s")

    def _release(self, slot: _Slot) -> None:
        """Put *slot* back in line; a killed worker is first replaced, on a pool thread."""
        if not slot.dead:
            self._idle.put_nowait(slot)
            return
        loop = asyncio.get_running_loop()
        started = time.monotonic()

        def replaced(future):
            if future.exception() is not None:
                self.log(f"worker {slot.number}: could not be replaced ({future.exception()}); "
                         "one worker less")
                return
            self.log(f"worker {slot.number}: replaced {future.result()} in {time.monotonic() - started:.1f} s")
            self._idle.put_nowait(slot)

        loop.run_in_executor(self._threads, self._replace, slot).add_done_callback(replaced)

    async def run(self, request: dict) -> Reply:
        """The reply to *request*; cancelling this coroutine (the client left) kills the worker running it."""
        loop = asyncio.get_running_loop()
        if self._idle is None:
            self._idle = asyncio.Queue()
            for slot in self.slots:
                self._idle.put_nowait(slot)
        try:
            slot = await asyncio.wait_for(self._idle.get(), self.config.queue_wait)
        except (asyncio.TimeoutError, TimeoutError):
            reply = error(503, f"the server is busy: every query worker is taken and none was free within "
                               f"{self.config.queue_wait:g} s; try again later")
            reply.headers["Retry-After"] = str(max(1, round(self.config.queue_wait)))
            return reply
        started = time.monotonic()
        future = loop.run_in_executor(self._threads, slot.call, request, self.config.timeout)
        # the slot goes back to the line only when its thread is done, replaced first if it was killed
        future.add_done_callback(lambda _f: self._release(slot))
        try:
            reply, event = await asyncio.shield(future)
        except asyncio.CancelledError:
            slot.kill()
            self.log(f"client gone: query {query_hash(request)} abandoned after "
                     f"{time.monotonic() - started:.1f} s; worker {slot.number} killed")
            raise
        if event is not None:
            what = {"timeout": "timed out", "memory": f"passed the memory cap ({self.config.max_memory:g} MiB)",
                    "crash": "crashed its worker"}[event]
            self.log(f"{event}: query {query_hash(request)} {what} after {time.monotonic() - started:.1f} s; "
                     f"worker {slot.number} killed")
        return reply
