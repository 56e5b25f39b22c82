"""Faults: an interrupted build, reproducibility, malformed ontology or shapes, a fetch that goes wrong mid-body."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pvd_graph import fetch, resources, store
from pvd_graph.build import build_graph
from pvd_graph.cli import main
from pvd_graph.errors import UserError
from tests.test_fetch import remotes_for, server  # noqa: F401 (the local server fixture)

REPO = Path(__file__).resolve().parents[1]


def build_cmd(sources: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "pvd_graph", "build", "--sources", str(sources), "--out", str(out),
            "--no-validate", "-q"]


def test_killed_build_leaves_the_previous_one_intact(tmp_path, shared_data):
    """SIGKILL while the national build writes its temporary folder: the old build is untouched.

    The kill lands once ``dataset.nq`` exists in the temporary folder (while
    ``graph.ttl`` and the reports are written): the leftover folder must then
    not be opened as a build.
    """
    out = tmp_path / "out"
    build_graph(None, out, run_validation=False)
    before = _every_file(out)  # the on-disk store's files included
    triples = store.triple_count(store.open_built(out))

    proc = subprocess.Popen(build_cmd(shared_data, out), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    temp: list[Path] = []
    while not temp:
        assert proc.poll() is None, f"the build ended before writing: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline, "no temporary build folder appeared"
        # wait for the dataset file inside: the moment a half-written folder looks most like a build
        temp = [p for p in tmp_path.glob(".out.tmp-*") if (p / resources.DATASET_NQ).exists()]
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.stderr.close()

    assert _every_file(out) == before
    assert store.triple_count(store.open_built(out)) == triples
    assert main(["stats", "--graph", str(out)]) == 0
    # the half-written folder is recognisable and refused, never read as a build
    leftovers = list(tmp_path.glob(".out.tmp-*"))
    assert leftovers == temp
    assert not (leftovers[0] / resources.MANIFEST_JSON).exists()
    with pytest.raises(UserError, match="incomplete build folder"):
        store.open_built(leftovers[0])
    # and the next build goes through
    build_graph(None, out, run_validation=False)
    assert json.loads((out / resources.MANIFEST_JSON).read_text())["triples"] > 0


def test_issue_9_failed_swap_puts_the_previous_build_back(tmp_path, monkeypatch):
    """A failure between moving the old build aside and moving the new one in used to lose both."""
    out = tmp_path / "out"
    build_graph(None, out, run_validation=False)
    before = (out / resources.GRAPH_NT).read_bytes()
    real_rename = Path.rename

    def rename(self, target):
        if self.name.startswith(".out.tmp-"):
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError):
        build_graph(None, out, run_validation=False)
    assert (out / resources.GRAPH_NT).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_two_national_builds_are_byte_identical(tmp_path, shared_data, national_build):
    """A second build, in another process (other hash seed), gives the same bytes as the session's in
    every file but manifest.json (timings); graph.nt is sorted without duplicates.

    The one test of reproducible builds (the curated and export variants were folded into it)."""
    out = tmp_path / "again"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    proc = subprocess.run(build_cmd(shared_data, out), cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in national_build.iterdir())
    assert {resources.GRAPH_NT, resources.DATASET_NQ, resources.REJECTS_CSV, "conflicts.csv", "graph.ttl",
            "void.ttl", "alignments.nt"} <= set(names)
    for name in names:  # the on-disk store (a folder) is new at each build: tests/test_store_disk.py checks it
        if name != "manifest.json" and (out / name).is_file():
            assert (out / name).read_bytes() == (national_build / name).read_bytes(), name
    lines = (out / resources.GRAPH_NT).read_bytes().splitlines()
    assert lines == sorted(set(lines)) and len(lines) > 100_000


def _broken_copy(original: Path, folder: Path, line: int) -> Path:
    """A copy of a Turtle file with an unterminated string on the given line."""
    lines = original.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(line - 1, '<https://w3id.org/pvd-graph/ontology#Broken> <http://www.w3.org/2000/01/rdf-schema#label> "open .\n')
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / original.name
    copy.write_text("".join(lines), encoding="utf-8")
    return copy


def test_malformed_ontology_stops_the_build_in_one_line(tmp_path, monkeypatch, capsys):
    copy = _broken_copy(resources.ONTOLOGY_FILE, tmp_path / "ontology", 60)
    monkeypatch.setattr(resources, "ONTOLOGY_FILE", copy)
    code = main(["build", "--out", str(tmp_path / "out"), "--no-validate"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and f"{copy}:60:" in err[0] and "cannot parse RDF" in err[0], err
    assert "Traceback" not in err[0]
    assert not (tmp_path / "out").exists()


def test_malformed_shapes_stop_the_build_in_one_line(tmp_path, monkeypatch, capsys):
    shapes = tmp_path / "shapes"
    for path in resources.shapes_files():
        (shapes / path.name).parent.mkdir(exist_ok=True)
        (shapes / path.name).write_bytes(path.read_bytes())
    copy = _broken_copy(resources.shapes_files()[0], shapes, 25)
    monkeypatch.setattr(resources, "SHAPES_DIR", shapes)
    code = main(["build", "--out", str(tmp_path / "out")])
    err = [line for line in capsys.readouterr().err.strip().splitlines() if "error" in line]
    assert code == 2
    assert len(err) == 1 and f"{copy}:25:" in err[0] and "cannot parse RDF" in err[0], err
    assert not (tmp_path / "out").exists()


# --- fetch: what tests/test_fetch.py does not cover yet -----------------------

@pytest.mark.parametrize("mode,said", [("truncated", "truncated body"), ("timeout", "timed out"),
                                       ("500", "HTTP 500")])
def test_fetch_command_says_what_happened_and_keeps_the_file(tmp_path, server, monkeypatch, capsys,
                                                             mode, said):
    monkeypatch.setattr(fetch, "REMOTES", remotes_for(server))
    cache = tmp_path / "c"
    args = ["fetch", "--cache", str(cache), "--base-url", server.url, "--timeout", "0.5"]
    assert main(args) == 0
    good = (cache / "anct_pvd_communes.csv").read_bytes()
    capsys.readouterr()
    server.files["anct_pvd_communes.csv"] = good.replace(b"Ablis", b"ABLIS")  # a newer version...
    server.modes["anct_pvd_communes.csv"] = mode  # ...that does not arrive whole
    assert main(args) == 1
    captured = capsys.readouterr()
    line = [x for x in (captured.out + captured.err).splitlines() if "anct_pvd_communes.csv" in x]
    assert len(line) == 1 and "kept cached" in line[0] and said in line[0], line
    assert "Traceback" not in captured.err
    assert (cache / "anct_pvd_communes.csv").read_bytes() == good
    assert not list(cache.glob(".fetch-*"))


# --- issue 12: a clone without ../shared/data -------------------------------------------------------

def _clone_without_data(tmp_path: Path) -> Path:
    """A copy of the test set-up and CI script in a folder with no ../shared/data beside it."""
    clone = tmp_path / "clone"
    (clone / "tests").mkdir(parents=True)
    (clone / ".ci").mkdir()
    (clone / "tests" / "conftest.py").write_bytes((REPO / "tests" / "conftest.py").read_bytes())
    (clone / "tests" / "test_needs_data.py").write_text("def test_reads(shared_data):\n    assert shared_data\n")
    # a test that reads only the repository's own files, not ../shared/data
    (clone / "tests" / "test_no_data.py").write_text(
        "from pvd_graph import resources\n\n\ndef test_plain():\n    assert resources.ONTOLOGY_FILE.is_file()\n")
    (clone / ".ci" / "run").write_bytes((REPO / ".ci" / "run").read_bytes())
    return clone


@pytest.mark.slow
def test_issue_12_pytest_without_the_data_says_where_it_comes_from(tmp_path):
    clone = _clone_without_data(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(clone / "tests")],
                          cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    said = [line for line in out.splitlines() if "the tests need the real open-data files" in line]
    assert len(said) == 1 and str(tmp_path / "shared" / "data") in said[0], out
    assert "anct_pvd_communes_2021.csv" in said[0] and "@etalab/decoupage-administratif" in said[0]
    assert "AssertionError" not in out and "Traceback" not in out
    # tests that do not read the data still run without it
    plain = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(clone / "tests" / "test_no_data.py")], cwd=clone, env=env, capture_output=True,
                           text=True, timeout=300)
    assert plain.returncode == 0 and "1 passed" in plain.stdout, plain.stdout


def test_issue_12_ci_fails_without_the_data_before_running_anything(tmp_path):
    """With apt-get, pip and pytest all succeeding, .ci/run must still fail: CI never passes by skipping."""
    clone = _clone_without_data(tmp_path)
    fake = tmp_path / "bin"
    fake.mkdir()
    for tool in ("apt-get", "pip", "pytest"):
        (fake / tool).write_text(f"#!/bin/sh\necho ran {tool} >> {tmp_path / 'ran.log'}\nexit 0\n")
        (fake / tool).chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", CI="true")
    proc = subprocess.run(["bash", str(clone / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    (line,) = proc.stderr.strip().splitlines()
    assert "../shared/data/anct_pvd_communes_2021.csv" in line
    assert not (tmp_path / "ran.log").exists(), "nothing installed or run"


def _every_file(folder: Path) -> dict[str, bytes]:
    """Every file under *folder*, by path relative to it (a build's store/ folder included)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
