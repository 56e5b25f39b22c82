"""The browser editor of the query page: YASGUI, taken from its npm package, never from this repository.

YASGUI (npm ``@triply/yasgui``, MIT, https://github.com/TriplyDB/Yasgui) is a
SPARQL editor with a results table. The repository holds only code its authors
wrote, so the editor is installed beside it by an install step (``.ci/run``)::

    npm install --prefix ~/.cache/pvd-graph/assets @triply/yasgui@4.2.28

and ``serve`` finds it in the folder given by ``--assets DIR``, else by the
environment variable ``PVD_GRAPH_ASSETS``, else in ``~/.cache/pvd-graph/assets``
(:data:`DEFAULT_DIR`). The folder may be the npm prefix, the package folder or
its ``build/`` folder. When the editor is not there, the query page is the plain
HTML form, and both the page and the start-up log say so.

The files are served under ``/assets/`` with this package's own script
(``yasgui-setup.js``), which starts the editor and turns the catalogue queries
into forms.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pvd_graph.errors import UserError

ENV = "PVD_GRAPH_ASSETS"
DEFAULT_DIR = Path("~/.cache/pvd-graph/assets")
#: The version .ci/run installs (the setup script uses its API: ``addTab``, ``setRequestConfig``, ``query``).
YASGUI_VERSION = "4.2.28"
INSTALL_HINT = f"npm install --prefix {DEFAULT_DIR} @triply/yasgui@{YASGUI_VERSION}"
_FILES = ("yasgui.min.js", "yasgui.min.css")
_CANDIDATES = ("", "build", "node_modules/@triply/yasgui/build")
SETUP_SCRIPT = Path(__file__).with_name("yasgui-setup.js")


@dataclass(frozen=True)
class Assets:
    """Where the editor's files are (``None``: absent, the plain form is served) and why."""

    folder: Path | None
    searched: Path

    def files(self) -> dict[str, Path]:
        """URL name under ``/assets/`` → file served."""
        if self.folder is None:
            return {}
        return {**{name: self.folder / name for name in _FILES}, "pvd-yasgui.js": SETUP_SCRIPT}

    def log_line(self) -> str:
        if self.folder is None:
            return (f"YASGUI not found in {self.searched}: the query page is the plain form "
                    f"(install the editor with: {INSTALL_HINT})")
        return f"query page: YASGUI from {self.folder}"


def _find(folder: Path) -> Path | None:
    for sub in _CANDIDATES:
        candidate = folder / sub if sub else folder
        if all((candidate / name).is_file() for name in _FILES):
            return candidate
    return None


def locate(assets_dir: str | os.PathLike | None = None) -> Assets:
    """The editor's files; an ``--assets DIR`` given explicitly that lacks them is a :class:`UserError`."""
    if assets_dir is not None:
        folder = Path(assets_dir).expanduser()
        found = _find(folder)
        if found is None:
            raise UserError(f"--assets {assets_dir}: no YASGUI build there (yasgui.min.js and yasgui.min.css, "
                            f"in the folder, its build/ or node_modules/@triply/yasgui/build/); install it with: "
                            f"npm install --prefix {assets_dir} @triply/yasgui@{YASGUI_VERSION}")
        return Assets(found, folder)
    folder = Path(os.environ.get(ENV) or DEFAULT_DIR).expanduser()
    return Assets(_find(folder), folder)
