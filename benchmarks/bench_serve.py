"""The endpoint's throughput, and the latency of light queries while others abuse it.

    python benchmarks/bench_serve.py [--graph BUILD] [--workers 2] [--seconds 10] [--out benchmarks/results/serve.md]

Starts ``pvd-graph serve`` on 127.0.0.1 and measures, with a Python load client
(threads on keep-alive connections; ``wrk`` is not used: the Debian image has
none installed):

1. **simple queries**: ``--clients`` threads send ``ASK {}`` and a one-row
   SELECT for ``--seconds``: answers per second, p50 and p99 latency;
2. **light queries during abuse**: one client sends the one-row SELECT while
   ``--workers`` abusers each loop on a runaway query (a cartesian product
   counted) abandoned after 0.5 s, one sends queries nested 3,000 deep (which
   crashed a worker before they were refused), and 200 idle sockets are held
   open: p50, p99 and the worst latency of the light client, and every answer
   that was not a 200.

Every answer is checked (status, and the one-row SELECT's value). The load
client shares the machine's cores with the server: the figures are a floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
LIGHT = "SELECT (1 + 1 AS ?two) WHERE {}"
ASK = "ASK {}"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
DEEP = "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000


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
            self.conn.request("GET", "/sparql?query=" + quote(query, safe=""),
                              headers={"Accept": "application/sparql-results+json"})
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


def under_abuse(port: int, workers: int, seconds: float) -> dict:
    stop = time.monotonic() + seconds
    latencies, errors, deep = [], [], []
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(200)]

    def runaway():
        while time.monotonic() < stop:
            abandon(port, RUNAWAY, 0.5)

    def crasher():
        client = Client(port)
        while time.monotonic() < stop:
            status, _body, _took = client.get(DEEP)
            deep.append(status)
            time.sleep(0.05)

    def light():
        client = Client(port)
        while time.monotonic() < stop:
            status, body, took = client.get(LIGHT)
            latencies.append(took)
            if not correct(LIGHT, status, body):
                errors.append(status)

    run_together([runaway] * workers + [crasher, light])
    for sock in idle:
        sock.close()
    return {"answers": len(latencies), "p50_ms": 1000 * percentile(latencies, 50),
            "p99_ms": 1000 * percentile(latencies, 99), "max_ms": 1000 * max(latencies), "errors": len(errors),
            "error_statuses": sorted(set(errors)), "deep_queries": len(deep),
            "deep_statuses": sorted(set(deep))}


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
                   "abuse": under_abuse(port, args.workers, args.seconds)}
    finally:
        server.terminate()
        server.wait(30)
    events = [line.strip() for line in log if any(w in line for w in ("client gone", "timeout:", "memory:", "crash"))]
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
        "",
        f"Abuse: {args.workers} clients looping on a runaway query abandoned after 0.5 s, one sending "
        f"{a['deep_queries']} queries nested 3,000 deep (answered {a['deep_statuses']}), 200 idle sockets. "
        f"Server events: {len([e for e in events if 'client gone' in e])} abandoned queries cancelled, "
        f"{len([e for e in events if 'crash' in e])} crashes.",
        "",
    ])
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
