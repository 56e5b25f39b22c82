"""The README's figures ("What the graph contains") against the national build of ../shared/data and
../shared/more-data, the README's national command (issues #12, #14).

Each figure is read from the README text and compared with a count made by a query on
the build (or from its ``rejects.csv`` / ``conflicts.csv``), so the README cannot drift
from what a build produces. The COG vintage is compared with the one the data folder's
own README states for the package version.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pvd_graph import resources, store
from pvd_graph.namespaces import ID, PREFIXES

from conftest import SHARED_MORE_DATA

REPO = Path(__file__).resolve().parents[1]
PVD = PREFIXES["pvd"]


def readme_section(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def figure(text: str, noun: str) -> int:
    """The number written before *noun* in *text* (``1,606 towns`` → 1606); exactly one such figure."""
    found = re.findall(r"(\d[\d,]*) " + re.escape(noun) + r"\b", text)
    assert len(found) == 1, f"expected one figure for {noun!r} in {text!r}, found {found}"
    return int(found[0].replace(",", ""))


def table_rows() -> dict[str, str]:
    """The count table's rows, keyed by the first cell ("from")."""
    rows = {}
    for line in readme_section("What the graph contains").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[0] not in ("from", "---"):
            rows[cells[0]] = cells[2]
    return rows


def row(start: str) -> str:
    (cell,) = [v for k, v in table_rows().items() if start in k]
    return cell


def count(ds, where: str) -> int:
    rows = list(store.query(ds, f"PREFIX pvd: <{PVD}> PREFIX id: <{ID}> "
                                f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}"))
    return int(rows[0][0])


@pytest.fixture(scope="module")
def union(enlarged_build):
    return store.open_built(enlarged_build)


@pytest.fixture(scope="module")
def named(enlarged_build):
    return store.open_built(enlarged_build, graphs="named")


def listed_by(named, source: str) -> int:
    """Participants that the list *source* names (its own graph's pvd:listedIn)."""
    return count(named, f"GRAPH <https://w3id.org/pvd-graph/graph/{source}> {{ ?p pvd:listedIn ?s ; pvd:participant ?x }}")


def test_territories(union, named):
    cell = row("official geographic code")
    assert figure(cell, "communes") == count(union, "?x a pvd:Commune")
    assert figure(cell, "départements") == count(union, "?x a pvd:Departement")
    assert figure(cell, "régions") == count(union, "?x a pvd:Region")
    epci = figure(cell, "EPCI")
    assert epci == count(union, "?x a pvd:EPCI")
    # the EPCI of the COG, and those known only from another source (named in the README)
    in_cog = count(named, "GRAPH <https://w3id.org/pvd-graph/graph/cog-epci> { ?x a pvd:EPCI }")
    others = [str(r[0]).removeprefix(ID) for r in store.query(named, f"""PREFIX pvd: <{PVD}>
        SELECT DISTINCT ?e WHERE {{ ?e a pvd:EPCI
          FILTER NOT EXISTS {{ GRAPH <https://w3id.org/pvd-graph/graph/cog-epci> {{ ?e a pvd:EPCI }} }} }}""")]
    assert len(others) == epci - in_cog
    if others:
        assert f"{in_cog:,} are in the COG" in cell
        assert re.search(rf"\b{epci - in_cog} only in another source", cell)
        assert all(f"`{iri}`" in cell for iri in others), others
    else:
        assert "only in another source" not in cell
    # the 2021 list's former EPCI is named as not current, and is not typed an EPCI
    assert "200067221" in cell and count(union, "BIND(id:epci\\/200067221 AS ?x) ?x a pvd:EPCI") == 0


def test_programme_towns_and_conventions(union, named, enlarged_build):
    pvd, acv, acv2 = row("Petites villes de demain"), row("*Action cœur de ville*:"), row("Action cœur de ville 2")
    assert figure(pvd, "towns") == count(union, "?x pvd:participatesIn id:programme\\/pvd")
    assert figure(pvd, "of the 2021 list") == listed_by(named, "anct-pvd")
    assert figure(pvd, "of February 2024") == listed_by(named, "anct-pvd-2024-02")
    assert figure(pvd, "of August 2024") == listed_by(named, "anct-pvd-2024-08")
    assert figure(pvd, "conventions d'adhésion") == count(union, "?x a pvd:AdhesionConvention")
    assert figure(pvd, "of several towns") == count(union, """{ SELECT ?x WHERE { ?x a pvd:AdhesionConvention ;
        pvd:concerns ?t . ?t a pvd:Commune } GROUP BY ?x HAVING (COUNT(DISTINCT ?t) > 1) }""")
    assert figure(acv, "towns") == count(union, "?x pvd:participatesIn id:programme\\/acv")
    assert figure(acv, "conventions") == count(union, "?x a pvd:Convention ; pvd:underProgramme id:programme\\/acv")
    assert figure(acv, "dated") == count(union, "?x a pvd:Convention ; pvd:underProgramme id:programme\\/acv ; pvd:signedOn ?d")
    assert figure(acv2, "towns") == count(union, "?x pvd:participatesIn id:programme\\/acv2")
    assert figure(acv2, "laureates") == len(json.loads(
        (SHARED_MORE_DATA / "superposeur-anct_acv2_geom_2024-09.geojson").read_text(encoding="utf-8"))["features"])
    with open(enlarged_build / resources.REJECTS_CSV, encoding="utf-8", newline="") as fh:
        rejected = [r for r in csv.DictReader(fh) if r["source"] == "anct-pvd" and r["outcome"] == "row rejected"]
    assert figure(pvd, "row rejected" if len(rejected) == 1 else "rows rejected") == len(rejected)
    assert all(f"`{r['value']}`" in pvd for r in rejected)


def test_crte_and_ort(union, named, enlarged_build):
    crte, ort = row("CRTE perimeters"), row("ORT tracking table")
    assert figure(crte, "contracts") == count(union, "?x a pvd:CRTEContract")
    assert figure(crte, "groupings") == count(union, "?c a pvd:CRTEContract ; pvd:hasGrouping ?x")
    assert figure(crte, "communes in a CRTE by the table") == listed_by(named, "anct-ngeo")
    assert figure(ort, "communes in") == count(union, "?x pvd:participatesIn id:programme\\/ort")
    assert figure(ort, "operations") == count(union, "?x a pvd:ORT")
    assert figure(ort, "signed conventions") == count(named, """GRAPH <https://w3id.org/pvd-graph/graph/anct-ort> {
        ?x a pvd:ORTConvention }""")
    figures = json.loads((enlarged_build / "manifest.json").read_text(encoding="utf-8"))
    (ort_source,) = [src for src in figures["sources"] if src.get("id") == "anct-ort"]
    assert figure(ort, "dated groups") == ort_source["figures"]["dated (EPCI, date) groups"]
    assert figure(ort, "of several communes") == ort_source["figures"]["groups of several communes"]
    with open(enlarged_build / resources.REJECTS_CSV, encoding="utf-8", newline="") as fh:
        outcomes = Counter(r["outcome"] for r in csv.DictReader(fh) if r["source"] == "anct-ort")
    assert figure(ort, "rows rejected") == outcomes["row rejected"]
    assert figure(ort, "values dropped") == outcomes["value dropped"]
    assert figure(ort, "rows noted") == outcomes["noted"]


def test_conflicts(enlarged_build):
    text = readme_section("What the graph contains")
    (sentence,) = [p for p in text.split("\n\n") if "sources disagree" in p]
    with open(enlarged_build / "conflicts.csv", encoding="utf-8", newline="") as fh:
        by_property = Counter(r["property"].removeprefix(PVD).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
                              for r in csv.DictReader(fh))
    said = {"population": "populations", "label": "names", "memberOf": "EPCI memberships",
            "signedOn": "signature dates", "concerns": "CRTE coverings", "epciType": "EPCI types",
            "participatesIn": "programme participations", "programmeId": "programme ids"}
    for prop, n in by_property.items():
        assert prop in said, f"conflicts on {prop} are not described in the README"
        assert figure(sentence, said[prop]) == n, prop
    for prop, noun in said.items():
        if prop not in by_property:
            assert not re.search(r"\d[\d,]* " + re.escape(noun) + r"\b", sentence), noun


def cog_vintage(shared_data: Path) -> str:
    """The millésime ../shared/data/README.md gives for the COG files."""
    (line,) = [x for x in (shared_data / "README.md").read_text(encoding="utf-8").splitlines()
               if x.startswith("| `cog/communes.json`")]
    return re.search(r"\b(\d{4})\b", line.split("|")[4]).group(1)


def test_cog_vintage_everywhere(shared_data, union):
    vintage = cog_vintage(shared_data)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    by_source = {(str(r[0]), str(r[1])) for r in store.query(union, f"SELECT DISTINCT ?s ?v WHERE {{ ?s <{PVD}cogVintage> ?v }}")}
    # the older codes read as history (issue 15) are sources of their own, named for their year
    history = {(s, v) for s, v in by_source if re.search(r"/cog-(20\d\d)-", s)}
    # the README names the current code, and the older codes only as the history the build reads
    assert vintage in re.findall(r"COG (\d{4})", readme)
    assert set(re.findall(r"COG (\d{4})", readme)) <= {vintage} | {v for _s, v in history}
    sources = readme_section("Sources and licences")
    (cog,) = [x for x in sources.splitlines() if "decoupage-administratif" in x]
    assert cog.split("|")[3].strip().startswith(vintage)
    assert all(f"/cog-{v}-" in s and v != vintage for s, v in history), history
    found = {v for s, v in by_source - history}
    assert found == {vintage}, "the imported COG sources and the curated data's COG source"
    labels = {str(r[1]) for r in store.query(union, f"""SELECT ?s ?l WHERE {{ ?s <{PVD}cogVintage> ?v ;
        <http://www.w3.org/2000/01/rdf-schema#label>|<http://purl.org/dc/terms/title> ?l }}""")
              if not re.search(r"/cog-20\d\d-", str(r[0]))}
    years = {y for label in labels for y in re.findall(r"\b(20\d\d)\b", label)}
    assert years <= {vintage}, labels


def test_other_programmes(union, named):
    """Issue 16's rows: territories, members, communes, offices, typologies, QPV as the build gives them."""
    ti, va = row("Territoires d'industrie"), row("Villages d'avenir")
    fs, typo = row("France services"), row("typologies and QPV")
    assert figure(ti, "territories") == count(union, "?x a pvd:IndustryTerritory")
    assert figure(ti, "member EPCI") == count(union, "?t a pvd:IndustryTerritory ; pvd:hasMember ?x . ?x a pvd:EPCI")
    assert figure(ti, "member communes") == count(union, "?t a pvd:IndustryTerritory ; pvd:hasMember ?x . ?x a pvd:Commune")
    assert figure(ti, "communes in") == count(union, "?x pvd:participatesIn id:programme\\/ti ; a pvd:Commune")
    assert figure(va, "communes") == count(union, "?x pvd:participatesIn id:programme\\/va")
    assert figure(fs, "offices in") == count(union, "?x a pvd:FranceServicesOffice")
    assert figure(fs, "communes") == count(union, "?x pvd:participatesIn id:programme\\/france-services")
    for noun, prop in (("densité", "densityLevel"), ("centralité", "centralityLevel"),
                       ("ruralité", "ruralityType"), ("montagne", "mountainMassif")):
        found = re.search(re.escape(noun) + r" (?:\(\d{4}\) )?([\d,]+)", typo)
        assert found, noun
        assert int(found.group(1).replace(",", "")) == count(union, f"?x pvd:{prop} ?level"), noun
    assert figure(typo, "QPV in") == count(union, "?x a pvd:PriorityNeighbourhood")
    in_communes = re.search(r"QPV in ([\d,]+) communes", typo)
    assert in_communes and int(in_communes.group(1).replace(",", "")) == count(
        union, "?q a pvd:PriorityNeighbourhood ; pvd:locatedIn ?x")
