"""A corpus of bad inputs made from the real files, each run through the real ``pvd-graph build``.

Every case writes one source file into an empty sources folder: a sample of a
real file in ``../shared/data`` spoilt in one way (cut, re-encoded, a bad cell,
a duplicated row...). The real regions of the COG go next to it, so that a
refused file can be seen not to take anything else down. The case then runs
``pvd-graph build --sources DIR --out OUT --no-validate`` in-process and checks:

* no traceback, exit status 0 (a bad input is reported, it does not stop the build);
* the documented outcome, on the terminal and in ``rejects.csv`` of the build
  folder: ``row rejected`` (file, line, field, reason), ``value dropped`` (the
  row is kept without that value), ``source refused`` (one line), or
  ``accepted`` (a quirk the importers absorb);
* the graph, read back with :func:`pvd_graph.store.open_built`, holds exactly
  the good rows of the file (and every region).

The same table renders the "what each bad input yields" section of the README
(``python tests/test_bad_inputs.py``), kept in ``tests/fixtures/bad/README.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pvd_graph import resources, store
from pvd_graph.cli import main
from pvd_graph.identifiers import commune_iri, convention_iri, region_iri
from pvd_graph.namespaces import GRAPHS, PREFIXES

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
TABLE = REPO / "tests" / "fixtures" / "bad" / "README.md"
PVD_NAME = "anct_pvd_communes_2021.csv"
ACV_NAME = "anct_acv_communes_2024.geojson"
SOURCE_IDS = {PVD_NAME: "anct-pvd", ACV_NAME: "anct-acv", "communes.json": "cog-communes"}
POPULATION = PREFIXES["pvd"] + "population"
MEMBER_OF = PREFIXES["pvd"] + "memberOf"
SIGNED_ON = PREFIXES["pvd"] + "signedOn"
SIREN = PREFIXES["pvd"] + "siren"
GEOMETRY = "http://www.opengis.net/ont/geosparql#hasGeometry"
ACTIONS = PREFIXES["pvd"] + "actionsInProgress"


@dataclass
class Made:
    """What a case wrote and what must be in the graph afterwards."""

    path: Path  # the spoilt file
    good: set[str]  # IRIs of the communes that must land from it (exactly these)
    line: int | None = None  # line (CSV) or index (JSON) reported, when a row is concerned
    absent: tuple[str, str] | None = None  # (subject, property) that must have no value


@dataclass(frozen=True)
class Case:
    id: str
    input: str  # what is wrong, for the README table
    file: str  # which real file it is made from
    outcome: str  # accepted | row rejected | value dropped | source refused
    field: str  # field named in the report ("" when the source is refused or accepted)
    reason: str  # words of the reason
    make: Callable[[Path], Made] = field(repr=False)
    simulate: str = ""  # "unreadable": the permission error is simulated (see test)


# --- samples of the real files ----------------------------------------------

def pvd_sample(n: int = 12) -> tuple[list[str], list[dict]]:
    with (SHARED / PVD_NAME).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), [row for _, row in zip(range(n), reader)]


def csv_bytes(fields: list[str], rows: list[dict], quoting=csv.QUOTE_MINIMAL, **extra) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", quoting=quoting, extrasaction="ignore", **extra)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def towns(rows: list[dict], key: str = "insee_com") -> set[str]:
    return {commune_iri(r[key]) for r in rows}


def pvd_with(change: Callable[[list[str], list[dict]], tuple[list[str], list[dict], set[str], int | None]],
             encoding: str = "utf-8", absent: str | None = None) -> Callable[[Path], Made]:
    """A case on the PVD CSV: ``change(fields, rows)`` gives (fields, rows, good towns, reported line)."""
    def make(src: Path) -> Made:
        fields, rows = pvd_sample()
        fields, rows, good, line = change(fields, rows)
        path = src / PVD_NAME
        path.write_bytes(csv_bytes(fields, rows).encode(encoding))
        spoilt = rows[line - 2] if line and absent else None
        return Made(path, good, line, (commune_iri(spoilt["insee_com"]), absent) if spoilt else None)
    return make


def bad_cell(column: str, value: str, index: int = 3, dropped: bool = False):
    """Row ``index`` gets ``value`` in ``column``: rejected (not in good) or kept (dropped=True)."""
    def change(fields, rows):
        rows = [dict(r) for r in rows]
        rows[index][column] = value
        good = towns(rows) if dropped else towns(rows[:index] + rows[index + 1:])
        return fields, rows, good, index + 2
    return change


def pvd_text(transform: Callable[[str, list[dict]], tuple[bytes, set[str], int | None]]) -> Callable[[Path], Made]:
    """A case on the PVD CSV text itself (cut, re-encoded...)."""
    def make(src: Path) -> Made:
        fields, rows = pvd_sample()
        data, good, line = transform(csv_bytes(fields, rows), rows)
        path = src / PVD_NAME
        path.write_bytes(data)
        return Made(path, good, line)
    return make


def cut_mid_row(text, rows):
    lines = text.splitlines(keepends=True)
    return "".join(lines[:-1]).encode() + lines[-1][: len(lines[-1]) // 2].encode(), towns(rows[:-1]), len(lines)


def cut_in_quoted_cell(_text, rows):
    fields = list(rows[0])
    text = csv_bytes(fields, rows, quoting=csv.QUOTE_ALL)
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    cut = text[: text.rindex(last) + last.index(rows[-1]["lib_com"]) + 2]
    return cut.encode(), towns(rows[:-1]), len(rows) + 1


def text_after_quote(text, rows):
    lines = text.splitlines(keepends=True)
    lines[4] = lines[4].replace(rows[3]["lib_com"], f'"{rows[3]["lib_com"]}"x', 1)
    return "".join(lines).encode(), towns(rows[:3] + rows[4:]), 5


def huge_cell(text, rows):
    lines = text.splitlines(keepends=True)
    lines[4] = lines[4].replace(rows[3]["lib_com"], rows[3]["lib_com"] * (200_000 // len(rows[3]["lib_com"])), 1)
    return "".join(lines).encode(), towns(rows[:3] + rows[4:]), 5


def extra_cells(text, rows):
    lines = text.splitlines(keepends=True)
    lines[4] = lines[4].rstrip("\n") + ",surplus,cells\n"
    return "".join(lines).encode(), towns(rows[:3] + rows[4:]), 5


def blank_lines(text, rows):
    lines = text.splitlines(keepends=True)
    return "".join(lines[:4] + ["\n", " , ,\n", "\n"] + lines[4:]).encode(), towns(rows), None


def encoded(encoding: str):
    def transform(text, rows):
        if encoding == "latin-1":  # latin-1 has no œ: keep the rows it can write, as a real export would
            keep = [r for r in rows if all(ch.encode("latin-1", "ignore") for ch in "".join(r.values()))]
            return csv_bytes(list(rows[0]), keep).encode(encoding), towns(keep), None
        return text.encode(encoding), towns(rows), None
    return transform


def gzipped(text, rows):
    return gzip.compress(text.encode()), set(), None


def empty(_text, _rows):
    return b"", set(), None


def directory_instead(src: Path) -> Made:
    path = src / PVD_NAME
    path.mkdir()
    return Made(path, set())


def unreadable(src: Path) -> Made:
    fields, rows = pvd_sample()
    path = src / PVD_NAME
    path.write_text(csv_bytes(fields, rows), encoding="utf-8")
    path.chmod(0)
    return Made(path, set())


def duplicate_row(fields, rows):
    return fields, rows + [dict(rows[2])], towns(rows), len(rows) + 2


def conflicting_row(fields, rows):
    other = next(r["siren_epci"] for r in rows if r["siren_epci"] != rows[2]["siren_epci"])
    return fields, rows + [dict(rows[2], siren_epci=other)], towns(rows), len(rows) + 2


def unknown_column(fields, rows):
    return fields[:3] + ["commentaire"] + fields[3:], [dict(r, commentaire="vu en mairie") for r in rows], \
        towns(rows), None


def without(column: str):
    def change(fields, rows):
        return [f for f in fields if f != column], rows, set(), None
    return change


def wrong_departement(fields, rows):
    rows = [dict(r) for r in rows]
    rows[3]["insee_dep"] = "01" if rows[3]["insee_dep"] != "01" else "02"
    return fields, rows, towns(rows[:3] + rows[4:]), 5


# --- the ACV GeoJSON and the COG communes -----------------------------------

def acv_sample(n: int = 10) -> dict:
    doc = json.loads((SHARED / ACV_NAME).read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:n]
    return doc


def acv_with(change: Callable[[dict], tuple[set[str], int | None, tuple[str, str] | None]]) -> Callable[[Path], Made]:
    """A case on the ACV GeoJSON: ``change(doc)`` edits it, gives (good towns, feature index, absent)."""
    def make(src: Path) -> Made:
        doc = acv_sample()
        good, index, absent = change(doc)
        path = src / ACV_NAME
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        return Made(path, good, index, absent)
    return make


def acv_towns(features) -> set[str]:
    return {commune_iri(f["properties"]["insee_com"]) for f in features}


def acv_property(name: str, value, rejected: bool = False, absent: str | None = None, index: int = 4):
    def change(doc):
        feats = doc["features"]
        feats[index]["properties"][name] = value
        good = acv_towns(feats[:index] + feats[index + 1:]) if rejected else acv_towns(feats)
        conv = convention_iri(feats[index]["properties"]["id_acv"])
        subject = conv if absent == SIGNED_ON else commune_iri(feats[index]["properties"]["insee_com"])
        return good, index, (subject, absent) if absent else None
    return change


def acv_point(lon, lat):
    def change(doc):
        doc["features"][4]["geometry"]["coordinates"] = [lon, lat]
        return acv_towns(doc["features"]), 4, (commune_iri(doc["features"][4]["properties"]["insee_com"]), GEOMETRY)
    return change


def acv_no_properties(doc):
    feats = doc["features"]
    del feats[4]["properties"]
    return acv_towns(feats[:4] + feats[5:]), 4, None


def acv_duplicate(doc):
    doc["features"].append(doc["features"][2])
    return acv_towns(doc["features"]), len(doc["features"]) - 1, None


def acv_text(transform: Callable[[str], str]) -> Callable[[Path], Made]:
    def make(src: Path) -> Made:
        path = src / ACV_NAME
        path.write_text(transform(json.dumps(acv_sample(), ensure_ascii=False, indent=1)), encoding="utf-8")
        return Made(path, set())
    return make


def communes_with(change: Callable[[list], tuple[set[str], int | None, tuple[str, str] | None]],
                  encoding: str = "utf-8") -> Callable[[Path], Made]:
    def make(src: Path) -> Made:
        items = json.loads((SHARED / "cog" / "communes.json").read_text(encoding="utf-8"))
        items = [c for c in items if c["type"] == "commune-actuelle"][:12]
        good, index, absent = change(items)
        path = src / "communes.json"
        path.write_bytes(json.dumps(items, ensure_ascii=False, indent=1).encode(encoding))
        return Made(path, good, index, absent)
    return make


def commune_value(name: str, value, rejected: bool = False, absent: str | None = None, index: int = 5):
    def change(items):
        code = items[index]["code"]
        items[index][name] = value
        good = {commune_iri(c["code"]) for n, c in enumerate(items) if not rejected or n != index}
        return good, index, (commune_iri(code), absent) if absent else None
    return change


def all_communes(items):
    return {commune_iri(c["code"]) for c in items}, None, None


def not_an_object(items):
    good = {commune_iri(c["code"]) for c in items}
    items.insert(3, "01004")
    return good, 3, None


def cut_json(items):
    return set(), None, None


def _future() -> str:
    return (dt.date.today() + dt.timedelta(days=400)).strftime("%d/%m/%Y")


CASES = [
    # PVD CSV: file-level
    Case("csv-utf8-bom", "UTF-8 with a byte order mark", PVD_NAME, "accepted", "", "",
         pvd_text(encoded("utf-8-sig"))),
    Case("csv-cp1252", "Windows-1252 (Excel) encoding", PVD_NAME, "accepted", "", "", pvd_text(encoded("cp1252"))),
    Case("csv-latin1", "ISO-8859-1 encoding", PVD_NAME, "accepted", "", "", pvd_text(encoded("latin-1"))),
    Case("csv-utf16", "UTF-16 with BOM (\"Unicode text\" export)", PVD_NAME, "accepted", "", "",
         pvd_text(encoded("utf-16"))),
    Case("csv-blank-lines", "blank or all-empty lines between rows", PVD_NAME, "accepted", "", "",
         pvd_text(blank_lines)),
    Case("csv-unknown-column", "an unknown extra column", PVD_NAME, "accepted", "", "", pvd_with(unknown_column)),
    Case("csv-cut-mid-row", "file cut in the middle of a row", PVD_NAME, "row rejected", "(row)",
         "fewer cells than header columns", pvd_text(cut_mid_row)),
    Case("csv-cut-in-quotes", "file cut inside a quoted cell", PVD_NAME, "row rejected", "(row)",
         "quoted cell never closed", pvd_text(cut_in_quoted_cell)),
    Case("csv-text-after-quote", "text after a closing quote (`\"Ahun\"x`)", PVD_NAME, "row rejected", "(row)",
         "malformed CSV", pvd_text(text_after_quote)),
    Case("csv-huge-cell", "a 200 KB cell", PVD_NAME, "row rejected", "(row)", "field larger than field limit",
         pvd_text(huge_cell)),
    Case("csv-extra-cells", "more cells than header columns", PVD_NAME, "row rejected", "(row)",
         "more cells than header columns", pvd_text(extra_cells)),
    Case("csv-missing-column", "a required column missing (`insee_dep`)", PVD_NAME, "source refused", "",
         "missing required column 'insee_dep'", pvd_with(without("insee_dep"))),
    Case("csv-gzip", "binary file with a known name (gzip)", PVD_NAME, "source refused", "", "binary content",
         pvd_text(gzipped)),
    Case("csv-empty", "empty file", PVD_NAME, "source refused", "", "empty file", pvd_text(empty)),
    Case("csv-directory", "a folder where the file is expected", PVD_NAME, "source refused", "",
         "is a directory", directory_instead),
    Case("csv-unreadable", "file without read permission", PVD_NAME, "source refused", "",
         "cannot read: Permission denied", unreadable, simulate="unreadable"),
    # PVD CSV: rows
    Case("csv-duplicate-row", "the same row twice", PVD_NAME, "row rejected", "insee_com", "duplicate of line 4",
         pvd_with(duplicate_row)),
    Case("csv-conflicting-row", "same town twice with a different EPCI", PVD_NAME, "row rejected", "insee_com",
         "duplicate of line 4", pvd_with(conflicting_row)),
    Case("csv-insee-too-long", "INSEE code of 6 digits", PVD_NAME, "row rejected", "insee_com", "not 5 digits",
         pvd_with(bad_cell("insee_com", "780031"))),
    Case("csv-insee-letters", "INSEE code with letters (`78A03`)", PVD_NAME, "row rejected", "insee_com",
         "not 5 digits", pvd_with(bad_cell("insee_com", "78A03"))),
    Case("csv-wrong-departement", "département not the one of the INSEE code", PVD_NAME, "row rejected",
         "insee_dep", "is not in département", pvd_with(wrong_departement)),
    Case("csv-name-html", "HTML in a name", PVD_NAME, "row rejected", "lib_com", "HTML markup",
         pvd_with(bad_cell("lib_com", "<script>alert(1)</script>Ahun"))),
    Case("csv-name-control", "control character in a name", PVD_NAME, "row rejected", "lib_com",
         "control characters", pvd_with(bad_cell("lib_com", "Ah\x1bun"))),
    Case("csv-siren-checksum", "EPCI SIREN with a bad Luhn checksum", PVD_NAME, "value dropped", "siren_epci",
         "checksum", pvd_with(bad_cell("siren_epci", "200067022", dropped=True), absent=MEMBER_OF)),
    Case("csv-siren-short", "EPCI SIREN of 5 digits", PVD_NAME, "value dropped", "siren_epci", "expected 9",
         pvd_with(bad_cell("siren_epci", "20006", dropped=True), absent=MEMBER_OF)),
    Case("csv-pop-negative", "negative population", PVD_NAME, "value dropped", "pop", "negative number",
         pvd_with(bad_cell("pop", "-1432", dropped=True), absent=POPULATION)),
    Case("csv-pop-text", "non-numeric population", PVD_NAME, "value dropped", "pop", "not a whole number",
         pvd_with(bad_cell("pop", "environ 1400", dropped=True), absent=POPULATION)),
    # ACV GeoJSON
    Case("geojson-cut", "GeoJSON cut in the middle", ACV_NAME, "source refused", "", "invalid JSON at line",
         acv_text(lambda t: t[: len(t) // 2])),
    Case("geojson-not-collection", "JSON that is not a FeatureCollection", ACV_NAME, "source refused", "",
         "expected a GeoJSON FeatureCollection", acv_text(lambda t: json.dumps(json.loads(t)["features"]))),
    Case("geojson-impossible-date", "impossible date (`31/02/2023`)", ACV_NAME, "value dropped",
         "date_signature", "impossible date", acv_with(acv_property("date_signature", "31/02/2023",
                                                                     absent=SIGNED_ON))),
    Case("geojson-future-date", "date in the future", ACV_NAME, "value dropped", "date_signature",
         "date in the future", acv_with(acv_property("date_signature", _future(), absent=SIGNED_ON))),
    Case("geojson-partial-date", "partial date (`09/2018`)", ACV_NAME, "value dropped", "date_signature",
         "not a date", acv_with(acv_property("date_signature", "09/2018", absent=SIGNED_ON))),
    Case("geojson-negative-count", "negative count of actions", ACV_NAME, "value dropped", "actions_en_cours",
         "negative number", acv_with(acv_property("actions_en_cours", "-3", absent=ACTIONS))),
    Case("geojson-latitude", "latitude out of range", ACV_NAME, "value dropped", "geometry.coordinates[1]",
         "outside [-90, 90]", acv_with(acv_point(2.1, 143.9))),
    Case("geojson-no-properties", "feature without properties", ACV_NAME, "row rejected", "properties",
         "feature without properties", acv_with(acv_no_properties)),
    Case("geojson-insee-letters", "INSEE code with letters", ACV_NAME, "row rejected", "insee_com",
         "not 5 digits", acv_with(acv_property("insee_com", "8I004", rejected=True))),
    Case("geojson-duplicate", "the same feature twice", ACV_NAME, "row rejected", "insee_com", "duplicate of line 2",
         acv_with(acv_duplicate)),
    Case("geojson-html", "HTML in the convention name", ACV_NAME, "row rejected", "lib_acv", "HTML markup",
         acv_with(acv_property("lib_acv", "Albi <img src=x onerror=alert(1)>", rejected=True))),
    # COG communes JSON
    Case("json-bom", "COG JSON with a UTF-8 byte order mark", "communes.json", "accepted", "", "",
         communes_with(all_communes, encoding="utf-8-sig")),
    Case("json-cut", "COG JSON cut mid-array", "communes.json", "source refused", "", "invalid JSON at line",
         lambda src: _cut_communes(src)),
    Case("json-not-object", "array element that is not an object", "communes.json", "row rejected", "(element)",
         "not a JSON object", communes_with(not_an_object)),
    Case("json-unknown-type", "unknown commune type", "communes.json", "row rejected", "type",
         "unknown commune type", communes_with(commune_value("type", "commune-fantome", rejected=True))),
    Case("json-population-negative", "negative population", "communes.json", "value dropped", "population",
         "negative number", communes_with(commune_value("population", -860, absent=POPULATION))),
    Case("json-siren-checksum", "commune SIREN with a bad checksum", "communes.json", "value dropped", "siren",
         "checksum", communes_with(commune_value("siren", "210100013", absent=SIREN))),
    Case("json-name-control", "control character in a name", "communes.json", "row rejected", "nom",
         "control characters", communes_with(commune_value("nom", "Ambérieu\x00", rejected=True))),
]


def _cut_communes(src: Path) -> Made:
    made = communes_with(cut_json)(src)
    data = made.path.read_bytes()
    made.path.write_bytes(data[: len(data) // 2])
    return made


# --- running a case through the CLI -----------------------------------------

def communes_in(out: Path, source_id: str) -> set[str]:
    ds = store.open_built(out, graphs="named")
    rows = store.query(ds, f"SELECT ?s WHERE {{ GRAPH <{GRAPHS}{source_id}> {{ ?s a <{PREFIXES['pvd']}Commune> }} }}")
    return {str(r[0]) for r in rows}


def read_rejects(out: Path) -> list[dict]:
    with (out / resources.REJECTS_CSV).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def regions() -> set[str]:
    return {region_iri(r["code"]) for r in json.loads((SHARED / "cog" / "regions.json").read_text(encoding="utf-8"))}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path, capsys, monkeypatch, regions):
    src, out = tmp_path / "sources", tmp_path / "out"
    src.mkdir()
    (src / "regions.json").write_bytes((SHARED / "cog" / "regions.json").read_bytes())
    made = case.make(src)
    if case.simulate == "unreadable" and os.geteuid() == 0:
        # root reads a chmod 000 file anyway: simulate the refusal the kernel gives other users
        real = Path.read_bytes

        def refuse(self):
            if self == made.path:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)
        monkeypatch.setattr(Path, "read_bytes", refuse)

    code = main(["build", "--sources", str(src), "--out", str(out), "--no-validate"])
    captured = capsys.readouterr()
    terminal = captured.out + captured.err
    assert code == 0, terminal
    assert "Traceback" not in terminal

    rejects = read_rejects(out)
    mine = [r for r in rejects if r["source"] == SOURCE_IDS[case.file]]
    if case.outcome == "accepted":
        assert mine == [] and "rejected " not in terminal and "FAILED" not in terminal
    else:
        assert [r["outcome"] for r in mine] == [case.outcome], mine
        got = mine[0]
        assert case.reason in got["reason"]
        assert got["field"] == case.field
        assert got["file"] == str(made.path)
        if made.line is not None:
            assert got["line"] == str(made.line)
        if case.outcome == "source refused":
            failed = [line for line in terminal.splitlines() if "FAILED" in line]
            assert len(failed) == 1 and str(made.path) in failed[0] and case.reason in failed[0]
        elif case.outcome == "row rejected":
            assert f"rejected {made.path}:{made.line}: {case.field}=" in terminal
            assert case.reason in terminal
        else:
            assert "1 values dropped" in terminal

    assert communes_in(out, SOURCE_IDS[case.file]) == made.good
    ds = store.open_built(out)
    got_regions = {str(r[0]) for r in store.query(ds, f"SELECT ?r WHERE {{ ?r a <{PREFIXES['pvd']}Region> }}")}
    assert got_regions == regions, "the other source of the folder still lands"
    if made.absent:
        subject, prop = made.absent
        assert store.query(ds, f"ASK {{ <{subject}> ?p ?o }}").askAnswer
        assert not store.query(ds, f"ASK {{ <{subject}> <{prop}> ?o }}").askAnswer


def test_conflicting_row_keeps_the_first_epci(tmp_path):
    """Of two rows for one town, the first is kept whole: its EPCI, not the second's."""
    src = tmp_path / "s"
    src.mkdir()
    fields, rows = pvd_sample()
    _, spoilt, _, _ = conflicting_row(fields, rows)
    (src / PVD_NAME).write_text(csv_bytes(fields, spoilt), encoding="utf-8")
    assert main(["build", "--sources", str(src), "--out", str(tmp_path / "o"), "--no-validate", "-q"]) == 0
    ds = store.open_built(tmp_path / "o")
    got = [str(r[0]) for r in store.query(ds, f"SELECT ?e WHERE {{ <{commune_iri(rows[2]['insee_com'])}> "
                                              f"<{MEMBER_OF}> ?e }}")]
    assert got == [f"https://w3id.org/pvd-graph/id/epci/{rows[2]['siren_epci']}"]


# --- regressions found by the corpus (each fixed in the importers) ----------------

def test_issue_9_encodings_never_raise():
    """A BOM over invalid UTF-8 used to escape as UnicodeDecodeError; UTF-16 was read as cp1252."""
    from pvd_graph.importers import readers

    text = "insee_com,lib_com\n01004,Ambérieu-en-Bugey\n"
    assert readers.decode(text.encode("utf-16")) == (text, "utf-16")
    assert "insee_com" in readers.header_columns(text.encode("utf-16"))
    for data, words in ((b"\xef\xbb\xbfinsee\xff", "invalid UTF-8"), (b"\xff\xfei\x00d\x00\x00\xd8", "invalid UTF-16"),
                        (gzip.compress(text.encode()), "binary content")):
        with pytest.raises(readers.SourceError, match=words):
            readers.decode(data)


def test_issue_9_csv_rows_cut_or_malformed_are_rejected():
    """A row cut short used to be padded and accepted; a 200 KB cell raised csv.Error (a traceback)."""
    from pvd_graph.importers import readers

    data = ("a,b,c\n1,2,3\n4,5\n" + "6," + "x" * 200_000 + ",8\n9,\"1\"0,1\n2,3,4\n5,\"open,6\n7,8,9\n").encode()
    table = readers.read_csv(data)
    marks = [(line, sorted(k for k in row if k.startswith("\0"))) for line, row in table.rows]
    assert marks == [(2, []), (3, [readers.SHORT]), (4, [readers.BROKEN]), (5, [readers.BROKEN]), (6, []),
                     (7, [readers.BROKEN])]
    assert "never closed" in table.rows[-1][1][readers.BROKEN]


def test_issue_9_negative_population_says_negative():
    from pvd_graph.importers import readers

    with pytest.raises(readers.BadValue, match="negative number"):
        readers.integer("-1432")
    assert readers.integer("1 432") == 1432


# --- the README table ---------------------------------------------------------

def render_table() -> str:
    """Markdown table of the corpus: what each bad input yields."""
    lines = [
        "# What each bad input yields",
        "",
        "Generated from `CASES` in `tests/test_bad_inputs.py` (`python tests/test_bad_inputs.py`), where each",
        "row is a test run through `pvd-graph build` on a spoilt copy of a real file. Rejected rows, dropped",
        "values and refused sources are printed by `build` and listed in `rejects.csv` of the build folder",
        "(columns `source, file, line, field, value, reason, outcome`; `line` is the CSV line, header = 1,",
        "or the index in a JSON array / GeoJSON feature list, first = 0).",
        "",
        "| input | file | outcome | reported as |",
        "|---|---|---|---|",
    ]
    for c in CASES:
        said = f"`{c.field}`: {c.reason}" if c.field else c.reason
        if c.simulate:
            said += " (simulated in the test: root reads any file)"
        lines.append(f"| {c.input} | `{c.file}` | {c.outcome} | {said or 'same graph as the clean file'} |")
    return "\n".join(lines) + "\n"


def test_readme_table_is_generated_from_the_corpus():
    assert TABLE.read_text(encoding="utf-8") == render_table(), "run: python tests/test_bad_inputs.py"


if __name__ == "__main__":  # regenerate the README table
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(render_table(), encoding="utf-8")
    print(TABLE.read_text(encoding="utf-8"))
