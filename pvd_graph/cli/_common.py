"""Helpers shared by the subcommands: progress messages and common options."""

from __future__ import annotations

import sys
import time


class Progress:
    """Timestamped progress lines on stderr; silent with ``--quiet``."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.start:6.1f}s] {message}", file=sys.stderr, flush=True)


def add_quiet(parser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="print only results and errors")


def add_graph(parser) -> None:
    parser.add_argument("--graph", metavar="PATH", default=None,
                        help="build folder or RDF file to read (default: the last build, ./pvd-build)")

