"""Populations as dated figures (issue 15): one figure per territory and source, with its date.

Expectations come from the files (the PVD lists' csv/GeoJSON, the geographic code's json), read
here with csv/json, never from the build under test.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, Dataset, Graph, Literal, URIRef

from pvd_graph import query, resources
from pvd_graph.importers.anct_pvd import IMPORTER as PVD_LIST
from pvd_graph.namespaces import OX, PVD, ids

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
MORE = REPO.parent / "shared" / "more-data"
PVD_2021 = DATA / "anct_pvd_communes_2021.csv"
PVD_2024_02 = MORE / "superposeur-anct_pvd_geom_2024-02_flat.geojson"
SH = "http://www.w3.org/ns/shacl#"


def _rows_of(path: Path, n: int) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, [r for _, r in zip(range(n), reader)]


def test_issue_15_list_figure_is_the_rows_pop_and_only_a_figure(tmp_path):
    """On the first rows of the 2021 list (one ``pop`` emptied): each row with a ``pop`` gives one
    figure of its town, that number as ``pvd:count`` as of 2021-01-01; an empty ``pop`` gives none;
    the list emits no ``pvd:population`` (the code's shortcut)."""
    fields, rows = _rows_of(PVD_2021, 6)
    rows[2] = dict(rows[2], pop="")
    path = tmp_path / "anct_pvd_communes_2021.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    result = PVD_LIST.run(path)
    triples = result.triples
    assert not [t for t in triples if t.predicate == OX.population]
    counts = {t.subject.value: int(t.object.value) for t in triples if t.predicate == OX.count}
    assert counts == {ids.fragment(ids.commune(r["insee_com"]), "population-anct-pvd"): int(r["pop"])
                      for r in rows if r["pop"]}
    of = {t.subject.value: t.object.value for t in triples if t.predicate == OX.ofTerritory}
    assert of == {f: f.split("#")[0] for f in counts}
    assert {t.object.value for t in triples if t.predicate == OX.asOf} == {"2021-01-01"}


@pytest.fixture(scope="module")
def cog() -> tuple[dict[str, int | None], list[dict]]:
    """(code → ``population`` of every current commune, the EPCI objects) of the COG 2026."""
    communes = json.loads((DATA / "cog" / "communes.json").read_text(encoding="utf-8"))
    epci = json.loads((DATA / "cog" / "epci.json").read_text(encoding="utf-8"))
    return {c["code"]: c.get("population") for c in communes if c["type"] == "commune-actuelle"}, epci


@pytest.fixture(scope="module")
def list_2021(cog) -> dict[str, int]:
    """code → ``pop`` of each row of the 2021 list that names a current commune (the rows imported)."""
    with PVD_2021.open(encoding="utf-8", newline="") as f:
        return {r["insee_com"]: int(r["pop"]) for r in csv.DictReader(f)
                if r["insee_com"] in cog[0] and r["pop"].strip()}


@pytest.fixture(scope="module")
def list_2024_02(cog) -> dict[str, int]:
    features = json.loads(PVD_2024_02.read_text(encoding="utf-8"))["features"]
    return {p["insee_com"]: p["pop"] for p in (f["properties"] for f in features)
            if p.get("insee_com") in cog[0] and isinstance(p.get("pop"), int)}


@pytest.fixture(scope="module")
def figures(enlarged_build) -> dict[str, dict[str, dict]]:
    """source id → territory IRI → {asOf, count, municipale, totale, iri} of every figure of the build."""
    ds = query.open_graph(enlarged_build)
    rows = query.run_query(ds, f"""PREFIX pvd: <{PVD}> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?f ?t ?src ?asOf ?count ?mun ?tot WHERE {{
          ?f a pvd:PopulationFigure ; pvd:ofTerritory ?t ; pvd:asOf ?asOf ; prov:wasDerivedFrom ?src .
          OPTIONAL {{ ?f pvd:count ?count }} OPTIONAL {{ ?f pvd:populationMunicipale ?mun }}
          OPTIONAL {{ ?f pvd:populationTotale ?tot }} }}""", {})[1]
    out: dict[str, dict[str, dict]] = {}
    for f, t, src, as_of, count, mun, tot in ([query.plain(v) for v in row] for row in rows):
        by_territory = out.setdefault(src.rsplit("/", 1)[-1], {})
        assert t not in by_territory, f"two figures of {t} from {src}"
        by_territory[t] = {"iri": f, "asOf": as_of, "count": count, "municipale": mun, "totale": tot}
    return out


def _expect(figures: dict, source: str, expected: dict[str, dict], day: str) -> None:
    """The figures of *source* are exactly *expected* (territory IRI → counts), all as of *day* (the
    first day of the source's vintage: the 2021 list is of January 2021, the COG package of 2026)."""
    got = figures.get(source, {})
    assert {t: {k: f[k] for k in ("count", "municipale", "totale")} for t, f in got.items()} == \
        {t: {"count": None, "municipale": None, "totale": None, **v} for t, v in expected.items()}
    assert {f["asOf"] for f in got.values()} == {day}
    assert all(f["iri"] == ids.fragment(t, f"population-{source}") for t, f in got.items())


def test_issue_15_each_2021_list_population_is_its_own_figure(figures, list_2021):
    """Every population of the 2021 list is in the graph as that list's figure, as of 2021-01-01,
    kind unstated (``pvd:count``): an importer that changed any of them fails here."""
    assert len(list_2021) > 1500
    _expect(figures, "anct-pvd", {ids.commune(c): {"count": p} for c, p in list_2021.items()}, "2021-01-01")


def test_issue_15_each_february_2024_list_population_is_its_own_figure(figures, list_2024_02):
    assert len(list_2024_02) > 1500
    _expect(figures, "anct-pvd-2024-02", {ids.commune(c): {"count": p} for c, p in list_2024_02.items()},
            "2024-02-01")


def test_issue_15_cog_figures_are_municipale_and_totale_as_the_code_says(figures, cog):
    communes, epci = cog
    _expect(figures, "cog-communes", {ids.commune(c): {"municipale": p} for c, p in communes.items()
                                      if p is not None}, "2026-01-01")
    _expect(figures, "cog-epci", {ids.epci(e["code"]): {"municipale": e["populationMunicipale"],
                                                        "totale": e["populationTotale"]} for e in epci}, "2026-01-01")


def test_issue_15_population_is_the_current_shortcut_of_the_code(enlarged_build, cog):
    """``pvd:population`` is one value per territory, the COG 2026's population municipale: the
    programme lists no longer give it (Albertville: 18,899 in the 2021 list, 19,978 in the code)."""
    communes, epci = cog
    ds = query.open_graph(enlarged_build)
    rows = query.run_query(ds, f"SELECT ?t ?p WHERE {{ ?t <{PVD.population}> ?p }}", {})[1]
    got = [(str(t), query.plain(p)) for t, p in rows]
    assert not [t for t, n in Counter(t for t, _ in got).items() if n > 1]
    expected = {ids.commune(c): p for c, p in communes.items() if p is not None}
    expected |= {ids.epci(e["code"]): e["populationMunicipale"] for e in epci}
    assert {t: p for t, p in got if t in expected} == expected


def test_issue_15_no_population_conflicts(enlarged_build, list_2021, cog):
    """conflicts.csv holds no population: the list's figures and the code's sit side by side (before,
    every town whose 2021 figure differs from the code's was a "conflict")."""
    differing = [c for c, p in list_2021.items() if cog[0][c] != p]
    assert len(differing) > 1000  # the case exists in the files
    with (enlarged_build / "conflicts.csv").open(encoding="utf-8", newline="") as f:
        properties = Counter(r["property"] for r in csv.DictReader(f))
    assert properties[str(PVD.population)] == 0


def test_issue_15_owl_rl_does_not_equate_two_populations(enlarged_build):
    """With every source's statements about Albertville (its named graphs together) and the
    ontology, an OWL RL reasoner concludes no ``owl:sameAs`` between two literals."""
    assert (PVD.population, RDF.type, OWL.FunctionalProperty) not in Graph().parse(resources.ONTOLOGY_FILE)
    commune = ids.commune("73011")
    ds = Dataset()
    with (enlarged_build / "dataset.nq").open(encoding="utf-8") as f:
        ds.parse(data="".join(ln for ln in f if ln.startswith(f"<{commune}")), format="nquads")
    g = Graph().parse(resources.ONTOLOGY_FILE)
    for s, p, o, _ in ds.quads():
        g.add((s, p, o))
    counts = {o for s, p, o in g if str(s).startswith(commune + "#population-")
              and p in (PVD.count, PVD.populationMunicipale)}
    assert Literal(18899) in counts and Literal(19978) in counts  # both figures are there
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    assert [(s, o) for s, o in g.subject_objects(OWL.sameAs) if isinstance(s, Literal) and s != o] == []


def test_issue_15_over_20000_warnings_are_the_selecting_lists_rows_over_20000(enlarged_build, list_2021,
                                                                             list_2024_02, cog):
    """The PVD town warnings are exactly the 2021 list's rows over 20,000 (its own figure) and the
    February 2024 list's rows over 20,000 of towns the 2021 list does not name (selected since), not
    the towns over 20,000 today (L'Isle-sur-la-Sorgue: 19,421 in the 2021 list, 20,029 in February
    2024, over 20,000 in the code: no warning)."""
    report = Graph().parse(enlarged_build / "validation.ttl")
    warned = set()
    for source in ("anct-pvd", "anct-pvd-2024-02"):
        for r in report.subjects(URIRef(SH + "focusNode"), URIRef(ids.source(source))):
            value = str(report.value(r, URIRef(SH + "value")))
            warned.add((source, re.fullmatch(re.escape(ids.commune("")) + r"(\w+)#population-" + source, value)[1]))
            assert report.value(r, URIRef(SH + "resultSeverity")) == URIRef(SH + "Warning")
    expected = {("anct-pvd", c) for c, p in list_2021.items() if p > 20000}
    expected |= {("anct-pvd-2024-02", c) for c, p in list_2024_02.items() if p > 20000 and c not in list_2021}
    assert expected and warned == expected
    assert any(s == "anct-pvd-2024-02" for s, _ in expected)  # the case exists in the files
    grown = {c for c, p in list_2021.items() if p <= 20000 < (cog[0][c] or 0)}
    assert "84054" in grown and not grown & {c for _, c in warned}


def test_issue_15_ontology_lets_two_populations_stay_two():
    """With the ontology alone, a territory given two populations (two sources, two dates) does not
    make an OWL RL reasoner conclude that the two numbers are the same."""
    g = Graph().parse(resources.ONTOLOGY_FILE)
    town = URIRef(ids.commune("73011"))
    g.add((town, PVD.population, Literal(18899)))
    g.add((town, PVD.population, Literal(19978)))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    assert [(s, o) for s, o in g.subject_objects(OWL.sameAs) if isinstance(s, Literal) and s != o] == []


SHORTCUT_CHECK = resources.CHECKS_DIR / "population-shortcut-violation.rq"


def test_issue_15_shortcut_check_flags_a_population_that_is_not_the_latest_figure():
    """``population-shortcut-violation``: the shortcut must be the newest population municipale;
    an older list's ``pvd:count`` does not count. A agrees, B keeps its 2021 value, C has no figure."""
    from pvd_graph.store import new_dataset
    from pvd_graph.validate import run_checks

    def figure(code: str, source: str, day: str, prop: str, n: int) -> str:
        return (f"<{ids.fragment(ids.commune(code), 'population-' + source)}> pvd:ofTerritory <{ids.commune(code)}> ;"
                f' pvd:{prop} {n} ; pvd:asOf "{day}"^^xsd:date .\n')

    text = (f"@prefix pvd: <{PVD}> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
            f"<{ids.commune('73011')}> pvd:population 19978 .\n"
            + figure("73011", "anct-pvd", "2021-01-01", "count", 18899)
            + figure("73011", "cog-communes", "2026-01-01", "populationMunicipale", 19978)
            + f"<{ids.commune('84054')}> pvd:population 20042 .\n"
            + figure("84054", "cog-2021", "2021-01-01", "populationMunicipale", 20042)
            + figure("84054", "cog-communes", "2026-01-01", "populationMunicipale", 20244)
            + f"<{ids.commune('85047')}> pvd:population 20622 .\n")
    ds = new_dataset()
    ds.load(text.encode(), ox.RdfFormat.TURTLE)
    results = run_checks(ds, [SHORTCUT_CHECK])
    assert sorted((r.focus, r.value) for r in results) == [(ids.commune("84054"), "20042"),
                                                          (ids.commune("85047"), "20622")]
    assert "20244" in next(r.message for r in results if r.focus == ids.commune("84054"))


def test_issue_15_shortcut_check_is_clean_on_the_national_build(enlarged_build):
    from pvd_graph.validate import run_checks

    assert run_checks(query.open_graph(enlarged_build), [SHORTCUT_CHECK]) == []
