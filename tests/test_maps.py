"""``pvd-graph map`` (issue 19, maps): programme towns over outlines, insets, legend with counts, offline HTML."""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import SHARED_DATA, SHARED_MORE_DATA
from pvd_graph import maps, store
from pvd_graph.cli import main

pytestmark = pytest.mark.national

CONTOURS = SHARED_MORE_DATA / "contours"
ACV_JS = SHARED_MORE_DATA / "acv_coeurdeville_2024-09.js"


def _pvd_codes_from_files() -> set[str]:
    """INSEE codes of every PVD list: the 2021 CSV and the two 2024 GeoJSON (code in ``liste_geo``)."""
    with open(SHARED_DATA / "anct_pvd_communes_2021.csv", encoding="utf-8") as f:
        codes = {row["insee_com"] for row in csv.DictReader(f)}
    for name in ("superposeur-anct_pvd_geom_2024-09.geojson", "superposeur-anct_pvd_geom_2024-02_flat.geojson"):
        for feature in json.loads((SHARED_MORE_DATA / name).read_text(encoding="utf-8"))["features"]:
            props = feature["properties"]
            code = props.get("insee_com") or re.search(r"\((\w{5})\)\s*$", props["liste_geo"]).group(1)
            codes.add(code)
    return codes


def _current_communes() -> dict[str, dict]:
    return {c["code"]: c for c in json.loads((SHARED_DATA / "cog" / "communes.json").read_text(encoding="utf-8"))
            if c["type"] == "commune-actuelle"}


@pytest.fixture(scope="module")
def ds(enlarged_build):
    return store.open_built(enlarged_build)


@pytest.fixture(scope="module")
def pvd(ds):
    return maps.map_data(ds, ["pvd"])


def test_every_pvd_town_of_the_lists_is_placed_or_said(pvd):
    """Each current commune that a PVD list names is on the map or in the « sans position » count."""
    current = _current_communes()
    drawn = {t.insee for t in pvd.towns} | {t.insee for t in pvd.unplaced}
    expected = {code for code in _pvd_codes_from_files() if code in current}
    assert drawn == expected
    assert not {t.insee for t in pvd.towns} & {t.insee for t in pvd.unplaced}


def test_points_are_in_their_zone_never_at_an_inset_position(ds):
    """The ACV map file places overseas towns at its inset positions: the map never uses them."""
    text = ACV_JS.read_text(encoding="utf-8")
    features = json.loads(text[text.index("{"):text.rindex("}") + 1])["features"]
    misplaced = {f["properties"]["insee_com"] for f in features if str(f["properties"]["insee_com"]).startswith("97")
                 and maps._in_zone(*f["geometry"]["coordinates"][:2], "metro")}
    assert misplaced, "the ACV file's overseas towns sit at inset positions in metropolitan France"
    acv = maps.map_data(ds, ["acv"])
    by_code = {t.insee: t for t in acv.towns}
    for code in misplaced:
        town = by_code.get(code)
        assert town is None or maps._in_zone(town.lon, town.lat, town.departement), code
    for town in acv.towns:
        assert maps._in_zone(town.lon, town.lat, town.zone)


def test_national_pvd_map_shows_points_in_every_metropolitan_region_and_the_insets(pvd, tmp_path):
    regions = maps.load_outlines(CONTOURS / "regions-version-simplifiee.geojson")
    departements = maps.load_outlines(CONTOURS / "departements-version-simplifiee.geojson")
    out = tmp_path / "pvd.png"
    fig, axes = maps.draw(pvd, departements, regions)
    fig.savefig(out, format="png")
    with Image.open(out) as img:
        pixels = np.asarray(img.convert("RGB"))
    height = pixels.shape[0]
    colour = maps.colours(pvd)

    def shows(town) -> bool:
        x, y = axes[town.zone].transData.transform((town.lon, town.lat))
        row, col = int(round(height - y)), int(round(x))
        window = pixels[max(0, row - 2):row + 3, max(0, col - 2):col + 3].reshape(-1, 3)
        target = np.array([int(colour[town.category][i:i + 2], 16) for i in (1, 3, 5)])
        return bool((np.abs(window.astype(int) - target).sum(axis=1) <= 6).any())

    communes = _current_communes()
    metro_regions = {code for code, _name, _rings in regions}
    assert len(metro_regions) == 13
    for region in sorted(metro_regions):
        towns = [t for t in pvd.towns if communes[t.insee]["region"] == region]
        assert towns, f"no PVD town placed in région {region}"
        assert any(shows(t) for t in towns[:20]), f"région {region}: its towns are not visible on the map"
    for zone in maps.OVERSEAS:
        towns = [t for t in pvd.towns if t.zone == zone]
        assert towns and zone in axes, zone
        assert any(shows(t) for t in towns), f"inset {zone} shows none of its towns"


def test_legend_counts_every_category_and_what_was_not_placed(pvd):
    lines = maps.legend_lines(pvd)
    counted = sum(int(re.search(r"\((\d+)\)$", text).group(1)) for c, text in lines if c)
    assert counted == len(pvd.towns)
    if pvd.unplaced:
        assert any(c is None and text.startswith(f"{len(pvd.unplaced)} commune") for c, text in lines)


def _run_map(enlarged_build, out: Path, *args: str) -> int:
    return main(["map", "--graph", str(enlarged_build), *args, "--out", str(out), "-q"])


@pytest.mark.parametrize("suffix", [".png", ".svg", ".html"])
def test_one_command_gives_the_same_map(enlarged_build, tmp_path, suffix):
    digests = []
    for i in (1, 2):
        out = tmp_path / f"ort-{i}{suffix}"
        assert _run_map(enlarged_build, out, "--programme", "ort", "--region", "84") == 0
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_html_map_has_a_tooltip_and_a_link_per_town(enlarged_build, ds, tmp_path):
    out = tmp_path / "savoie.html"
    assert _run_map(enlarged_build, out, "--programme", "pvd", "--departement", "73",
                    "--link-base", "http://127.0.0.1:8000") == 0
    page = out.read_text(encoding="utf-8")
    data = maps.map_data(ds, ["pvd"], departement="73")
    assert data.towns
    for town in data.towns:
        assert f'href="http://127.0.0.1:8000/id/commune/{town.insee}"' in page
        assert f"{html.escape(town.name)} ({town.insee})</a> — {html.escape(town.category)}" in page  # the popup
    # offline: every script and style inlined, nothing fetched (no src= or href= to another server, no tiles)
    assert not re.findall(r'<script[^>]+src=', page) and not re.findall(r'<link[^>]+href="https?:', page)


def test_ort_map_colours_by_the_tables_status(ds):
    with open(SHARED_MORE_DATA / "ort_suivi_conventions_zlv_2024-10.csv", encoding="utf-8") as f:
        statuses = {row["Signée ?"] for row in csv.DictReader(f) if row["Signée ?"]}
    data = maps.map_data(ds, ["ort"])
    assert statuses <= set(data.categories)


def test_status_map_of_two_programmes_gives_each_programmes_status(ds):
    """By status with two programmes, a town's category names each programme's own status (never
    the first programme's status for both): the same as each programme's map alone says."""
    pvd = {t.insee: t.category for t in _all_towns(maps.map_data(ds, ["pvd"]))}
    ort = {t.insee: t.category for t in _all_towns(maps.map_data(ds, ["ort"]))}
    both = {t.insee: t.category for t in _all_towns(maps.map_data(ds, ["pvd", "ort"], colour_by="status"))}
    shared = pvd.keys() & ort.keys()
    assert shared and len({ort[c] for c in shared}) > 1
    for code in shared:
        assert both[code] == f"pvd : {pvd[code]} + ort : {ort[code]}"
    assert {both[c] for c in pvd.keys() - ort.keys()} == {f"pvd : {pvd[c]}" for c in pvd.keys() - ort.keys()}


def _all_towns(data):
    return data.towns + data.unplaced


def test_map_mistakes_are_one_line(enlarged_build, tmp_path, capsys):
    assert _run_map(enlarged_build, tmp_path / "x.png", "--programme", "pvdd") == 2
    assert _run_map(enlarged_build, tmp_path / "x.pdf", "--programme", "pvd") == 2
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    assert _run_map(enlarged_build, tmp_path / "x.png", "--programme", "pvd", "--outlines", str(bad)) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(err) == 3
    assert "'pvdd'" in err[0] and "known:" in err[0]
    assert "'.pdf'" in err[1]
    assert str(bad) in err[2]


def test_readme_map_figures_are_the_builds(pvd):
    """The README's « places N of the M PVD towns and says that K have no known position »."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    m = re.search(r"places ([\d,]+) of the ([\d,]+) PVD towns and says that ([\d,]+)\s+have no known position", text)
    assert m, "the README's map sentence is gone"
    placed, total, unplaced = (int(x.replace(",", "")) for x in m.groups())
    assert (placed, total, unplaced) == (len(pvd.towns), len(pvd.towns) + len(pvd.unplaced), len(pvd.unplaced))


def test_map_as_of_the_first_list(ds):
    """At 2021-02-01 the PVD map holds the 2021 list's towns (those still communes), none of the 2024 lists' newcomers."""
    current = _current_communes()
    with open(SHARED_DATA / "anct_pvd_communes_2021.csv", encoding="utf-8") as f:
        listed_2021 = {row["insee_com"] for row in csv.DictReader(f)}
    data = maps.map_data(ds, ["pvd"], as_of="2021-02-01")
    drawn = {t.insee for t in data.towns} | {t.insee for t in data.unplaced}
    assert drawn == listed_2021 & set(current)
    newcomers = _pvd_codes_from_files() - listed_2021
    assert newcomers and not drawn & newcomers
    assert "au 2021-02-01" in maps.title(data)


def test_map_bad_date_is_one_line(enlarged_build, tmp_path, capsys):
    assert _run_map(enlarged_build, tmp_path / "x.png", "--programme", "pvd", "--as-of", "2021-02-31") == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(err) == 1 and "--as-of '2021-02-31'" in err[0]


def test_html_map_without_its_package_is_one_line(monkeypatch):
    import sys

    from pvd_graph.errors import UserError
    monkeypatch.setitem(sys.modules, "offlinefolium", None)  # as if folium-offline were not installed
    with pytest.raises(UserError, match=r"pip install 'pvd-graph\[maps\]'"):
        maps._folium()


def test_a_map_without_outlines_does_not_credit_them(pvd, tmp_path):
    """Drawn without outlines, the picture and the page say so instead of crediting IGN's."""
    for suffix in (".svg", ".html"):
        out = tmp_path / f"bare{suffix}"
        maps.write_map(pvd, out)
        text = out.read_text(encoding="utf-8")
        credit = "IGN Admin Express"  # the outlines' credit (as the page's script escapes it, too)
        assert credit not in text and "contours non fournis" in text, suffix


def test_outlines_the_build_named_but_not_found_from_here_are_said(enlarged_build, tmp_path, monkeypatch, capsys):
    """The manifest names the outlines as the build was given them (relative to where it ran): run
    from another folder, the map says which file it could not find, not just "no outlines"."""
    build = tmp_path / "build"
    build.mkdir()
    for item in Path(enlarged_build).iterdir():
        if item.name != "manifest.json":
            (build / item.name).symlink_to(item)
    manifest = json.loads((Path(enlarged_build) / "manifest.json").read_text(encoding="utf-8"))
    named = [n for n in manifest["ignored"] if n.endswith(".geojson") and "departements" in n]
    assert named, "the enlarged build sets the département outlines aside"
    relative = "../more-data/contours/" + Path(named[0]).name  # as a build run next to the data records it
    manifest["ignored"] = [relative if n == named[0] else n for n in manifest["ignored"]]
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert maps.default_outlines(build)[2] == [relative]
    assert main(["map", "--graph", str(build), "--programme", "acv", "--region", "84",
                 "--out", str(tmp_path / "m.png"), "-q"]) == 0
    err = capsys.readouterr().err
    assert f"the build's outlines {relative} are not found from {elsewhere}" in err
    monkeypatch.chdir(CONTOURS.parent.parent)  # from the folder the build would have run in: found
    shared = "more-data/contours/" + Path(named[0]).name
    manifest["ignored"] = [shared if n == relative else n for n in manifest["ignored"]]
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert maps.default_outlines(build)[0] == Path(shared) and maps.default_outlines(build)[2] == []
