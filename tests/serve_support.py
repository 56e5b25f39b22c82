"""Helpers for the endpoint tests: run ``pvd-graph serve`` in a subprocess on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alignment_triples(build: Path) -> set:
    """The distinct triples of the build's alignments.nt, read by Oxigraph's parser."""
    import pyoxigraph as ox

    from pvd_graph import resources

    with open(build / resources.ALIGNMENTS_NT, "rb") as fh:
        return {t for t in ox.parse(fh, format=ox.RdfFormat.N_TRIPLES)}


def build_figures(build: Path) -> tuple[int, dict[str, int]]:
    """What the endpoint serves of *build*, read from its files by Oxigraph's parser.

    (distinct triples of graph.nt: the default graph; distinct triples per named graph of
    dataset.nq with graph/alignments: the triples of alignments.nt, not in the default graph).
    """
    from collections import defaultdict

    import pyoxigraph as ox

    from pvd_graph import resources
    from pvd_graph.alignments import ALIGNMENTS_GRAPH

    with open(build / resources.GRAPH_NT, "rb") as fh:
        union = {t for t in ox.parse(fh, format=ox.RdfFormat.N_TRIPLES)}
    per_graph = defaultdict(set)
    with open(build / resources.DATASET_NQ, "rb") as fh:
        for quad in ox.parse(fh, format=ox.RdfFormat.N_QUADS):
            per_graph[quad.graph_name.value].add(quad.triple)
    per_graph[ALIGNMENTS_GRAPH] = alignment_triples(build)
    return len(union), {g: len(t) for g, t in sorted(per_graph.items())}


def run_serve(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m pvd_graph serve ARGS`` expected to stop by itself (refused before it serves)."""
    return subprocess.run([sys.executable, "-m", "pvd_graph", "serve", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


class Server:
    """``python -m pvd_graph serve`` on 127.0.0.1, stopped by :meth:`stop`."""

    def __init__(self, graph: Path, *options: str, log_dir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(log_dir / f"serve-{self.port}.log", "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pvd_graph", "serve", "--graph", str(graph), "--port", str(self.port), *options],
            cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}: {self.output()}")
            try:
                with urllib.request.urlopen(self.base + "/sparql", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"serve did not answer within 120 s: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
