"""The ANCT commune × programme table (ngeo, COG 2023): each commune's CRTE, the columns left,
and, on the enlarged national build, the communes each CRTE covers and the cross-check.

Expectations are computed here from the files: the ngeo table, the CRTE list and the COG 2026.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from pvd_graph import importers
from pvd_graph.build.swap import CONFLICTS_CSV
from pvd_graph.identifiers import commune_iri, convention_iri
from pvd_graph.importers.anct_ngeo import CHECKED, NO_CRTE
from pvd_graph.importers.crte import crte_slug
from pvd_graph.namespaces import OX, ids, named_graph_iri

MORE_DATA = Path(__file__).resolve().parents[2] / "shared" / "more-data"
NGEO_CSV = MORE_DATA / "ngeo-anct-cog2023_zlv.csv"
CRTE_CSV = MORE_DATA / "crte_groupements_datagouv_2022-12.csv"


def _read(path: Path) -> list[dict]:
    assert path.is_file(), f"missing {path} (see ../shared/more-data/README.md)"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def ngeo() -> list[dict]:
    return _read(NGEO_CSV)


@pytest.fixture(scope="module")
def cog(shared_data):
    """Current commune codes; SIREN → code of communes; (commune, EPCI SIREN) memberships."""
    communes = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    current = {c["code"] for c in communes if c["type"] == "commune-actuelle"}
    by_siren = {c["siren"]: c["code"] for c in communes if c.get("siren") and c["type"] == "commune-actuelle"}
    members = defaultdict(set)
    for e in json.loads((shared_data / "cog" / "epci.json").read_text(encoding="utf-8")):
        for m in e["membres"]:
            members[e["code"]].add(m["code"])
    return current, by_siren, members


def crte_of(row: dict) -> list[str]:
    return [v.strip() for v in row["id_crte"].split(";") if v.strip()]


@pytest.fixture(scope="module")
def imported(shared_data):
    run = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", run=run)
    return importers.import_file(NGEO_CSV, run=run)


def test_every_row_accounted_for(ngeo, cog, imported):
    current = cog[0]
    result = imported
    assert result.source.id == "anct-ngeo" and result.error is None
    empty = [r for r in ngeo if not crte_of(r)]
    stale = [(line, r["insee_com"]) for line, r in enumerate(ngeo, start=2) if crte_of(r) and r["insee_com"] not in current]
    assert stale  # COG 2023 codes merged since: reported, not moved
    assert result.skipped == {NO_CRTE: len(empty)}
    assert [(r.line, r.value) for r in result.rejects] == stale
    assert all("not a current commune" in r.reason for r in result.rejects)
    assert result.rows_accepted == len(ngeo) - len(empty) - len(stale) == result.rows_read - len(empty) - len(stale)


def test_other_programme_columns_are_reported_not_skipped_silently(ngeo, imported):
    columns = [c for c in ngeo[0] if c not in ("insee_com", "lib_com", "id_crte") and c not in CHECKED]
    expected = {c: sum(1 for r in ngeo if r[c].strip() and r[c].strip() not in ("NA", "-")) for c in columns}
    reported = {w.field: w.value for w in imported.warnings if "other-programmes issue" in w.reason}
    assert reported == {c: f"{n} values" for c, n in expected.items() if n}


def test_each_commune_concerned_by_its_crte_and_participating(ngeo, cog, imported):
    current = cog[0]
    concerns = {(t.subject.value, t.object.value) for t in imported.triples if t.predicate == OX.concerns}
    expected = {(convention_iri(crte_slug(c)), commune_iri(r["insee_com"]))
                for r in ngeo if r["insee_com"] in current for c in crte_of(r)}
    assert concerns == expected
    joined = defaultdict(set)
    for t in imported.triples:
        if t.predicate == OX.joinedThrough:
            joined[t.subject.value].add(t.object.value)
    two = [r for r in ngeo if len(crte_of(r)) == 2 and r["insee_com"] in current]
    assert sum(len(crte_of(r)) == 2 for r in ngeo) == 76  # ../shared/more-data/README.md: 76 communes in two CRTE
    assert two  # the current ones among them
    for r in two:
        part = ids.participation(f"commune-{r['insee_com']}-crte")
        assert joined[part] == {convention_iri(crte_slug(c)) for c in crte_of(r)}


def test_without_the_cog_the_table_is_refused(tmp_path):
    path = tmp_path / "ngeo-anct.csv"
    path.write_text("insee_com,lib_com,id_pvd,id_crte,id_acv\n73011,Albertville,,crte-84-73-5,\n", encoding="utf-8")
    result = importers.import_file(path)
    assert result.source.id == "anct-ngeo" and "COG communes" in result.error


# --- the enlarged national build ------------------------------------------------------------

@pytest.fixture(scope="module")
def expected_cover(ngeo, cog):
    """commune code → {CRTE slug: through} by the CRTE list's groupings, and → CRTE slugs by ngeo."""
    current, by_siren, members = cog
    by_grouping = defaultdict(dict)
    for r in _read(CRTE_CSV):
        slug = crte_slug(r["id_crte"])
        if r["nature_juridique"] == "COM":
            by_grouping[by_siren[r["siren_groupement"]]][slug] = "the commune itself"
        for code in members.get(r["siren_groupement"], ()):
            by_grouping[code][slug] = f"EPCI {r['siren_groupement']}"
    by_ngeo = {r["insee_com"]: {crte_slug(c) for c in crte_of(r)} for r in ngeo
               if r["insee_com"] in current and crte_of(r)}
    return by_grouping, by_ngeo


def test_communes_covered_through_the_groupings_are_derived(enlarged_build, expected_cover):
    from pvd_graph import store

    ds = store.open_built(enlarged_build, graphs="named")
    by_grouping, _ = expected_cover
    rows = ds.select(f"SELECT ?c ?t WHERE {{ GRAPH <{named_graph_iri('derived')}> {{ ?c <{OX.concerns.value}> ?t }} }}")
    derived = {(c.value, t.value) for c, t in rows}
    expected = {(convention_iri(slug), commune_iri(code)) for code, slugs in by_grouping.items()
                for slug, through in slugs.items() if through.startswith("EPCI")}
    assert derived == expected


def test_ngeo_and_groupings_disagreements_are_in_conflicts_csv(enlarged_build, expected_cover):
    by_grouping, by_ngeo = expected_cover
    expected = {}
    for code in set(by_grouping) | set(by_ngeo):
        ngeo, groups = by_ngeo.get(code, set()), by_grouping.get(code, {})
        if ngeo != set(groups):
            expected[commune_iri(code)] = (" ; ".join(sorted(ngeo)) or "(none)",
                                           " ; ".join(f"{s} (through {groups[s]})" for s in sorted(groups)) or "(none)")
    with open(enlarged_build / CONFLICTS_CSV, encoding="utf-8") as fh:
        found = {r["subject"]: (r["kept"], r["dropped"].removesuffix("; both kept in the graph"))
                 for r in csv.DictReader(fh)
                 if r["kept_source"] == "anct-ngeo" and r["dropped_source"] == "anct-crte"}
    assert expected and found == expected


def test_no_licence_is_claimed_for_the_ngeo_table(enlarged_build):
    """Its upstream licence is not stated: no dcterms:license (an empty one was written ``<>``)."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCTERMS

    void = Graph().parse(enlarged_build / "void.ttl")
    assert set(void.objects(URIRef(named_graph_iri("anct-ngeo")), DCTERMS.license)) == set()
    assert all(str(o).startswith("https://spdx.org/licenses/") for o in void.objects(None, DCTERMS.license))
    assert "dcterms:license <>" not in (enlarged_build / "void.ttl").read_text(encoding="utf-8")


def test_the_build_output_names_the_columns_left(tmp_path, shared_data):
    from pvd_graph.build.assemble import import_sources

    (tmp_path / "cog").mkdir()
    (tmp_path / "cog" / "communes.json").symlink_to(shared_data / "cog" / "communes.json")
    (tmp_path / "ngeo-anct.csv").write_text(
        "insee_com,lib_com,id_pvd,id_crte,id_acv,id_ti,id_cite,id_cde\n"
        "73011,Albertville,pvd-084-73-01,crte-84-73-5,acv-084-73-01,,cite-1,\n"
        "73303,Ugine,pvd-084-73-02,crte-84-73-5,,,cite-2,cde-1\n", encoding="utf-8")
    lines: list[str] = []
    results, _ = import_sources(tmp_path, lines.append)
    ngeo = next(r for r in results if r.source.id == "anct-ngeo")
    assert ngeo.rows_accepted == 2
    left = [line.strip() for line in lines if "not imported: column" in line]
    assert left == [
        "not imported: column id_cde (1 values): column not imported by this build (ids of another programme, "
        "left for the other-programmes issue)",
        "not imported: column id_cite (2 values): column not imported by this build (ids of another programme, "
        "left for the other-programmes issue)",
    ]


def test_a_crte_id_unknown_to_the_crte_list_is_a_violation(tmp_path, shared_data):
    from pvd_graph.build import build_graph

    src = tmp_path / "src"
    (src / "cog").mkdir(parents=True)
    for name in ("communes.json", "epci.json", "departements.json", "regions.json"):
        (src / "cog" / name).symlink_to(shared_data / "cog" / name)
    (src / "ngeo-anct.csv").write_text("insee_com,lib_com,id_pvd,id_crte,id_acv\n73011,Albertville,,crte-99-99-9,\n",
                                       encoding="utf-8")
    result = build_graph(src, tmp_path / "out")
    found = [r for r in result.report.results if r.shape == "check:crte-contract-unknown-violation"]
    assert [(r.focus, r.value) for r in found] == [(ids.participation("commune-73011-crte"),
                                                    convention_iri("crte-99-99-9"))]
    assert found[0].severity == "Violation"
