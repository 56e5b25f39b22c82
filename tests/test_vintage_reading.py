"""Each list read in the code of its vintage (issue 15): the 2021 PVD list in the COG 2021.

Every expectation is computed here from the list and the COG files (csv and json modules): the
list's rows, each code's commune, name and EPCI in the code of 2021 and of 2026.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import assert_former_commune_carried_on, SHARED_MORE_DATA
from test_history import _union, graph  # noqa: F401 (the national graph fixture and its query helper)
from pvd_graph import importers
from pvd_graph.importers import insee_history
from pvd_graph.namespaces import OX, PREFIXES, RDFS, ids

LIST_2021 = "anct_pvd_communes_2021.csv"
COG_2021 = SHARED_MORE_DATA / "cog-2021"
LABEL, MEMBER_OF = str(RDFS.label), OX.memberOf.value


def _list_rows(shared_data: Path) -> list[dict]:
    with (shared_data / LIST_2021).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _communes(folder: Path) -> dict[str, str]:
    """INSEE code → name of the current communes of one vintage's ``communes.json``."""
    data = json.loads((folder / "communes.json").read_text(encoding="utf-8"))
    return {c["code"]: _name(c["nom"]) for c in data if c["type"] == "commune-actuelle"}


def _epci(folder: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(SIREN → name, INSEE code → SIRENs of its EPCI) of one vintage's ``epci.json``."""
    data = json.loads((folder / "epci.json").read_text(encoding="utf-8"))
    of: dict[str, set[str]] = {}
    for e in data:
        for m in e["membres"]:
            of.setdefault(m["code"], set()).add(e["code"])
    return {e["code"]: _name(e["nom"]) for e in data}, of


def _name(text: str) -> str:
    """A name as the importers read it (runs of white space as one space: « CA ECLA  (…) » in the COG)."""
    return " ".join(text.split())


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- the national build (both folders) -------------------------------------------------------------------
def test_every_2021_row_of_a_2021_commune_is_a_participation(graph, enlarged_build, shared_data):
    """Each row whose code is a commune of the COG 2021 is a PVD participation that the 2021 list names, one per
    row; a row whose code is not (the list's placeholder row) is in rejects.csv, nowhere else."""
    communes_2021 = _communes(COG_2021)
    rows = _list_rows(shared_data)
    kept = [r["insee_com"] for r in rows if r["insee_com"] in communes_2021]
    listed = {code for (code,) in _union(graph, f"""
        SELECT ?code WHERE {{ ?p a pvd:Participation ; pvd:inProgramme <{ids.programme('pvd')}> ;
                              pvd:listedIn <{ids.source('anct-pvd')}> ; pvd:participant ?c .
                              BIND(STRAFTER(STR(?c), "{ids.commune('')}") AS ?code) }}""")}
    assert len(listed) == len(kept) == len(set(kept))
    assert listed == set(kept)
    refused = {r["value"] for r in _csv(enlarged_build / "rejects.csv") if r["source"] == "anct-pvd"
               and r["field"] == "insee_com"}
    assert refused == {r["insee_com"] for r in rows} - communes_2021.keys()


def test_2021_epci_is_the_cog_2021_one_or_a_conflict_line(enlarged_build, shared_data):
    """The list's EPCI of each town equals its EPCI in the COG 2021, or a conflicts.csv line names both sources
    (COG 2021 kept, the list dropped); a change between 2021 and 2026 (CC Centre Morbihan Communauté, merged
    since) is neither a conflict nor a dropped value."""
    _, of_2021 = _epci(COG_2021)
    _, of_2026 = _epci(shared_data / "cog")
    conflicts = _csv(enlarged_build / "conflicts.csv")
    memberships = {(c["subject"], c["dropped"]): c for c in conflicts
                   if c["property"] == MEMBER_OF and c["dropped_source"] == "anct-pvd"}
    communes_2021 = _communes(COG_2021)
    rows = [r for r in _list_rows(shared_data) if r["insee_com"] in communes_2021]
    changed = []
    for r in rows:
        code, siren = r["insee_com"], r["siren_epci"]
        key = (ids.commune(code), ids.epci(siren))
        if siren in of_2021.get(code, ()):
            assert key not in memberships, r
            if siren not in of_2026.get(code, ()):
                changed.append(r)
        else:
            assert memberships[key]["kept_source"] == "cog-2021-epci", r
    assert len(memberships) == sum(r["siren_epci"] not in of_2021.get(r["insee_com"], ()) for r in rows)
    assert changed, "the files hold EPCI changed since 2021: the test would not see the vintage"
    rejects = _csv(enlarged_build / "rejects.csv")
    for r in changed:
        assert not [x for x in rejects if x["source"] == "anct-pvd" and x["value"] == r["siren_epci"]], r
        assert not [c for c in conflicts if c["subject"] == ids.commune(r["insee_com"]) and c["property"] == MEMBER_OF]


def test_2021_names_are_compared_with_the_cog_2021(enlarged_build, shared_data):
    """A conflicts.csv line of the list's names is exactly a name (commune or EPCI) that differs from the COG
    2021's, with the COG 2021's kept; a town renamed since 2021 (its 2021 name is the list's) is no conflict."""
    communes_2021, communes_2026 = _communes(COG_2021), _communes(shared_data / "cog")
    epci_2021, _ = _epci(COG_2021)
    rows = [r for r in _list_rows(shared_data) if r["insee_com"] in communes_2021]
    expected = {(ids.commune(r["insee_com"]), communes_2021[r["insee_com"]], "cog-2021-communes", _name(r["lib_com"]))
                for r in rows if communes_2021[r["insee_com"]] != _name(r["lib_com"])}
    expected |= {(ids.epci(r["siren_epci"]), epci_2021[r["siren_epci"]], "cog-2021-epci", _name(r["lib_epci"]))
                 for r in rows if r["siren_epci"] in epci_2021 and epci_2021[r["siren_epci"]] != _name(r["lib_epci"])}
    found = {(c["subject"], c["kept"], c["kept_source"], c["dropped"]) for c in _csv(enlarged_build / "conflicts.csv")
             if c["property"] == LABEL and c["dropped_source"] == "anct-pvd"}
    assert found == expected
    renamed = [r for r in rows if communes_2021[r["insee_com"]] == r["lib_com"] != communes_2026[r["insee_com"]]]
    assert renamed, "the files hold towns renamed since 2021: the test would not see the vintage"


def test_the_build_says_which_code_the_list_is_read_in(tmp_path, shared_data):
    """Without the COG 2021 in the import, the list is read in the current code, and its result says so (the
    build prints it); with it, in the code of 2021."""
    alone = tmp_path / "alone"
    (alone / "cog").mkdir(parents=True)
    for name in ("communes.json", "epci.json"):
        (alone / "cog" / name).symlink_to(shared_data / "cog" / name)
    (alone / LIST_2021).symlink_to(shared_data / LIST_2021)
    results, _ = importers.import_directory(alone)
    (pvd,) = [r for r in results if r.source.id == "anct-pvd"]
    assert [n for n in pvd.notes if "current geographic code (2026)" in n and "code of 2021" in n], pvd.notes
    (tmp_path / "older" / "cog-2021").mkdir(parents=True)
    for name in ("communes.json", "epci.json"):
        (tmp_path / "older" / "cog-2021" / name).symlink_to(COG_2021 / name)
    results, _ = importers.import_directory([alone, tmp_path / "older"])
    (pvd,) = [r for r in results if r.source.id == "anct-pvd"]
    assert pvd.notes == ["read in the geographic code of 2021, the code of this list's vintage"]


# --- a list row of a commune of 2021 merged since (the national list has none: a row of the real files) ----

def _gone_since_2021(shared_data: Path) -> tuple[str, str]:
    """(code, successor) of a commune of the COG 2021 that INSEE's merger table merges into another commune,
    current in 2026, with no later change of either code: the first such row of the table."""
    communes_2021, communes_2026 = _communes(COG_2021), _communes(shared_data / "cog")
    rows = [(r["ANNEE_MODIF"], r["COM_INI"].zfill(5), r["COM_FIN"].zfill(5))
            for r in _csv(SHARED_MORE_DATA / "insee_fusions_communes_zlv.csv")]
    changed = {}
    for year, ini, _ in rows:
        changed.setdefault(ini, []).append(year)
    for year, ini, fin in rows:
        if ini != fin and ini in communes_2021 and ini not in communes_2026 and fin in communes_2026 \
                and changed[ini] == [year] and all(y <= year for y in changed.get(fin, [])):
            return ini, fin
    raise AssertionError("no commune of 2021 merged since in the table")


def test_a_2021_commune_merged_since_is_the_former_commune_carried_on(tmp_path, shared_data):
    """A 2021 list row of a commune merged since is not rejected nor re-pointed: its participation is that of
    ``commune/{code}``, the former commune (never typed current), which ``pvd:carriedOnBy`` the commune INSEE's
    table merges it into; a row whose EPCI is not its COG 2021 EPCI is a conflicts.csv line."""
    from pvd_graph.build import build_graph

    code, successor = _gone_since_2021(shared_data)
    names, of_2021 = _epci(COG_2021)
    (siren,) = of_2021[code]
    other = sorted(set(names) - {siren})[0]
    header = _list_rows(shared_data)[0].keys()
    folder = tmp_path / "sources"
    for sub, files in (("cog", shared_data / "cog"), ("cog-2021", COG_2021)):
        (folder / sub).mkdir(parents=True)
        for name in ("communes.json", "epci.json"):
            (folder / sub / name).symlink_to(files / name)
    for table in ("insee_fusions_communes_zlv.csv", "insee_scissions_communes_zlv.csv"):
        (folder / table).symlink_to(SHARED_MORE_DATA / table)
    ugine = next(r for r in _list_rows(shared_data) if r["insee_com"] == "73303")
    row = dict.fromkeys(header, "") | {"insee_com": code, "lib_com": _communes(COG_2021)[code],
                                       "insee_dep": code[:2], "siren_epci": siren, "lib_epci": names[siren]}
    with (folder / "pvd_test.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(header))
        writer.writeheader()
        writer.writerows([row, ugine | {"siren_epci": other, "lib_epci": names[other]}])
    result = build_graph(folder, run_validation=False)
    (pvd,) = [r for r in result.imports if r.source.id == "anct-pvd"]
    assert pvd.rows_accepted == 2, pvd.rejects
    assert_former_commune_carried_on(result.dataset, code, "pvd", successor)
    lines = {(x.subject, x.property, x.kept, x.kept_source, x.dropped, x.dropped_source) for x in result.conflicts}
    assert (ids.commune("73303"), MEMBER_OF, " ".join(ids.epci(s) for s in sorted(of_2021["73303"])),
            "cog-2021-epci", ids.epci(other), "anct-pvd") in lines


# --- the 2024 lists and the CRTE list in the code of 2023 ------------------------------------------------

COG_2023 = SHARED_MORE_DATA / "cog-2023"
FEBRUARY = SHARED_MORE_DATA / "superposeur-anct_pvd_geom_2024-02_flat.geojson"
CRTE = SHARED_MORE_DATA / "crte_groupements_datagouv_2022-12.csv"


def test_february_2024_epci_is_compared_with_the_cog_2023(enlarged_build):
    """The February 2024 list's EPCI of each town equals its EPCI in the COG 2023, or a conflicts.csv line names
    the COG 2023 and the list; no EPCI of the list is reported against the COG 2026."""
    _, of_2023 = _epci(COG_2023)
    features = json.loads(FEBRUARY.read_text(encoding="utf-8"))["features"]
    expected = {(ids.commune(p["insee_com"]), ids.epci(p["siren_epci"])) for p in (f["properties"] for f in features)
                if p.get("siren_epci") and p["siren_epci"] not in of_2023.get(p["insee_com"], ())}
    found = {(c["subject"], c["dropped"]) for c in _csv(enlarged_build / "conflicts.csv")
             if c["dropped_source"] == "anct-pvd-2024-02" and c["property"] == MEMBER_OF}
    assert found == expected
    assert {c["kept_source"] for c in _csv(enlarged_build / "conflicts.csv")
            if c["dropped_source"] == "anct-pvd-2024-02" and c["property"] == MEMBER_OF} <= {"cog-2023-epci"}
    rejects = [r for r in _csv(enlarged_build / "rejects.csv") if r["source"] == "anct-pvd-2024-02"
               and r["field"] == "siren_epci"]
    assert not [r for r in rejects if "2026" in r["reason"]]


def test_crte_names_are_compared_with_the_cog_2023(enlarged_build):
    """Each EPCI or commune name of the CRTE list (2022) that differs from its name in the COG 2023 is a
    conflicts.csv line keeping the COG 2023's; a name that the COG 2023 gives as the list does but that changed
    by 2026 is no conflict."""
    epci_2023, _ = _epci(COG_2023)
    names_2026, _ = _epci(SHARED_MORE_DATA.parent / "data" / "cog")
    rows = _csv_bom(CRTE)
    epci_rows = {(r["siren_groupement"], _name(r["lib_groupement"])) for r in rows if r["siren_groupement"] in epci_2023}
    expected = {(ids.epci(s), epci_2023[s], n) for s, n in epci_rows if epci_2023[s] != n}
    found = {(c["subject"], c["kept"], c["dropped"]) for c in _csv(enlarged_build / "conflicts.csv")
             if c["dropped_source"] == "anct-crte" and c["property"] == LABEL and "/epci/" in c["subject"]}
    assert found == expected
    assert {c["kept_source"] for c in _csv(enlarged_build / "conflicts.csv")
            if c["dropped_source"] == "anct-crte" and c["property"] == LABEL} <= {"cog-2023-epci", "cog-2023-communes"}
    changed = [s for s, n in epci_rows if epci_2023[s] == n != names_2026.get(s)]
    assert changed, "the files hold EPCI renamed between 2023 and 2026: the test would not see the vintage"


def _csv_bom(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# --- the ORT rows of communes merged since (read in the code of 2023) --------------------------------------

ORT_TABLE = SHARED_MORE_DATA / "ort_suivi_conventions_zlv_2024-10.csv"


def test_ort_rows_of_communes_merged_since_are_participations_of_the_former_commune(graph, enlarged_build,
                                                                                     shared_data):
    """Each ORT row whose code is a commune of the COG 2023 but not of the COG 2026 is no longer rejected (those
    merged after INSEE's tables neither, since session 8): its participation is that of the former commune (never typed current), carried on by the commune whose COG 2026
    ``anciensCodes`` list it, and a signed row joins the convention of its EPCI (of 2023) and date, which its
    successor's row also joins when the table gives it the same date."""
    communes_2023, communes_2026 = _communes(COG_2023), _communes(shared_data / "cog")
    cog_2026 = json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
    successor = {old: c["code"] for c in cog_2026 if c["type"] == "commune-actuelle" for old in c.get("anciensCodes", ())}
    rows = _csv(ORT_TABLE)
    dated = {r["COM_INI"].zfill(5) for r in _csv(SHARED_MORE_DATA / "insee_fusions_communes_zlv.csv")}
    dated |= {row[1] for row in insee_history.LATER_MERGERS[0]}  # the sourced merger of 2025 (Hesdin-la-Forêt)
    gone = [r for r in rows if r["Code commune"] not in communes_2026 and r["Code commune"] in communes_2023]
    merged = [r for r in gone if r["Code commune"] in dated]
    assert merged, "the table holds communes merged since: the test would not see the vintage"
    assert len(gone) > len(merged)  # and communes merged after INSEE's tables (2025 or 2026), bounded end
    date_of = {r["Code commune"]: r["Si signée, date de signature"] for r in rows if r["Signée ?"] == "Signée"}
    for r in gone:
        code = r["Code commune"]
        c = ids.commune(code)
        found = _union(graph, f"""
            SELECT ?now ?conv ?signed WHERE {{
              <{ids.participation(f"commune-{code}-ort")}> pvd:participant <{c}> ; pvd:listedIn <{ids.source('anct-ort')}> .
              <{c}> a pvd:FormerCommune ; pvd:carriedOnBy ?now .
              OPTIONAL {{ <{ids.participation(f"commune-{code}-ort")}> pvd:joinedThrough ?conv . ?conv pvd:signedOn ?signed }}
              FILTER NOT EXISTS {{ <{c}> a pvd:Commune }} }}""")
        assert [f[0] for f in found] == [ids.commune(successor[code])], (code, found)
        if r["Signée ?"] == "Signée" and r["Si signée, date de signature"]:
            (_, conv, signed), = found
            assert signed == r["Si signée, date de signature"]
            if date_of.get(successor[code]) == signed:
                joined = _union(graph, f"""SELECT ?conv WHERE {{
                    <{ids.participation(f"commune-{successor[code]}-ort")}> pvd:joinedThrough ?conv }}""")
                assert joined == [(conv,)], (code, joined)
    refused = {x["value"]: x["reason"] for x in _csv(enlarged_build / "rejects.csv")
               if x["source"] == "anct-ort" and x["outcome"] == "row rejected"}
    assert not refused.keys() & {r["Code commune"] for r in gone}
    # a merger after INSEE's tables that no source dates: no end date, its bounds (tests/test_undated_mergers.py)
    for r in gone:
        bounded = bool(graph.query("".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items()) + f"""ASK {{ <{ids.commune(r["Code commune"])}> pvd:validUntilNotBefore [] ;
                                           pvd:validUntilNotAfter [] FILTER NOT EXISTS {{
                                           <{ids.commune(r["Code commune"])}> pvd:validUntil [] }} }}""",
                                   use_default_graph_as_union=True))
        assert bounded == (r["Code commune"] not in dated), r


@pytest.fixture(scope="module")
def read_in_2023(tmp_path_factory, shared_data) -> dict[str, importers.ImportResult]:
    """The February 2024 list (one town's EPCI changed to another EPCI of the COG 2023) and the CRTE list,
    imported with the COG 2026 and the COG 2023 (read as history)."""
    folder = tmp_path_factory.mktemp("read-in-2023")
    for sub, files in (("cog", shared_data / "cog"), ("older/cog-2023", COG_2023)):
        (folder / sub).mkdir(parents=True)
        for name in ("communes.json", "epci.json"):
            (folder / sub / name).symlink_to(files / name)
    data = json.loads(FEBRUARY.read_text(encoding="utf-8"))
    names, _ = _epci(COG_2023)
    props = data["features"][0]["properties"]
    props["siren_epci"] = sorted(set(names) - {props["siren_epci"]})[0]
    (folder / FEBRUARY.name).write_text(json.dumps(data), encoding="utf-8")
    (folder / CRTE.name).symlink_to(CRTE)
    results, _ = importers.import_directory(folder)
    return {r.source.id: r for r in results}


def test_february_2024_list_and_crte_are_read_in_the_code_of_2023(read_in_2023):
    """Both say they are read in the code of 2023 (the CRTE, of 2022, in the nearest code held); a February EPCI
    that is not the town's COG 2023 EPCI is a conflicts line (COG 2023 kept); each CRTE name of an EPCI that
    differs from its COG 2023 name is one, and no other."""
    february, crte = read_in_2023["anct-pvd-2024-02"], read_in_2023["anct-crte"]
    assert february.notes == ["read in the geographic code of 2023, the code of this list's vintage"]
    assert len(crte.notes) == 1 and crte.notes[0].startswith("read in the geographic code of 2023, the nearest held "
                                                              "to this list's 2022")
    _, of_2023 = _epci(COG_2023)
    features = json.loads(FEBRUARY.read_text(encoding="utf-8"))["features"]
    first = features[0]["properties"]
    changed = sorted(set(_epci(COG_2023)[0]) - {first["siren_epci"]})[0]
    expected = {(ids.commune(p["insee_com"]), ids.epci(p["siren_epci"])) for p in (f["properties"] for f in features[1:])
                if p.get("siren_epci") and p["siren_epci"] not in of_2023.get(p["insee_com"], ())}
    expected.add((ids.commune(first["insee_com"]), ids.epci(changed)))
    lines = [c for c in february.conflicts if c[1] == MEMBER_OF]
    assert {(c[0], c[4]) for c in lines} == expected
    assert {c[3] for c in lines} == {"cog-2023-epci"}
    epci_2023, _ = _epci(COG_2023)
    rows = {(r["siren_groupement"], _name(r["lib_groupement"])) for r in _csv_bom(CRTE) if r["siren_groupement"] in epci_2023}
    want = {(ids.epci(s), LABEL, epci_2023[s], "cog-2023-epci", n, "anct-crte") for s, n in rows if epci_2023[s] != n}
    assert {c for c in crte.conflicts if "/epci/" in c[0]} == want


# --- EPCI names through time ------------------------------------------------------------------------------

def test_renamed_epci_keep_their_former_names_with_their_period(graph, shared_data):
    """A current EPCI whose name in the COG 2021 or 2023 differs from its 2026 name keeps it as skos:altLabel and
    as a dated pvd:FormerName (from the first vintage that gives it to the first that no longer does, the
    vintages being consecutive runs), computed from the three epci.json; its rdfs:label stays the 2026 name."""
    folders = {"2021": COG_2021, "2023": COG_2023, "2026": shared_data / "cog"}
    years = sorted(folders)
    by_year = {y: _epci(f)[0] for y, f in folders.items()}
    expected = set()
    for siren, now in by_year["2026"].items():
        runs: list[tuple[str, list[str]]] = []
        for year in years:
            name = by_year[year].get(siren)
            if name is None:
                continue
            if runs and runs[-1][0] == name and runs[-1][1][-1] == years[years.index(year) - 1]:
                runs[-1][1].append(year)
            else:
                runs.append((name, [year]))
        for name, run in runs[:-1]:  # the last run is the 2026 name, the rdfs:label
            expected.add((ids.epci(siren), name, f"{run[0]}-01-01", f"{years[years.index(run[-1]) + 1]}-01-01"))
    assert expected, "the files hold EPCI renamed since 2021: the test would not see the vintage"
    epci = f'FILTER(STRSTARTS(STR(?e), "{ids.epci("")}"))'  # the EPCI and the Métropole de Lyon (listed with them)
    rows = _union(graph, """SELECT DISTINCT ?e ?l (STR(?f) AS ?from) (STR(?u) AS ?until) WHERE {
        ?n a pvd:FormerName ; pvd:nameOf ?e ; rdfs:label ?l ; pvd:validFrom ?f ; pvd:validUntil ?u . %s }""" % epci)
    assert len(rows) == len(expected) and set(rows) == expected
    alt = set(_union(graph, "SELECT ?e ?a WHERE { ?n a pvd:FormerName ; pvd:nameOf ?e . ?e skos:altLabel ?a %s }" % epci))
    assert {(e, n) for e, n, _, _ in expected} <= alt
    labels = dict(_union(graph, "SELECT ?e ?l WHERE { ?e pvd:siren ?s ; rdfs:label ?l %s }" % epci))
    assert all(labels[ids.epci(s)] == n for s, n in by_year["2026"].items())
