"""Every catalogue query on the real graphs.

National answers are computed here from the source files in ../shared/data
(the PVD CSV, the ACV GeoJSON, the COG JSON), read with csv/json, and the
build's own rejects.csv for the rows the importers refused. Curated answers
are the facts of the Albertville page.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import datetime

import pytest
from rdflib.plugins.sparql import prepareQuery

from pvd_graph import query, resources

CATALOGUE = query.load_catalogue()
PVD_CSV = "anct_pvd_communes_2021.csv"
ACV_GEOJSON = "anct_acv_communes_2024.geojson"


# --- the files themselves -----------------------------------------------------

@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_query_parses_and_is_documented(name):
    q = CATALOGUE[name]
    assert q.title and q.description and q.returns, f"{q.path}: title, description and returns expected"
    assert all(p.example for p in q.params if not p.optional), f"{q.path}: required params need an example"
    # each text and the parameters it is sent with (a query's dated text, NAME.dated.rq, is sent only
    # with `date`, its own text then only without)
    texts = [(q.path, q.text, [p for p in q.params if not (q.dated_text and p.name == "date")])]
    if q.dated_text:
        texts.append((q.dated_path, q.dated_text, q.params))
    for path, text, params in texts:
        prepareQuery(text)  # rdflib's parser; Oxigraph's runs in the tests below
        for p in params:  # a bound variable must be projected on Oxigraph
            assert f"?{p.name}" in text.split("WHERE")[0], f"{path}: ?{p.name} not in the SELECT list"


def test_catalogue_covers_the_issue():
    assert {"towns-in-programme", "programmes-of-town", "epci-ranking", "partners-of-town",
            "conventions-between", "programme-overlap", "region-summary"} <= set(CATALOGUE)
    assert [p.name for p in CATALOGUE["towns-in-programme"].params] == ["programme", "departement", "region", "epci", "date"]
    assert CATALOGUE["towns-in-programme"].returns == ["insee", "name", "epci", "epci_name", "population",
                                                       "status", "listed", "joined"]
    assert CATALOGUE["programmes-of-town"].returns == ["programme", "label", "status", "listed", "joined",
                                                       "convention", "convention_date"]
    assert CATALOGUE["pvd-ort-timeline"].returns == ["insee", "name", "joined", "ort_signed", "days_between"]
    assert "role" in CATALOGUE["partners-of-town"].returns


# --- curated graph ----------------------------------------------------------------

@pytest.fixture(scope="module")
def curated(curated_build):
    return query.open_graph(curated_build)


def rows_of(ds, name, **params):
    _, rows = query.run_query(ds, name, params)
    return [tuple(query.plain(v) for v in row) for row in rows]


def test_partners_of_albertville(curated):
    rows = rows_of(curated, "partners-of-town", insee="73011")
    cadre = ("pvd-arlysere-convention-cadre-2023", "2023-07-03")
    assert sorted(rows, key=str) == sorted([
        *((org, label, "signataire", programme, *cadre) for org, label in (
            ("73303", "Ugine"), ("200068997", "CA Arlysère"), ("etat", "État")) for programme in ("ort", "pvd")),
        # the programme's agencies (data/programmes.ttl: ledBy, partner)
        ("anct", "Agence nationale de la cohésion des territoires", "pilote du programme", "pvd", None, None),
        ("banque-des-territoires", "Banque des Territoires", "partenaire du programme", "pvd", None, None),
        ("anah", "ANAH", "partenaire du programme", "pvd", None, None),
    ], key=str)


def test_programmes_of_albertville(curated):
    rows = {r[0]: r[2:] for r in rows_of(curated, "programmes-of-town", insee="73011")}
    # the curated participation is listed in no imported list and joined through no convention (its
    # deprecated pvd:startYear is not read): status, listed, joined empty; the framework convention
    # of 2023-07-03 is under both PVD and ORT
    cadre = ("pvd-arlysere-convention-cadre-2023", "2023-07-03")
    assert rows == {"pvd": (None, None, None, *cadre), "ort": (None, None, None, *cadre)}


def test_every_query_answers_as_rdflib_does(curated, curated_build):
    """Every catalogue query with its header's examples answers, through the store, what rdflib's
    own SPARQL engine answers on an independent parse of the build's files in the same layout
    (graph.nt as default graph, the sources of dataset.nq as named graphs)."""
    from rdflib import Dataset

    from pvd_graph.namespaces import PREFIXES

    reference = Dataset()
    reference.parse(curated_build / resources.DATASET_NQ, format="nquads")
    reference.default_graph.parse(curated_build / resources.GRAPH_NT, format="nt")
    for name, q in CATALOGUE.items():
        params = {p.name: p.example for p in q.params if p.example}
        # a query with a dated text (NAME.dated.rq) is compared with and without its date
        for given in [params] + ([{k: v for k, v in params.items() if k != "date"}] if q.dated_text else []):
            result = reference.query(q.text_for(given), initBindings=q.bindings(given, curated), initNs=PREFIXES)
            columns = q.returns or [str(v) for v in result.vars]
            expected = [tuple(query.plain(row[c]) for c in columns) for row in result]
            assert sorted(map(repr, rows_of(curated, name, **given))) == sorted(map(repr, expected)), (name, given)
    assert rows_of(curated, "towns-in-programme", programme="pvd")  # the queries do select something


# --- national graph: expected answers from the source files ----------------------

@pytest.fixture(scope="module")
def national(national_build):
    return query.open_graph(national_build)


@pytest.fixture(scope="module")
def src(shared_data, national_build):
    """What the source files say, as plain Python structures."""
    rejected = set()
    with open(national_build / resources.REJECTS_CSV, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):  # rejected rows (warnings and skipped kinds keep their rows)
            if r["line"] and r.get("outcome", "row rejected") == "row rejected":
                rejected.add((r["file"].rsplit("/", 1)[-1], int(r["line"])))
    with open(shared_data / PVD_CSV, encoding="utf-8", newline="") as fh:
        pvd = [row for line, row in enumerate(csv.DictReader(fh), start=2) if (PVD_CSV, line) not in rejected]
    features = json.loads((shared_data / ACV_GEOJSON).read_text(encoding="utf-8"))["features"]
    acv = [f["properties"] for i, f in enumerate(features) if (ACV_GEOJSON, i) not in rejected]
    cog = shared_data / "cog"
    communes = {c["code"]: c for c in json.loads((cog / "communes.json").read_text(encoding="utf-8"))
                if c["type"] == "commune-actuelle"}
    epci_of = {}
    for e in json.loads((cog / "epci.json").read_text(encoding="utf-8")):
        for m in e["membres"]:
            epci_of.setdefault(m["code"], e["code"])
    region_of_dep = {d["code"]: d["region"] for d in json.loads((cog / "departements.json").read_text(encoding="utf-8"))
                     if d.get("zone") != "com"}

    def epci(code, row_siren):  # the COG's membership wins over the programme file's
        siren = epci_of.get(code) or (row_siren if row_siren not in ("", "NA") else None)
        return siren

    return {"pvd": pvd, "acv": acv, "communes": communes, "epci": epci, "epci_of": epci_of,
            "region_of_dep": region_of_dep}


def test_towns_in_programme_pvd_savoie(national, src):
    expected = [(r["insee_com"], src["epci"](r["insee_com"], r["siren_epci"]))
                for r in src["pvd"] if r["insee_dep"] == "73"]
    rows = rows_of(national, "towns-in-programme", programme="pvd", departement="73")
    assert [(r[0], r[2]) for r in rows] == sorted(expected)
    names = {r["insee_com"]: src["communes"].get(r["insee_com"], {}).get("nom", r["lib_com"]) for r in src["pvd"]}
    assert all(r[1] == names[r[0]] for r in rows)


def test_towns_in_programme_region_and_epci_filters(national, src):
    by_region = sorted(r["insee_com"] for r in src["pvd"] if src["region_of_dep"].get(r["insee_dep"]) == "84")
    assert [r[0] for r in rows_of(national, "towns-in-programme", programme="pvd", region="84")] == by_region
    siren, _ = Counter(src["epci"](r["insee_com"], r["siren_epci"]) for r in src["pvd"]).most_common(1)[0]
    in_epci = sorted(r["insee_com"] for r in src["pvd"] if src["epci"](r["insee_com"], r["siren_epci"]) == siren)
    assert [r[0] for r in rows_of(national, "towns-in-programme", programme="pvd", epci=siren)] == in_epci
    all_acv = rows_of(national, "towns-in-programme", programme="acv")
    assert [r[0] for r in all_acv] == sorted({p["insee_com"] for p in src["acv"]})


def test_epci_ranking_pvd(national, src):
    counts = Counter(src["epci"](r["insee_com"], r["siren_epci"]) for r in src["pvd"])
    counts.pop(None, None)
    rows = rows_of(national, "epci-ranking", programme="pvd")
    assert {siren: n for siren, _, n in rows} == dict(counts)
    assert [(r[2], r[0]) for r in rows] == sorted(((n, s) for s, n in counts.items()), key=lambda t: (-t[0], t[1]))


def acv_conventions(src):
    conv = defaultdict(lambda: {"towns": set(), "epci": set(), "date": None})
    for p in src["acv"]:
        c = conv[p["id_acv"].strip().lower()]
        c["towns"].add(p["insee_com"])
        if p.get("siren_epci") not in (None, "", "NA"):
            c["epci"].add(p["siren_epci"])
        if c["date"] is None and p.get("date_signature") not in (None, "", "NA"):
            try:
                c["date"] = datetime.strptime(p["date_signature"], "%d/%m/%Y").date().isoformat()
            except ValueError:
                pass
    return conv


def test_conventions_between_acv_2019(national, src):
    expected = {k: (c["date"], c["towns"]) for k, c in acv_conventions(src).items()
                if c["date"] and "2019-01-01" <= c["date"] <= "2019-12-31"}
    rows = rows_of(national, "conventions-between", **{"from": "2019-01-01", "to": "2019-12-31"})
    assert {r[0]: (r[2], set(r[4].split())) for r in rows} == expected
    assert all(r[3] == "acv" for r in rows)


def test_quality_conventions_without_date(national, src):
    expected = {k for k, c in acv_conventions(src).items() if c["date"] is None}
    assert {r[0] for r in rows_of(national, "quality-conventions-without-date")} == expected


def test_partners_and_programmes_of_an_acv_town(national, src):
    conv = acv_conventions(src)
    pvd_towns = {r["insee_com"] for r in src["pvd"]}
    # a convention covering two towns, to see the other town as a partner
    key, c = next((k, c) for k, c in sorted(conv.items()) if len(c["towns"]) > 1 and c["date"])
    town = sorted(c["towns"])[0]
    expected = {(o, key, c["date"]) for o in (c["towns"] - {town}) | c["epci"] | {"etat"}}
    partners = rows_of(national, "partners-of-town", insee=town)
    assert {(r[0], r[4], r[5]) for r in partners if r[2] == "signataire"} == expected
    programmes = {r[0]: r[6] for r in rows_of(national, "programmes-of-town", insee=town)}
    assert programmes == {"acv": c["date"], **({"pvd": None} if town in pvd_towns else {})}


def test_programme_overlap(national, src):
    both = sorted({r["insee_com"] for r in src["pvd"]} & {p["insee_com"] for p in src["acv"]})
    assert [r[0] for r in rows_of(national, "programme-overlap", first="pvd", second="acv")] == both


def test_region_summary(national, src):
    expected = Counter()
    for programme, towns in (("pvd", {r["insee_com"]: r["insee_dep"] for r in src["pvd"]}),
                             ("acv", {p["insee_com"]: p["insee_dep"] for p in src["acv"]})):
        for dep in towns.values():
            if dep in src["region_of_dep"]:
                expected[(src["region_of_dep"][dep], programme)] += 1
    rows = rows_of(national, "region-summary")
    assert {(r[0], r[2]): r[3] for r in rows if r[2] in ("pvd", "acv")} == dict(expected)


def test_quality_towns_without_epci(national, src):
    expected = {("pvd", r["insee_com"]) for r in src["pvd"] if src["epci"](r["insee_com"], r["siren_epci"]) is None}
    expected |= {("acv", p["insee_com"]) for p in src["acv"]
                 if src["epci"](p["insee_com"], p.get("siren_epci", "")) is None}
    assert {(r[0], r[1]) for r in rows_of(national, "quality-towns-without-epci")} == expected


def test_quality_epci_across_departements(national, src):
    deps = defaultdict(set)
    for code, siren in src["epci_of"].items():
        if code in src["communes"]:
            deps[siren].add(src["communes"][code]["departement"])
    expected = {s: d for s, d in deps.items() if len(d) > 1}
    rows = rows_of(national, "quality-epci-across-departements")
    assert {r[0]: set(r[2].split()) for r in rows} == expected


# --- the dataset the command line sees is the endpoint's -------------------------

COUNT_NAMED = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNT_DEFAULT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _lines(path) -> int:
    with open(path, encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def _endpoint_count(build, text: str) -> int:
    """What the endpoint answers: its workers' loading function and its query engine."""
    from pvd_graph.server.engine import Limits, run_sparql
    from pvd_graph.store import open_built

    reply = run_sparql(open_built(build, graphs="both"), {"query": text, "accept": "text/csv"}, Limits())
    assert reply.status == 200, reply.body
    return int(reply.body.decode().split()[1])


def test_query_and_endpoint_see_the_same_national_dataset(national, national_build):
    quads, triples = _lines(national_build / resources.DATASET_NQ), _lines(national_build / resources.GRAPH_NT)
    assert quads > triples  # facts stated by several sources: the named graphs repeat them
    per_graph = Counter(line.rsplit(" ", 2)[-2].strip("<>") for line in
                        (national_build / resources.DATASET_NQ).read_text(encoding="utf-8").splitlines() if line)
    graph, in_graph = sorted(per_graph.items())[0]
    from_graph = f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}"
    named = quads + _lines(national_build / resources.ALIGNMENTS_NT)  # the named graphs: the sources' and graph/alignments
    for text, expected in ((COUNT_NAMED, named), (COUNT_DEFAULT, triples), (from_graph, in_graph)):
        [(n,)] = rows_of(national, text)
        assert n == expected == _endpoint_count(national_build, text)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_catalogue_rows_come_once(national, name):
    params = {p.name: p.example for p in CATALOGUE[name].params if p.example and not p.optional}
    rows = rows_of(national, name, **params)  # the default graph is graph.nt, not the union of the sources
    assert len(rows) == len(set(rows)), f"{name}: {len(rows) - len(set(rows))} repeated rows"


def test_unknown_programme_lists_the_graphs_programmes(national, national_build, capsys):
    from pvd_graph.cli import main

    known = sorted(r[0].value.rsplit("/", 1)[-1] for r in national.select(
        "SELECT ?p WHERE { ?p a <https://w3id.org/pvd-graph/ontology#Programme> }"))
    assert "pvd" in known and "acv" in known
    assert main(["query", "towns-in-programme", "-p", "programme=foo", "--graph", str(national_build)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"no programme 'foo' in this graph (known: {', '.join(known)})" in err


def test_a_normalised_code_is_said(national_build, capsys):
    from pvd_graph.cli import main

    base = ["query", "programmes-of-town", "-f", "csv", "--graph", str(national_build)]
    assert main(base + ["-p", "insee=1004"]) == 0
    short = capsys.readouterr()
    assert short.err == "pvd-graph query: insee 1004 read as 01004\n"
    assert main(base + ["-p", "insee=01004"]) == 0
    full = capsys.readouterr()
    assert full.err == "" and short.out == full.out and full.out.count("\r\n") > 1


@pytest.mark.parametrize("departement", ["01", "2A"])
def test_csv_excel_keeps_leading_zeros_and_accents(national_build, src, capsys, departement):
    import io

    from pvd_graph.cli import main

    assert main(["query", "towns-in-programme", "-p", "programme=pvd", "-p", f"departement={departement}",
                 "-f", "csv-excel", "--graph", str(national_build)]) == 0
    raw = capsys.readouterr().out.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["insee", "name", "epci", "epci_name", "population", "status", "listed", "joined"]
    expected = sorted(r["insee_com"] for r in src["pvd"] if r["insee_dep"] == departement)
    assert [r[0] for r in rows[1:]] == [f'="{code}"' for code in expected]
    assert [r[2] for r in rows[1:]] == [f'="{src["epci_of"][code]}"' if code in src["epci_of"] else ""
                                        for code in expected]
    names = {src["communes"][c]["nom"] for c in expected if c in src["communes"]}
    assert names <= {r[1] for r in rows[1:]} and any(n != n.encode("ascii", "ignore").decode() for n in names)


def test_issue_14_towns_in_programme_ort_agrees_with_programmes_of_town(curated):
    """``towns-in-programme programme=ort`` lists the towns ``programmes-of-town`` puts in the ORT: on the
    curated graph, Albertville and Ugine, concerned by the framework convention "valant ORT" (it gave
    0 rows while ``programmes-of-town insee=73011`` said ort)."""
    towns = [r[0] for r in rows_of(curated, "towns-in-programme", programme="ort")]
    assert towns == ["73011", "73303"]
    for insee in towns:
        assert "ort" in [r[0] for r in rows_of(curated, "programmes-of-town", insee=insee)]


def test_quality_ort_dates_is_empty_on_the_curated_graph(curated):
    """One ORT convention per town in the curated data: no pair of differently dated ones."""
    assert rows_of(curated, "quality-ort-dates") == []


# --- issue 14, CRTE: crte-of-town on the enlarged build (CRTE list + ngeo table + COG 2026) -----

def rows_by_town(ds, name, sample):
    """Every town's rows of a per-town catalogue query (parameter ``insee``) in ONE query: the same text
    with ``insee`` left unbound, each row keyed by its projected ``?insee`` column (the catalogue projects
    every parameter). Valid for a query where ``?insee`` only names the town it reads; the per-town
    answers of the *sample* (through run_query, the value bound) are checked to be the same."""
    import dataclasses

    q = CATALOGUE[name]
    _, columns, rows = query.execute(ds, dataclasses.replace(q, returns=[*q.returns, "insee"]), {})
    assert columns[-1] == "insee"
    out = defaultdict(list)
    for row in rows:
        out[str(row[-1])].append(tuple(query.plain(v) for v in row[:-1]))
    for code in sample:
        assert sorted(rows_of(ds, name, insee=code), key=str) == sorted(out[code], key=str), code
    return out


def test_issue_14_crte_of_town(enlarged_build, shared_data):
    """Each commune's CRTE and the grouping through which it is covered, computed from the files:
    the EPCI (COG membership) or the commune itself that the CRTE list gives the contract, and a
    row without grouping for a CRTE that only the ngeo table gives. Checked on every commune in two
    CRTE by ngeo, every commune grouping (COM), the communes of the Greater Paris EPT CRTE and the
    communes of two-CRTE EPCI."""
    from pvd_graph.importers.crte import crte_slug

    # the catalogue returns codes, not IRIs: the contract's slug, the grouping's SIREN or INSEE code
    def commune_iri(code):
        return code

    def epci_iri(siren):
        return siren

    def convention_iri(slug):
        return slug

    assert [p.name for p in CATALOGUE["crte-of-town"].params] == ["insee", "date"]  # date: tests/test_as_of_dates_b.py
    assert CATALOGUE["crte-of-town"].returns == ["crte", "label", "grouping", "grouping_name", "nature"]

    more = shared_data.parent / "more-data"
    with open(more / "crte_groupements_datagouv_2022-12.csv", encoding="utf-8", newline="") as fh:
        crte = list(csv.DictReader(fh))
    with open(more / "ngeo-anct-cog2023_zlv.csv", encoding="utf-8", newline="") as fh:
        ngeo = {r["insee_com"]: [v.strip() for v in r["id_crte"].split(";") if v.strip()] for r in csv.DictReader(fh)}
    communes = {c["code"]: c for c in json.loads((shared_data / "cog" / "communes.json").read_text(encoding="utf-8"))
                if c["type"] == "commune-actuelle"}
    by_siren = {c["siren"]: code for code, c in communes.items() if c.get("siren")}
    epcis = {e["code"]: e for e in json.loads((shared_data / "cog" / "epci.json").read_text(encoding="utf-8"))}
    members = {e: {m["code"] for m in epcis[e]["membres"]} for e in epcis}
    expected = defaultdict(set)
    for r in crte:
        contract, title = convention_iri(crte_slug(r["id_crte"])), (r["lib_crte"] if r["lib_crte"].upper().startswith("CRTE") else f"CRTE — {r['lib_crte']}")
        siren = r["siren_groupement"]
        if r["nature_juridique"] == "COM":
            code = by_siren[siren]
            expected[code].add((contract, title, commune_iri(code), communes[code]["nom"], "COM"))
        for code in members.get(siren, ()):
            expected[code].add((contract, title, epci_iri(siren), epcis[siren]["nom"], epcis[siren]["type"]))
    titles = {convention_iri(crte_slug(r["id_crte"])): (r["lib_crte"] if r["lib_crte"].upper().startswith("CRTE") else f"CRTE — {r['lib_crte']}") for r in crte}
    for code, ids_ in ngeo.items():
        if code not in communes:
            continue
        covered = {row[0] for row in expected[code]}
        for c in ids_:
            if convention_iri(crte_slug(c)) not in covered:
                expected[code].add((convention_iri(crte_slug(c)), titles[convention_iri(crte_slug(c))], None, None, None))
    two_epci = {s for s in members if len({r["id_crte"] for r in crte if r["siren_groupement"] == s}) > 1}
    sample = ({c for c, v in ngeo.items() if len(v) == 2 and c in communes}
              | {by_siren[r["siren_groupement"]] for r in crte if r["nature_juridique"] == "COM"}
              | {c for c, v in ngeo.items() if any(i.startswith("crte-11-92-") for i in v) and c in communes}
              | {c for s in two_epci for c in members[s]})
    assert len(sample) > 100
    ds = query.open_graph(enlarged_build)
    ordered = sorted(sample)
    found = rows_by_town(ds, "crte-of-town", ordered[::40])  # one query; the per-town path on a sample
    for code in ordered:
        assert sorted(found[code], key=str) == sorted(expected[code], key=str), code
    assert any(len(expected[c]) == 2 for c in sample)  # a commune in two CRTE gives two rows

# --- issue 14, PVD (vintages, participations, conventions d'adhésion) on the enlarged build -------

@pytest.fixture(scope="module")
def enlarged(enlarged_build):
    return query.open_graph(enlarged_build)


@pytest.fixture(scope="module")
def pvd_files():
    from tests.test_importers_pvd import read_files

    return read_files()


def _pvd_status(files, code, joined):
    return ("plus listée en 2024-08" if code not in files["2024-08"] else
            "adhérente" if code in joined else "lauréate")


def _first_vintage(files, code):
    return next(v for v in ("2021-01", "2024-02", "2024-08") if code in files[v])


def test_issue_14_programmes_of_ugine(enlarged, pvd_files):
    """Ugine is in PVD since the January 2021 list and joined on the date of its convention d'adhésion
    (the August 2024 list), never "since 2023-07-03" (the framework convention, which is its ORT)."""
    from tests.test_importers_pvd import expected_joined

    joined = expected_joined(pvd_files)["73303"]
    [pvd] = [r for r in rows_of(enlarged, "programmes-of-town", insee="73303") if r[0] == "pvd"]
    assert pvd == ("pvd", "Petites villes de demain", "adhérente", "2021-01", joined,
                   f"pvd-adhesion-{pvd_files['epci_of']['73303']}-{joined}", joined)


def test_issue_14_towns_in_programme_pvd_every_vintage(enlarged, pvd_files):
    from tests.test_importers_pvd import expected_joined

    joined = expected_joined(pvd_files)
    towns = set(pvd_files["2021-01"]) | set(pvd_files["2024-02"]) | set(pvd_files["2024-08"])
    expected = sorted((c, pvd_files["epci_of"].get(c), pvd_files["epci_names"].get(pvd_files["epci_of"].get(c)),
                       pvd_files["population"][c], _pvd_status(pvd_files, c, joined), _first_vintage(pvd_files, c),
                       joined.get(c)) for c in towns)
    rows = rows_of(enlarged, "towns-in-programme", programme="pvd")
    assert [(r[0], *r[2:]) for r in rows] == expected


def test_issue_14_pvd_ort_timeline_savoie(enlarged, pvd_files):
    """joined from the PVD lists, ort_signed the earliest ORT convention concerning the town: the ORT
    table's signed rows and the curated framework convention "valant ORT" (data/conventions.ttl)."""
    from rdflib import Graph, Namespace

    from tests.test_importers_pvd import expected_joined

    joined = expected_joined(pvd_files)
    ort = defaultdict(list)
    from tests.conftest import SHARED_MORE_DATA

    with (SHARED_MORE_DATA / "ort_suivi_conventions_zlv_2024-10.csv").open(
            encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["Signée ?"] == "Signée" and r["Si signée, date de signature"]:
                ort[r["Code commune"]].append(r["Si signée, date de signature"])
    pvd = Namespace("https://w3id.org/pvd-graph/ontology#")
    curated = Graph().parse(resources.DATA_DIR / "conventions.ttl")
    for c in curated.subjects(predicate=None, object=pvd.ORTConvention):
        for town in curated.objects(c, pvd.concerns):
            ort[str(town).rsplit("/", 1)[-1]] += [str(d) for d in curated.objects(c, pvd.signedOn)]
    towns = sorted(c for v in ("2021-01", "2024-02", "2024-08") for c in pvd_files[v] if c.startswith("73"))
    expected = []
    for c in sorted(set(towns)):
        signed = min(ort[c]) if ort.get(c) else None
        days = (datetime.fromisoformat(signed) - datetime.fromisoformat(joined[c])).days \
            if signed and c in joined else None
        expected.append((c, joined.get(c), signed, days))
    rows = rows_of(enlarged, "pvd-ort-timeline", departement="73")
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == expected
    assert dict((r[0], r[4]) for r in rows)["73157"] == 664  # Modane: 2021-06-03 → 2023-03-29


def test_issue_14_partners_of_modane(enlarged, pvd_files):
    """A typical PVD town: the signatories of its convention d'adhésion (its EPCI, the State, the other
    towns of the group) and of its ORT, and the programme's agencies with their role."""
    from rdflib import Graph, Namespace, URIRef

    from tests.test_importers_pvd import expected_joined

    joined = expected_joined(pvd_files)
    epci = pvd_files["epci_of"]["73157"]
    group = {c for c, d in joined.items() if d == joined["73157"] and pvd_files["epci_of"].get(c) == epci}
    rows = rows_of(enlarged, "partners-of-town", insee="73157")
    adhesion = f"pvd-adhesion-{epci}-{joined['73157']}"
    assert {r[0] for r in rows if r[4] == adhesion} == {epci, "etat"} | (group - {"73157"})
    assert all(r[2] == "signataire" and r[3] == "pvd" for r in rows if r[4] == adhesion)
    pvd = Namespace("https://w3id.org/pvd-graph/ontology#")
    programmes = Graph().parse(resources.DATA_DIR / "programmes.ttl")
    prog = programmes.resource(URIRef("https://w3id.org/pvd-graph/id/programme/pvd"))
    agencies = {(str(o.identifier).rsplit("/", 1)[-1], "pilote du programme") for o in prog.objects(pvd.ledBy)} | \
        {(str(o.identifier).rsplit("/", 1)[-1], "partenaire du programme") for o in prog.objects(pvd.partner)}
    assert {(r[0], r[2]) for r in rows if r[2] != "signataire"} == agencies and agencies
    # the first rows are the signatories, the programme's agencies follow
    roles = [r[2] for r in rows]
    assert roles == sorted(roles, key=lambda x: (x != "signataire", x != "pilote du programme"))

def test_issue_14_conventions_of_town_columns_and_curated_rows(curated):
    """The issue's columns; on the curated graph, Albertville's rows are the curated conventions that
    concern it and those they are part of (read from data/conventions.ttl with rdflib), titled as there."""
    from rdflib import Graph, Namespace, URIRef

    assert CATALOGUE["conventions-of-town"].returns == ["convention", "title", "type", "programme", "signed",
                                                        "status", "signatories"]
    assert [p.name for p in CATALOGUE["conventions-of-town"].params] == ["insee", "date"]
    pvd = Namespace("https://w3id.org/pvd-graph/ontology#")
    turtle = Graph().parse(resources.DATA_DIR / "conventions.ttl", format="turtle")
    town = URIRef("https://w3id.org/pvd-graph/id/commune/73011")
    direct = set(turtle.subjects(pvd.concerns, town))
    framing = {f for c in direct for f in turtle.objects(c, pvd.partOf)}
    expected = {(str(c).rsplit("/", 1)[1], str(turtle.value(c, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))),
                 str(turtle.value(c, pvd.signedOn))) for c in direct | framing}
    rows = rows_of(curated, "conventions-of-town", insee="73011")
    assert {(r[0], r[1], r[4]) for r in rows} == expected and len(rows) == len(expected) == 2


# --- issue 15: EPCI memberships per vintage ------------------------------------------------------

def test_issue_15_epci_history_of_every_pvd_town(enlarged, shared_data):
    """``epci-history-of-town`` gives, for every PVD town of the 2021 list that is a current commune, its
    continuous memberships as the COG 2021, 2023 and 2026 epci.json files show them (computed here
    from the files), each EPCI named as the newest vintage that has it; Baud (56010) was in
    200067221, a former EPCI, until 2023."""
    from tests.test_memberships import VINTAGES, _load, periods

    epci_names = {}
    for year in VINTAGES:  # oldest first: the newest vintage's name stays
        epci_names.update({e["code"]: e["nom"] for e in _load(year, "epci.json")})
    current = {c["code"] for c in _load("2026", "communes.json") if c["type"] == "commune-actuelle"}
    with (shared_data / "anct_pvd_communes_2021.csv").open(encoding="utf-8-sig", newline="") as fh:
        towns = {r["insee_com"] for r in csv.DictReader(fh)} & current
    expected = defaultdict(set)
    for insee, siren, start, until, years in periods():
        if insee in towns:
            expected[insee].add((siren, epci_names[siren], start, until, until is None, ", ".join(years)))
    assert len(towns) > 1500 and all(expected[t] for t in towns)
    ordered = sorted(towns)
    found = rows_by_town(enlarged, "epci-history-of-town", ordered[::200] + ["56010"])  # one query + a sample
    for insee in ordered:
        assert set(found[insee]) == expected[insee], insee
    assert ("200067221", "CC Centre Morbihan Communauté", "2021-01-01", "2023-01-01", False, "2021") in expected["56010"]



def test_programme_by_typology_names_every_typology_property(ontology):
    """programme-by-typology names the level properties (one UNION branch each, for speed): every
    sub-property of pvd:typologyLevel of the ontology is among them, else its communes would fall
    silently into « (aucun niveau) »."""
    from rdflib import RDFS, URIRef

    pvd = "https://w3id.org/pvd-graph/ontology#"
    props = {str(p).removeprefix(pvd) for p in ontology.subjects(RDFS.subPropertyOf, URIRef(pvd + "typologyLevel"))}
    text = CATALOGUE["programme-by-typology"].text
    assert len(props) >= 4
    for prop in props:
        # communes per level, communes with a level, towns per level, towns with a level
        assert text.count(f"pvd:{prop} ?l") == 4, prop


def test_the_kept_catalogue_is_read_again_when_a_file_changes_and_callers_get_copies(tmp_path):
    """load_catalogue keeps the catalogue it read while its files are unchanged: an edited, added or
    removed file is seen at the next call, and what a caller changes in a query it got is not."""
    first = "# title: A\n# returns: x\nSELECT ?x WHERE { BIND(1 AS ?x) }\n"
    (tmp_path / "a.rq").write_text(first, encoding="utf-8")
    got = query.load_catalogue(tmp_path)
    assert got["a"].text == first and got["a"].returns == ["x"]
    got["a"].returns.append("y")
    got["a"].params.append(query.Param("p", "xsd:string", "", True))
    assert query.load_catalogue(tmp_path)["a"].returns == ["x"] and query.load_catalogue(tmp_path)["a"].params == []
    edited = first.replace("# title: A", "# title: A longer title")
    (tmp_path / "a.rq").write_text(edited, encoding="utf-8")
    assert query.load_catalogue(tmp_path)["a"].title == "A longer title"
    (tmp_path / "b.rq").write_text(first, encoding="utf-8")
    assert sorted(query.load_catalogue(tmp_path)) == ["a", "b"]
    (tmp_path / "a.rq").unlink()
    assert sorted(query.load_catalogue(tmp_path)) == ["b"]
    # the project's catalogue after another folder's: the project's, equal to a fresh read of its files
    fresh = {f.stem: query.attach_dated_text(query.parse_header(f.read_text(encoding="utf-8"), f.stem, f))
             for f in resources.query_files() if not f.name.endswith(query.DATED_SUFFIX)}
    assert query.load_catalogue() == fresh
    assert query.resolve("partners-of-town") == fresh["partners-of-town"]
