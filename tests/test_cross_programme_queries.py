"""The cross-programme queries of issue 16 on the enlarged national build: programme-by-typology,
france-services-near, programme-matrix. Expected answers are computed here from the source files
(the PVD lists, the typology CSVs, the France services list, the COG 2026).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from pvd_graph import query

MORE = Path(__file__).resolve().parents[2] / "shared" / "more-data"
_LISTED = re.compile(r"\((\d[0-9AB]\d{3})\)")


def _csv(path: Path, encoding: str = "utf-8") -> list[dict]:
    assert path.is_file(), f"missing {path} (see ../shared/more-data/README.md)"
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def cog(shared_data):
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    current = {c["code"]: c for c in communes if c["type"] == "commune-actuelle"}
    where = {c["code"]: c["commune"] for c in communes if c["type"] == "arrondissement-municipal"}
    for c in current.values():
        for old in c.get("anciensCodes") or ():
            where.setdefault(old, c["code"])
    where.update({k: k for k in current})
    epci = {}
    for e in json.loads((shared_data / "cog" / "epci.json").read_text(encoding="utf-8")):
        for m in e["membres"]:
            epci[m["code"]] = e["code"]
    return current, where, epci


@pytest.fixture(scope="module")
def pvd_towns(shared_data, cog) -> set[str]:
    """The current communes that a PVD list names: the 2021 CSV, the August and February 2024 layers."""
    codes = {r["insee_com"] for r in _csv(shared_data / "anct_pvd_communes_2021.csv")}
    for f in json.loads((MORE / "superposeur-anct_pvd_geom_2024-09.geojson").read_text(encoding="utf-8"))["features"]:
        codes |= set(_LISTED.findall(f["properties"]["liste_geo"]))
    for f in json.loads((MORE / "superposeur-anct_pvd_geom_2024-02_flat.geojson").read_text(encoding="utf-8"))["features"]:
        codes.add(f["properties"]["insee_com"])
    return codes & cog[0].keys()


@pytest.fixture(scope="module")
def ds(enlarged_build):
    return query.open_graph(enlarged_build)


def _run(ds, name, **params):
    columns, rows = query.run_query(ds, name, params)
    return [dict(zip(columns, (query.plain(v) for v in row))) for row in rows]


@pytest.mark.parametrize("typology", ["densite", "centralite", "ruralite", "montagne"])
def test_pvd_towns_by_level(ds, pvd_towns, cog, typology):
    rows = _csv(MORE / "typologies" / f"ot-grille-{typology}.csv", "utf-8-sig")
    column = f"niveau_{typology}"
    level_of = {r["insee_com"]: r[column].strip() for r in rows if r[column].strip() != "- undefined"}
    found = _run(ds, "programme-by-typology", programme="pvd", typology=typology)
    by_level = {r["level"]: (int(r["towns"]), int(r["communes"])) for r in found}
    communes = Counter(level_of[c] for c in level_of if c in cog[0])
    expected = {level: (Counter(level_of[c] for c in pvd_towns if c in level_of)[level], n)
                for level, n in communes.items()}
    expected["(aucun niveau)"] = (len(pvd_towns - level_of.keys()), len(cog[0].keys() - level_of.keys()))
    assert by_level == expected
    assert sum(t for t, _ in by_level.values()) == len(pvd_towns)


def test_pvd_towns_of_the_lists_are_the_programme_towns(ds, pvd_towns):
    found = _run(ds, "towns-in-programme", programme="pvd")
    assert {r["insee"] for r in found} == pvd_towns


def _offices(cog):
    where = cog[1]
    return [(r["id_fs"], where[r["insee_com"]]) for r in _csv(MORE / "liste-fs-20240801.csv")]


def test_france_services_near_a_commune_an_epci_a_departement(ds, cog):
    current, _, epci = cog
    offices = _offices(cog)
    by_dep = defaultdict(set)
    for office, town in offices:
        by_dep[current[town]["departement"]].add(office)
    for dep in ("01", "2A", "974", "75"):
        found = _run(ds, "france-services-near", departement=dep)
        assert {r["office"] for r in found} == by_dep[dep], dep
    town, n = Counter(t for _, t in offices).most_common(1)[0]
    found = _run(ds, "france-services-near", insee=town)
    assert len(found) == n and {r["commune"] for r in found} == {town}
    siren = epci[town]
    found = _run(ds, "france-services-near", epci=siren)
    assert {r["office"] for r in found} == {o for o, t in offices if epci.get(t) == siren}
    found = _run(ds, "france-services-near")
    assert len(found) == len(offices)


def test_programme_matrix(ds, cog, pvd_towns):
    rows = _run(ds, "programme-matrix")
    by_insee = {r["insee"]: r for r in rows}
    assert len(by_insee) == len(rows)
    ids_of = defaultdict(set)
    for office, town in _offices(cog):
        ids_of[town].add(office)
    assert {k: set(r["france_services"].split(" ; ")) for k, r in by_insee.items() if r["france_services"]} == ids_of
    assert {k for k, r in by_insee.items() if r["pvd"]} == pvd_towns
    pvd_ids = {r["insee_com"]: r["id_pvd"] for r in _csv(Path(__file__).resolve().parents[2] / "shared" / "data"
                                                            / "anct_pvd_communes_2021.csv") if r["id_pvd"]}
    for code, pid in pvd_ids.items():
        if code in by_insee:
            assert pid.lower() in by_insee[code]["pvd"].split(" ; "), code  # the PVD importer lower-cases ids
    found = _run(ds, "programme-matrix", departement="73")
    assert {r["insee"] for r in found} == {k for k, r in by_insee.items() if r["departement"] == "73"}
