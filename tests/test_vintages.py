"""An older geographic code never replaces or mixes with the 2026 code the build reads (issue 14).

``../shared/more-data`` holds the COG of 2021 and 2023 in ``cog-2021/`` and ``cog-2023/`` (same
file names as the 2026 code in ``../shared/data/cog/``). Until the history of the code is modelled
(issue 15), such files are set aside with a reason naming their millésime.
"""

from __future__ import annotations

import json

from pvd_graph.importers import cog, import_directory

COG_FILES = ("communes.json", "epci.json", "departements.json", "regions.json")


def test_older_cog_folders_are_set_aside_and_said(shared_data, tmp_path):
    more = shared_data.parent / "more-data"
    (tmp_path / "cog").symlink_to(shared_data / "cog")
    for year in ("2021", "2023"):
        (tmp_path / f"cog-{year}").symlink_to(more / f"cog-{year}")
    results, _ignored = import_directory(tmp_path)
    aside = {str(r.source.path.relative_to(tmp_path)): r.error for r in results if r.error}
    assert set(aside) == {f"cog-{y}/{f}" for y in ("2021", "2023") for f in COG_FILES}
    assert all(f"geographic code of {p[4:8]}" in e and "set aside" in e for p, e in aside.items())
    # the 2026 code alone landed: its communes as the 2026 file lists them
    communes = [r for r in results if r.source.id == "cog-communes" and not r.error]
    assert [str(r.source.path.relative_to(tmp_path)) for r in communes] == ["cog/communes.json"]
    assert communes[0].source.vintage == cog.VINTAGE == "2026"
    rows = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    assert communes[0].rows_read == len(rows)


def test_more_data_alone_gives_no_current_code_from_an_old_vintage(shared_data):
    results, _ignored = import_directory(shared_data.parent / "more-data")
    cog_results = [r for r in results if r.source.id.startswith("cog-")]
    assert len(cog_results) == 8 and all(r.error and "set aside" in r.error for r in cog_results)


def test_issue_14_every_file_of_both_folders_is_imported_set_aside_or_named(shared_data):
    """A national build over ../shared/data and ../shared/more-data leaves no file unexplained:
    each is imported, refused with its reason (older COG: set aside), or named for what it is
    (France services list, mergers table, outlines…), never "not a known source format"."""
    from pvd_graph.build.assemble import import_sources
    from pvd_graph.importers import pending
    from conftest import SHARED_MORE_DATA

    lines: list[str] = []
    results, ignored = import_sources([shared_data, SHARED_MORE_DATA], lines.append)
    unexplained = [name for name in ignored if pending.reason(name) == "not a known source format"]
    assert unexplained == []
    refused = [r.error for r in results if r.error]
    assert all("set aside" in e for e in refused), refused
    assert not any("not a known source format" in line for line in lines)
