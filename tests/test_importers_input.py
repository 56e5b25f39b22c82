"""Input variants users meet in French open data, on small files derived from the real ones."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from pvd_graph import importers
from pvd_graph.identifiers import commune_iri, epci_iri
from pvd_graph.importers import readers
from pvd_graph.importers.anct_acv import IMPORTER as ACV
from pvd_graph.importers.anct_pvd import IMPORTER as PVD
from pvd_graph.namespaces import OX

PVD_CSV = "anct_pvd_communes_2021.csv"


def pvd_sample(shared_data, n=20):
    """Header and the first n rows of the real PVD list, as dicts."""
    with (shared_data / PVD_CSV).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [row for _, row in zip(range(n), reader)]
        return reader.fieldnames, rows


def write_csv(path, fields, rows, delimiter=",", encoding="utf-8"):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, delimiter=delimiter, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def towns(result):
    return {t.subject.value for t in result.triples if t.predicate == OX.participatesIn}


@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ","), ("utf-8-sig", ","), ("cp1252", ";"),
                                                ("utf-8-sig", ";"), ("cp1252", ",")])
def test_encodings_and_separators_give_the_same_graph(tmp_path, shared_data, encoding, delimiter):
    fields, rows = pvd_sample(shared_data)
    reference = PVD.run(write_csv(tmp_path / "ref_pvd.csv", fields, rows))
    variant = PVD.run(write_csv(tmp_path / "var_pvd.csv", fields, rows, delimiter, encoding))
    assert variant.error is None and variant.rows_accepted == len(rows)
    assert set(map(str, variant.triples)) == set(map(str, reference.triples))
    assert variant.reading.startswith(encoding) and repr(delimiter) in variant.reading
    if encoding == "cp1252":  # accented names survived the round trip
        assert any("é" in r["lib_com"] or "è" in r["lib_com"] for r in rows)


def test_codes_that_lost_their_leading_zero(tmp_path, shared_data):
    fields, rows = pvd_sample(shared_data, 400)
    zeroed = [r for r in rows if r["insee_com"].startswith("0")][:10]
    assert zeroed
    spoilt = [dict(r, insee_com=str(int(r["insee_com"])), insee_dep=str(int(r["insee_dep"]))) for r in zeroed]
    result = PVD.run(write_csv(tmp_path / "pvd.csv", fields, spoilt))
    assert result.rows_accepted == len(zeroed)
    assert towns(result) == {commune_iri(r["insee_com"]) for r in zeroed}


def test_na_and_empty_cells_are_missing_not_errors(tmp_path, shared_data):
    fields, rows = pvd_sample(shared_data, 3)
    rows = [dict(rows[0], siren_epci="NA", lib_epci="N/A"), dict(rows[1], pop="", id_pvd=" "), rows[2]]
    result = PVD.run(write_csv(tmp_path / "pvd.csv", fields, rows))
    assert result.rows_accepted == 3 and not result.rejects and not result.warnings
    subjects = {t.subject.value for t in result.triples if t.predicate == OX.memberOf}
    assert commune_iri(rows[0]["insee_com"]) not in subjects
    assert commune_iri(rows[1]["insee_com"]) not in {t.subject.value for t in result.triples if t.predicate == OX.population}


def test_bad_rows_are_rejected_with_line_field_and_reason_and_the_rest_kept(tmp_path, shared_data):
    fields, rows = pvd_sample(shared_data, 8)
    bad = list(rows)
    bad[1] = dict(rows[1], insee_com="ABCDE")
    bad[2] = dict(rows[2], lib_com="<b>Ville</b>")
    bad[3] = dict(rows[3], lib_com="Ville\x07")
    bad[4] = dict(rows[4], insee_dep="01" if rows[4]["insee_dep"] != "01" else "02")
    bad.append(dict(rows[5]))  # exact duplicate of the row on line 7
    bad[6] = dict(rows[6], siren_epci="123456789")  # bad SIREN: value dropped, row kept
    result = PVD.run(write_csv(tmp_path / "pvd.csv", fields, bad))
    got = {(r.line, r.field) for r in result.rejects}
    assert got == {(3, "insee_com"), (4, "lib_com"), (5, "lib_com"), (6, "insee_dep"), (10, "insee_com")}
    dup = next(r for r in result.rejects if r.line == 10)
    assert dup.reason == "duplicate of line 7"
    assert result.rows_read == 9 and result.rows_accepted == 4 and result.rows_rejected == 5
    assert [(w.line, w.field) for w in result.warnings] == [(8, "siren_epci")]
    assert commune_iri(rows[6]["insee_com"]) in towns(result)


def test_line_numbers_are_physical_lines(tmp_path, shared_data):
    fields, rows = pvd_sample(shared_data, 3)
    rows[0] = dict(rows[0], lib_epci="CC du\nNord")  # a quoted cell spanning two lines
    rows[2] = dict(rows[2], insee_com="XX")
    result = PVD.run(write_csv(tmp_path / "pvd.csv", fields, rows))
    assert [r.line for r in result.rejects] == [5]  # header 1, row 2-3, row 4, row 5


def test_missing_required_column_fails_the_source_in_one_line(tmp_path, shared_data):
    fields, rows = pvd_sample(shared_data, 3)
    kept = [f for f in fields if f != "siren_epci"]
    path = write_csv(tmp_path / "pvd.csv", kept, [{k: r[k] for k in kept} for r in rows])
    result = importers.import_file(path)
    assert result.error and "'siren_epci'" in result.error and "\n" not in result.error
    assert result.triples == []


@pytest.mark.parametrize("make", ["empty", "blank", "directory", "garbage_json"])
def test_unreadable_files_give_an_error_not_an_exception(tmp_path, make):
    path = tmp_path / ("communes.json" if make != "blank" else "pvd.csv")
    if make == "empty":
        path.write_bytes(b"")
    elif make == "blank":
        path.write_bytes(b"\n  \n")
    elif make == "directory":
        path.mkdir()
    else:
        path.write_bytes(b'[{"code": "01001", ')
    result = importers.import_file(path)
    assert result.error and str(path) in result.error and result.triples == []
    results, _ = importers.import_directory(tmp_path)
    assert [r.error for r in results] == [result.error]


def test_dates_french_iso_impossible_and_future():
    today = dt.date(2024, 9, 30)
    assert readers.date("28/09/2018", today) == dt.date(2018, 9, 28)
    assert readers.date("2018-09-28", today) == dt.date(2018, 9, 28)
    assert readers.date("NA", today) is None and readers.date("", today) is None
    for bad, reason in (("31/02/2023", "impossible date"), ("01/10/2024", "date in the future"),
                        ("01/2021", "not a date")):
        with pytest.raises(readers.BadValue, match=reason):
            readers.date(bad, today)


def test_acv_bad_date_and_markup(tmp_path, shared_data):
    doc = json.loads((shared_data / "anct_acv_communes_2024.geojson").read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:4]
    doc["features"][0]["properties"]["date_signature"] = "31/02/2019"
    doc["features"][1]["properties"]["lib_acv"] = "<script>x</script>"
    doc["features"][2]["properties"]["insee_com"] = int(doc["features"][2]["properties"]["insee_com"])
    path = tmp_path / "acv.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = ACV.run(path, run=importers.ImportRun(today=dt.date(2024, 9, 30)))
    assert [(r.line, r.field) for r in result.rejects] == [(1, "lib_acv")]
    assert [(w.line, w.field) for w in result.warnings] == [(0, "date_signature")]
    assert result.rows_accepted == 3
    first = doc["features"][0]["properties"]
    assert not [t for t in result.triples if t.predicate == OX.signedOn and first["id_acv"] in t.subject.value]


def test_cp1252_file_is_detected_by_content(tmp_path, shared_data):
    fields, rows = pvd_sample(shared_data)
    path = write_csv(tmp_path / "export.txt", fields, rows, ";", "cp1252")
    assert importers.detect(path) is PVD
    result = importers.import_file(path)
    assert result.reading == "cp1252, ';'" and result.rows_accepted == len(rows)
    assert epci_iri(rows[0]["siren_epci"]) in {t.object.value for t in result.triples if t.predicate == OX.memberOf}
