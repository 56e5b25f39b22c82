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

A killed worker is replaced in the background, and fast: the graph is loaded
once, by a *template* process that runs no query; every worker is a ``fork``
of it (the loaded store is shared copy-on-write, so workers cost little
memory), and replacing a killed one takes a fork, a fraction of a second,
never a reload. The answer never waits for it; the other slots serve
meanwhile.

A long query does not hold a slot while others would wait: once it has used
:data:`ASIDE_AFTER` seconds of CPU with no slot free (:data:`ASIDE_IF_WAITED` if
another query is waiting for a slot; CPU time, not the wall clock, so that a
light query slowed by a loaded machine is not taken for a runaway, see
:meth:`QueryPool._long`), it is **moved aside** — its process goes
on answering it outside the pool (same time limit, same memory cap, same
cancel when its client leaves, at the lowest CPU priority once it has run
:data:`ASIDE_NICE_AFTER`) and a *spare* fork takes its slot at once. One spare
per place aside is kept ready (its store opened, one query answered), so that
runaways arriving together are all moved without waiting for a fork; used
ones are forked again in the background, together (while none is ready,
nothing is moved). A worker killed in its slot (time limit, memory, client
gone before it was moved) is replaced by a ready spare at once, else by a
fork. So the next light query is served instead of waiting
for a runaway to end. At most ``aside`` queries run aside at once (default: as many
as ``workers``); a process running aside ends with its query. Memory stays
bounded: each process, in the slots or aside, is cut at ``max_memory`` above
the shared graph, so at most ``workers + aside`` times that (the spares run
nothing). A query the server cut before (time limit, memory cap, crash; the
last :data:`REMEMBERED_CUTS`, known by the hash of their text) never takes a
worker again: it waits for a spare and a place aside, so a client looping
on such a query only ever holds processes aside. A query abandoned by its
client is not remembered: on an overloaded server light queries are slow
too, and their clients leave. A query aside has the same time limit as any other: past it, the
answer is 503 saying that it ran aside at the lowest priority, and why. Past the ``aside`` bound,
while every slot is busy, a new query waits at most ``queue_wait`` seconds for one, then gets 503
with ``Retry-After``. Each of these events is one log line (what, a hash of the query, how long it
ran, and which process was killed: ``worker N``, or ``its process aside`` and why it was aside).

A query and its reply travel on a socket pair between the web process and the
worker, framed (length, then pickle) and read on the web process's event loop
itself: no thread in between, whose hand-back of each reply would wait for the
interpreter lock while the loop is busy. A new worker says it is ready only
once it has opened the store, so a spare that takes a slot answers at once.

The template is started with the ``spawn`` method (no ``fork`` of the
threaded web server) and opens the build through :func:`pvd_graph.store.open_built`
(``graphs="both"``: its on-disk store, or ``dataset.nq``, ``graph.nt`` and ``alignments.nt``
parsed); it is single-threaded when it forks (an in-memory Oxigraph store starts no thread;
an on-disk one is opened again by each worker). Workers answer on a thread with a
:data:`WORKER_STACK` stack (see :mod:`~pvd_graph.server.guard` for why).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import threading
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
#: Seconds of CPU a query uses, while no slot is free, before it is moved aside (its slot gets the spare fork).
ASIDE_AFTER = 0.1
#: Seconds of CPU a query uses (after its first :data:`ASIDE_POLL`), while another query waits for a slot,
#: before it is moved aside: about what a light query waiting behind a runaway loses, on a machine with a
#: core to spare (a simple query uses well under a millisecond of CPU in a worker, a runaway all it gets).
#: Not less: a move costs a spare fork, about 20 ms of CPU (measured on the enlarged build), which a query
#: of a few milliseconds would not repay.
ASIDE_IF_WAITED = 0.01
#: Seconds (wall clock) a query runs, while another waits, before it is moved aside whatever CPU it used
#: (a query waiting on the disk uses little; a light one is answered well before, even on a loaded machine).
ASIDE_STALLED = 0.25
#: Seconds (wall clock) a query runs, while another waits, before it is moved aside where its CPU time
#: cannot be read (no ``/proc``).
ASIDE_STALLED_WALL = 0.03
#: Seconds a query has run when, moved aside, it gets the lowest CPU priority.
ASIDE_NICE_AFTER = 0.05
#: Seconds a new worker has to open the store and say it is ready.
START_TIMEOUT = 60.0
#: Frame of a message between the web process and a worker: its length, then the pickled request or reply.
_FRAME = struct.Struct("!Q")
#: Seconds between two looks at whether a running query should be moved aside.
ASIDE_POLL = 0.005
#: Queries cut by the server (time limit, memory cap, crash) remembered by their hash.
REMEMBERED_CUTS = 1000
#: Scheduling priority of a process moved aside (``nice`` 19: the lowest), so that it never slows the workers.
ASIDE_NICENESS = 19
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


def cpu_seconds(pid: int) -> float | None:
    """CPU time used so far by every thread of process *pid*, ``None`` where ``/proc`` cannot tell.

    Read from ``/proc/PID/task/TID/schedstat`` (nanoseconds, updated at each tick and context
    switch): unlike the wall clock, it does not grow while the process waits for a core, so a light
    query slowed by a loaded machine is not taken for a runaway.
    """
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    total, read = 0, False
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                total += int(fh.read().split()[0])
            read = True
        except (OSError, ValueError, IndexError):  # a thread that ended meanwhile; no schedstat in this kernel
            continue
    return total / 1e9 if read else None


def lower_priority(pid: int) -> None:
    """Give process *pid* the lowest CPU priority, so that it yields the processor to the workers.

    Linux keeps a niceness per thread (the query runs on a thread of its own): every
    thread of ``/proc/PID/task`` is reniced. Where that cannot be done, nothing is.
    """
    try:
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except (OSError, ValueError):
        threads = [pid]
    for tid in threads:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, ASIDE_NICENESS)
        except (OSError, AttributeError):
            pass


@dataclass
class PoolConfig:
    graph: str | None
    workers: int = 2
    timeout: float = 10.0
    limits: Limits = None
    id_base: str | None = None
    queue_wait: float = 2.0  # seconds a query waits for a free worker before 503
    max_memory: float = 1024.0  # MiB a worker may grow above its loaded size while answering
    aside: int | None = None  # long queries that may run aside at once (None: as many as workers; 0: none)
    aside_after: float = ASIDE_AFTER
    memory: bool = False  # parse the build's files into an in-memory store instead of opening its on-disk one

    def __post_init__(self):
        self.limits = self.limits or Limits()
        if self.aside is None:
            self.aside = self.workers


def _template_main(conn, config: PoolConfig) -> None:  # the spawned template process
    from pvd_graph.errors import UserError as _UserError
    from pvd_graph.server.engine import dataset_figures
    from pvd_graph.store import open_built

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the workers it forks are reaped by the kernel
    try:
        # alignments.nt included, as graph/alignments
        store = open_built(config.graph, graphs="both", use_store=not config.memory)
    except _UserError as exc:
        conn.send(("error", str(exc)))
        return
    conn.send(("ready", {**dataset_figures(store), "on_disk": store.on_disk}))
    worker_store = store.opener_for_forks()  # an on-disk store is opened again by each worker, after the fork
    import pvd_graph.server.catalogue  # noqa: F401  (imported once here, not by each fork)

    gc.freeze()  # what is loaded now is never collected: a fork's collections do not copy its pages
    while True:
        try:
            worker_conn = conn.recv()  # the worker's end of a new pipe to the web process
        except (EOFError, KeyboardInterrupt):
            return
        pid = os.fork()
        if pid == 0:
            conn.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            threading.stack_size(WORKER_STACK)
            sock = socket.socket(fileno=os.dup(worker_conn.fileno()))
            worker_conn.close()
            sock.setblocking(True)
            try:
                ready = worker_store()  # opened before the worker says it is ready: no query waits for it
                _warm(ready, config)
            except Exception as exc:  # said to the web process, which refuses to start or logs it
                _send(sock, f"{type(exc).__name__}: {exc}")
                os._exit(1)
            _send(sock, "ready")
            thread = threading.Thread(target=_serve_queries, args=(ready, sock, config), name="pvd-graph-queries")
            thread.start()
            thread.join()
            os._exit(0)
        worker_conn.close()
        conn.send(pid)


def _warm(store, config: PoolConfig) -> None:
    """One query answered by a new worker before it says it is ready: its first query costs several
    times the next ones (the store's caches, the pages a fork copies when first written), and that
    cost must not fall on the first client it serves (a spare that takes a slot serves at once)."""
    from pvd_graph.server.engine import run_sparql

    run_sparql(store, {"query": "ASK { ?s ?p ?o }", "accept": "application/sparql-results+json"}, config.limits)


def _send(sock: socket.socket, message) -> None:
    """*message* pickled and framed on a blocking socket (a worker's side)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_FRAME.pack(len(data)) + data)


def _receive(sock: socket.socket):
    """The next framed message on a blocking socket; :class:`EOFError` once the other side is gone."""
    head = _exactly(sock, _FRAME.size)
    return pickle.loads(_exactly(sock, _FRAME.unpack(head)[0]))


def _exactly(sock: socket.socket, size: int) -> bytearray:
    buf, got = bytearray(size), 0
    view = memoryview(buf)
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            raise EOFError("the other end of the worker's socket is closed")
        got += n
    return buf


def _serve_queries(store, sock, config: PoolConfig) -> None:  # a forked worker
    from pvd_graph.server.catalogue import run_catalogue
    from pvd_graph.server.engine import describe_entity, run_sparql

    while True:
        try:
            request = _receive(sock)
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            if request["op"] == "entity":
                reply = describe_entity(store, request)
            elif request["op"] == "catalogue":
                reply = run_catalogue(store, request, config.limits)
            else:
                reply = run_sparql(store, request, config.limits)
        except MemoryError:
            reply = error(503, "query cancelled: it needed more memory than this endpoint allows")
        except Exception as exc:  # an engine bug must not kill the worker silently
            reply = error(500, f"internal error: {type(exc).__name__}: {exc}")
        try:
            _send(sock, reply)
        except OSError:  # the web process killed us or is gone
            return


class _Template:
    """The process holding the loaded graph, forking a worker on demand (one fork at a time)."""

    def __init__(self, ctx, config: PoolConfig):
        self.ctx, self.config = ctx, config
        self.proc = self.conn = None
        self.figures: dict = {}
        self.lock = threading.Lock()

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_template_main, args=(child, self.config), daemon=True,
                                     name="pvd-graph-template")
        self.proc.start()
        child.close()
        self.conn = parent
        try:
            kind, value = parent.recv()
        except EOFError:
            raise UserError("the process loading the graph died while loading it") from None
        if kind == "error":
            raise UserError(value)
        self.figures = value

    def fork(self):
        """A new worker: its pid and the web process's end of its pipe."""
        ours, theirs = self.ctx.Pipe()
        with self.lock:
            try:
                self.conn.send(theirs)
                pid = self.conn.recv()
            except (EOFError, OSError):
                raise UserError("the process holding the graph is gone: no worker can be started") from None
            finally:
                theirs.close()
        return pid, ours

    def stop(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        if self.conn is not None:
            self.conn.close()


class _Slot:
    """One worker process (a fork of the template) and the socket to it; used by one query at a time.

    :meth:`start` and :meth:`restart` block (they run on a pool thread or before serving);
    :meth:`call` is a coroutine of the web process's event loop: the request is written and the
    reply read on the loop itself, with no thread in between (a thread handing the reply back
    waits for the interpreter lock while the loop is busy: milliseconds per query under load).
    """

    def __init__(self, template: _Template, config: PoolConfig, number: int):
        self.template, self.config, self.number = template, config, number
        self.pid = self.sock = None
        self.restarts = 0
        self.loaded_mib: float | None = None
        self.killed = False  # set at once by kill(): the process may take a moment to be gone
        self.aside = False  # moved aside: its process ends with the query it is answering
        self.why_aside = ""  # said in the log and in a time-limit answer: why the query ran aside

    @property
    def label(self) -> str:
        """What the log calls this process: a worker by its number, a process aside by why it is aside
        (a spare that took no slot has no worker number: "worker 0" said nothing)."""
        return f"its process aside ({self.why_aside}) killed" if self.aside else f"worker {self.number} killed"

    def start(self) -> None:
        """Fork the worker and wait until it has opened the store (it says "ready")."""
        self.fork()
        self.wait_ready()

    def fork(self) -> None:
        self.pid, conn = self.template.fork()
        self.killed = False
        try:
            self.sock = socket.socket(fileno=os.dup(conn.fileno()))
        finally:
            conn.close()

    def wait_ready(self) -> None:
        self.sock.settimeout(START_TIMEOUT)
        try:
            ready = _receive(self.sock)
        except (EOFError, OSError) as exc:
            self.stop()
            raise UserError(f"a query worker died or hung while opening the graph ({exc})") from None
        if ready != "ready":
            self.stop()
            raise UserError(f"a query worker did not start: {ready!r}")
        self.sock.setblocking(False)
        self.loaded_mib = resident_mib(self.pid)

    def kill(self) -> None:
        """Stop the worker now (a no-op if it is already dead)."""
        self.killed = True
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    @property
    def dead(self) -> bool:
        if self.killed or self.pid is None:
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        return False

    def stop(self) -> None:
        self.kill()
        if self.sock is not None:
            self.sock.close()

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    async def _reply(self, loop) -> Reply:
        """The worker's next framed reply, read on the event loop."""
        data = bytearray(await loop.sock_recv(self.sock, 65536))
        while len(data) < _FRAME.size:
            more = await loop.sock_recv(self.sock, 65536)
            if not more:
                raise EOFError
            data += more
        size = _FRAME.unpack_from(data)[0] + _FRAME.size
        if len(data) < size:
            rest = bytearray(size - len(data))
            view, got = memoryview(rest), 0
            while got < len(rest):
                n = await loop.sock_recv_into(self.sock, view[got:])
                if n == 0:
                    raise EOFError
                got += n
            data += rest
        return pickle.loads(memoryview(data)[_FRAME.size:size])

    async def call(self, request: dict, timeout: float) -> tuple[Reply, str | None]:
        """The worker's reply and what went wrong (``None``, ``"timeout"``, ``"memory"``, ``"crash"``).

        Cancelled (the client left), it kills the worker: its socket may hold half a reply.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        cap = None if self.loaded_mib is None else self.loaded_mib + self.config.max_memory
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        reading = None
        try:
            await loop.sock_sendall(self.sock, _FRAME.pack(len(data)) + data)
            reading = asyncio.ensure_future(self._reply(loop))
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    self.kill()
                    aside = (f" (it ran aside, at the lowest CPU priority: {self.why_aside}; "
                             "on a less busy server it may finish in time)") if self.aside else ""
                    return (error(503, f"query cancelled: it ran longer than the time limit of {timeout:g} s{aside}"),
                            "timeout")
                done, _ = await asyncio.wait((reading,), timeout=min(left, WATCH_INTERVAL))
                if done:
                    return reading.result(), None
                used = None if cap is None else resident_mib(self.pid)
                if used is not None and used > cap:
                    self.kill()
                    return error(503, "query cancelled: it needed more memory than this endpoint allows "
                                      f"({self.config.max_memory:g} MiB per query)"), "memory"
        except (EOFError, OSError, pickle.UnpicklingError):
            self.kill()
            return error(500, "the query worker crashed; it is being restarted"), "crash"
        except asyncio.CancelledError:
            self.kill()
            raise
        finally:
            if reading is not None and not reading.done():
                reading.cancel()


class QueryPool:
    """``workers`` query processes, used from the asyncio web process; *log* receives one line per event."""

    def __init__(self, config: PoolConfig, log=None):
        self.config = config
        self.log = log or (lambda _m: None)
        self.template = _Template(multiprocessing.get_context("spawn"), config)
        self.slots = [_Slot(self.template, config, i + 1) for i in range(config.workers)]
        # threads for the blocking forks (replacements, the spare); queries are sent and read on the event loop
        self._threads = ThreadPoolExecutor(max_workers=2 * (config.workers + config.aside),
                                           thread_name_prefix="pvd-query")
        self._idle: asyncio.Queue | None = None
        self._aside: set[_Slot] = set()  # the slots moved aside whose query is still running
        # forks kept ready, one per place aside, each to take the slot of a query moved aside
        self._spares: list[_Slot] = []
        self._forking = 0  # spares being forked (each opens the store at once, in parallel)
        self._cut: dict[str, str] = {}  # hash of a query cut (timeout, memory, crash) → why
        self._waiting = 0  # queries waiting for a slot

    @property
    def figures(self) -> dict:
        """What the workers hold (see :func:`~pvd_graph.server.engine.dataset_figures`)."""
        return self.template.figures

    def start(self) -> None:
        """Load the graph in the template, then fork every worker."""
        try:
            self.template.start()
            if self.config.aside:
                self._spares = [_Slot(self.template, self.config, 0) for _ in range(self.config.aside)]
            starting = [*self.slots, *self._spares]
            for slot in starting:  # forked one after the other, then each opens the store: all at once
                slot.fork()
            for slot in starting:
                slot.wait_ready()
        except UserError:
            self.close()
            raise

    def close(self) -> None:
        for slot in [*self.slots, *self._aside, *self._spares]:
            slot.stop()
        self.template.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _release(self, slot: _Slot) -> None:
        """Put *slot* back in line; a killed worker is first replaced (a fork), on a pool thread.

        A slot moved aside is not put back (a fresh fork took its place): its process is ended.
        """
        if slot.aside:
            self._aside.discard(slot)
            slot.stop()
            return
        if not slot.dead:
            self._idle.put_nowait(slot)
            return
        if self._ready_spare():  # a spare ready takes the slot at once (forking one takes a tenth of a second)
            slot.stop()
            fresh = self._spares.pop()
            fresh.number, fresh.restarts = slot.number, slot.restarts + 1
            self.slots[self.slots.index(slot)] = fresh
            self.log(f"worker {slot.number}: replaced at once by a spare fork "
                     f"({len(self._spares)} spare(s) still ready)")
            self._idle.put_nowait(fresh)
            self._fork_spare()
            return
        loop = asyncio.get_running_loop()
        started = time.monotonic()

        def replaced(future):
            if future.exception() is not None:
                self.log(f"worker {slot.number}: could not be replaced ({future.exception()}); one worker less")
                return
            self.log(f"worker {slot.number}: replaced in {time.monotonic() - started:.2f} s")
            self._idle.put_nowait(slot)

        loop.run_in_executor(self._threads, slot.restart).add_done_callback(replaced)

    def _move_aside(self, slot: _Slot, request: dict, running: float) -> None:
        """Let *slot* finish its query outside the pool; the spare fork (ready) takes its place at once."""
        slot.aside, slot.why_aside = True, f"moved out of worker {slot.number} while every worker was taken"
        self._aside.add(slot)
        # lowest priority once it has run ASIDE_NICE_AFTER: a query moved early (another was waiting) may
        # be a light one slowed by a busy machine, which must not then starve at niceness 19
        asyncio.get_running_loop().call_later(max(0.0, ASIDE_NICE_AFTER - running),
                                              lambda: slot.killed or lower_priority(slot.pid))
        fresh = self._spares.pop()
        fresh.number = slot.number
        self.slots[self.slots.index(slot)] = fresh
        self.log(f"aside: query {query_hash(request)} still running after {running:.2f} s with every worker busy; "
                 f"moved aside ({len(self._aside)} of {self.config.aside}), worker {slot.number} forked anew "
                 f"({len(self._spares)} spare(s) still ready)")
        self._idle.put_nowait(fresh)
        self._fork_spare()

    def _ready_spare(self) -> bool:
        """Whether a spare is ready (the dead ones, killed from outside, are dropped and forked again)."""
        live = [s for s in self._spares if not s.dead]
        if len(live) < len(self._spares):
            self._spares = live
            self._fork_spare()
        return bool(live)

    def _fork_spare(self) -> None:
        """Fork the missing spares in the background (up to one per place aside), so that a move aside never
        waits for a fork, nor two runaways arriving together for one another's.

        The forks themselves are made one at a time (by the template), but the spares open the store
        together: two used at once are both ready again after one opening's time, not two.
        """
        loop = asyncio.get_running_loop()
        while len(self._spares) + self._forking < self.config.aside:
            self._forking += 1
            spare = _Slot(self.template, self.config, 0)

            def forked(future, spare=spare):
                self._forking -= 1
                if future.exception() is None:  # (a failed fork is tried again at the next move aside)
                    self._spares.append(spare)

            loop.run_in_executor(self._threads, spare.start).add_done_callback(forked)

    async def _take_spare(self) -> _Slot | None:
        """The spare fork, as a process aside, once it is ready and a place aside is free (``None`` after
        ``queue_wait`` seconds): where a query that was cut before runs."""
        deadline = time.monotonic() + self.config.queue_wait
        while time.monotonic() < deadline:
            if self._ready_spare() and len(self._aside) < self.config.aside:
                slot = self._spares.pop()
                self._fork_spare()
                if not slot.dead:
                    slot.aside = True
                    self._aside.add(slot)
                    lower_priority(slot.pid)
                    return slot
            self._fork_spare()
            await asyncio.sleep(ASIDE_POLL)
        return None

    def _busy(self) -> Reply:
        reply = error(503, f"the server is busy: every query worker is taken and none was free within "
                           f"{self.config.queue_wait:g} s; try again later")
        reply.headers["Retry-After"] = str(max(1, round(self.config.queue_wait)))
        return reply

    def _remember_cut(self, name: str, why: str) -> None:
        self._cut[name] = why
        if len(self._cut) > REMEMBERED_CUTS:
            del self._cut[next(iter(self._cut))]

    def _long(self, slot: _Slot, running: float, mark: float | None) -> bool:
        """Whether the query of *slot*, running for *running* seconds, is long enough to be moved aside
        (*mark*: the worker's CPU time when the query was first seen still running).

        Judged on the CPU the query used since that first look (:func:`cpu_seconds`), not on the wall
        clock: on a loaded machine a light query may wait tens of milliseconds for a core, and moving it
        aside would spend a spare on it while the runaway beside it keeps its slot. The wall clock decides
        past :data:`ASIDE_STALLED` (a query waiting on the disk), and where the CPU time cannot be read.
        """
        cpu = None if mark is None else cpu_seconds(slot.pid)
        used = None if cpu is None else cpu - mark
        if self._waiting:  # another query waits behind it
            if used is None:
                return running >= ASIDE_STALLED_WALL
            return used >= ASIDE_IF_WAITED or running >= ASIDE_STALLED
        after = self.config.aside_after
        return running >= after if used is None else used >= after or running >= max(after, ASIDE_STALLED)

    async def _answer(self, slot: _Slot, future, request: dict, started: float):
        """The (reply, event) of *future*, moving *slot* aside if it runs long while no slot is free."""
        if slot.aside:
            return await asyncio.shield(future)
        done, _ = await asyncio.wait({future}, timeout=ASIDE_POLL)
        mark = None if done else cpu_seconds(slot.pid)  # a light query is answered before: nothing read
        while not done:
            # only with a spare ready: a move never waits for a fork
            running = time.monotonic() - started
            room = self._idle.empty() and len(self._aside) < self.config.aside
            if room and self._long(slot, running, mark) and self._ready_spare():
                self._move_aside(slot, request, time.monotonic() - started)
                break
            self._fork_spare()
            done, _ = await asyncio.wait({future}, timeout=ASIDE_POLL)
        return await asyncio.shield(future)

    async def run(self, request: dict) -> Reply:
        """The reply to *request*; cancelling this coroutine (the client left) kills the worker running it."""
        if self._idle is None:
            self._idle = asyncio.Queue()
            for slot in self.slots:
                self._idle.put_nowait(slot)
        name = query_hash(request)
        if self.config.aside and name in self._cut:  # a runaway seen before never takes a worker again
            why = self._cut[name]
            slot = await self._take_spare()
            if slot is None:
                return self._busy()
            slot.why_aside = f"the same query was cut before ({why})"
            self.log(f"aside: query {name} was cut before ({why}): run aside at once "
                     f"({len(self._aside)} of {self.config.aside})")
        elif not self._idle.empty():
            slot = self._idle.get_nowait()
        else:
            self._waiting += 1
            try:
                slot = await asyncio.wait_for(self._idle.get(), self.config.queue_wait)
            except (asyncio.TimeoutError, TimeoutError):
                return self._busy()
            finally:
                self._waiting -= 1
        started = time.monotonic()
        future = asyncio.ensure_future(slot.call(request, self.config.timeout))
        # the slot goes back to the line only when its thread is done, replaced first if it was killed
        future.add_done_callback(lambda _f: self._release(slot))
        try:
            reply, event = await self._answer(slot, future, request, started)
        except asyncio.CancelledError:
            if future.done():  # answered just before its client left: the worker is sound and back in line
                raise
            slot.kill()
            future.cancel()
            self._aside.discard(slot)  # its place aside is free at once, not when its process is gone
            # not remembered: a client leaving says nothing sure of its query (an overloaded server
            # makes light queries slow too, and their clients leave)
            self.log(f"client gone: query {name} abandoned after {time.monotonic() - started:.1f} s; {slot.label}")
            raise
        if event is not None:
            what = {"timeout": "timed out", "memory": f"passed the memory cap ({self.config.max_memory:g} MiB)",
                    "crash": "crashed its worker"}[event]
            self._remember_cut(name, what)
            self.log(f"{event}: query {name} {what} after {time.monotonic() - started:.1f} s; {slot.label}")
        return reply
