"""Files a build recognises but does not import (yet), so that it says what each one is.

A file of ``../shared/more-data`` that no importer reads is not "an unknown format" to a user who
put it there: the build names what it is and why it is left out (another step of the project will
read it, or it is not graph data). Matched on the lower-cased file name; anything else stays "not
a known source format".
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePath

#: (file-name pattern, what the file is and why the build leaves it out)
PENDING: tuple[tuple[str, str], ...] = (
    ("*-version-simplifiee.geojson", "outlines of départements or régions: drawing data for maps, not graph facts"),
    ("readme*", "documentation of the folder"),
    ("license*", "licence text of the files next to it"),
)


def reason(name: str | PurePath) -> str:
    """Why the build leaves out the file *name* (a path relative to its folder)."""
    low = PurePath(name).name.lower()
    for pattern, why in PENDING:
        if fnmatch.fnmatch(low, pattern):
            return why
    return "not a known source format"
