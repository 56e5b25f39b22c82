"""Whether a build folder can be reused as it is: the fingerprint of everything a build reads.

A build is a function of its inputs: the source files, the curated data, the ontology,
shapes and checks, the package's own code (not only its version number: a change of
code without a new version must not reuse a build made by the old code), the libraries
that parse, validate and serialise, and the options. :func:`inputs` hashes them all
(about 50 MB for the enlarged national build: a tenth of a second); the build records
the result in its ``manifest.json`` with the size and modification time of each file it
wrote, and :func:`reusable` says whether a folder holds a build of the same inputs whose
files are untouched since. Any doubt (no manifest, a manifest of an older version without
a fingerprint, a file missing or changed, an input that cannot be read) means "rebuild":
a stale build is never reused.

This module imports nothing heavy (no pyoxigraph, rdflib or pySHACL), so that
``pvd-graph build`` on unchanged inputs answers in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

from pvd_graph import __version__, resources

#: Libraries whose version may change a build's output (parsing, validation, serialisation).
LIBRARIES = ("pyoxigraph", "rdflib", "pyshacl", "shacl")
#: The package's own files that make a build: its code, ontology, shapes, checks and embedded data.
_PACKAGE = Path(__file__).resolve().parent


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read by chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(folder: Path) -> list[Path]:
    """Every file under *folder*, sub-folders that are links included (as the importers read them), sorted.

    A folder reached twice (a link loop) is walked once.
    """
    found, seen = [], set()
    for root, dirs, names in os.walk(folder, followlinks=True):
        st = os.stat(root)
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found += [Path(root, n) for n in names if os.path.isfile(os.path.join(root, n))]
    return sorted(found)


def _code_sha256(folders: Iterable[Path]) -> str:
    """One hash of the files of *folders* (relative names and contents), in a stable order."""
    h = hashlib.sha256()
    for folder in folders:
        for path in _files(folder):
            h.update(f"{path.relative_to(folder)}\0".encode())
            h.update(file_sha256(path).encode())
    return h.hexdigest()


def _version(library: str) -> str:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "absent"


def inputs(sources: Sequence[Path | str] | Path | str | None, *, data_dir: Path | str | None = None,
           run_validation: bool = True, engine: str = "auto", shapes: Sequence[Path | str] | None = None,
           only_shapes: bool = False) -> dict | None:
    """The fingerprint of a build of these arguments (those of :func:`pvd_graph.build.build_graph`).

    ``files`` maps each input file, named as given (``../shared/data/cog/epci.json``), to its
    sha256; ``code`` is one hash of the package (code, ontology, shapes, checks, embedded data).
    None when an input cannot be read (a missing folder...): the build itself then says why.
    """
    if sources is not None and isinstance(sources, (str, Path)):
        sources = [sources]
    files: dict[str, str] = {}
    try:
        for folder in [Path(s) for s in sources or ()] + ([Path(data_dir)] if data_dir else []):
            if not folder.is_dir():
                return None
            for path in _files(folder):
                files[str(path)] = file_sha256(path)
        for item in map(Path, shapes or ()):
            if not item.exists():
                return None
            for path in _files(item) if item.is_dir() else [item]:
                files[str(path)] = file_sha256(path)
        code = _code_sha256(dict.fromkeys([_PACKAGE, resources.ONTOLOGY_DIR, resources.QUERIES_DIR,
                                           resources.DATA_DIR]))
    except OSError:
        return None
    return {
        "options": {"sources": [str(s) for s in sources] if sources is not None else None,
                    "data": str(data_dir) if data_dir else None, "validate": run_validation,
                    "engine": engine, "shapes": [str(s) for s in shapes or ()], "only_shapes": only_shapes},
        "versions": {"pvd_graph": __version__, "python": platform.python_version(),
                     **{lib: _version(lib) for lib in LIBRARIES}},
        "code": code,
        "files": files,
    }


def output_stamps(folder: Path) -> dict[str, list[int]]:
    """``{file name: [size, mtime_ns]}`` of the files in a build *folder* (its manifest excepted)."""
    return {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(folder.iterdir())
            if p.is_file() and p.name != resources.MANIFEST_JSON}


def changed(old: dict, new: dict) -> list[str]:
    """What differs between two fingerprints, one short phrase each (for the log)."""
    what = [f"{key} changed" for key in ("options", "versions", "code") if old.get(key) != new.get(key)]
    before, after = old.get("files", {}), new.get("files", {})
    what += [f"{name} {'changed' if name in before else 'added'}" for name in after if before.get(name) != after[name]]
    what += [f"{name} removed" for name in before if name not in after]
    return what


def reusable(out: Path | str, fingerprint: dict | None) -> tuple[dict | None, str]:
    """``(manifest, why)``: the manifest of the build in *out* when it can be reused as it is, else ``(None, why not)``.

    Reused only when *out* holds a finished build whose recorded inputs equal *fingerprint*
    and whose files are all there, with the sizes and modification times they had when
    the build wrote them.
    """
    out = Path(out)
    if fingerprint is None:
        return None, "inputs not readable"
    try:
        manifest = json.loads((out / resources.MANIFEST_JSON).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "no previous build"
    except (OSError, ValueError):
        return None, f"{out / resources.MANIFEST_JSON} unreadable"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("inputs"), dict):
        return None, "the previous build recorded no inputs"
    if manifest["inputs"] != fingerprint:
        what = changed(manifest["inputs"], fingerprint)
        return None, ", ".join(what[:3]) + (f" and {len(what) - 3} more" if len(what) > 3 else "")
    try:
        stamps = output_stamps(out)
    except OSError:
        return None, "build folder unreadable"
    recorded = manifest.get("outputs")
    if not isinstance(recorded, dict) or not recorded or any(stamps.get(n) != v for n, v in recorded.items()):
        return None, "files of the previous build changed since it was written"
    store = manifest.get("store")
    if isinstance(store, dict) and not (out / str(store.get("folder", ""))).is_dir():
        return None, "its on-disk store is gone"
    return manifest, "inputs unchanged"
