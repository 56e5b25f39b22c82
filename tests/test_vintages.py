"""An older geographic code never replaces or mixes with the 2026 code the build reads (issues 14, 15).

``../shared/more-data`` holds the COG of 2021 and 2023 in ``cog-2021/`` and ``cog-2023/`` (same
file names as the 2026 code in ``../shared/data/cog/``). Their EPCI and communes are read as history
by sources of their own (``cog-2021-epci``…, vintage 2021/2023: memberships, former EPCI, former
names; tests/test_memberships.py), their départements and régions set aside with a reason naming their
millésime; nothing of theirs becomes a current resource.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from pvd_graph.importers import cog, import_directory
from pvd_graph.namespaces import OX, OX_RDFS

COG_FILES = ("communes.json", "epci.json", "departements.json", "regions.json")
HISTORY_FILES = ("communes.json", "epci.json")


def _older_and_current(shared_data, tmp_path):
    more = shared_data.parent / "more-data"
    (tmp_path / "cog").symlink_to(shared_data / "cog")
    for year in ("2021", "2023"):
        (tmp_path / f"cog-{year}").symlink_to(more / f"cog-{year}")
    return import_directory(tmp_path)


def test_older_cog_folders_are_read_as_history_or_set_aside_and_said(shared_data, tmp_path):
    results, _ignored = _older_and_current(shared_data, tmp_path)
    by_path = {str(r.source.path.relative_to(tmp_path)): r for r in results}
    aside = {p: r.error for p, r in by_path.items() if r.error}
    assert set(aside) == {f"cog-{y}/{f}" for y in ("2021", "2023") for f in COG_FILES if f not in HISTORY_FILES}
    assert all(f"geographic code of {p[4:8]}" in e and "set aside" in e and "read as history" in e
               for p, e in aside.items())
    for year in ("2021", "2023"):
        for name in HISTORY_FILES:
            r = by_path[f"cog-{year}/{name}"]
            rows = json.loads((shared_data.parent / "more-data" / f"cog-{year}" / name).read_text(encoding="utf-8"))
            assert r.source.id == f"cog-{year}-{name[:-5]}" and r.source.vintage == year
            assert "historique" in r.source.title
            assert r.rows_read == len(rows) and r.rows_rejected == 0
            # the build's "not imported: column …" lines say what the vintage is read for
            assert r.warnings and all(w.line == "" and f"code of {year} is read as history" in w.reason
                                      for w in r.warnings)
    # the 2026 code alone is the current code: its communes as the 2026 file lists them
    communes = [r for r in results if r.source.id == "cog-communes" and not r.error]
    assert [str(r.source.path.relative_to(tmp_path)) for r in communes] == ["cog/communes.json"]
    assert communes[0].source.vintage == cog.VINTAGE == "2026"
    rows = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    assert communes[0].rows_read == len(rows)


def test_older_vintages_make_no_current_resource_and_replace_no_name(shared_data, tmp_path):
    """What the 2021 and 2023 sources state: no commune or EPCI typed as current, no rdfs:label of a
    commune (its current name), no pvd:memberOf (the current shortcut), no population."""
    results, _ignored = _older_and_current(shared_data, tmp_path)
    history = [r for r in results if r.source.id.startswith(("cog-2021-", "cog-2023-"))]
    assert len(history) == 4
    store = ox.Store()
    for r in history:
        store.load("\n".join(r.lines).encode(), format=ox.RdfFormat.N_TRIPLES)
    assert len(store) > 0
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for cls in (OX.Commune, OX.EPCI, OX.CommunauteDeCommunes, OX.CommunauteDAgglomeration):
        assert list(store.quads_for_pattern(None, rdf_type, cls)) == []
    for prop in (OX.memberOf, OX.population, OX.inDepartement):
        assert list(store.quads_for_pattern(None, prop, None)) == []
    labelled = {q.subject.value for q in store.quads_for_pattern(None, OX_RDFS.label, None)}
    # a commune of the old code merged since, that INSEE's tables do not end, is a former commune of
    # its own (typed so in the same lines) named as that code names it: not a current name replaced
    former = {q.subject.value for q in store.quads_for_pattern(None, rdf_type, OX.FormerCommune)}
    assert not any("/id/commune/" in s and "#" not in s for s in labelled - former)
    assert former and former <= labelled  # 66 such communes in the shared COG 2021 and 2023


def test_more_data_alone_gives_no_current_code_from_an_old_vintage(shared_data):
    """Without the current code in the same import, an older one cannot be told current from former:
    every file of it is refused, saying so."""
    results, _ignored = import_directory(shared_data.parent / "more-data")
    cog_results = [r for r in results if r.source.id.startswith("cog-")]
    assert len(cog_results) == 8 and all(r.error and "set aside" in r.error for r in cog_results)
    assert all(r.lines == [] for r in cog_results)


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
