"""Rebuild: a build of unchanged inputs reuses the previous one; any changed input rebuilds it.

The small builds here read a copy of two real COG files (régions and départements of
../shared/data) so that a byte can be changed in them; the national test reuses the
enlarged build of the session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from pvd_graph import rebuild, resources
from pvd_graph.cli import main
from tests.conftest import REPO, SHARED_DATA, SHARED_MORE_DATA

REUSED = "inputs unchanged since"
COG_FILES = ("regions.json", "departements.json")
#: A shape of the user's own that gives one Info result per région without a comment (all of them).
SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .
<urn:test:RegionCommentShape> a sh:NodeShape ; sh:targetClass pvd:Region ;
  sh:property [ sh:path rdfs:comment ; sh:minCount 1 ; sh:severity sh:Info ; sh:message "MESSAGE" ] .
"""


@pytest.fixture
def sources(tmp_path) -> Path:
    """A sources folder holding a copy of the COG régions and départements of ../shared/data."""
    folder = tmp_path / "sources" / "cog"
    folder.mkdir(parents=True)
    for name in COG_FILES:
        shutil.copy(SHARED_DATA / "cog" / name, folder / name)
    return folder.parent


def build(capsys, *args: str) -> tuple[int, str]:
    """``pvd-graph build ARGS`` in this process: (exit status, stderr)."""
    status = main(["build", "-q", *map(str, args)])
    return status, capsys.readouterr().err


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file of a build folder but its manifest (which holds timings), by name; the on-disk store
    (a folder, new at each build) is checked against these files by tests/test_store_disk.py."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != resources.MANIFEST_JSON}


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def clean_build(capsys, tmp_path: Path, *args: str) -> dict[str, bytes]:
    """The outputs of a build of *args* into a new folder."""
    out = tmp_path / "clean"
    shutil.rmtree(out, ignore_errors=True)
    status, err = build(capsys, *args, "--out", out)
    assert status == 0 and REUSED not in err
    return outputs(out)


def test_unchanged_inputs_reuse_the_build_end_to_end(tmp_path, sources):
    out = tmp_path / "build"
    cmd = [sys.executable, "-m", "pvd_graph", "build", "--sources", str(sources), "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    first = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert REUSED not in first.stderr
    manifest, before = (out / resources.MANIFEST_JSON).read_bytes(), stamps(out)
    for quiet in ([], ["-q"]):
        again = subprocess.run(cmd + quiet, cwd=REPO, env=env, capture_output=True, text=True)
        assert again.returncode == first.returncode
        assert f"pvd-graph build: {REUSED} {out}/manifest.json: reused" in again.stderr
        assert "importing" not in again.stderr and "validating" not in again.stderr  # no work done
        # nothing written: the manifest and every file as they were (same bytes, same times)
        assert (out / resources.MANIFEST_JSON).read_bytes() == manifest
        assert stamps(out) == before


def test_a_changed_byte_in_a_source_file_rebuilds_as_a_clean_build(capsys, tmp_path, sources):
    out = tmp_path / "build"
    assert build(capsys, "--sources", sources, "--out", out)[0] == 0
    regions = sources / "cog" / "regions.json"
    text = regions.read_text(encoding="utf-8")
    first = json.loads(text)[0]["nom"]  # the first région's name, one letter changed
    changed_name = first[:-1] + ("X" if first[-1] != "X" else "Y")
    regions.write_text(text.replace(f'"{first}"', f'"{changed_name}"', 1), encoding="utf-8")
    status, err = build(capsys, "--sources", sources, "--out", out)
    assert status == 0 and REUSED not in err
    assert f'"{changed_name}"' in (out / resources.GRAPH_NT).read_text(encoding="utf-8")
    assert outputs(out) == clean_build(capsys, tmp_path, "--sources", sources)


def test_a_changed_curated_file_rebuilds(capsys, tmp_path, sources):
    data = tmp_path / "data"
    shutil.copytree(resources.DATA_DIR, data)
    out = tmp_path / "build"
    assert build(capsys, "--sources", sources, "--data", data, "--out", out)[0] == 0
    curated = sorted(data.glob("*.ttl"))[0]
    curated.write_text(curated.read_text(encoding="utf-8") + "\n# one more line\n", encoding="utf-8")
    status, err = build(capsys, "--sources", sources, "--data", data, "--out", out)
    assert status == 0 and REUSED not in err
    manifest = json.loads((out / resources.MANIFEST_JSON).read_text(encoding="utf-8"))
    assert manifest["curated"][curated.name] == rebuild.file_sha256(curated)  # the build read the changed file
    assert outputs(out) == clean_build(capsys, tmp_path, "--sources", sources, "--data", data)


def test_a_changed_shape_rebuilds_and_reports_with_it(capsys, tmp_path, sources):
    shape = tmp_path / "mine.shapes.ttl"
    shape.write_text(SHAPE.replace("MESSAGE", "sans commentaire"), encoding="utf-8")
    out = tmp_path / "build"
    assert build(capsys, "--sources", sources, "--shapes", shape, "--out", out)[0] == 0
    assert "sans commentaire" in (out / resources.REPORT_TXT).read_text(encoding="utf-8")
    assert REUSED in build(capsys, "--sources", sources, "--shapes", shape, "--out", out)[1]
    shape.write_text(SHAPE.replace("MESSAGE", "sans commentaire !"), encoding="utf-8")
    status, err = build(capsys, "--sources", sources, "--shapes", shape, "--out", out)
    assert status == 0 and REUSED not in err
    assert "sans commentaire !" in (out / resources.REPORT_TXT).read_text(encoding="utf-8")
    rebuilt, clean = outputs(out), clean_build(capsys, tmp_path, "--sources", sources, "--shapes", shape)
    # the report in Turtle names the blank node of the user's property shape as each run labels it
    report, clean_report = (Graph().parse(data=d.pop(resources.REPORT_TTL), format="turtle") for d in (rebuilt, clean))
    assert isomorphic(report, clean_report)
    assert rebuilt == clean


def test_other_options_a_changed_output_file_or_force_rebuild(capsys, tmp_path, sources):
    out = tmp_path / "build"
    assert build(capsys, "--sources", sources, "--out", out)[0] == 0
    reference = outputs(out)
    # another option: a build without validation is another build (it has no validation report)
    assert REUSED not in build(capsys, "--sources", sources, "--out", out, "--no-validate")[1]
    assert not (out / resources.REPORT_TXT).exists()
    assert REUSED not in build(capsys, "--sources", sources, "--out", out)[1]
    assert outputs(out) == reference
    # a file of the build changed since it was written: rebuilt, never reused as it now is
    with open(out / resources.GRAPH_NT, "ab") as fh:
        fh.write(b"<urn:x> <urn:y> <urn:z> .\n")
    assert REUSED not in build(capsys, "--sources", sources, "--out", out)[1]
    assert outputs(out) == reference
    (out / resources.VOID_TTL).unlink()
    assert REUSED not in build(capsys, "--sources", sources, "--out", out)[1]
    assert outputs(out) == reference
    # its on-disk store removed: rebuilt (a reused build would be parsed by every command from then on)
    shutil.rmtree(out / resources.STORE_DIR)
    assert REUSED not in build(capsys, "--sources", sources, "--out", out)[1]
    assert (out / resources.STORE_DIR).is_dir() and outputs(out) == reference
    # --force
    before = stamps(out)
    assert REUSED in build(capsys, "--sources", sources, "--out", out)[1]
    assert REUSED not in build(capsys, "--sources", sources, "--out", out, "--force")[1]
    assert stamps(out) != before and outputs(out) == reference


def test_changed_code_or_version_is_another_build(tmp_path, sources, monkeypatch):
    """The package's code is an input: a changed line of code (same version number) rebuilds."""
    fingerprint = rebuild.inputs([sources])
    assert rebuild.inputs([sources]) == fingerprint
    package = tmp_path / "pvd_graph"
    shutil.copytree(Path(rebuild.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(rebuild, "_PACKAGE", package)
    assert rebuild.inputs([sources]) == fingerprint  # the same code elsewhere
    with open(package / "ntriples.py", "a", encoding="utf-8") as fh:
        fh.write("\n# changed\n")
    changed = rebuild.inputs([sources])
    assert rebuild.changed(fingerprint, changed) == ["code changed"]
    monkeypatch.setattr(rebuild, "__version__", "0.0.0-other")
    assert "versions changed" in rebuild.changed(fingerprint, rebuild.inputs([sources]))


def test_the_enlarged_build_is_reused(capsys, enlarged_build, shared_data):
    """The session's enlarged build (made by the Python API) is reused by ``pvd-graph build`` of the same folders."""
    manifest = (enlarged_build / resources.MANIFEST_JSON).read_bytes()
    before = stamps(enlarged_build)
    status, err = build(capsys, "--sources", shared_data, SHARED_MORE_DATA, "--out", enlarged_build)
    assert REUSED in err
    assert status == (0 if json.loads(manifest)["conforms"] else 1)
    assert (enlarged_build / resources.MANIFEST_JSON).read_bytes() == manifest and stamps(enlarged_build) == before


def test_a_file_in_a_linked_sub_folder_is_an_input(tmp_path, sources):
    """The importers read a sub-folder that is a link (``DIR/cog -> elsewhere``): so does the fingerprint."""
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "cog").symlink_to(sources / "cog", target_is_directory=True)
    (linked / "cog" / "loop").symlink_to(linked, target_is_directory=True)  # a loop is walked once
    before = rebuild.inputs([linked])
    assert sorted(before["files"]) == sorted(str(linked / "cog" / name) for name in COG_FILES)
    with open(sources / "cog" / COG_FILES[0], "ab") as fh:
        fh.write(b"\n")
    assert rebuild.changed(before, rebuild.inputs([linked])) == [f"{linked / 'cog' / COG_FILES[0]} changed"]
