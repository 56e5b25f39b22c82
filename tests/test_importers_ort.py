"""ORT importer on the real tracking table (../shared/more-data) with the real geographic code.

Every expectation is computed here from the CSV and the COG files with the csv and json modules.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from pvd_graph import importers
from pvd_graph.importers import anct_ort
from pvd_graph.namespaces import ids

MORE_DATA = Path(__file__).resolve().parents[2] / "shared" / "more-data"
ORT_CSV = MORE_DATA / "ort_suivi_conventions_zlv_2024-10.csv"
PVD = "https://w3id.org/pvd-graph/ontology#"


@pytest.fixture(scope="module")
def table() -> list[dict]:
    assert ORT_CSV.is_file(), f"missing {ORT_CSV} (see ../shared/more-data/README.md)"
    with ORT_CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def cog(shared_data) -> tuple[set[str], dict[str, str]]:
    """Current commune codes, and each commune's EPCI SIREN, from the COG files."""
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    current = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    epci_of: dict[str, str] = {}
    for e in json.loads((shared_data / "cog" / "epci.json").read_text(encoding="utf-8")):
        for m in e["membres"]:
            epci_of.setdefault(m["code"], e["code"])
    return current, epci_of


def _sources(tmp: Path, shared_data: Path, ort: Path) -> Path:
    tmp.mkdir()
    (tmp / "cog").symlink_to(shared_data / "cog")
    (tmp / ort.name).symlink_to(ort)
    return tmp


def _import(folder: Path) -> importers.ImportResult:
    results, _ = importers.import_directory(folder)
    (ort,) = [r for r in results if r.source.id == "anct-ort"]
    assert ort.error is None, ort.error
    return ort


@pytest.fixture(scope="module")
def imported(tmp_path_factory, shared_data):
    result = _import(_sources(tmp_path_factory.mktemp("ort") / "src", shared_data, ORT_CSV))
    store = ox.Store()
    store.load(result.ntriples(), format=ox.RdfFormat.N_TRIPLES)
    return result, store


def _select(store: ox.Store, text: str) -> list[tuple]:
    return [tuple(None if t is None else t.value for t in sol)
            for sol in store.query(f"PREFIX pvd: <{PVD}> " + text)]


def test_the_issue_figures_of_the_table(table):
    """The brief's figures, from the file: 1,896 signed rows form 969 (EPCI, date) pairs, 435 with several
    communes, when the 8 signed rows without a date count as (EPCI, no date) pairs; 963 and 433 of
    dated pairs (the grouping rule's conventions)."""
    signed = [r for r in table if r["Signée ?"] == "Signée"]
    assert len(table) == 2290 and len(signed) == 1896
    pairs = Counter((r["EPCI"], r["Si signée, date de signature"]) for r in signed)
    assert (len(pairs), sum(n > 1 for n in pairs.values())) == (969, 435)
    dated = Counter(k for k in pairs.elements() if k[1])
    assert (len(dated), sum(n > 1 for n in dated.values())) == (963, 433)
    assert sum(1 for r in signed if not r["Si signée, date de signature"]) == 8


def test_every_row_is_accounted_for(imported, table, cog):
    result, _ = imported
    current, _ = cog
    assert result.rows_read == len(table) == 2290
    rejected = {int(r.line) for r in result.rejects}
    assert result.rows_accepted == len(table) - len(rejected)
    # the rejected rows are exactly the codes that are not current communes of the COG 2026
    stale = sorted(r["Code commune"] for r in table if r["Code commune"] not in current)
    assert sorted(r.value for r in result.rejects) == stale and len(stale) == 5
    assert {r.field for r in result.rejects} == {"code commune"}


def test_communes_per_status(imported, table, cog):
    """Each covered commune is in one operation with the table's status (no status: no triple)."""
    _, store = imported
    current, _ = cog
    expected = Counter(r["Signée ?"] or None for r in table if r["Code commune"] in current)
    rows = _select(store, """SELECT ?insee ?status WHERE { ?o a pvd:ORT ; pvd:concerns ?t .
        ?t a pvd:Commune . OPTIONAL { ?o pvd:ortStatus ?status }
        BIND (STRAFTER(STR(?t), "/commune/") AS ?insee) }""")
    assert len({insee for insee, _ in rows}) == len(rows) == sum(expected.values())
    assert Counter(status for _, status in rows) == expected
    assert expected == {"Signée": 1891, "Non signée": 289, None: 77, "En cours": 28}


def test_signed_dates_and_groups(imported, table, cog):
    """A signed dated row's commune is concerned by, and signs, the convention of its (EPCI, date) group,
    signed that day; the groups are those of the table; undated rows are operations of their own."""
    _, store = imported
    current, epci_of = cog
    rows = [r for r in table if r["Code commune"] in current]
    groups: dict[tuple, set] = defaultdict(set)
    for r in rows:
        if r["Signée ?"] == "Signée" and r["Si signée, date de signature"]:
            groups[(r["EPCI"], r["Si signée, date de signature"])].add(r["Code commune"])
    got = _select(store, """SELECT ?c ?date (GROUP_CONCAT(?insee; separator=" ") AS ?towns) WHERE {
        ?o pvd:establishedBy ?c . ?c pvd:signedOn ?date ; pvd:concerns ?t ; pvd:signatory ?t .
        ?t a pvd:Commune . BIND (STRAFTER(STR(?t), "/commune/") AS ?insee) } GROUP BY ?c ?date""")
    assert sorted((d, tuple(sorted(t.split()))) for _, d, t in got) == \
        sorted((d, tuple(sorted(towns))) for (_, d), towns in groups.items())
    assert len(got) == 963 and sum(len(t.split()) > 1 for *_, t in got) == 433
    for c, date, towns in got:  # the key is the COG EPCI of the group and the date
        assert c == ids.convention(f"ort-{epci_of[towns.split()[0]]}-{date}")
    undated = _select(store, """SELECT ?o WHERE { ?o a pvd:ORT . FILTER NOT EXISTS {
        ?o pvd:establishedBy/pvd:signedOn ?d } }""")
    assert len(undated) == sum(1 for r in rows if not (r["Signée ?"] == "Signée" and r["Si signée, date de signature"]))
    # an operation of its own is keyed by its commune's INSEE code
    assert {o for (o,) in undated} <= {ids.ort(r["Code commune"]) for r in rows}


def test_signatories_are_those_of_l303_2_and_said_to_be_inferred(imported):
    _, store = imported
    (n,) = _select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?c a pvd:ORTConvention }")[0]
    with_state = _select(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?c a pvd:ORTConvention ;
        pvd:signatory <{ids.organisation('etat')}> , ?e ; <http://www.w3.org/ns/prov#wasDerivedFrom>
        <https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000037653140> ;
        <http://www.w3.org/2004/02/skos/core#editorialNote> ?note . ?e a pvd:EPCI }}""")
    assert int(n) == 971 and with_state == [(n,)]


def test_duration_zero_is_no_triple(imported, table, cog):
    _, store = imported
    current, _ = cog
    signed = [r for r in table if r["Code commune"] in current and r["Signée ?"] == "Signée"]
    durations = Counter(r["Durée (en années)"] for r in signed)
    assert durations["0"] > 1000
    values = _select(store, "SELECT ?c ?y WHERE { ?c pvd:durationYears ?y }")
    assert values and all(int(y) > 0 for _, y in values)
    assert {int(y) for _, y in values} == {int(d) for d in durations if d not in ("", "0")}


def test_people_columns_never_reach_the_graph(imported, table):
    result, _ = imported
    text = result.ntriples().decode("utf-8")
    assert "CENSORED" not in text
    remarks = {r["Remarques"].strip() for r in table if len(r["Remarques"].strip()) > 20}
    assert remarks and not any(remark[:40] in text for remark in remarks)


def test_epci_names_that_are_not_the_cogs_are_reported(imported, table, cog):
    result, _ = imported
    current, epci_of = cog
    dropped = [w for w in result.warnings if w.field == "epci"]
    assert dropped and all(w.value for w in dropped)
    # Cholet: the table's former name, the COG's current EPCI
    cholet = [w for w in dropped if w.value == "CA Agglomération du Choletais"]
    assert cholet and "200071678 (CA Cholet Agglomération)" in cholet[0].reason
    # a name the COG spells with "oe" for "œ" is the same name: not reported
    assert not [w for w in dropped if w.value == "CA Cœur d'Essonne Agglomération"]


def _as_workbook(path: Path, out: Path) -> Path:
    """The CSV written as the official workbook: sheet « Suivi conventions », dates as dates, numbers
    as numbers, true/false as booleans (openpyxl)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Suivi conventions"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        sheet.append(next(reader))
        for cells in reader:
            values: list[object] = []
            for i, cell in enumerate(cells):
                if i == 7 and cell:
                    values.append(dt.datetime.fromisoformat(cell))
                elif i == 9 and cell.isdigit():
                    values.append(int(cell))
                elif i in (13, 14) and cell in ("true", "false"):
                    values.append(cell == "true")
                elif i in (15, 16) and cell:
                    values.append(float(cell))
                else:
                    values.append(cell or None)
            sheet.append(values)
    book.save(out)
    return out


def test_the_workbook_and_its_csv_export_import_the_same(tmp_path, shared_data, imported):
    result, _ = imported
    xlsx = _as_workbook(ORT_CSV, tmp_path / "ort_suivi_conventions.xlsx")
    from_xlsx = _import(_sources(tmp_path / "src", shared_data, xlsx))
    assert from_xlsx.reading.startswith("xlsx")
    assert from_xlsx.rows_read == result.rows_read and from_xlsx.rows_accepted == result.rows_accepted
    assert sorted(from_xlsx.lines) == sorted(result.lines)
    assert [(w.field, w.value, w.reason) for w in from_xlsx.warnings + from_xlsx.noted] == \
        [(w.field, w.value, w.reason) for w in result.warnings + result.noted]


def test_a_workbook_without_the_sheet_is_refused_in_one_line(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Feuil1"
    path = tmp_path / "ort_suivi.xlsx"
    book.save(path)
    run = importers.ImportRun()
    run.earlier.current_communes, run.earlier.epci_of_commune, run.earlier.epci_names = set(), {}, {}
    result = importers.import_file(path, run=run)
    assert result.source.id == "anct-ort"
    assert result.error == f"{path}: no sheet 'Suivi conventions' (sheets: Feuil1)"


def test_without_the_cog_the_table_is_refused_in_one_line(tmp_path):
    path = tmp_path / "ort_suivi.csv"
    path.write_bytes(ORT_CSV.read_bytes()[:5000].rsplit(b"\n", 1)[0] + b"\n")
    result = importers.import_file(path)
    assert result.error is not None and "\n" not in result.error and "COG" in result.error


def test_sniffed_under_another_name(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(ORT_CSV.read_bytes()[:3000])
    assert importers.detect(path) is anct_ort.IMPORTER


@pytest.mark.slow
def test_a_build_with_the_table_conforms_and_accounts_for_every_row(tmp_path, shared_data, table, cog):
    """``build --sources`` over ../shared/data's files and the ORT table: 0 violations; every ORT row is
    in the graph (its commune covered by an ORT) or rejected in rejects.csv; ``towns-in-programme
    programme=ort`` lists the covered communes."""
    from pvd_graph import query
    from pvd_graph.build import build_graph

    current, _ = cog
    src = tmp_path / "src"
    src.mkdir()
    for child in shared_data.iterdir():
        (src / child.name).symlink_to(child)
    (src / ORT_CSV.name).symlink_to(ORT_CSV)
    out = tmp_path / "build"
    build_graph(src, out, log=lambda _: None)
    assert (out / "validation.txt").read_text(encoding="utf-8").startswith("graph conforms: 0 violations")
    with (out / "rejects.csv").open(encoding="utf-8", newline="") as fh:
        ort_rejects = [r for r in csv.DictReader(fh) if r["source"] == "anct-ort"]
    rejected = {int(r["line"]) for r in ort_rejects if r["outcome"] == "row rejected"}
    dropped = sum(r["outcome"] == "value dropped" for r in ort_rejects)
    ds = query.open_graph(out)
    _, rows = query.run_query(ds, "towns-in-programme", {"programme": "ort"})
    covered = {query.plain(r[0]) for r in rows}
    codes = {r["Code commune"] for r in table}
    stale = {code for code in codes if code not in current}
    # every code is either covered in the graph or one of the rows rejected (not a current commune)
    assert covered == codes - stale and len(stale) == len(rejected) == 5
    # the one disagreement with the curated data: Albertville's ORT, 2023-07-03 (the framework
    # convention "valant ORT", data/conventions.ttl) or 2023-07-11 (the table); Ugine agrees
    _, rows = query.run_query(ds, "quality-ort-dates", {})
    assert [tuple(query.plain(v) for v in r) for r in rows] == [
        ("73011", "Albertville", "pvd-arlysere-convention-cadre-2023", "2023-07-03",
         "ort-200068997-2023-07-11", "2023-07-11")]
    # (the README's ORT row is the enlarged build's, which also reads INSEE's merger tables:
    # tests/test_readme_figures.py::test_crte_and_ort compares it with that build)


def test_a_workbook_is_recognised_by_its_sheet_under_another_name(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Suivi conventions"
    book.save(tmp_path / "export.xlsx")
    book.active.title = "Feuil1"
    book.save(tmp_path / "other.xlsx")
    assert importers.detect(tmp_path / "export.xlsx") is anct_ort.IMPORTER
    assert importers.detect(tmp_path / "other.xlsx") is None


# --- issue 14: participations, titles, points, figures ------------------------------------------

GEO = "http://www.opengis.net/ont/geosparql#"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _groups(table: list[dict], cog) -> dict[str, list[dict]]:
    """The table's current rows by operation key, as the grouping rule (ontology/README.md) says:
    signed dated rows by (COG EPCI, date), any other row alone (keyed by its INSEE code)."""
    current, epci_of = cog
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in table:
        code = r["Code commune"]
        if code not in current:
            continue
        date = r["Si signée, date de signature"]
        signed_dated = r["Signée ?"] == "Signée" and date and code in epci_of
        groups[f"{epci_of[code]}-{date}" if signed_dated else code].append(r)
    return groups


def test_issue_14_every_ort_commune_has_its_participation(imported, table, cog):
    """Every current commune of the table has ``participation/commune-{INSEE}-ort``: in programme ort,
    listed in the table, status as the table says it, joined through its operation's convention when
    signed (none otherwise), and the shortcut ``pvd:participatesIn``."""
    _, store = imported
    expected = {}
    for key, rows in _groups(table, cog).items():
        for r in rows:
            signed = r["Signée ?"] == "Signée"
            expected[r["Code commune"]] = (r["Signée ?"] or None, ids.convention(f"ort-{key}") if signed else None)
    got = _select(store, f"""SELECT ?p ?insee ?status ?conv WHERE {{
        ?p a pvd:Participation ; pvd:participant ?t ; pvd:inProgramme <{ids.programme('ort')}> ;
           pvd:listedIn <{ids.source('anct-ort')}> .
        ?t pvd:participatesIn <{ids.programme('ort')}> .
        OPTIONAL {{ ?p pvd:participationStatus ?status }} OPTIONAL {{ ?p pvd:joinedThrough ?conv }}
        BIND (STRAFTER(STR(?t), "/commune/") AS ?insee) }}""")
    assert len(got) == len(expected) == 2285
    assert {insee: (status, conv) for _, insee, status, conv in got} == expected
    assert {p for p, *_ in got} == {ids.participation(f"commune-{insee}-ort") for insee in expected}
    (n,) = _select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?p a pvd:Participation }")[0]
    assert int(n) == len(expected)


def test_issue_14_ort_titles_name_the_towns_and_their_epci(imported, table, cog, shared_data):
    """« Convention d'ORT — Albertville, Ugine (CA Arlysère) »: the group's towns in the table's order,
    then the COG's name of their EPCI; the operation's title likewise; never a bare town name."""
    _, store = imported
    epci_names = {e["code"]: " ".join(e["nom"].split())  # as the COG importer reads names: spaces collapsed
                  for e in json.loads((shared_data / "cog" / "epci.json").read_text("utf-8"))}
    _, epci_of = cog
    expected_conv, expected_op = {}, {}
    for key, rows in _groups(table, cog).items():
        towns = ", ".join(r["Commune"].split(" - ", 1)[1] for r in rows)
        epci = epci_of.get(rows[0]["Code commune"])
        where = towns + (f" ({epci_names[epci]})" if epci in epci_names else "")
        expected_op[ids.ort(key)] = f"Opération de revitalisation de territoire — {where}"
        if rows[0]["Signée ?"] == "Signée":
            expected_conv[ids.convention(f"ort-{key}")] = f"Convention d'ORT — {where}"
    labels = dict(_select(store, f"SELECT ?s ?l WHERE {{ ?s a pvd:ORTConvention ; <{LABEL}> ?l }}"))
    assert labels == expected_conv
    ops = dict(_select(store, f"SELECT ?s ?l WHERE {{ ?s a pvd:ORT ; <{LABEL}> ?l }}"))
    assert ops == expected_op
    assert labels[ids.convention("ort-200068997-2023-07-03")] == "Convention d'ORT — Ugine (CA Arlysère)"
    names = {r["Commune"].split(" - ", 1)[1] for r in table}
    assert not names & set(labels.values())


def test_issue_14_points_of_ort_towns_as_geosparql(imported, table, cog):
    """Each current commune's point as the table gives it (longitude, latitude columns): one
    ``geo:hasGeometry <commune#point-anct-ort>`` with ``geo:asWKT "POINT(lon lat)"^^geo:wktLiteral``."""
    _, store = imported
    current, _ = cog
    got = _select(store, f"""SELECT ?t ?g ?wkt WHERE {{ ?t <{GEO}hasGeometry> ?g . ?g a <{GEO}Geometry> ;
        <{GEO}asWKT> ?wkt FILTER (DATATYPE(?wkt) = <{GEO}wktLiteral>) }}""")
    rows = [r for r in table if r["Code commune"] in current]
    assert len(got) == len(rows)
    points = {}
    for t, g, wkt in got:
        assert g == t + "#point-anct-ort"
        lon, lat = wkt.removeprefix("POINT(").removesuffix(")").split()
        points[t] = (float(lon), float(lat))
    assert points == {ids.commune(r["Code commune"]): (float(r["longitude"]), float(r["latitude"])) for r in rows}


def test_issue_14_an_impossible_point_is_dropped_with_a_warning(tmp_path, shared_data, table):
    """A latitude out of range, a longitude that is not a number, a coordinate alone: no point for that
    commune, one warning naming line and field; the rest of the row (its operation) is kept."""
    with ORT_CSV.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    broken = {2: ("latitude", "95.2"), 3: ("longitude", "est"), 4: ("longitude", "")}  # file lines
    for line, (column, value) in broken.items():
        rows[line - 2][column] = value
    path = tmp_path / ORT_CSV.name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    result = _import(_sources(tmp_path / "src", shared_data, path))
    warned = {(w.line, w.field) for w in result.warnings if w.field in ("longitude", "latitude")}
    assert warned == {(2, "latitude"), (3, "longitude"), (4, "latitude")}
    text = result.ntriples().decode("utf-8")
    for line in broken:
        commune = ids.commune(rows[line - 2]["Code commune"])
        assert f"<{commune}#point-anct-ort>" not in text
        assert f"<{ids.participation('commune-' + rows[line - 2]['Code commune'] + '-ort')}>" in text
    assert result.rows_accepted == len(table) - 5


def test_issue_14_group_figures_for_the_manifest(imported, table, cog):
    """The importer's figures (written to manifest.json by the build) are the grouping's, from the file."""
    result, _ = imported
    groups = _groups(table, cog)
    signed = {k: rows for k, rows in groups.items() if rows[0]["Signée ?"] == "Signée"}
    dated = {k: rows for k, rows in signed.items() if rows[0]["Si signée, date de signature"]}
    assert result.figures == {
        "operations": len(groups),
        "signed conventions": len(signed),
        "dated (EPCI, date) groups": len(dated),
        "groups of several communes": sum(len(rows) > 1 for rows in dated.values()),
        "signed without a date": len(signed) - len(dated),
        "operations not signed": len(groups) - len(signed),
    }
    assert (len(dated), result.figures["groups of several communes"]) == (963, 433)


def test_issue_14_manifest_records_the_ort_grouping(enlarged_build, table, cog):
    """manifest.json of the national build gives, under the ORT source, the grouping figures of the file."""
    manifest = json.loads((enlarged_build / "manifest.json").read_text(encoding="utf-8"))
    (ort,) = [s for s in manifest["sources"] if s["id"] == "anct-ort"]
    groups = _groups(table, cog)
    signed = [rows for rows in groups.values() if rows[0]["Signée ?"] == "Signée"]
    dated = [rows for rows in signed if rows[0]["Si signée, date de signature"]]
    assert ort["figures"] == {"operations": len(groups), "signed conventions": len(signed),
                              "dated (EPCI, date) groups": len(dated),
                              "groups of several communes": sum(len(rows) > 1 for rows in dated),
                              "signed without a date": len(signed) - len(dated),
                              "operations not signed": sum(1 for rows in groups.values() if rows[0]["Signée ?"] != "Signée")}
