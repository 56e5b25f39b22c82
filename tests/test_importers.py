"""Importers on the real national files of ../shared/data; expectations computed from the files."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from pvd_graph import importers
from pvd_graph.identifiers import InvalidCode, commune_iri, convention_iri, epci_iri, normalise_insee, organisation_iri, programme_iri
from pvd_graph.namespaces import OX, OX_GEOSPARQL, OX_SKOS, OXC

PVD_CSV = "anct_pvd_communes_2021.csv"
ACV_GEOJSON = "anct_acv_communes_2024.geojson"


def index(result):
    """{(subject, predicate): [objects]} of an import's triples, as strings."""
    out = defaultdict(list)
    for t in result.triples:
        out[(t.subject.value, t.predicate.value)].append(t.object.value)
    return out


def subjects_of_type(result, cls):
    return {t.subject.value for t in result.triples if t.predicate == OXC.type and t.object == cls}


@pytest.fixture(scope="module")
def national(shared_data):
    results, ignored = importers.import_directory(shared_data)
    return {r.source.id: r for r in results}, ignored


@pytest.fixture(scope="module")
def cog_json(shared_data):
    return {name: json.loads((shared_data / "cog" / f"{name}.json").read_text(encoding="utf-8"))
            for name in ("communes", "epci", "departements", "regions")}


def test_directory_finds_every_known_file_and_lists_the_others(national, shared_data):
    results, ignored = national
    assert set(results) == {"cog-communes", "cog-epci", "cog-departements", "cog-regions", "anct-pvd", "anct-acv"}
    assert all(r.error is None for r in results.values())
    unknown = sorted(str(p.relative_to(shared_data)) for p in shared_data.rglob("*")
                     if p.is_file() and importers.detect(p) is None)
    assert sorted(ignored) == unknown and "README.md" in ignored


@pytest.mark.parametrize("source", ["cog-communes", "cog-epci", "cog-departements", "cog-regions", "anct-pvd", "anct-acv"])
def test_every_row_is_accounted_for(national, source):
    r = national[0][source]
    assert r.rows_read == r.rows_accepted + r.rows_skipped + r.rows_rejected
    assert len(r.rejects) == r.rows_rejected
    assert all(rej.reason and rej.field for rej in r.rejects)


def test_communes_are_the_current_communes(national, cog_json):
    r = national[0]["cog-communes"]
    current = [c for c in cog_json["communes"] if c["type"] == "commune-actuelle"]
    assert r.rows_read == len(cog_json["communes"])
    assert r.rows_accepted == len(current)
    assert subjects_of_type(r, OX.Commune) == {commune_iri(c["code"]) for c in current}
    # parts of communes are skipped by design, counted by kind
    kinds = Counter(c["type"] for c in cog_json["communes"] if c["type"] != "commune-actuelle")
    assert sorted(r.skipped.values()) == sorted(kinds.values())
    assert r.rows_rejected == 0
    idx = index(r)
    for c in current[:: len(current) // 50]:
        s = commune_iri(c["code"])
        assert idx[(s, OXC.label.value)] == [c["nom"]]
        assert idx[(s, OX.inDepartement.value)] == [f"https://w3id.org/pvd-graph/id/departement/{c['departement']}"]
        if "population" in c:
            assert idx[(s, OX.population.value)] == [str(c["population"])]
        if "siren" in c:
            assert idx[(s, OX.siren.value)] == [c["siren"]]


def test_corsican_communes_keep_their_2a_2b_codes(national, cog_json):
    corsica = {c["code"] for c in cog_json["communes"] if c["type"] == "commune-actuelle" and c["departement"] in ("2A", "2B")}
    assert corsica and all(code[:2] in ("2A", "2B") for code in corsica)
    assert {commune_iri(c) for c in corsica} <= subjects_of_type(national[0]["cog-communes"], OX.Commune)


def test_epci_types_classes_and_members(national, cog_json):
    r = national[0]["cog-epci"]
    assert r.rows_accepted == len(cog_json["epci"])
    # the Métropole de Lyon (MET69) is listed with the EPCI but is a collectivité (CGCT L3611-1)
    assert subjects_of_type(r, OX.EPCI) == {epci_iri(e["code"]) for e in cog_json["epci"] if e["type"] != "MET69"}
    classes = {"CC": {OX.EPCI, OX.CommunauteDeCommunes}, "CA": {OX.EPCI, OX.CommunauteDAgglomeration},
               "CU": {OX.EPCI, OX.CommunauteUrbaine}, "METRO": {OX.EPCI, OX.Metropole},
               "MET69": {OX.SpecialStatusCollectivity}}
    idx = index(r)
    for e in cog_json["epci"]:
        types = set(idx[(epci_iri(e["code"]), OXC.type.value)])
        assert types == {c.value for c in classes[e["type"]]}
        assert idx[(epci_iri(e["code"]), OX.epciType.value)] == [e["type"]]
    members = [t for t in r.triples if t.predicate == OX.memberOf]
    assert len(members) == sum(len(e["membres"]) for e in cog_json["epci"])
    arlysere = next(e for e in cog_json["epci"] if e["code"] == "200068997")
    for m in arlysere["membres"]:
        assert epci_iri("200068997") in idx[(commune_iri(m["code"]), OX.memberOf.value)]


def test_departements_and_regions(national, cog_json):
    deps, regs = national[0]["cog-departements"], national[0]["cog-regions"]
    assert deps.rows_accepted == len(cog_json["departements"])
    # overseas collectivities (zone "com") are imported as the COG lists them: région and département
    assert regs.rows_accepted == len(cog_json["regions"])
    assert any(x.get("zone") == "com" for x in cog_json["regions"])
    idx = index(deps)
    for d in cog_json["departements"]:
        links = idx[(f"https://w3id.org/pvd-graph/id/departement/{d['code']}", OX.inRegion.value)]
        assert links == [f"https://w3id.org/pvd-graph/id/region/{d['region']}"]
    # no département points to a région that is not imported
    region_iris = subjects_of_type(regs, OX.Region)
    assert {t.object.value for t in deps.triples if t.predicate == OX.inRegion} <= region_iris


#: Divisions of the COG without an authority of their own, or whose node is another kind of authority:
#: facts of the law (ontology/README.md, "Territories and their authorities"), not of the files.
NO_DEPARTEMENT_COUNCIL = {
    "75": None,  # the Ville de Paris since 2019 (loi n° 2017-257)
    "2A": None, "2B": None,  # the Collectivité de Corse since 2018 (loi n° 2015-991, art. 30)
    "67": None, "68": None,  # the Collectivité européenne d'Alsace since 2021 (loi n° 2019-816)
    "972": "SingleCollectivity", "973": "SingleCollectivity",  # since 2015-12-31 (loi n° 2011-884)
    "976": "SingleCollectivity",  # the Département de Mayotte (loi n° 2010-1487)
}
NO_REGION_COUNCIL = {"94": "SpecialStatusCollectivity", "02": None, "03": None, "06": None}
#: overseas collectivities under art. 74 of the Constitution, and New Caledonia (title XIII)
OVERSEAS_COLLECTIVITIES = {"975", "977", "978", "986", "987", "988"}
#: TAAF and Clipperton: administered by the State, no elected body
STATE_ADMINISTERED = {"984", "989"}


def _classes_and_superclasses(ontology, classes):
    """*classes* (IRIs) closed under rdfs:subClassOf in the ontology (what an RDFS reasoner concludes)."""
    from rdflib import RDFS, URIRef

    out, todo = set(), [URIRef(c) for c in classes]
    while todo:
        c = todo.pop()
        if c not in out:
            out.add(c)
            todo.extend(ontology.objects(c, RDFS.subClassOf))
    return {str(c) for c in out}


def test_issue_14_territories_typed_as_what_they_are(national, cog_json, ontology):
    """Each département and région is the COG's division; it is a local authority (even by RDFS inference)
    only when it has a council of its own: not Paris, Corsica's two départements, Alsace's two, the single
    collectivities' régions, TAAF or Clipperton; the overseas collectivities are typed as such, and the
    Collectivité de Corse, the Ville de Paris and the Métropole de Lyon as collectivités à statut
    particulier. Expectations from the COG files' codes and zones and the legal facts above."""
    local_authority = OX.LocalAuthority.value
    com = {d["code"] for d in cog_json["departements"] if d.get("zone") == "com"}
    assert com == OVERSEAS_COLLECTIVITIES | STATE_ADMINISTERED  # what the 2026 files hold
    for source, items, no_council, council, kind in (
            ("cog-departements", cog_json["departements"],
             {**NO_DEPARTEMENT_COUNCIL, **dict.fromkeys(OVERSEAS_COLLECTIVITIES, "OverseasCollectivity"),
              **dict.fromkeys(STATE_ADMINISTERED)}, "DepartementCollectivity", "departement"),
            ("cog-regions", cog_json["regions"], {**NO_REGION_COUNCIL, **dict.fromkeys(com)},
             "RegionCollectivity", "region")):
        idx = index(national[0][source])
        for item in items:
            code = item["code"]
            expected = no_council[code] if code in no_council else council
            assert item.get("zone") in ("metro", "drom") or code in no_council, code
            types = set(idx[(f"https://w3id.org/pvd-graph/id/{kind}/{code}", OXC.type.value)])
            division = (OX.Departement if kind == "departement" else OX.Region).value
            assert types == {division} | ({getattr(OX, expected).value} if expected else set()), (kind, code, types)
            inferred = _classes_and_superclasses(ontology, types)
            assert (local_authority in inferred) == (expected is not None), (kind, code)
    for source, iri in (("cog-communes", commune_iri("75056")),
                        ("cog-epci", epci_iri(next(e["code"] for e in cog_json["epci"] if e["type"] == "MET69")))):
        types = set(index(national[0][source])[(iri, OXC.type.value)])
        assert OX.SpecialStatusCollectivity.value in types, iri
        inferred = _classes_and_superclasses(ontology, types)
        assert local_authority in inferred and OX.EPCI.value not in inferred, iri
    # every other commune is only a commune
    communes = national[0]["cog-communes"]
    special = subjects_of_type(communes, OX.SpecialStatusCollectivity)
    assert special == {commune_iri("75056")}


def _pvd_rows(shared_data):
    with (shared_data / PVD_CSV).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_pvd_rows_accepted_or_rejected_with_reason(national, shared_data):
    r = national[0]["anct-pvd"]
    rows = _pvd_rows(shared_data)
    assert r.rows_read == len(rows)
    valid = set()
    for row in rows:
        try:
            valid.add(normalise_insee(row["insee_com"]))
        except InvalidCode:
            pass
    towns = {t.subject.value for t in r.triples if t.predicate == OX.participatesIn}
    assert towns == {commune_iri(c) for c in valid}
    assert r.rows_accepted == len(valid)
    for rej in r.rejects:  # each reject names the line and the value found there (header = line 1)
        assert rows[rej.line - 2][rej.field].strip() == rej.value


def test_albertville_and_ugine_are_pvd_towns_in_ca_arlysere(national, shared_data):
    idx = index(national[0]["anct-pvd"])
    by_code = {row["insee_com"]: row for row in _pvd_rows(shared_data)}
    for code in ("73011", "73303"):
        s = commune_iri(code)
        assert idx[(s, OX.participatesIn.value)] == [programme_iri("pvd")]
        assert by_code[code]["siren_epci"] == "200068997"
        assert idx[(s, OX.memberOf.value)] == [epci_iri(by_code[code]["siren_epci"])]
        assert idx[(s, OX.programmeId.value)] == [by_code[code]["id_pvd"]]
        assert idx[(s, OXC.wasDerivedFrom.value)] == ["https://w3id.org/pvd-graph/id/source/anct-pvd"]


def _acv_features(shared_data):
    return json.loads((shared_data / ACV_GEOJSON).read_text(encoding="utf-8"))["features"]


def test_acv_conventions_match_the_geojson(national, shared_data):
    r = national[0]["anct-acv"]
    features = _acv_features(shared_data)
    assert r.rows_read == len(features) and r.rows_accepted == len(features)
    by_id = defaultdict(list)
    for f in features:
        by_id[f["properties"]["id_acv"]].append(f["properties"])
    assert subjects_of_type(r, OX.FrameworkConvention) == {convention_iri(i) for i in by_id}
    idx = index(r)
    for pid, towns in by_id.items():
        c = convention_iri(pid)
        dates = {t["date_signature"] for t in towns if t["date_signature"]}
        expected = [dt.datetime.strptime(d, "%d/%m/%Y").date().isoformat() for d in dates]
        assert idx[(c, OX.signedOn.value)] == expected
        assert sorted(idx[(c, OX.concerns.value)]) == sorted(commune_iri(t["insee_com"]) for t in towns)
        assert idx[(c, OX.underProgramme.value)] == [programme_iri("acv")]
        signatories = set(idx[(c, OX.signatory.value)])
        assert signatories == ({commune_iri(t["insee_com"]) for t in towns}
                               | {epci_iri(t["siren_epci"]) for t in towns} | {organisation_iri("etat")})
    two_town_ids = [pid for pid, towns in by_id.items() if len(towns) == 2]
    assert two_town_ids  # the file does have ids covering two towns: one convention each
    assert len(by_id) < len(features)


def test_acv_towns_points_and_action_counts(national, shared_data):
    """Points as GeoSPARQL WKT (no geo:lat/geo:long); overseas towns (97x), placed by the file at the
    map insets far outside the tropics, get none (tests/test_importers_acv.py checks the rule)."""
    idx = index(national[0]["anct-acv"])
    for f in _acv_features(shared_data):
        p, (lon, lat) = f["properties"], f["geometry"]["coordinates"]
        s = commune_iri(p["insee_com"])
        assert programme_iri("acv") in idx[(s, OX.participatesIn.value)]
        assert not idx[(s, OXC.lat.value)] and not idx[(s, OXC.long.value)]
        wkt = [idx[(g, OX_GEOSPARQL.asWKT.value)] for g in idx[(s, OX_GEOSPARQL.hasGeometry.value)]]
        assert wkt == ([] if p["insee_com"].startswith("97") else [[f"POINT({lon!r} {lat!r})"]])
        expected = [] if p["actions_en_cours"] == "NA" else [str(p["actions_en_cours"])]
        assert idx[(s, OX.actionsInProgress.value)] == expected


def test_acv_mojibake_labels_are_repaired(national, shared_data):
    idx = index(national[0]["anct-acv"])
    broken = [f["properties"] for f in _acv_features(shared_data) if "Ã" in f["properties"]["lib_acv"]]
    assert broken
    for p in broken:
        label = idx[(convention_iri(p["id_acv"]), OX_SKOS.altLabel.value)][0]
        assert label == p["lib_acv"].encode("cp1252").decode("utf-8") and "Ã" not in label


def test_every_entity_is_derived_from_its_source(national):
    for sid, r in national[0].items():
        typed = {t.subject for t in r.triples if t.predicate == OXC.type}
        derived = {t.subject for t in r.triples if t.predicate == OXC.wasDerivedFrom
                   and t.object.value.endswith("/source/" + sid)}
        assert typed and typed <= derived, sid


def test_detect_by_content_when_names_are_unknown(tmp_path, shared_data):
    for src, sid in ((PVD_CSV, "anct-pvd"), (ACV_GEOJSON, "anct-acv"), ("cog/communes.json", "cog-communes"),
                     ("cog/epci.json", "cog-epci"), ("cog/departements.json", "cog-departements"),
                     ("cog/regions.json", "cog-regions")):
        renamed = tmp_path / f"download-{sid}.dat"
        renamed.write_bytes((shared_data / src).read_bytes())
        assert importers.detect(renamed) is importers.KNOWN_SOURCES[sid]


def _process_wide_memos() -> dict[str, int]:
    """Entries held by every memo (``cache_info``) in the module globals of the importers and identifiers."""
    import sys

    held = {}
    for name, module in list(sys.modules.items()):
        if name.startswith("pvd_graph.importers") or name == "pvd_graph.identifiers":
            for attr, value in vars(module).items():
                for obj in value.values() if isinstance(value, dict) else [value]:
                    info = getattr(obj, "cache_info", None)
                    if callable(info):
                        held[f"{name}.{attr}"] = held.get(f"{name}.{attr}", 0) + info().currsize
    return held


def test_issue_13_code_memos_belong_to_one_import_run(shared_data):
    """Two imports in a row share no memo, and the process keeps none of their codes afterwards."""
    path = shared_data / PVD_CSV
    codes = set()  # the distinct cell texts that are good INSEE codes: what a memo keeps
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                normalise_insee(row["insee_com"])
                codes.add(row["insee_com"])
            except InvalidCode:
                pass
    first = importers.ImportRun()
    importers.import_file(path, run=first)
    assert first.codes.insee.cache_info().currsize == len(codes)
    second = importers.ImportRun()
    assert second.codes.insee.cache_info().currsize == 0  # starts empty: nothing inherited from the first
    importers.import_file(path, run=second)
    assert second.codes.insee.cache_info().currsize == len(codes)
    # every code computed again, none read from the first run's memo
    assert second.codes.insee.cache_info().misses == first.codes.insee.cache_info().misses
    assert not {k: n for k, n in _process_wide_memos().items() if n}


def test_issue_13_an_importer_runs_after_the_sources_it_needs(shared_data, tmp_path):
    """CRTE reads the COG communes' SIREN → INSEE map: declared, and the import order is checked."""
    crte, communes = importers.KNOWN_SOURCES["anct-crte"], importers.KNOWN_SOURCES["cog-communes"]
    assert crte.needs == ("cog-communes", "cog-epci")
    importers.check_order(importers.KNOWN_SOURCES)
    with pytest.raises(RuntimeError, match="anct-crte needs cog-communes, which comes after it"):
        importers.check_order({"anct-crte": crte, "cog-communes": communes})
    with pytest.raises(RuntimeError, match="anct-crte needs cog-communes, which is not a known source"):
        importers.check_order({"anct-crte": crte})
    # a CRTE file whose path sorts before the COG's is still imported after it
    fixture = Path(__file__).resolve().parent / "fixtures" / "importers" / "crte" / "crte_groupements.csv"
    (tmp_path / "a_crte.csv").write_bytes(fixture.read_bytes())
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "communes.json").write_bytes((shared_data / "cog" / "communes.json").read_bytes())
    results, _ = importers.import_directory(tmp_path)
    assert [r.source.id for r in results] == ["cog-communes", "anct-crte"]
    assert results[1].rows_accepted == results[1].rows_read > 0 and not results[1].rejects
