"""``fetch-manifest.json``: what ``pvd-graph fetch`` records next to the files it downloads.

``fetch`` writes it (:func:`pvd_graph.fetch.fetch_all`); the importers read the
URL and retrieval time of a downloaded file from it (:func:`record_of`) for the
provenance of that file. The format lives here, so that neither of the two
modules needs the other to know it::

    {"downloads": {remote name: {"url", "etag", "last_modified", "sha256", "size",
                                 "retrieved", "checked", "integrity"}},
     "files": {cache file name: {"url", "from", "sha256", "retrieved"}}}
"""

from __future__ import annotations

import json
from pathlib import Path

NAME = "fetch-manifest.json"


def read(folder: Path) -> dict:
    """The manifest of *folder*, with both sections; empty ones when it is missing or unreadable."""
    try:
        data = json.loads((folder / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    data.setdefault("downloads", {})
    data.setdefault("files", {})
    return data


def record_of(path: Path) -> dict:
    """URL and retrieval time of a file downloaded by ``pvd-graph fetch`` (empty if not fetched)."""
    entries = read(path.parent)["files"]
    entry = entries.get(path.name) if isinstance(entries, dict) else None
    return entry if isinstance(entry, dict) else {}
