"""CRTE importer on small files in the official layout (tests/fixtures/importers/crte)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pvd_graph import importers
import pytest

from pvd_graph.identifiers import commune_iri, convention_iri, departement_iri, epci_iri, programme_iri
from pvd_graph.importers.common import EPCI_TYPES, epci_classes
from pvd_graph.importers.crte import GROUPING_NATURES, IMPORTER as CRTE, crte_slug, grouping_iri
from pvd_graph.namespaces import OX, OXC, ids

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "importers" / "crte" / "crte_groupements.csv"
MORE_DATA = Path(__file__).resolve().parents[2] / "shared" / "more-data"
CRTE_CSV = MORE_DATA / "crte_groupements_datagouv_2022-12.csv"
SHAPES = Path(__file__).resolve().parent / "fixtures" / "shapes" / "conventions"


def rows(path: Path = FIXTURE) -> list[dict]:
    assert path.is_file(), f"missing {path} (see ../shared/more-data/README.md)"
    with path.open(encoding="utf-8", newline="") as fh:
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
    data.append(dict(data[1], id_crte="crte-84-73-99", nature_juridique="XYZ"))
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


# --- the official file (../shared/more-data), in full ------------------------------------------

@pytest.fixture(scope="module")
def table(shared_data) -> list[dict]:
    """The rows of the official CRTE file (the same reader as the fixture's :func:`rows`)."""
    return rows(CRTE_CSV)


@pytest.fixture(scope="module")
def communes(shared_data) -> dict[str, str]:
    """SIREN → INSEE code of the current communes of the COG."""
    return {c["siren"]: c["code"] for c in json.loads((shared_data / "cog" / "communes.json").read_text())
            if c.get("siren") and c["type"] == "commune-actuelle"}


@pytest.fixture(scope="module")
def imported(shared_data):
    run = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", run=run)
    result = CRTE.run(CRTE_CSV, run=run)
    return result, {(t.subject.value, t.predicate.value, t.object.value) for t in result.triples}


def _objects(triples, predicate) -> set[tuple[str, str]]:
    return {(s, o) for s, p, o in triples if p == predicate.value}


def _target(row, communes, siren=None, nature=None):
    siren, nature = siren or row["siren_groupement"], nature or row["nature_juridique"]
    if nature in EPCI_TYPES:
        return epci_iri(siren)
    if nature == "COM":
        return commune_iri(communes[siren])
    return grouping_iri(siren)


def _contract(row) -> str:
    return convention_iri(crte_slug(row["id_crte"]))


def test_every_row_of_the_official_file_is_accounted_for(table, imported):
    """An inter-departmental CRTE repeated per département is no duplicate: all 1,306 rows land."""
    result, _ = imported
    assert result.error is None and not result.rejects and not result.warnings
    assert result.rows_read == len(table) == result.rows_accepted


def test_contracts_titles_flags_and_departements(table, imported):
    _, triples = imported
    contracts = {s for s, p, o in triples if p == OXC.type.value and o == OX.CRTEContract.value}
    assert contracts == {_contract(r) for r in table}
    assert {s for s, p, o in triples if p == OXC.type.value and o == OX.Convention.value} >= contracts
    labels = {(s, o) for s, p, o in triples if p == "http://www.w3.org/2000/01/rdf-schema#label" and s in contracts}
    assert labels == {(_contract(r), (r["lib_crte"] if r["lib_crte"].upper().startswith("CRTE") else f"CRTE — {r['lib_crte']}")) for r in table}
    assert _objects(triples, OX.underProgramme) == {(c, programme_iri("crte")) for c in contracts}
    for column, prop in (("crte_interdep", OX.interDepartemental), ("crte_interreg", OX.interRegional)):
        expected = {(_contract(r), "true" if r[column] == "1" else "false") for r in table}
        assert _objects(triples, prop) == expected
    assert _objects(triples, OX.listedForDepartement) == {(_contract(r), departement_iri(r["dep_chef_file"]))
                                                          for r in table}
    interdep = {_contract(r) for r in table if r["crte_interdep"] == "1"}
    several = {c for c in contracts if sum(1 for s, d in _objects(triples, OX.listedForDepartement) if s == c) > 1}
    assert several and several <= interdep


def test_groupings_per_nature(table, imported, communes):
    _, triples = imported
    expected = {(_contract(r), _target(r, communes)) for r in table}
    assert _objects(triples, OX.hasGrouping) == expected
    territories = {(c, t) for c, t in expected if "/grouping/" not in t}
    assert _objects(triples, OX.concerns) == territories
    types = {(s, o) for s, p, o in triples if p == OXC.type.value}
    for r in table:
        target, nature = _target(r, communes), r["nature_juridique"]
        if nature in EPCI_TYPES:  # an EPCI and its subclass; the Métropole de Lyon (MET69) is no EPCI
            assert {c for s, c in types if s == target} == {c.value for c in epci_classes(nature)}
        elif nature == "COM":
            assert (target, OX.Commune.value) in types
        else:
            assert nature in GROUPING_NATURES and (target, OX.Grouping.value) in types
            assert (target, OX.legalNature.value, nature) in triples
        assert (target, OX.siren.value, r["siren_groupement"]) in triples
    # EPCI and communes take part in the programme, joined through their contract
    for c, t in territories:
        kind, code = ("epci", t.rsplit("/", 1)[-1]) if "/epci/" in t else ("commune", t.rsplit("/", 1)[-1])
        part = ids.participation(f"{kind}-{code}-crte")
        assert (part, OX.participant.value, t) in triples and (part, OX.joinedThrough.value, c) in triples
        assert (part, OX.listedIn.value, ids.source("anct-crte")) in triples


def test_supra_groupings(table, imported, communes):
    """The supra-grouping cells (several joined by " ; ") other than the contract's own groupings."""
    _, triples = imported
    own = {(_contract(r), r["siren_groupement"]) for r in table}
    expected, natures = set(), {}
    for r in table:
        for siren, nature in zip(r["siren_grp_supra"].split(" ; "), r["nat_jur_grp_supra"].split(" ; ")):
            if siren and (_contract(r), siren) not in own:
                expected.add((_contract(r), _target(r, communes, siren, nature)))
                natures[siren] = nature
    assert expected and _objects(triples, OX.supraGrouping) == expected
    for siren, nature in natures.items():
        if nature not in EPCI_TYPES and nature != "COM":
            assert (grouping_iri(siren), OX.legalNature.value, nature) in triples
            assert (grouping_iri(siren), OXC.type.value, OX.Grouping.value) in triples


def test_interdepartemental_rows_are_kept_and_true_duplicates_rejected(tmp_path):
    data = rows()
    other_dep = dict(data[0], dep_chef_file="74", lib_dep="Haute-Savoie", crte_interdep="Oui")
    data[0] = dict(data[0], crte_interdep="Oui")
    data += [other_dep, dict(other_dep), dict(data[1], lib_crte="Autre titre")]
    path = tmp_path / "crte.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(data[0]))
        w.writeheader()
        w.writerows(data)
    run = importers.ImportRun()
    run.earlier.commune_by_siren = {}
    result = CRTE.run(path, run=run)
    n = len(rows())
    reasons = {r.line: (r.field, r.reason) for r in result.rejects}
    assert n + 2 not in reasons  # the same grouping, listed for another département
    assert reasons[n + 3] == ("siren_groupement", f"duplicate of line {n + 2}")
    assert reasons[n + 4][0] == "lib_crte" and "disagrees with line 3" in reasons[n + 4][1]
    deps = {t.object.value for t in result.triples if t.predicate == OX.listedForDepartement
            and t.subject.value == convention_iri(crte_slug(data[0]["id_crte"]))}
    assert deps == {departement_iri("73"), departement_iri("74")}


def test_a_crte_without_signatories_or_date_is_only_warned(shapes):
    import pyshacl
    from rdflib import Graph
    from rdflib.namespace import SH

    data = Graph().parse(SHAPES / "invalid-crte-no-signatory.ttl")
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    assert conforms
    assert set(report.objects(None, SH.resultSeverity)) == {SH.Warning}
    paths = {str(p) for p in report.objects(None, SH.resultPath)}
    assert paths == {OX.signatory.value, OX.signedOn.value}


def test_enlarged_build_has_no_crte_violation(enlarged_build, table):
    """validation.txt lists every result: none from CRTE is a violation; each contract is warned."""
    lines = (enlarged_build / "validation.txt").read_text(encoding="utf-8").splitlines()
    crte = ("crte", "/grouping/", "CRTEContractShape", "GroupingShape")
    assert not [line for line in lines if line.startswith("Violation") and any(k in line for k in crte)]
    assert not [line for line in lines if "Violation pvdsh:CRTEContractShape" in line or
                "Violation pvdsh:GroupingShape" in line]
    warned = {line.split()[1] for line in lines
              if line.startswith("Warning") and line.endswith("[pvdsh:CRTEContractShape]") and " pvd:signatory:" in line}
    assert warned == {"id:convention/" + crte_slug(r["id_crte"]) for r in table}
