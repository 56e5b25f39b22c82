"""ACV 2 read in the geographic code of its vintage, the COG 2023 (issue 15): expectations from the files.

The real list names only communes of the COG 2023 that are still current; the rows of a commune merged since
and of a commune created since are rows of the real file whose town is replaced by such a commune of the files.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from conftest import assert_former_commune_carried_on, SHARED_MORE_DATA
from pvd_graph import importers
from pvd_graph.namespaces import OX, ids

ACV2 = SHARED_MORE_DATA / "superposeur-anct_acv2_geom_2024-09.geojson"
COG_2023 = SHARED_MORE_DATA / "cog-2023"
TABLES = ("insee_fusions_communes_zlv.csv", "insee_scissions_communes_zlv.csv")
READ_IN_2023 = "read in the geographic code of 2023, the code of this list's vintage"


def _current(folder: Path) -> dict[str, dict]:
    return {c["code"]: c for c in json.loads((folder / "communes.json").read_text(encoding="utf-8"))
            if c["type"] == "commune-actuelle"}


def _towns(features: list[dict]) -> list[str]:
    return [code for f in features for code in re.findall(r"\((\w{5})\)", f["properties"]["liste_geo"])]


def _folder(root: Path, shared_data: Path, features: list[dict] | None = None, tables: bool = False) -> Path:
    """A source folder: the COG 2026, the COG 2023 (read as history), the ACV 2 list (or *features* in its layout)."""
    for sub, files in (("cog", shared_data / "cog"), ("older/cog-2023", COG_2023)):
        (root / sub).mkdir(parents=True)
        for name in ("communes.json", "epci.json"):
            (root / sub / name).symlink_to(files / name)
    if tables:
        for name in TABLES:
            (root / name).symlink_to(SHARED_MORE_DATA / name)
    if features is None:
        (root / ACV2.name).symlink_to(ACV2)
    else:
        data = json.loads(ACV2.read_text(encoding="utf-8"))
        (root / ACV2.name).write_text(json.dumps(data | {"features": features}), encoding="utf-8")
    return root


def _merged_since(shared_data: Path) -> tuple[str, str, str]:
    """(code, name in 2023, the current commune whose anciensCodes name it) of the first commune of the COG 2023
    that INSEE's merger table merges into a current commune and that is not current in the COG 2026."""
    in_2023, now = _current(COG_2023), _current(shared_data / "cog")
    successor = {old: c["code"] for c in now.values() for old in c.get("anciensCodes") or ()}
    with (SHARED_MORE_DATA / TABLES[0]).open(encoding="utf-8", newline="") as fh:
        merged = {r["COM_INI"].zfill(5) for r in csv.DictReader(fh) if r["COM_INI"] != r["COM_FIN"]}
    code = sorted(c for c in set(in_2023) - set(now) if c in merged and c in successor)[0]
    return code, in_2023[code]["nom"], successor[code]


def test_every_row_is_a_commune_of_the_cog_2023_and_the_build_says_so(tmp_path, shared_data):
    results, _ = importers.import_directory(_folder(tmp_path, shared_data))
    (acv2,) = [r for r in results if r.source.id == "anct-acv2"]
    assert acv2.notes == [READ_IN_2023]
    features = json.loads(ACV2.read_text(encoding="utf-8"))["features"]
    towns = _towns(features)
    assert set(towns) <= set(_current(COG_2023))  # a fact of the files: every row resolves in the COG 2023
    assert acv2.rows_accepted == len(features) and not acv2.rejects
    got = {t.subject.value for t in acv2.triples if t.predicate == OX.participant}
    assert got == {ids.participation(f"commune-{c}-acv2") for c in towns}


def test_a_commune_merged_since_2023_is_the_former_commune_and_one_created_since_is_rejected(tmp_path, shared_data):
    """A row of a commune of the COG 2023 merged since is the former commune's participation, carried on by its
    successor; a row of a commune that is not in the COG 2023 (created since) is rejected, naming that code."""
    from pvd_graph.build import build_graph

    code, name, successor = _merged_since(shared_data)
    created = sorted(set(_current(shared_data / "cog")) - set(_current(COG_2023)))[0]
    features = json.loads(ACV2.read_text(encoding="utf-8"))["features"]
    one, two = (json.loads(json.dumps(f)) for f in features[:2])
    one["properties"]["liste_geo"] = f"{name} ({code})"
    two["properties"]["liste_geo"] = f"Nouvelle ({created})"
    folder = _folder(tmp_path / "sources", shared_data, [one, two, *features[2:]], tables=True)
    result = build_graph(folder, run_validation=False)
    (acv2,) = [r for r in result.imports if r.source.id == "anct-acv2"]
    assert [(r.line, r.field, r.value) for r in acv2.rejects] == [(1, "liste_geo", created)]
    assert "not a commune in the COG 2023" in acv2.rejects[0].reason
    assert [(n.line, n.value) for n in acv2.noted] == [(0, code)]
    assert_former_commune_carried_on(result.dataset, code, "acv2", successor)


def test_without_the_cog_2023_the_list_is_read_in_the_current_code_and_says_so(tmp_path, shared_data):
    (tmp_path / "cog").mkdir()
    for name in ("communes.json", "epci.json"):
        (tmp_path / "cog" / name).symlink_to(shared_data / "cog" / name)
    (tmp_path / ACV2.name).symlink_to(ACV2)
    results, _ = importers.import_directory(tmp_path)
    (acv2,) = [r for r in results if r.source.id == "anct-acv2"]
    assert len(acv2.notes) == 1 and "current geographic code" in acv2.notes[0] and "code of 2023" in acv2.notes[0]
