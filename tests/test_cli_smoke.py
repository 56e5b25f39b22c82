"""Every subcommand, as a user types it: ``--help``, no argument, a typical bad argument (issue #12).

Each run is a real ``python -m pvd_graph`` process with its own home, build and cache
folders under ``tmp_path`` (and its working folder there too, since ``docs`` writes
``./docs``), so no user file is touched; ``fetch`` is pointed at a closed port on
127.0.0.1 and nothing reaches the network. The list of subcommands comes from the CLI
itself: a new subcommand without cases here fails the first test.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pvd_graph.cli import _commands, main
from pvd_graph.export import known_formats
from pvd_graph.publish import UNION_GRAPH

REPO = Path(__file__).resolve().parents[1]
COMMANDS = sorted(_commands())

#: Exit status of each subcommand run with no argument and no build yet (README, "Commands"):
#: 0 where it needs nothing (build writes the curated graph, queries lists, docs writes ./docs),
#: 2 where a build or a required option is missing, or fetch finds itself offline.
NO_ARGUMENT = {"build": 0, "docs": 0, "export": 2, "fetch": 2, "map": 2, "network-stats": 2, "publish": 2,
               "queries": 0, "query": 2, "serve": 2, "stats": 2, "validate": 2, "viz": 2}

#: Typical mistakes, each run against an existing build: exit 2 and one line.
#: ``{closed}`` is a local TCP port with nothing listening.
BAD = [
    ("build", ["--sources", "nowhere"]),
    ("build", ["--out", "."]),
    ("build", ["--out", "sub/.."]),
    ("build", ["--backend", "nope"]),
    ("docs", ["--out", "/proc/docs"]),
    ("export", ["-f", "ttl", "--out", "/proc/x.ttl"]),
    ("export", ["-f", "nope"]),
    ("fetch", ["--timeout", "soon"]),
    ("map", ["--programme", "pvd", "--out", "x.pdf"]),
    ("map", ["--programme", "nope", "--out", "x.png"]),
    ("map", ["--programme", "pvd", "--link-base", "ftp:/x", "--out", "x.png"]),
    ("network-stats", ["--top", "0"]),
    ("network-stats", ["--as-of", "2021-13-01"]),
    ("viz", ["--as-of", "yesterday", "--out", "x.png"]),
    ("publish", ["--endpoint", "http://127.0.0.1:{closed}/store"]),
    ("queries", ["--format", "nope"]),
    ("query", ["no-such-query"]),
    ("query", ["towns-in-programme", "--param", "departement=999"]),
    ("serve", ["--port", "99999"]),
    ("serve", ["--workers", "0"]),
    ("stats", ["--graph", "nowhere"]),
    ("validate", ["nowhere"]),
    ("validate", ["--graph", "nowhere"]),
    ("viz", ["--out", "x.pdf"]),
]


#: Cases that still fail on this branch, fixed on another one.
BAD_CASES = [pytest.param(command, args, id=" ".join([command, *args])) for command, args in BAD]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(tmp_path: Path, args: list[str], build: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m pvd_graph ARGS`` from this checkout, in a working folder of its own under *tmp_path*."""
    work, home = tmp_path / "work", tmp_path / "home"
    for folder in (work, home):
        folder.mkdir(exist_ok=True)
    closed = _closed_port()
    env = dict(os.environ, HOME=str(home), PYTHONPATH=str(REPO),
               PVD_GRAPH_BUILD=str(build or tmp_path / "pvd-build"), PVD_GRAPH_CACHE=str(tmp_path / "cache"),
               PVD_GRAPH_FETCH_BASE=f"http://127.0.0.1:{closed}", NO_PROXY="*", no_proxy="*")
    env.pop("PVD_PUBLISH_PASSWORD", None)
    return subprocess.run([sys.executable, "-m", "pvd_graph", *(a.format(closed=closed) for a in args)],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def errors(stderr: str) -> list[str]:
    """The lines of *stderr* other than progress lines (``[  0.2s] loading…``, silenced by -q)."""
    return [line for line in stderr.strip().splitlines() if not re.match(r"\[\s*\d+\.\ds\] ", line)]


def test_every_subcommand_has_cases():
    assert sorted(NO_ARGUMENT) == COMMANDS
    assert sorted({command for command, _ in BAD}) == COMMANDS


#: What a subcommand's help must mention besides its usage line (compared without white space, which
#: argparse adds when it wraps): export lists every format and alias, publish names its default graph.
HELP_MENTIONS = {"docs": ["--out"], "export": ["--format", known_formats()], "network-stats": ["--departement"],
                 "publish": ["--graph", UNION_GRAPH], "serve": ["--graph"], "viz": ["--departement"]}


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command, tmp_path):
    """The one --help test: exit 0, the usage line on stdout, nothing on stderr, and the options of HELP_MENTIONS."""
    proc = run_cli(tmp_path, [command, "--help"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: pvd-graph {command}") and proc.stderr == ""
    text = "".join(proc.stdout.split())
    for mention in HELP_MENTIONS.get(command, []):
        assert "".join(mention.split()) in text, mention


@pytest.mark.parametrize("command", COMMANDS)
def test_no_argument(command, tmp_path):
    proc = run_cli(tmp_path, [command])
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == NO_ARGUMENT[command], proc.stderr
    if proc.returncode == 2:
        lines = errors(proc.stderr)
        assert len(lines) == 1 and lines[0].startswith(f"pvd-graph {command}: error: "), lines
    if command == "build":
        assert (tmp_path / "pvd-build" / "manifest.json").is_file()


@pytest.mark.parametrize("command,args", BAD_CASES)
def test_bad_argument(command, args, tmp_path, curated_build):
    before = sorted((p.name, p.stat().st_mtime_ns) for p in curated_build.iterdir())
    proc = run_cli(tmp_path, [command, *args], build=curated_build)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = errors(proc.stderr)
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"pvd-graph {command}: error: ") or lines[0].startswith("pvd-graph: error: "), lines
    assert sorted((p.name, p.stat().st_mtime_ns) for p in curated_build.iterdir()) == before
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == [], "nothing written in the working folder"


@pytest.mark.parametrize("args,named", [
    (["export", "-f", "ttl", "--out", "/proc/x.ttl"], "x.ttl"),
    (["build", "--out", "/proc/b", "-q"], "/proc/b: "),
])
def test_a_path_that_cannot_be_written_is_named(args, named, tmp_path, curated_build):
    proc = run_cli(tmp_path, args, build=curated_build)
    (line,) = errors(proc.stderr)
    assert proc.returncode == 2 and "/proc/" in line and named in line and "No such file or directory" in line, line


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_an_os_error_on_a_users_path_is_one_line(error, tmp_path, monkeypatch, capsys):
    """Disk full, read-only file system, permission denied (root ignores modes: the error is injected)."""
    target = tmp_path / "out"

    def fail(self, _data):
        raise OSError(error, os.strerror(error), str(self))

    monkeypatch.setattr(Path, "write_bytes", fail)
    assert main(["build", "--out", str(target), "-q"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("pvd-graph build: error: ") and str(tmp_path) in line and os.strerror(error) in line
    assert not target.exists() and list(tmp_path.iterdir()) == [], "no temporary folder left"


#: Commands that read a build: each takes --graph and -q (README, "Commands").
READERS = {"validate": [], "stats": [], "query": ["towns-in-programme"], "export": [], "viz": ["--out", "x.html"],
           "network-stats": [], "serve": [], "publish": ["--endpoint", "http://127.0.0.1:1/store"]}


@pytest.mark.parametrize("command", sorted(READERS))
def test_graph_and_quiet_on_every_reader(command):
    from pvd_graph.cli import make_parser

    args = make_parser().parse_args([command, *READERS[command], "--graph", "some-build", "-q"])
    assert args.graph == "some-build" and args.quiet is True


def test_validate_takes_graph_as_option_and_argument(curated_build, capsys):
    assert main(["validate", "--graph", str(curated_build), "-q", "--format", "json"]) == 0
    assert '"conforms": true' in capsys.readouterr().out
    assert main(["validate", str(curated_build), "--graph", str(curated_build / "nowhere")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "two graphs given" in line
