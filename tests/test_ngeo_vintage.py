"""The ngeo table read in the geographic code of its vintage, the COG 2023 (issue 15): expectations from the
CSV, ``cog-2023/communes.json`` and the COG 2026 (``anciensCodes``: the current commune that took each code)."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import SHARED_MORE_DATA
from pvd_graph import store
from pvd_graph.importers.anct_ngeo import CHECKED, entry_iri
from pvd_graph.importers.crte import crte_slug
from pvd_graph.namespaces import DCTERMS, OX, ids

NGEO_CSV = SHARED_MORE_DATA / "ngeo-anct-cog2023_zlv.csv"


def _cells(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip() and v.strip() not in ("NA", "-")]


@pytest.fixture(scope="module")
def files(shared_data):
    """(rows of the table, codes of the COG 2023, current codes, former code → current commune taking it)."""
    with NGEO_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    in_2023 = {c["code"] for c in json.loads((SHARED_MORE_DATA / "cog-2023" / "communes.json").read_text("utf-8"))
               if c["type"] == "commune-actuelle"}
    now = [c for c in json.loads((shared_data / "cog" / "communes.json").read_text("utf-8"))
           if c["type"] == "commune-actuelle"]
    successor = {old: c["code"] for c in now for old in c.get("anciensCodes") or ()}
    return rows, in_2023, {c["code"] for c in now}, successor


def test_every_row_resolves_in_the_cog_2023(files):
    rows, in_2023, _, _ = files
    assert {r["insee_com"] for r in rows} <= in_2023


def test_rows_of_communes_merged_since_2023_are_the_former_communes_carried_on(enlarged_build, files):
    """Each row of a COG 2023 commune that is not current is either the former commune's (its CRTE participation
    joined through its contract and listed in the table, its table entries; the former commune carried on by the
    current commune that took its code, never typed a current commune), when INSEE's tables end that commune (a
    pvd:FormerCommune of the graph with its pvd:validUntil, tested in test_history) or the COG 2023 shows it and it
    merged after the tables (its end bounded), or rejected, naming the code and why: none is lost."""
    rows, _, current, successor = files
    former = {r["insee_com"]: r for r in rows if r["insee_com"] not in current}
    assert former  # a fact of the files: 81 communes of 2023 merged since
    ds = store.open_built(enlarged_build)
    dated = {c for c in former if ds.query(f"""ASK {{ <{ids.commune(c)}> a <{OX.FormerCommune.value}> ;
                                                   <{OX.validUntil.value}> [] }}""", union=True)}
    assert dated  # INSEE's tables end some of them (mergers up to 2024)
    # the others merged after the tables (2025 or 2026): their end bounded by the vintages (tests/test_undated_mergers.py)
    bounded = {c for c in former if ds.query(f"""ASK {{ <{ids.commune(c)}> a <{OX.FormerCommune.value}> ;
                                                     <{OX.validUntilNotBefore.value}> [] }}""", union=True)}
    assert bounded and not bounded & dated
    dated |= bounded
    with open(enlarged_build / "rejects.csv", encoding="utf-8", newline="") as fh:
        said = [r for r in csv.DictReader(fh) if r["source"] == "anct-ngeo"]
    rejected = {r["value"]: r["reason"] for r in said if r["outcome"] == "row rejected"}
    assert {r["value"] for r in said if r["outcome"] == "noted"} == dated
    assert set(rejected) == set(former) - dated
    assert all("holds no former commune" in why and f"commune {successor[c]}" in why
               for c, why in rejected.items())
    got = {(p.value, c.value, src.value) for p, c, src in ds.select(f"""SELECT ?p ?c ?src WHERE {{
        ?p <{OX.inProgramme.value}> <{ids.programme("crte")}> ; <{OX.participant.value}> ?town ;
           <{OX.joinedThrough.value}> ?c ; <{OX.listedIn.value}> ?src .
        ?town a <{OX.FormerCommune.value}> }}""", union=True) if src.value == ids.source("anct-ngeo")}
    assert got == {(ids.participation(f"commune-{c}-crte"), ids.convention(crte_slug(crte)), ids.source("anct-ngeo"))
                   for c in dated for crte in _cells(former[c]["id_crte"])}
    carried = {(f.value, c.value) for f, c in ds.select(f"""SELECT ?f ?c WHERE {{
        ?f <{OX.carriedOnBy.value}> ?c }}""", union=True)}
    assert {(ids.commune(c), ids.commune(successor[c])) for c in dated} <= carried
    assert not [c for c in former if ds.query(f"ASK {{ <{ids.commune(c)}> a <{OX.Commune.value}> }}", union=True)]
    entries = {(e.value, t.value, i.value) for e, t, i in ds.select(f"""SELECT ?e ?t ?id WHERE {{
        ?e a <{OX.TableEntry.value}> ; <{OX.entryOf.value}> ?t ; <{DCTERMS.identifier}> ?id .
        ?t a <{OX.FormerCommune.value}> }}""", union=True)}
    assert entries == {(entry_iri(c, slug), ids.commune(c), value)
                       for c in dated for column, slug in CHECKED.items() for value in _cells(former[c][column])}
