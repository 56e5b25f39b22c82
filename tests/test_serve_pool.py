"""The query pool's judgement of a long query (``pvd_graph.server.pool``), on real processes.

A query is moved aside on the CPU it used, not on the wall clock: on a loaded
machine a light query waits for a core, and taking it for a runaway spent a
spare fork on it while the runaway beside it kept its slot (measured in the
endpoint benchmark under abuse: light queries moved aside, then both workers
held by runaways until their clients left).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from pvd_graph.server import pool as pool_module
from pvd_graph.server.pool import PoolConfig, QueryPool, cpu_seconds

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")


@pytest.fixture
def processes():
    """A process that sleeps (wall time passes, no CPU used) and one that spins (CPU used all along)."""
    idle = subprocess.Popen([sys.executable, "-c", "import time; print(flush=True); time.sleep(60)"],
                            stdout=subprocess.PIPE)
    busy = subprocess.Popen([sys.executable, "-c", "print(flush=True)\nwhile True: pass"], stdout=subprocess.PIPE)
    for proc in (idle, busy):
        proc.stdout.readline()  # started: the interpreter's start-up is CPU of its own
    yield idle, busy
    for proc in (idle, busy):
        proc.kill()
        proc.wait()
        proc.stdout.close()


class _Running:
    """What :meth:`QueryPool._long` reads of a slot: the pid of the process answering."""

    def __init__(self, pid: int):
        self.pid = pid


def _cpu_after(pid: int, seconds: float) -> tuple[float, float]:
    mark = cpu_seconds(pid)
    time.sleep(seconds)
    return mark, cpu_seconds(pid) - mark


def test_cpu_seconds_counts_cpu_not_wall_time(processes):
    idle, busy = processes
    _mark, idle_used = _cpu_after(idle.pid, 0.3)
    _mark, busy_used = _cpu_after(busy.pid, 0.3)
    assert idle_used < 0.01, idle_used
    assert busy_used > 0.02, busy_used  # a core shared by a loaded machine still gives it that much
    assert cpu_seconds(2 ** 22 + 12345) is None  # no such process: cannot tell


def test_a_query_waiting_for_a_core_is_not_taken_for_a_runaway(processes):
    """Another query waits, the one running has run far past the wall-clock rule of before
    (:data:`~pvd_graph.server.pool.ASIDE_STALLED_WALL`): moved aside only if it used the CPU."""
    idle, busy = processes
    pool = QueryPool(PoolConfig(graph=None, workers=1))
    try:
        pool._waiting = 1
        running = 4 * pool_module.ASIDE_STALLED_WALL
        assert running < pool_module.ASIDE_STALLED
        mark, _ = _cpu_after(idle.pid, running)
        assert not pool._long(_Running(idle.pid), running, mark)
        mark, used = _cpu_after(busy.pid, 2 * running)  # (on a loaded machine it gets a fraction of a core)
        assert used >= pool_module.ASIDE_IF_WAITED, used
        assert pool._long(_Running(busy.pid), running, mark)
        # past ASIDE_STALLED the wall clock decides (a query waiting on the disk), and where /proc cannot tell
        assert pool._long(_Running(idle.pid), pool_module.ASIDE_STALLED, cpu_seconds(idle.pid))
        assert pool._long(_Running(idle.pid), running, None)
        # nobody waiting: a query is moved (no slot free) only once it used aside_after of CPU
        pool._waiting = 0
        assert not pool._long(_Running(busy.pid), running, cpu_seconds(busy.pid))
    finally:
        pool.close()
