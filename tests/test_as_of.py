"""The graph as of a date (issue 15): the ``date`` parameter of ``towns-in-programme``.

Expected answers are read here from the files: the 2021 PVD list (CSV), the two 2024 PVD lists
(GeoJSON, through ``tests.test_importers_pvd.read_files``), the geographic code of 2021
(``../shared/more-data/cog-2021``) and of 2026 (``../shared/data/cog``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from pvd_graph import query
from pvd_graph.cli import main
from tests.conftest import SHARED_DATA, SHARED_MORE_DATA

PVD_2021 = SHARED_DATA / "anct_pvd_communes_2021.csv"
#: The first day of the newest geographic code read: ../shared/data/cog is the code of 2026
#: (../shared/data/README.md: package 6.0.0, millésime 2026), and the code of year N is the one in force
#: on 1 January N (ontology/README.md, "Dating rule"). From this day the EPCI are those of its epci.json.
#: A fixed date, not ``datetime.date.today()``: the expected answers are read from the 2026 files, which
#: hold from this day until a newer code is read, whatever the clock says (a clock before 2026 would
#: expect the 2026 EPCI where the graph rightly gives the 2023 ones; with a 2027 code among the sources
#: "today" would be the 2027 state). The first day is also the edge of the half-open periods: a
#: membership that ended with the 2026 code is out, one that began with it is in.
CURRENT_CODE_FROM = "2026-01-01"


def _epci_of(folder) -> dict[str, str]:
    out = {}
    for e in json.loads((folder / "epci.json").read_text(encoding="utf-8")):
        for m in e["membres"]:
            out.setdefault(m["code"], e["code"])
    return out


@pytest.fixture(scope="module")
def graph(enlarged_build):
    return query.open_graph(enlarged_build)


@pytest.fixture(scope="module")
def files():
    from tests.test_importers_pvd import read_files

    communes_2021 = {c["code"] for c in json.loads((SHARED_MORE_DATA / "cog-2021/communes.json").read_text(encoding="utf-8"))
                     if c["type"] == "commune-actuelle"}
    with PVD_2021.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["insee_com"] in communes_2021]  # the list read in COG 2021
    return {**read_files(), "list_2021": {r["insee_com"]: r for r in rows},
            "epci_2021": _epci_of(SHARED_MORE_DATA / "cog-2021"), "epci_2026": _epci_of(SHARED_DATA / "cog")}


def towns(ds, date: str | None, **params) -> dict[str, dict]:
    columns, rows = query.run_query(ds, "towns-in-programme", {"programme": "pvd", **params,
                                                               **({"date": date} if date else {})})
    out = {}
    for row in rows:
        r = dict(zip(columns, (query.plain(v) for v in row)))
        assert r["insee"] not in out, f"{r['insee']} twice at {date}"
        out[r["insee"]] = r
    return out


@pytest.fixture(scope="module")
def at_2021(graph):
    return towns(graph, "2021-02-01")


def test_pvd_towns_as_of_february_2021_are_the_2021_list(at_2021, files):
    """The towns at 2021-02-01 are the rows of the 2021 list read in the code of 2021 (its sample row
    999999 is no commune), with the list's own population (its dated figure of 2021-01-01)."""
    listed = files["list_2021"]
    assert len(listed) > 1500
    assert set(at_2021) == set(listed)
    assert {c: r["population"] for c, r in at_2021.items()} == {c: int(r["pop"]) for c, r in listed.items()}
    assert {r["listed"] for r in at_2021.values()} == {"2021-01"}
    # a convention signed after the date is not yet joined
    assert all(r["joined"] is None or r["joined"] <= "2021-02-01" for r in at_2021.values())


def test_hesdin_as_of_2021_is_hesdin(at_2021, graph):
    """62447 was Hesdin in 2021 (its former name, valid then), Hesdin-la-Forêt today."""
    assert at_2021["62447"]["name"] == "Hesdin"
    assert towns(graph, None)["62447"]["name"] == "Hesdin-la-Forêt"


def test_towns_first_listed_in_2024_appear_only_from_their_list(graph, at_2021, files):
    """The towns of the 2024 lists that the 2021 list does not name (58) are absent at 2021-02-01 and
    present from the first day of the first 2024 list that names them, or earlier from the signature
    of their convention d'adhésion (a town of the August list that signed before February 2024 had
    joined then, though the February list does not name it)."""
    february, august = set(files["2024-02"]), set(files["2024-08"])
    new = (february | august) - set(files["list_2021"])
    assert len(new) == 58 and not new & set(at_2021)  # 58: the figure, from the files
    signed = {c: d for c, d in {**files["2024-02"], **files["2024-08"]}.items() if d}
    at_february, at_august = towns(graph, "2024-02-01"), towns(graph, "2024-08-01")
    assert new & set(at_february) == (new & february) | {c for c in new - february if signed.get(c, "9") <= "2024-02-01"}
    assert new <= set(at_august)
    assert {at_august[c]["listed"] for c in new - february} == {"2024-08"}
    assert {at_february[c]["listed"] for c in new & february} == {"2024-02"}


def test_a_town_in_by_its_convention_before_any_list_has_no_listed_yet(graph, files):
    """At 2024-01-31, before the first 2024 list, the towns new in 2024 that had signed their convention
    d'adhésion are in PVD through it: `joined` is that signature and `listed` empty (no list named them
    yet; it showed the later list's vintage)."""
    new = (set(files["2024-02"]) | set(files["2024-08"])) - set(files["list_2021"])
    signed = {c: d for c, d in {**files["2024-02"], **files["2024-08"]}.items() if d}
    before = {c for c in new if signed.get(c, "9") <= "2024-01-31"}
    at_january = towns(graph, "2024-01-31")
    assert before and new & set(at_january) == before
    for code in before:
        assert at_january[code]["listed"] in ("", None) and at_january[code]["joined"] == signed[code], at_january[code]


def test_epci_as_of_2021_and_today(graph, at_2021, files):
    """For the 2021 towns whose EPCI changed between the code of 2021 and that of 2026, the EPCI at
    2021-02-01 is the 2021 one (epci.json of 2021) and today the 2026 one."""
    changed = {c for c in files["list_2021"] if files["epci_2021"].get(c) != files["epci_2026"].get(c)}
    assert changed
    assert {c: at_2021[c]["epci"] for c in changed} == {c: files["epci_2021"].get(c) for c in changed}
    today = towns(graph, CURRENT_CODE_FROM)
    assert {c: today[c]["epci"] for c in changed} == {c: files["epci_2026"].get(c) for c in changed}
    # and every 2021 town's EPCI at 2021 is the code of 2021's
    assert {c: r["epci"] for c, r in at_2021.items()} == {c: files["epci_2021"].get(c) for c in at_2021}


def test_a_bad_date_is_one_line_exit_2(enlarged_build, capsys):
    assert main(["query", "towns-in-programme", "-p", "programme=pvd", "-p", "date=2021-13-01",
                 "--graph", str(enlarged_build)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "parameter date='2021-13-01'" in err, err


def test_network_before_any_convention_has_no_convention(enlarged_build, graph, tmp_path, capsys):
    """``viz --as-of`` / ``network-stats --as-of`` a day before the earliest signature in the graph: no
    convention node, no co-signature tie; the same network on the day of the latest signature has conventions."""
    import networkx as nx

    _, rows = query.run_query(graph, "PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>\n"
                                     "SELECT (MIN(?d) AS ?first) (MAX(?d) AS ?last) WHERE { ?c pvd:signedOn ?d }")
    first, last = (query.plain(v) for v in rows[0])
    before = (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat()
    for day, expect_conventions in ((before, False), (last, True)):
        out = tmp_path / f"net-{day}.graphml"
        assert main(["viz", "--graph", str(enlarged_build), "--programme", "pvd", "--as-of", day,
                     "--out", str(out), "--quiet"]) == 0
        drawn = nx.read_graphml(out)
        assert any(t == "convention" for _, t in drawn.nodes(data="type")) is expect_conventions
    assert main(["network-stats", "--graph", str(enlarged_build), "--programme", "pvd", "--as-of", before,
                 "--format", "json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"]
    from pvd_graph.network import build_network  # network-stats' selection: no co-signature tie

    folded = build_network(graph, programme="pvd", include_conventions=False, as_of=before)
    assert folded.number_of_nodes() and not [k for *_, k in folded.edges(keys=True) if k == "cosigned"]
    assert [k for *_, k in build_network(graph, programme="pvd", include_conventions=False).edges(keys=True)
            if k == "cosigned"]


@pytest.mark.parametrize("command", ["viz", "network-stats"])
def test_a_bad_as_of_is_one_line_exit_2(enlarged_build, tmp_path, capsys, command):
    extra = ["--out", str(tmp_path / "x.graphml")] if command == "viz" else []
    assert main([command, "--graph", str(enlarged_build), "--as-of", "2021-02-30", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--as-of" in err and "not a date" in err, err


def _rows(ds, name: str, insee: str, date: str | None) -> list[dict]:
    columns, rows = query.run_query(ds, name, {"insee": insee, **({"date": date} if date else {})})
    return [dict(zip(columns, (query.plain(v) for v in row))) for row in rows]


def _signed(files) -> dict[str, str]:
    """INSEE → the date of its convention d'adhésion as the 2024 lists give it (August first)."""
    return {c: d for c, d in {**files["2024-02"], **{c: d for c, d in files["2024-08"].items() if d}}.items() if d}


def test_programmes_of_a_town_first_listed_in_2024_have_no_pvd_in_2021(graph, files):
    """programmes-of-town at 2021-06-01 of the towns first listed in 2024: PVD only for those whose
    convention d'adhésion was signed by then; today PVD for all, listed = the first 2024 list naming it."""
    day = "2021-06-01"
    signed = _signed(files)
    first = sorted((set(files["2024-02"]) | set(files["2024-08"])) - set(files["list_2021"]))
    # (programmes-of-town takes seconds on the enlarged build: a few towns of each kind)
    new = [c for c in first if signed.get(c, "9") <= day][:4] + [c for c in first if signed.get(c, "9") > day][:4]
    assert len(first) == 58 and len(new) == 8
    then = {c: {r["programme"]: r for r in _rows(graph, "programmes-of-town", c, day)} for c in new}
    now = {c: {r["programme"]: r for r in _rows(graph, "programmes-of-town", c, None)} for c in new}
    assert {c for c in new if "pvd" in then[c]} == {c for c in new if signed.get(c, "9") <= day}
    assert all("pvd" in now[c] for c in new)
    assert {c: now[c]["pvd"]["listed"] for c in new} == {c: "2024-02" if c in files["2024-02"] else "2024-08"
                                                         for c in new}
    # no later list's vintage, no convention signed after the date, no status before the newest list
    for c in new:
        for r in then[c].values():
            assert r["listed"] is None or f"{r['listed']}-01-01"[:10] <= day, (c, r)
            assert r["joined"] is None or r["joined"] <= day, (c, r)
            assert r["convention_date"] is None or r["convention_date"] <= day, (c, r)
            assert r["status"] is None, (c, r)


def test_programmes_of_a_2021_town_before_its_signature(graph, files):
    """A 2021 town whose convention d'adhésion was signed after 2021-06-01 is in PVD at that date
    (listed 2021-01) without joined nor convention; on the day of its signature it has joined."""
    day = "2021-06-01"
    signed = _signed(files)
    towns_ = sorted(c for c in files["list_2021"] if signed.get(c, "") > day)[:3]
    assert towns_
    for c in towns_:
        then = {r["programme"]: r for r in _rows(graph, "programmes-of-town", c, day)}["pvd"]
        assert (then["listed"], then["joined"], then["convention"]) == ("2021-01", None, None), (c, then)
        on = {r["programme"]: r for r in _rows(graph, "programmes-of-town", c, signed[c])}["pvd"]
        assert on["joined"] == on["convention_date"] == signed[c], (c, on)
        today = {r["programme"]: r for r in _rows(graph, "programmes-of-town", c, None)}["pvd"]
        assert today["joined"] == signed[c], (c, today)


def test_partners_of_town_before_a_signature_have_not_that_conventions_signatories(graph, files):
    """partners-of-town the day before a town's convention d'adhésion (date from the 2024 lists) has no
    signatory of a convention signed after it, and not that convention; from that day it has it. The
    PVD programme's lead and partners appear at that date only for a town a list named by then."""
    signed = _signed(files)
    sample = sorted(c for c in signed if signed[c] > "2021-01-01")[:25]
    assert sample
    for c in sample:
        before = (dt.date.fromisoformat(signed[c]) - dt.timedelta(days=1)).isoformat()
        then, on = _rows(graph, "partners-of-town", c, before), _rows(graph, "partners-of-town", c, signed[c])
        new_on = {r["convention"] for r in on if r["role"] == "signataire" and r["signed"] == signed[c]}
        assert new_on, (c, on)
        assert not new_on & {r["convention"] for r in then}
        assert all(r["signed"] is not None and r["signed"] <= before for r in then if r["role"] == "signataire")
        listed_by = (c in files["list_2021"] or (c in files["2024-02"] and before >= "2024-02-01")
                     or (c in files["2024-08"] and before >= "2024-08-01"))
        assert ("pvd" in {r["programme"] for r in then if r["role"] != "signataire"}) is listed_by, (c, then)



def test_a_former_epci_answers_at_a_date_of_its_period_and_says_so_outside(graph, files):
    """``epci=`` a former EPCI (an EPCI of the 2021 code that the 2026 code no longer lists, named by the
    2021 PVD list: 200067221 CC Centre Morbihan Communauté) was refused as unknown. At 2021-02-01 its
    towns are the 2021 list's towns in it by epci.json of 2021; without a date, or at a date from the
    first code without it (2023: epci.json of 2023 does not list it), no commune is in it and one note
    says so instead of 0 silent rows."""
    epci_2023 = {e["code"] for e in json.loads((SHARED_MORE_DATA / "cog-2023/epci.json").read_text(encoding="utf-8"))}
    former = sorted({e for c, e in files["epci_2021"].items() if c in files["list_2021"]}
                    - set(files["epci_2026"].values()) - epci_2023)
    assert "200067221" in former
    siren = former[0]
    expected = {c for c in files["list_2021"] if files["epci_2021"].get(c) == siren}
    assert expected
    for date, towns_then in (("2021-02-01", expected), (None, set()), ("2023-01-01", set()), (CURRENT_CODE_FROM, set())):
        notes: list[str] = []
        _, rows = query.run_query(graph, "towns-in-programme", {"programme": "pvd", "epci": siren,
                                                                 **({"date": date} if date else {})}, notes=notes)
        assert {query.plain(r[0]) for r in rows} == towns_then, date
        said = [n for n in notes if f"epci {siren} is a former EPCI" in n]
        assert len(said) == (0 if towns_then else 1), (date, notes)


def test_crte_communes_count_from_the_list_that_names_them(graph):
    """The CRTE list (2022-12) names groupings: its 36 ``COM`` rows are communes (SIREN → INSEE by the
    COG 2026); the communes of the EPCI groupings are named only by the ngeo table (``id_crte``, in the
    COG 2023: vintage ``2023``). So the CRTE participation of a commune of a ``COM`` row is listed in both
    and counts from 2022-12-01, that of every other commune of the table from 2023-01-01 (the table gives
    no date of its own: the first day of the code it is written in). Every commune participation is
    one of the table's."""
    with (SHARED_MORE_DATA / "crte_groupements_datagouv_2022-12.csv").open(encoding="utf-8", newline="") as fh:
        com_sirens = {r["siren_groupement"] for r in csv.DictReader(fh) if r["nature_juridique"] == "COM"}
    by_siren = {c["siren"]: c["code"] for c in json.loads((SHARED_DATA / "cog/communes.json").read_text(encoding="utf-8"))
                if c.get("siren") and c["type"] == "commune-actuelle"}
    com = {by_siren[s] for s in com_sirens}
    with (SHARED_MORE_DATA / "ngeo-anct-cog2023_zlv.csv").open(encoding="utf-8", newline="") as fh:
        in_table = {r["insee_com"] for r in csv.DictReader(fh) if r["id_crte"].strip()}
    assert len(com) == 36 and com <= in_table
    _, rows = query.run_query(graph, f"""PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
        SELECT ?code ?from (GROUP_CONCAT(DISTINCT STRAFTER(STR(?list), "/source/"); separator=" ") AS ?lists) WHERE {{
          ?p pvd:inProgramme <https://w3id.org/pvd-graph/id/programme/crte> ; pvd:participant ?c ; pvd:listedIn ?list .
          ?c pvd:inseeCode ?code . OPTIONAL {{ ?p pvd:inProgrammeFrom ?from }} }} GROUP BY ?code ?from""")
    found = {query.plain(r[0]): (query.plain(r[1]), " ".join(sorted(query.plain(r[2]).split()))) for r in rows}
    assert set(found) <= in_table and len(found) > 0.99 * len(in_table)
    assert {c: found[c] for c in com} == {c: ("2022-12-01", "anct-crte anct-ngeo") for c in com}
    assert {v for c, v in found.items() if c not in com} == {("2023-01-01", "anct-ngeo")}
