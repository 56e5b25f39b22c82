"""Conventions findable and reconciled (issue 14), on the enlarged national build and on small graphs.

Expectations come from the files: the ORT tracking table (csv), the geographic code (json) and the
curated Turtle of data/ (rdflib), never from the build under test.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef

from pvd_graph import query, resources
from pvd_graph.build.assemble import CURATED_GRAPH
from pvd_graph.build.derive_ort import ort_dates
from pvd_graph.namespaces import OX, OX_RDF, PVD, ids, named_graph_iri
from pvd_graph.store import Store

REPO = Path(__file__).resolve().parents[1]
ORT_CSV = REPO.parent / "shared" / "more-data" / "ort_suivi_conventions_zlv_2024-10.csv"
ID = Namespace("https://w3id.org/pvd-graph/id/")


@pytest.fixture(scope="module")
def enlarged(enlarged_build):
    return query.open_graph(enlarged_build)


@pytest.fixture(scope="module")
def curated_turtle() -> Graph:
    """The curated Turtle and the ontology, as rdflib reads them."""
    graph = Graph()
    for path in [resources.ONTOLOGY_FILE, *resources.curated_files()]:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ort_table() -> list[dict]:
    with ORT_CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def cog(shared_data):
    read = lambda name: json.loads((shared_data / "cog" / f"{name}.json").read_text(encoding="utf-8"))  # noqa: E731
    communes = {c["code"]: " ".join(c["nom"].split()) for c in read("communes") if c["type"] == "commune-actuelle"}
    epci_of, epci_names = {}, {}
    for e in read("epci"):
        epci_names[e["code"]] = " ".join(e["nom"].split())
        for m in e["membres"]:
            epci_of.setdefault(m["code"], e["code"])
    return communes, epci_of, epci_names


def _values(ds, text: str) -> list[tuple]:
    return [tuple(query.plain(v) for v in row) for row in query.run_query(ds, text, {})[1]]


# --- item 7: every convention findable, readable --------------------------------------------

def test_issue_14_no_convention_is_titled_with_a_bare_town_name(enlarged):
    """A convention's title is never a commune's name (two "Chambéry" nodes in the pictures)."""
    rows = _values(enlarged, """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?c ?label WHERE { ?c a pvd:Convention ; rdfs:label ?label .
          ?town a pvd:Commune ; rdfs:label ?label }""")
    assert rows == []
    untitled = _values(enlarged, """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
        SELECT ?c WHERE { ?c a pvd:Convention FILTER NOT EXISTS { ?c <http://www.w3.org/2000/01/rdf-schema#label> ?l } }""")
    assert untitled == []


def test_issue_14_every_convention_subclass_instance_is_a_convention(enlarged, enlarged_build, curated_turtle):
    """``?c a pvd:Convention`` finds every instance of any subclass (the ontology's, read with rdflib),
    and ``stats`` counts as many."""
    subclasses = {str(c) for c in curated_turtle.transitive_subjects(RDFS.subClassOf, PVD.Convention)}
    assert {str(PVD.ORTConvention), str(PVD.FrameworkConvention), str(PVD.CRTEContract)} <= subclasses
    values = " ".join(f"<{c}>" for c in sorted(subclasses))
    (typed,) = _values(enlarged, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ VALUES ?k {{ {values} }} ?c a ?k }}")
    (conventions,) = _values(enlarged, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{PVD.Convention}> }}")
    (missing,) = _values(enlarged, f"""SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ VALUES ?k {{ {values} }}
        ?c a ?k FILTER NOT EXISTS {{ ?c a <{PVD.Convention}> }} }}""")
    assert missing == (0,) and typed == conventions and conventions[0] > 971
    out = subprocess.run([sys.executable, "-m", "pvd_graph", "stats", "--graph", str(enlarged_build)],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    (line,) = [ln for ln in out.splitlines() if ln.split() and ln.split()[0] in ("pvd:Convention", str(PVD.Convention))]
    assert int(line.split()[-1].replace(",", "")) == conventions[0]


# --- item 3: conventions-of-town --------------------------------------------------------------

def _curated_rows(graph: Graph, insee: str) -> dict[str, tuple]:
    """The rows conventions-of-town gives for the curated conventions concerning *insee* (or that they
    are part of), computed from the Turtle with rdflib."""
    town = ID[f"commune/{insee}"]
    convs = {c for c in graph.subjects(PVD.concerns, town) if (c, RDF.type, PVD.Convention) in graph}
    convs |= {up for c in set(convs) for up in graph.transitive_objects(c, PVD.partOf) if up != c}
    rows = {}
    for c in convs:
        classes = {k for k in graph.objects(c, RDF.type)
                   if PVD.Convention in set(graph.transitive_objects(k, RDFS.subClassOf))}
        finest = sorted(str(k).split("#")[1] for k in classes
                        if not any(o != k and k in set(graph.transitive_objects(o, RDFS.subClassOf)) for o in classes))
        programmes = sorted(str(p).rsplit("/", 1)[1] for p in graph.objects(c, PVD.underProgramme))
        signatories = sorted(str(graph.value(s, RDFS.label)) for s in graph.objects(c, PVD.signatory))
        date = graph.value(c, PVD.signedOn)
        rows[str(c).rsplit("/", 1)[1]] = (str(graph.value(c, RDFS.label)), ", ".join(finest), ", ".join(programmes),
                                          None if date is None else str(date), None, "; ".join(signatories))
    return rows


def _table_rows(table: list[dict], cog, insee: str) -> dict[str, tuple]:
    """The rows for the ORT operations of *insee* in the tracking table, as the grouping rule makes them."""
    communes, epci_of, epci_names = cog
    (row,) = [r for r in table if r["Code commune"] == insee]
    epci, date, status = epci_of.get(insee), row["Si signée, date de signature"], row["Signée ?"] or None
    if status == "Signée" and date:
        group = [r for r in table if r["Signée ?"] == "Signée" and r["Si signée, date de signature"] == date
                 and epci_of.get(r["Code commune"]) == epci]
        key = f"ort-{epci}-{date}"
    else:
        group, key, date = [row], ("ort-" if status == "Signée" else "ort/") + insee, None
    towns = ", ".join(r["Commune"].split(" - ", 1)[1] for r in group)
    where = towns + (f" ({epci_names[epci]})" if epci else "")
    if status != "Signée":
        return {key: (f"Opération de revitalisation de territoire — {where}", "ORT", "ort", None, status, "")}
    signatories = sorted([communes[r["Code commune"]] for r in group] + ([epci_names[epci]] if epci else []) + ["État"])
    return {key: (f"Convention d'ORT — {where}", "ORTConvention", "ort", date, status, "; ".join(signatories))}


@pytest.mark.parametrize("insee", ["73011", "73303"])
def test_issue_14_conventions_of_town(enlarged, curated_turtle, ort_table, cog, insee):
    """Albertville: the curated framework convention (« valant ORT ») and its own convention, and the
    table's ORT convention; Ugine: the framework convention and its ORT. Rows of other sources (a PVD
    convention d'adhésion, a CRTE) may come on top: each must concern the town or frame one that does."""
    _, rows = query.run_query(enlarged, "conventions-of-town", {"insee": insee})
    got = {query.plain(r[0]): tuple(query.plain(v) for v in r[1:]) for r in rows}
    expected = {**_curated_rows(curated_turtle, insee), **_table_rows(ort_table, cog, insee)}
    assert len(got) == len(rows)  # one row per convention
    assert {k: got.get(k) for k in expected} == expected
    town = ids.commune(insee)
    for other in set(got) - set(expected):
        iri = ids.convention(other) if "/" not in other else f"https://w3id.org/pvd-graph/id/{other}"
        assert bool(enlarged.query(f"""ASK {{ {{ <{iri}> <{PVD.concerns}> <{town}> }} UNION
            {{ ?own <{PVD.concerns}> <{town}> ; <{PVD.partOf}>+ <{iri}> }} }}""")), other
    dates = [r[4] for r in rows]  # by date, unknown first (SPARQL orders unbound first)
    assert dates == sorted(dates, key=lambda d: (d is not None, d or ""))


def test_issue_14_conventions_of_town_lists_an_unsigned_ort(enlarged, ort_table, cog):
    """A commune whose ORT is not signed yet has its operation as a row (status « Non signée »)."""
    communes = cog[0]
    insee = next(r["Code commune"] for r in ort_table if r["Signée ?"] == "Non signée" and r["Code commune"] in communes)
    _, rows = query.run_query(enlarged, "conventions-of-town", {"insee": insee})
    got = {query.plain(r[0]): tuple(query.plain(v) for v in r[1:]) for r in rows}
    expected = _table_rows(ort_table, cog, insee)
    assert {k: got.get(k) for k in expected} == expected


# --- item 4: the Arlysère reconciliation in conflicts.csv -----------------------------------

def test_issue_14_ort_dates_against_the_curated_data_in_conflicts_csv(enlarged_build, curated_turtle, ort_table, cog):
    """conflicts.csv has one line per table operation whose commune is concerned by a curated ORT
    convention of another date: Albertville (curated 2023-07-03, table 2023-07-11); Ugine agrees."""
    _, epci_of, _ = cog
    curated = {}
    for c in curated_turtle.subjects(RDF.type, PVD.ORTConvention):
        for town in curated_turtle.objects(c, PVD.concerns):
            curated.setdefault(str(town).rsplit("/", 1)[1], set()).add(str(curated_turtle.value(c, PVD.signedOn)))
    expected = set()
    for r in ort_table:
        insee, date = r["Code commune"], r["Si signée, date de signature"]
        signed = r["Signée ?"] == "Signée" and date
        for when in curated.get(insee, ()):
            if when != date or not signed:
                op = ids.ort(f"{epci_of[insee]}-{date}" if signed else insee)
                expected.add((op, str(PVD.signedOn), when, "curated", date if signed else "", "anct-ort"))
    assert expected == {(ids.ort("200068997-2023-07-11"), str(PVD.signedOn), "2023-07-03", "curated",
                         "2023-07-11", "anct-ort")}
    with (enlarged_build / "conflicts.csv").open(encoding="utf-8", newline="") as fh:
        lines = {tuple(r.values()) for r in csv.DictReader(fh) if "anct-ort" in (r["kept_source"], r["dropped_source"])}
    assert lines == expected


def _store(quads: list[tuple[str, str, object, str]]) -> Store:
    ds = Store()
    ds.extend(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o if isinstance(o, ox.Literal) else ox.NamedNode(o),
                      ox.NamedNode(g)) for s, p, o, g in quads)
    return ds


def test_issue_14_ort_date_rule_is_general():
    """The rule on a small dataset: an unsigned table operation of a town that the curated data puts in a
    signed ORT gives a line with an empty table date; an agreeing date gives none; an EPCI concerned
    by both is not a town, and a curated convention that is not an ORT convention is not compared."""
    table, curated = named_graph_iri("anct-ort"), CURATED_GRAPH
    day = lambda text: ox.Literal(text, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))  # noqa: E731
    rdf_type, commune, epci = OX_RDF.type.value, OX.Commune.value, OX.EPCI.value
    op1, op2, c2 = ids.ort("11111"), ids.ort("200000000-2020-01-01"), ids.convention("ort-200000000-2020-01-01")
    t1, t2, e = ids.commune("11111"), ids.commune("22222"), ids.epci("200000000")
    cur, other = ids.convention("curated-ort"), ids.convention("curated-pvd")
    ds = _store([
        (op1, rdf_type, OX.ORT.value, table), (op1, OX.concerns.value, t1, table), (t1, rdf_type, commune, table),
        (op2, rdf_type, OX.ORT.value, table), (op2, OX.concerns.value, t2, table), (t2, rdf_type, commune, table),
        (op2, OX.concerns.value, e, table), (e, rdf_type, epci, table),
        (op2, OX.establishedBy.value, c2, table), (c2, OX.signedOn.value, day("2020-01-01"), table),
        (cur, rdf_type, OX.ORTConvention.value, curated), (cur, OX.signedOn.value, day("2020-01-01"), curated),
        (cur, OX.concerns.value, t1, curated), (cur, OX.concerns.value, t2, curated), (cur, OX.concerns.value, e, curated),
        (other, rdf_type, OX.TownConvention.value, curated), (other, OX.signedOn.value, day("2021-05-05"), curated),
        (other, OX.concerns.value, t2, curated),
    ])
    triples, conflicts = ort_dates(ds)
    assert triples == []
    assert [(c.subject, c.kept, c.kept_source, c.dropped, c.dropped_source) for c in conflicts] == [
        (op1, "2020-01-01", "curated", "", "anct-ort")]
