"""The endpoint's throughput, and the latency of light queries while others abuse it.

    python benchmarks/bench_serve.py [--graph BUILD] [--workers 2] [--seconds 10] [--out benchmarks/results/serve.md]

Starts ``pvd-graph serve`` on 127.0.0.1 and measures, with a Python load client
(threads on keep-alive connections) and, when it is installed, ``wrk`` (Debian
package ``wrk``; ``.ci/run`` installs it):

1. **simple queries**: ``--clients`` threads send ``ASK {}`` and a one-row
   SELECT for ``--seconds``: answers per second, p50 and p99 latency; then
   ``wrk`` sends the one-row SELECT on 8 connections;
2. **light queries during abuse** (:class:`Abuse`): one client sends the
   one-row SELECT while ``--workers`` abusers each loop on a runaway query (a
   cartesian product counted) abandoned after 0.5 s, one sends queries nested
   3,000 deep (which crashed a worker before they were refused), one sends its
   headers a byte at a time, and 200 idle sockets are held open: p50, p99 and
   the worst latency of the light client, and every answer that was not a 200;
   then the same abuse with ``wrk`` as the light traffic.

Every answer is checked (status, and the one-row SELECT's value; ``wrk``
compares each body with a lone client's). The load clients share the
machine's cores with the server: the figures are a floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import platform
import socket
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

REPO = Path(__file__).resolve().parents[1]
LIGHT = "SELECT (1 + 1 AS ?two) WHERE {}"
ASK = "ASK {}"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
DEEP = "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000
JSON = "application/sparql-results+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection; :meth:`get` returns (status, body, seconds)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, query: str) -> tuple[int, bytes, float]:
        t0 = time.perf_counter()
        try:
            self.conn.request("GET", "/sparql?query=" + quote(query, safe=""), headers={"Accept": JSON})
            r = self.conn.getresponse()
            body = r.read()
            status = r.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            status, body = 0, b""
        return status, body, time.perf_counter() - t0


def correct(query: str, status: int, body: bytes) -> bool:
    if status != 200:
        return False
    answer = json.loads(body)
    if query == ASK:
        return answer.get("boolean") is True
    return answer["results"]["bindings"][0]["two"]["value"] == "2"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_together(targets) -> float:
    """Run every callable of *targets* on its own thread; the wall time until all are done."""
    threads = [threading.Thread(target=t) for t in targets]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - t0


def simple(port: int, clients: int, seconds: float) -> dict:
    latencies, errors, stop = [], [], time.monotonic() + seconds

    def run(i):
        client, query = Client(port), (ASK, LIGHT)[i % 2]
        while time.monotonic() < stop:
            status, body, took = client.get(query)
            latencies.append(took)
            if not correct(query, status, body):
                errors.append(status)

    wall = run_together([lambda i=i: run(i) for i in range(clients)])
    return {"answers": len(latencies), "per_second": len(latencies) / wall, "p50_ms": 1000 * percentile(latencies, 50),
            "p99_ms": 1000 * percentile(latencies, 99), "errors": len(errors)}


def abandon(port: int, query: str, after: float) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET /sparql?query={quote(query, safe='')} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(after)


def drip(port: int, stop: threading.Event) -> None:
    """Headers sent a byte every 0.2 s until the server hangs up (408 after its request timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            for byte in b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nX-Slow: " + b"a" * 10_000:
                if stop.is_set():
                    return
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
        except OSError:
            return


class Abuse:
    """What the light traffic of measure 2 shares the server with, on threads from ``with`` to its end.

    ``workers`` clients loop on :data:`RUNAWAY`, each abandoned after 0.5 s; one
    sends :data:`DEEP` every 0.05 s (its statuses are in :attr:`deep`); one
    loops on headers sent a byte at a time; *idle* sockets stay open, silent.
    With *vary*, every runaway differs (a comment): none is known as cut before.
    """

    def __init__(self, port: int, workers: int, idle: int = 200, vary: bool = False):
        self.port, self.workers, self.idle, self.vary = port, workers, idle, vary
        self.stop = threading.Event()
        self.deep: list[int] = []
        self.runaways = 0
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    def _runaway(self) -> None:
        while not self.stop.is_set():  # with *vary*, each runaway is a text the server has not seen before
            abandon(self.port, f"{RUNAWAY} # {self.runaways} {time.monotonic_ns()}" if self.vary else RUNAWAY, 0.5)
            self.runaways += 1

    def _crasher(self) -> None:
        client = Client(self.port)
        while not self.stop.is_set():
            status, _body, _took = client.get(DEEP)
            self.deep.append(status)
            time.sleep(0.05)

    def _slow(self) -> None:
        while not self.stop.is_set():
            drip(self.port, self.stop)

    def __enter__(self) -> Abuse:
        self._sockets = [socket.create_connection(("127.0.0.1", self.port), timeout=10) for _ in range(self.idle)]
        targets = [self._runaway] * self.workers + [self._crasher, self._slow]
        self._threads = [threading.Thread(target=t, daemon=True) for t in targets]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(30)
        for sock in self._sockets:
            sock.close()


def under_abuse(port: int, workers: int, seconds: float) -> dict:
    stop = time.monotonic() + seconds
    latencies, errors = [], []
    with Abuse(port, workers) as abuse:
        client = Client(port)
        while time.monotonic() < stop:
            status, body, took = client.get(LIGHT)
            latencies.append(took)
            if not correct(LIGHT, status, body):
                errors.append(status)
    return {"answers": len(latencies), "p50_ms": 1000 * percentile(latencies, 50),
            "p99_ms": 1000 * percentile(latencies, 99), "max_ms": 1000 * max(latencies), "errors": len(errors),
            "error_statuses": sorted(set(errors)), "deep_queries": len(abuse.deep),
            "deep_statuses": sorted(set(abuse.deep)), "runaways": abuse.runaways}


#: wrk script: GET one query, count answers that are not a 200 with the expected body, and
#: print the figures as one JSON line (latencies in microseconds).
WRK_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  local f = assert(io.open(args[1], "rb")); expected = f:read("*a"); f:close()
  bad = 0
  req = wrk.format("GET", args[2], {["Accept"] = args[3]})
end
function request() return req end
function response(status, headers, body)
  if status ~= 200 or body ~= expected then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"bad": %d, "socket_errors": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, b, e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_load(base: str, query: str | None, expected: bytes, accept: str, seconds: float = 10,
             connections: int = 8, path: str | None = None) -> dict | None:
    """*query* sent by ``wrk`` (one thread, *connections* keep-alive connections) to the endpoint at
    *base* (``http://host:port/sparql``) for *seconds*; ``None`` without wrk. *path*, when given, is
    the request target sent instead (``/catalogue/NAME?insee=…``), and *query* is not used.

    wrk costs far less CPU than Python client threads, which share the cores with the
    server. ``errors`` counts the answers that are not a 200 with the body *expected*, and
    wrk's socket errors (connect, read, write, and answers later than its 2 s timeout).
    """
    if shutil.which("wrk") is None:
        return None
    path = path or "/sparql?" + urlencode({"query": query})
    with tempfile.TemporaryDirectory() as tmp:
        script, body = Path(tmp) / "load.lua", Path(tmp) / "expected"
        script.write_text(WRK_LUA, encoding="utf-8")
        body.write_bytes(expected)
        proc = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script),
                               base, "--", str(body), path, accept],
                              capture_output=True, text=True, check=False, timeout=seconds + 60)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        return {"failed": (proc.stderr or proc.stdout).strip()[-300:]}
    r = json.loads(line[4:])
    took = r["duration_us"] / 1e6
    return {"qps": r["requests"] / took, "requests": r["requests"], "seconds": took, "p50": r["p50_us"] / 1e6,
            "p99": r["p99_us"] / 1e6, "max": r["max_us"] / 1e6, "errors": r["bad"] + r["socket_errors"],
            "wrong_answers": r["bad"], "socket_errors": r["socket_errors"]}


def lone_answer(port: int, query: str) -> bytes:
    """The body a lone client gets for *query* (what every answer under load must be)."""
    status, body, _took = Client(port).get(query)
    if not correct(query, status, body):
        raise SystemExit(f"the lone query {query!r} got HTTP {status}")
    return body


def wrk_measures(port: int, workers: int, seconds: float) -> dict:
    """The one-row SELECT sent by wrk, alone then during :class:`Abuse` (``{}`` without wrk)."""
    base, expected = f"http://127.0.0.1:{port}/sparql", lone_answer(port, LIGHT)
    alone = wrk_load(base, LIGHT, expected, JSON, seconds)
    if alone is None:
        return {}
    out = {"alone": alone}
    for name, vary in (("abuse", False), ("abuse_varied", True)):
        with Abuse(port, workers, vary=vary) as abuse:
            during = wrk_load(base, LIGHT, expected, JSON, seconds)
        out[name] = {**during, "runaways": abuse.runaways, "deep_statuses": sorted(set(abuse.deep))}
    return out


def wrk_rows(wrk: dict, seconds: float) -> list[str]:
    """The table rows of :func:`wrk_measures` (none without wrk)."""
    rows = []
    for name, label in (("alone", "simple query, wrk, 8 connections"),
                        ("abuse", "light query during abuse, wrk, 8 connections"),
                        ("abuse_varied", "light query during abuse, every runaway a new text, wrk, 8 connections")):
        r = wrk.get(name)
        if r and "qps" in r:
            rows.append(f"| {label} | {r['requests']} | {r['qps']:.0f} | {1000 * r['p50']:.1f} | "
                        f"{1000 * r['p99']:.1f} | {1000 * r['max']:.0f} | {r['errors']} |")
        elif r:
            rows.append(f"| {label} | wrk failed: {r['failed']} | | | | | |")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", default=None, help="build folder or RDF file (default: the last build)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "serve.md")
    args = parser.parse_args(argv)

    port = free_port()
    command = [sys.executable, "-m", "pvd_graph", "serve", "--port", str(port), "--workers", str(args.workers)]
    if args.graph:
        command += ["--graph", args.graph]
    server = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(server.stderr), daemon=True).start()
    try:
        deadline = time.monotonic() + 600
        while not any("serving" in line for line in log):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("serve did not start:\n" + "".join(log))
            time.sleep(0.2)
        results = {"simple": simple(port, args.clients, args.seconds),
                   "abuse": under_abuse(port, args.workers, args.seconds),
                   "wrk": wrk_measures(port, args.workers, args.seconds)}
    finally:
        server.terminate()
        server.wait(30)
    events = [line.strip() for line in log
              if any(w in line for w in ("client gone", "timeout:", "memory:", "crash", "moved aside"))]
    s, a = results["simple"], results["abuse"]
    loaded = next((line.split("] ", 1)[-1].strip() for line in log if "loaded" in line), "")
    table = "\n".join([
        f"# pvd-graph serve, {time.strftime('%Y-%m-%d %H:%M')} — {platform.node()}, {platform.python_version()}, "
        f"load average {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}",
        "",
        f"Graph: {args.graph or 'the last build'} ({loaded}); {args.workers} workers; "
        f"{args.seconds:g} s per measure.",
        "",
        "| measure | answers | per second | p50 (ms) | p99 (ms) | worst (ms) | wrong answers |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| simple queries, {args.clients} clients | {s['answers']} | {s['per_second']:.0f} | {s['p50_ms']:.1f} | "
        f"{s['p99_ms']:.1f} | | {s['errors']} |",
        f"| light query during abuse | {a['answers']} | {a['answers'] / args.seconds:.0f} | {a['p50_ms']:.1f} | "
        f"{a['p99_ms']:.1f} | {a['max_ms']:.0f} | {a['errors']} {a['error_statuses'] or ''} |",
        *wrk_rows(results["wrk"], args.seconds),
        "",
        f"Abuse: {args.workers} clients looping on a runaway query abandoned after 0.5 s ({a['runaways']} sent), "
        f"one sending {a['deep_queries']} queries nested 3,000 deep (answered {a['deep_statuses']}), one sending "
        f"its headers a byte at a time, 200 idle sockets. Server events: "
        f"{len([e for e in events if 'client gone' in e])} abandoned queries cancelled, "
        f"{len([e for e in events if 'moved aside' in e])} moved aside, {len([e for e in events if 'crash' in e])} "
        "crashes.",
        "",
    ])
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
