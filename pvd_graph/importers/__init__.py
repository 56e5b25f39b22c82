"""Importers of the official open data: recognise a file, import it, account for every row.

>>> from pvd_graph import importers
>>> results, ignored = importers.import_directory("../shared/data")

Known sources (:data:`KNOWN_SOURCES`, keyed by source id, which also names the
source's named graph): the COG files of ``@etalab/decoupage-administratif``
(``cog-communes``, ``cog-epci``, ``cog-departements``, ``cog-regions``), the
ANCT lists of *Petites villes de demain* (``anct-pvd``, CSV of 2021; ``anct-pvd-2024-08`` and
``anct-pvd-2024-02``, GeoJSON with the conventions d'adhésion dates), *Action cœur de
ville* (``anct-acv``, GeoJSON; its other vintages ``anct-acv-map-2024-09``, ``anct-acv-2024-09``,
``anct-acv-2024-02`` and ACV 2 ``anct-acv2``), CRTE (``anct-crte``, CSV), the ANCT commune × programme
table (``anct-ngeo``, CSV: each commune's CRTE and its ids in the programmes cross-checked), the ORT tracking
table (``anct-ort``, XLSX workbook or its CSV export), Territoires d'industrie (``anct-ti``), Villages d'avenir
(``anct-va``), the engagement schemes (``anct-engagement``) and ANCT's lists in its common layout
(``anct-list-{scheme}``).

A file is recognised by its name first (``communes.json``, ``*pvd*.csv``…),
then by its content: CSV header columns, a GeoJSON FeatureCollection with the
ACV properties, a JSON array whose objects have the COG keys.

Importers never raise on bad input: a file that cannot be read gives an
:class:`ImportResult` with ``error`` set, a bad row a :class:`Reject`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pvd_graph import fetch_manifest
from pvd_graph.importers import (anct_acv, anct_acv2, anct_acv_map, anct_acv_superposeur, anct_engagement, anct_lists,
                                 anct_ngeo, anct_ort, anct_pvd, anct_pvd_2024, anct_ti, anct_va, cog, cog_history, crte,
                                 france_services, insee_history, qpv, typologies)
from pvd_graph.importers.base import ImportResult, Reject, SourceInfo
from pvd_graph.importers.common import Earlier, Importer, ImportRun

__all__ = ["KNOWN_SOURCES", "FETCH_MANIFEST", "Earlier", "ImportResult", "ImportRun", "Importer", "Reject",
           "SourceInfo", "detect", "import_file", "import_directory"]

#: Every known source, in import order: each after the sources it ``needs`` (the CRTE
#: importer resolves commune groupings through the COG communes; the ORT importer resolves each
#: commune's EPCI through the COG communes and EPCI).
KNOWN_SOURCES: dict[str, Importer] = {
    # INSEE's tables before the lists read in an older code: a row of a commune merged since names its former commune;
    # and before the older codes, which make a former commune only of a code the tables do not name
    imp.id: imp for imp in (*cog.IMPORTERS, *insee_history.IMPORTERS, *cog_history.IMPORTERS,
                                 *anct_pvd_2024.IMPORTERS, anct_pvd.IMPORTER,
                                 # the ACV layouts that share names with anct-acv's come first (by content)
                                 anct_acv2.IMPORTER, *anct_acv_superposeur.IMPORTERS, anct_acv_map.IMPORTER,
                                 anct_acv.IMPORTER, crte.IMPORTER, anct_ngeo.IMPORTER,
                                 anct_ort.IMPORTER, anct_ti.IMPORTER, anct_va.IMPORTER,
                                 anct_engagement.IMPORTER, *anct_lists.IMPORTERS, france_services.IMPORTER,
                                 *typologies.IMPORTERS, qpv.IMPORTER)
}


def check_order(sources: dict[str, Importer]) -> None:
    """Raise ``RuntimeError`` unless every importer comes after the known sources it needs."""
    ids = list(sources)
    for n, imp in enumerate(sources.values()):
        for need in imp.needs:
            if need not in ids[:n]:
                where = "is not a known source" if need not in ids else "comes after it"
                raise RuntimeError(f"importer {imp.id} needs {need}, which {where}")


check_order(KNOWN_SOURCES)

#: Written by ``pvd-graph fetch`` next to the files it downloads: URL and retrieval time of each.
FETCH_MANIFEST = fetch_manifest.NAME

_HEAD = 8192


def detect(path: Path | str) -> Importer | None:
    """The importer for this file, by name then by content; None when the format is unknown."""
    path = Path(path)
    for imp in KNOWN_SOURCES.values():
        if imp.matches_name(path):
            return imp
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError:
        return None
    for imp in KNOWN_SOURCES.values():
        if imp.sniff(path, head):
            return imp
    return None


def import_file(path: Path | str, importer: Importer | None = None, run: ImportRun | None = None) -> ImportResult:
    """Import one file (the importer detected when not given); never raises on bad input.

    Files imported with the same *run* share what earlier importers found (:class:`Earlier`);
    without one, the file is imported on its own.
    """
    path = Path(path)
    importer = importer or detect(path)
    if importer is None:
        info = SourceInfo(id="unknown", title=path.name, path=path, url="", licence="", publisher="",
                          vintage="")
        if path.is_symlink() and not path.exists():
            reason = f"broken symbolic link (to {os.readlink(path)}, which does not exist)"
        else:
            reason = "no such file" if not path.exists() else "not a known source format"
        return ImportResult(source=info, error=f"{path}: {reason}")
    fetched = fetch_manifest.record_of(path)
    return importer.run(path, retrieved=fetched.get("retrieved"), url=fetched.get("url"), run=run)


def import_directory(directory: Path | str | Sequence[Path | str],
                     on_result: Callable[[ImportResult], None] | None = None,
                     ) -> tuple[list[ImportResult], list[str]]:
    """Import every known file under ``directory`` (recursively), or under each of several folders.

    Several folders (``build --sources ../shared/data --sources ../shared/more-data``) are one
    import: files of all of them run in :data:`KNOWN_SOURCES` order and share one
    :class:`ImportRun`, so a programme file of one folder is resolved through the COG of another.
    Returns the results in :data:`KNOWN_SOURCES` order, then by path (broken
    symbolic links last, as refused sources), and the files that were not
    recognised (paths relative to their folder, prefixed with the folder when there are
    several, for an "ignored: X" line). Linked folders are followed (see :func:`source_paths`).
    *on_result* is called with each result as soon as it is ready, in that order
    (the build loads one file's triples while the next file is parsed).
    """
    folders = [Path(directory)] if isinstance(directory, (str, Path)) else [Path(d) for d in directory]
    found: list[tuple[int, str, Path, Importer | None, Path]] = []
    ignored: list[str] = []
    order = {sid: n for n, sid in enumerate(KNOWN_SOURCES)}
    for folder in folders:
        for path in source_paths(folder):
            if path.name == FETCH_MANIFEST:
                continue
            imp = detect(path)
            if imp is None and path.is_symlink() and not path.exists():
                found.append((len(order), str(path), path, None, folder))  # a broken link: refused, and said
            elif imp is None:
                if path.is_file():
                    rel = path.relative_to(folder)
                    ignored.append(str(rel if len(folders) == 1 else folder / rel))
            else:
                imp = history_importer(path.relative_to(folder), imp)
                found.append((order[imp.id], str(path), path, imp, folder))
    run = ImportRun()  # one per call: nothing is shared with another import
    results = []
    for _, _, path, imp, folder in sorted(found, key=lambda f: f[:2]):
        aside = other_cog_vintage(path.relative_to(folder), imp) if imp is not None else None
        if aside:
            info = SourceInfo(id=imp.id, title=imp.title, path=path, url="", licence=imp.licence,
                              publisher=imp.publisher, vintage=aside[0])
            results.append(ImportResult(source=info, error=f"{path}: {aside[1]}"))
        else:
            results.append(import_file(path, imp, run))
        if on_result is not None:
            on_result(results[-1])
    return results, ignored


_VINTAGE_FOLDER = re.compile(r"cog[-_ ]?((?:19|20)[0-9]{2})", re.IGNORECASE)


def _folder_vintage(relative: Path) -> tuple[str, str] | None:
    """(millésime, folder name) of the first folder of *relative* named for a millésime (``cog-2021``), or None."""
    for part in relative.parts[:-1]:
        m = _VINTAGE_FOLDER.fullmatch(part)
        if m:
            return m.group(1), part
    return None


def history_importer(relative: Path, importer: Importer) -> Importer:
    """The importer that reads a geographic-code file of an older millésime as history (``cog-2021/epci.json``
    → ``cog-2021-epci``, :mod:`pvd_graph.importers.cog_history`); else *importer* itself."""
    found = _folder_vintage(relative) if importer.id.startswith("cog-") else None
    return cog_history.BY_VINTAGE.get((found[0], importer.id), importer) if found else importer


def other_cog_vintage(relative: Path, importer: Importer) -> tuple[str, str] | None:
    """The millésime of a geographic-code file set aside and why, or ``None``: it sits in a folder named for another
    millésime (``cog-2021/communes.json``) than the one the COG importer reads (2026).

    The files of ``@etalab/decoupage-administratif`` do not name their vintage, so the folder's
    name is the only clue; an older code must never replace or mix with the current one (its
    communes would look current). The EPCI and communes of 2021 and 2023 are read as history by
    importers of their own (:func:`history_importer`); the other files of an older code are set aside.
    """
    found = _folder_vintage(relative)
    if not importer.id.startswith("cog-") or importer.vintage != cog.VINTAGE or found is None \
            or found[0] == cog.VINTAGE:
        return None
    year, part = found
    read = "; the EPCI and communes of this code are read as history" if any(v == year for v, _ in cog_history.BY_VINTAGE) \
        else ""
    return year, (f"geographic code of {year} (folder {part}), not the {cog.VINTAGE} code this build reads: "
                  f"set aside, never mixed with it{read}")


def source_paths(directory: Path) -> list[Path]:
    """Every file and folder under *directory*, sorted, following symbolic links; hidden names left out.

    A sub-folder that is a link (``DIR/cog -> /data/cog``) is read like any other;
    a link back to a folder already being read (a loop) is not read twice.
    """
    paths: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def walk(folder: Path) -> None:
        try:
            st = folder.stat()
        except OSError:
            return
        if (st.st_dev, st.st_ino) in seen:
            return  # a link loop, or the same folder reached through two links
        seen.add((st.st_dev, st.st_ino))
        try:
            children = sorted(folder.iterdir())
        except OSError:
            return
        for child in children:
            if not child.name.startswith("."):
                paths.append(child)
            if child.is_dir():
                walk(child)

    walk(directory)
    return sorted(paths)
