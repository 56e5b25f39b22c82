"""Command-line interface: ``pvd-graph <subcommand>``, a thin layer over the Python API.

Each subcommand lives in its own module of this package and is discovered
automatically; a module provides ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args) -> int``. Library imports happen inside ``run`` so that
``pvd-graph --help`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from pvd_graph.errors import EXIT_USAGE, UserError


def _commands() -> dict[str, object]:
    mods = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mods[info.name.replace("_", "-")] = importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(mods.items()))


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported in one line like every other error (exit 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def describe_os_error(exc: OSError) -> str:
    """``PATH: reason`` for an error of the operating system on a file (``reason`` alone without a path)."""
    reason = exc.strerror or str(exc)
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    # (no map() here: importing the subcommand module pvd_graph.cli.map binds the name "map" in this package)
    return ": ".join([*(str(p) for p in paths[:1]), reason]) if paths else reason


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pvd-graph",
        description="French territorial programmes (PVD, ACV, ORT, CRTE) as an RDF knowledge graph.",
    )
    from pvd_graph import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, mod in _commands().items():
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 problems found, 2 usage or input error)."""
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except UserError as exc:
        print(f"pvd-graph {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"pvd-graph {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # permission denied, disk full, read-only file system, missing folder...
        print(f"pvd-graph {args.command}: error: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_USAGE


def entry() -> None:  # pragma: no cover - console script
    sys.exit(main())
