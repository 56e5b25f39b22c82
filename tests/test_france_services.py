"""France services (issue 16): every office of ANCT's list located in its commune, its labelling date,
its commune's participation in programme ``france-services``, and no contact of the list in the graph.

Expectations are computed here from the list (``liste-fs-20240801.csv``) and the COG 2026.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from pvd_graph import importers, query
from pvd_graph.importers.france_services import NO_LABEL_DATE, office_iri
from pvd_graph.namespaces import OX, ids

MORE_DATA = Path(__file__).resolve().parents[2] / "shared" / "more-data"
FS_CSV = MORE_DATA / "liste-fs-20240801.csv"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    """The rows of the list, each with ``_line``: the line it starts on (some comments hold line breaks)."""
    assert FS_CSV.is_file(), f"missing {FS_CSV} (see ../shared/more-data/README.md)"
    with FS_CSV.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        out, start = [], 2
        for row in reader:
            out.append({**row, "_line": start})
            start = reader.line_num + 1
        return out


@pytest.fixture(scope="module")
def where(shared_data) -> dict[str, str]:
    """Every code the COG 2026 knows → the current commune it lies in (itself, the commune of an
    arrondissement municipal, the commune whose ``anciensCodes`` name it)."""
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    out = {}
    for c in communes:
        if c["type"] == "commune-actuelle":
            for old in c.get("anciensCodes") or ():
                out.setdefault(old, c["code"])
    for c in communes:
        if c["type"] == "arrondissement-municipal":
            out[c["code"]] = c["commune"]
    out.update({c["code"]: c["code"] for c in communes if c["type"] == "commune-actuelle"})
    return out


@pytest.fixture(scope="module")
def imported(shared_data):
    run = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", run=run)
    return importers.import_file(FS_CSV, run=run)


@pytest.fixture(scope="module")
def graph(imported) -> ox.Store:
    store = ox.Store()
    store.bulk_load(imported.ntriples(), format=ox.RdfFormat.N_TRIPLES)
    return store


def _objects(store: ox.Store, p: ox.NamedNode) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for q in store.quads_for_pattern(None, p, None):
        out.setdefault(q.subject.value, []).append(q.object.value)
    return out


def test_every_office_is_imported_and_located_in_its_commune(rows, where, imported, graph):
    assert imported.source.id == "anct-france-services" and imported.error is None
    assert imported.rows_read == imported.rows_accepted == len(rows) and not imported.rejects
    located = _objects(graph, OX.locatedIn)
    expected = {office_iri(str(int(r["id_fs"]))): [ids.commune(where[r["insee_com"]])] for r in rows}
    assert located == expected
    # the codes that are not current communes are each said, with the commune the office is put in
    moved = {(w.line, w.value) for w in imported.warnings if w.field == "insee_com"}
    assert moved == {(r["_line"], r["insee_com"]) for r in rows if where[r["insee_com"]] != r["insee_com"]}
    assert moved  # Paris, Lyon and Marseille arrondissements, Pierrefitte-sur-Seine, Champtoceaux


def test_offices_per_commune_and_communes_with_an_office(rows, where, graph):
    per_commune = Counter(where[r["insee_com"]] for r in rows)
    found = Counter(c for towns in _objects(graph, OX.locatedIn).values() for c in towns)
    assert found == Counter({ids.commune(k): v for k, v in per_commune.items()})
    participants = {q.object.value for q in graph.quads_for_pattern(None, OX.participant, None)}
    assert participants == {ids.commune(c) for c in per_commune}
    programme = ox.NamedNode(ids.programme("france-services"))
    assert {q.subject.value for q in graph.quads_for_pattern(None, OX.participatesIn, programme)} == participants
    assert len(participants) == len(per_commune) < len({r["insee_com"] for r in rows})  # arrondissements → one commune


def test_labelling_date_when_the_text_gives_one(rows, imported, graph):
    dates = {}
    for r in rows:
        m = re.fullmatch(r"Espace labellisé (\d\d)/(\d\d)/(\d{4})", r["labellisation_fs"])
        if m:
            dates[office_iri(str(int(r["id_fs"])))] = [dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()]
    assert _objects(graph, OX.labelledOn) == dates
    assert imported.figures[NO_LABEL_DATE] == len(rows) - len(dates)


def test_type_format_group_and_point_as_the_list_gives_them(rows, graph):
    by_iri = {office_iri(str(int(r["id_fs"]))): r for r in rows}
    assert _objects(graph, OX.officeType) == {k: [r["type_fs"]] for k, r in by_iri.items()}
    assert _objects(graph, OX.officeFormat) == {k: [r["format_fs"]] for k, r in by_iri.items()}
    assert _objects(graph, OX.officeGroup) == {k: [r["groupe_fs"]] for k, r in by_iri.items() if r["groupe_fs"]}
    wkt = {row[0].value: row[1].value for row in graph.query(
        "SELECT ?o ?w { ?o <http://www.opengis.net/ont/geosparql#hasGeometry>/"
        "<http://www.opengis.net/ont/geosparql#asWKT> ?w }")}
    assert wkt.keys() == by_iri.keys()
    for k, text in wkt.items():
        lon, lat = (float(v) for v in text.removeprefix("POINT(").removesuffix(")").split())
        assert (lon, lat) == (float(by_iri[k]["longitude"]), float(by_iri[k]["latitude"]))


def test_no_contact_or_comment_of_the_list_in_the_graph(rows, graph):
    contacts = {r[c].strip() for r in rows for c in ("mail", "telephone") if r[c].strip()}
    literals = {q.object.value for q in graph if isinstance(q.object, ox.Literal)}
    assert contacts and not contacts & literals
    # a comment is never imported; one happens to be a word the list also gives as a format (« Multisites »)
    imported_words = {r[c] for r in rows for c in ("lib_fs", "type_fs", "format_fs", "groupe_fs")}
    comments = {r["commentaire"].strip() for r in rows if r["commentaire"].strip()}
    assert comments and not (comments - imported_words) & literals
    text = "\n".join(literals)  # nor inside a longer literal
    assert not [c for c in contacts if c in text]


def test_a_code_unknown_to_the_cog_is_a_reject_naming_file_line_field(shared_data, tmp_path, rows):
    header = [c for c in rows[0] if c != "_line"]
    bad = tmp_path / "liste-fs-test.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, header, extrasaction="ignore")
        w.writeheader()
        w.writerow(rows[0])
        w.writerow({**rows[1], "insee_com": "99999"})
    run = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", run=run)
    result = importers.import_file(bad, run=run)
    assert result.rows_accepted == 1
    assert [(r.file, r.line, r.field, r.value) for r in result.rejects] == [(str(bad), 3, "insee_com", "99999")]
    assert "not a commune of the COG 2026" in result.rejects[0].reason


def test_enlarged_build_france_services(enlarged_build, rows, where):
    per_commune = Counter(where[r["insee_com"]] for r in rows)
    ds = query.open_graph(enlarged_build)
    found = {row[0].value for row in ds.query(
        "PREFIX pvd: <https://w3id.org/pvd-graph/ontology#> SELECT DISTINCT ?c { ?p a pvd:Participation ; "
        "pvd:participant ?c ; pvd:inProgramme <https://w3id.org/pvd-graph/id/programme/france-services> }")}
    assert found == {ids.commune(c) for c in per_commune}
    offices = next(iter(ds.query(
        "PREFIX pvd: <https://w3id.org/pvd-graph/ontology#> SELECT (COUNT(?o) AS ?n) { ?o a pvd:FranceServicesOffice }")))
    assert int(offices[0].value) == len(rows)
    report = (enlarged_build / "validation.txt").read_text(encoding="utf-8")
    assert "FranceServices" not in report and "france-services" not in report
