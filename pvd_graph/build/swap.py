"""The build folder's swap: a build is written beside its folder, then swapped into place.

A build replaces its folder whole, and only a folder that is empty or holds a
previous build (:data:`BUILD_FILES`); the new folder is written to a temporary
sibling and renamed into place at the end, so an interrupted build leaves the
previous one intact (and a build killed between the two renames of the swap is
put back by the next one).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pvd_graph import resources
from pvd_graph.errors import UserError

CONFLICTS_CSV = "conflicts.csv"

#: What a build writes into its folder: a folder holding anything else is not a build to replace.
BUILD_FILES = frozenset({
    resources.GRAPH_NT, resources.DATASET_NQ, resources.GRAPH_TTL, resources.REPORT_TXT, resources.REPORT_TTL,
    resources.REJECTS_CSV, CONFLICTS_CSV, resources.VOID_TTL, resources.ALIGNMENTS_NT,
    resources.MANIFEST_JSON, resources.STORE_DIR,
})


def _not_a_build(folder: Path) -> str | None:
    """Why *folder* is no build folder to replace (None when it is one, or empty).

    A build folder holds its ``manifest.json`` and only the files a build writes.
    """
    names = sorted(p.name for p in folder.iterdir())
    others = [n for n in names if n not in BUILD_FILES]
    if others:
        more = f" and {len(others) - 1} more" if len(others) > 1 else ""
        return f"holds {others[0]}{more}, which a build does not write"
    if names and resources.MANIFEST_JSON not in names:
        return f"has no {resources.MANIFEST_JSON} (not a finished build)"
    return None


def check_out_dir(out: Path | str) -> Path:
    """The resolved build folder *out*, when a build may write it; else a one-line :class:`UserError`.

    A build replaces its folder whole, so it may replace only an empty folder or a
    previous build (its ``manifest.json`` and only the files a build writes): a
    folder holding anything else is the user's, and is left untouched. The path is
    resolved first (``.``, ``sub/..``, links), and the root, the home folder, the
    working folder and any folder containing one of them are refused whatever they hold.
    """
    given = out
    out = Path(out).expanduser().resolve()
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if out == Path(out.anchor):
        raise UserError(f"--out {given}: the root of the file system cannot be a build folder")
    for what, folder in (("working folder", cwd), ("home folder", home)):
        if out == folder or out in folder.parents:
            where = "is" if out == folder else "contains"
            raise UserError(f"--out {given}: {where} the {what} ({folder}); give a folder of its own, "
                            "e.g. --out pvd-build")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {given}: exists and is not a folder")
    why = _not_a_build(out) if out.is_dir() else None
    if why:
        raise UserError(f"--out {given}: {why}; a build replaces only an empty folder or a previous build, "
                        "so nothing was written (choose another --out)")
    return out


def recover_interrupted_swap(out: Path) -> Path | None:
    """Put back a previous build left aside by a build killed between the two renames of the swap.

    The swap renames *out* to ``.OUT.old-PID`` and then the new folder to *out*; a build
    killed between the two leaves no *out*. Returns the restored folder, if any; a
    leftover that is not a build folder is never moved.
    """
    if out.exists():
        return None
    olds = sorted((p for p in out.parent.glob(f".{out.name}.old-*") if p.is_dir() and _not_a_build(p) is None),
                  key=lambda p: p.stat().st_mtime)
    if not olds:
        return None
    olds[-1].rename(out)
    return out


def _replace_dir(tmp: Path, out: Path) -> None:
    """Swap the finished temporary folder into place; the old build survives until then.

    *out* is checked again just before (see :func:`check_out_dir`): only an empty
    folder or a previous build is ever moved aside and removed.
    """
    check_out_dir(out)
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        try:
            tmp.rename(out)
        except BaseException:
            old.rename(out)  # put the previous build back before the caller removes tmp
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


@contextmanager
def staged(out: Path | str, log: Callable[[str], None]) -> Iterator[Path]:
    """A fresh temporary folder beside *out*, swapped into place when the block ends.

    *out* is checked first (:func:`check_out_dir`); a previous build left aside by
    an interrupted swap is put back. If the block raises, the temporary folder is
    removed and *out* is left as it was.
    """
    shown = out
    out = check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if recover_interrupted_swap(out):
        log(f"restored the previous build in {shown} (a build had been interrupted while swapping folders)")
        out = check_out_dir(out)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:  # name the folder asked for, not the temporary one beside it
        raise OSError(exc.errno, exc.strerror, str(shown)) from None
    tmp.chmod(0o755)
    try:
        yield tmp
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
