"""CRTE importer on small files in the official layout (tests/fixtures/importers/crte)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pvd_graph import importers
from pvd_graph.identifiers import commune_iri, convention_iri, epci_iri, programme_iri
from pvd_graph.importers.crte import IMPORTER as CRTE, crte_slug
from pvd_graph.namespaces import OX, OXC

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "importers" / "crte" / "crte_groupements.csv"


def rows():
    with FIXTURE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_slugs():
    assert crte_slug("crte-84-73-01") == "crte-84-73-01"
    assert crte_slug("CRTE 84-73 n°2") == "crte-84-73-n2"
    assert crte_slug("73-02") == "crte-73-02"


def test_one_contract_per_id_concerning_its_epci(shared_data):
    # commune groupings are resolved through the COG communes imported in the same run
    run = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", run=run)
    result = CRTE.run(FIXTURE, run=run)
    data = rows()
    assert result.error is None and result.rows_read == len(data) == result.rows_accepted
    contracts = {t.subject.value for t in result.triples if t.predicate == OXC.type and t.object == OX.CRTEContract}
    assert contracts == {convention_iri(crte_slug(r["id_crte"])) for r in data}
    concerns = {(t.subject.value, t.object.value) for t in result.triples if t.predicate == OX.concerns}
    communes = {c["siren"]: c["code"] for c in json.loads((shared_data / "cog" / "communes.json").read_text())
                if c.get("siren")}
    expected = set()
    for r in data:
        target = (commune_iri(communes[r["siren_groupement"]]) if r["nature_juridique"] == "COM"
                  else epci_iri(r["siren_groupement"]))
        expected.add((convention_iri(crte_slug(r["id_crte"])), target))
    assert concerns == expected
    participants = {t.subject.value for t in result.triples
                    if t.predicate == OX.participatesIn and t.object.value == programme_iri("crte")}
    assert participants == {o for _, o in expected}
    under = {t.subject.value for t in result.triples if t.predicate == OX.underProgramme}
    assert under == contracts


def test_commune_grouping_without_cog_is_rejected_with_a_reason(tmp_path):
    result = importers.import_file(FIXTURE)
    communes = [i for i, r in enumerate(rows(), start=2) if r["nature_juridique"] == "COM"]
    assert [r.line for r in result.rejects] == communes
    assert "COG communes" in result.rejects[0].reason
    assert result.rows_accepted == len(rows()) - len(communes)


def test_semicolon_cp1252_duplicates_and_unknown_nature(tmp_path):
    data = rows()
    data.append(dict(data[0]))  # duplicate grouping in the same CRTE
    data.append(dict(data[1], id_crte="crte-84-73-99", nature_juridique="PETR"))
    data.append(dict(data[2], siren_groupement="24730025"))  # 8 digits: padding gives no valid SIREN
    path = tmp_path / "liste_crte.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(data[0]), delimiter=";")
        w.writeheader()
        w.writerows(data)
    result = importers.import_file(path)
    reasons = {r.line: (r.field, r.reason) for r in result.rejects}
    n = len(rows())
    assert reasons[n + 2] == ("siren_groupement", "duplicate of line 2")
    assert reasons[n + 3][0] == "nature_juridique"
    assert reasons[n + 4][0] == "siren_groupement"
    assert result.reading == "cp1252, ';'"


def test_missing_column_names_it(tmp_path):
    text = FIXTURE.read_text(encoding="utf-8").replace("nature_juridique", "nature", 1)
    path = tmp_path / "crte.csv"
    path.write_text(text, encoding="utf-8")
    result = importers.import_file(path)
    assert "'nature_juridique'" in result.error
