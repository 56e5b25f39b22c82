"""The build on the curated data: conformance, facts from the seed page, failure modes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, RDF, SKOS

from pvd_graph import resources, store
from pvd_graph.build import build_graph, resolve_conflicts
from pvd_graph.cli import main
from pvd_graph.identifiers import commune_iri, epci_iri, organisation_iri
from pvd_graph.namespaces import GRAPHS, PVD

ETAT = URIRef(organisation_iri("etat"))
ALBERTVILLE = URIRef(commune_iri("73011"))
UGINE = URIRef(commune_iri("73303"))
ARLYSERE = URIRef(epci_iri("200068997"))


def curated_graph() -> Graph:
    g = Graph()
    for path in resources.curated_files():
        g.parse(path, format="turtle")
    return g


def test_curated_build_conforms(curated_build):
    manifest = json.loads((curated_build / resources.MANIFEST_JSON).read_text())
    assert manifest["conforms"] is True, (curated_build / resources.REPORT_TXT).read_text()
    assert manifest["violations"] == 0
    for name in (resources.GRAPH_NT, resources.GRAPH_TTL, resources.DATASET_NQ, resources.REPORT_TTL):
        assert (curated_build / name).stat().st_size > 0


def test_framework_convention_of_2023_07_03(curated_build):
    """Seed page: the convention-cadre was co-signed on 3 July 2023 by Albertville, Ugine, Arlysère and the State."""
    ds = store.open_built(curated_build)
    rows = list(store.query(ds, """
        PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
        SELECT ?c ?date (GROUP_CONCAT(STR(?who); separator=" ") AS ?signatories) WHERE {
          ?c a pvd:FrameworkConvention ; pvd:signedOn ?date ; pvd:signatory ?who .
        } GROUP BY ?c ?date"""))
    assert len(rows) == 1
    _conv, date, signatories = rows[0]
    assert date.toPython().isoformat() == "2023-07-03"
    assert set(str(signatories).split()) == {str(ALBERTVILLE), str(UGINE), str(ARLYSERE), str(ETAT)}


def test_town_convention_is_part_of_the_framework(curated_build):
    """Seed page: the signature was followed on 11 July by Albertville's own convention."""
    ds = store.open_built(curated_build)
    rows = list(store.query(ds, """
        PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
        SELECT ?town ?own ?date WHERE {
          ?own pvd:partOf ?frame ; pvd:signedOn ?date ; pvd:concerns ?town .
          ?frame a pvd:FrameworkConvention .
        }""", {"town": ALBERTVILLE}))
    assert [r[2].toPython().isoformat() for r in rows] == ["2023-07-11"]


def test_the_built_graph_is_the_turtle_files_as_rdflib_reads_them(tmp_path):
    """graph.nt of a build without sources holds the ontology and the curated files, as an
    independent rdflib parse of those files reads them (blank nodes up to renaming), and the facts
    derived from them (derive_asof): the participation that a signed curated convention implies for
    each commune it concerns in its programme where the files give none (the Arlysère
    convention-cadre: Albertville in the ORT, Ugine in PVD and the ORT), and each participation's
    pvd:inProgrammeFrom, the signature of the curated convention of its programme that concerns its
    participant."""
    from pvd_graph.build.derive_asof import NOTE

    build_graph(None, tmp_path / "out")
    built = Graph().parse(tmp_path / "out" / resources.GRAPH_NT, format="nt")
    expected = Graph()
    for path in [resources.ONTOLOGY_FILE, *resources.curated_files()]:
        expected.parse(path, format="turtle")
    derived = Graph()
    for conv, programme in sorted(expected.subject_objects(PVD.underProgramme)):
        if expected.value(conv, PVD.signedOn) is None:
            continue
        for town in expected.objects(conv, PVD.concerns):
            if (town, RDF.type, PVD.Commune) not in expected or any(
                    (part, PVD.inProgramme, programme) in expected for part in expected.subjects(PVD.participant, town)):
                continue
            code = expected.value(town, PVD.inseeCode)
            part = URIRef(f"https://w3id.org/pvd-graph/id/participation/commune-{code}-{str(programme).rsplit('/', 1)[-1]}")
            for p, o in ((RDF.type, PVD.Participation), (PVD.participant, town), (PVD.inProgramme, programme),
                         (PROV.wasDerivedFrom, conv),
                         (SKOS.editorialNote, Literal(NOTE.format(convention=str(conv).rsplit("/", 1)[-1]), lang="fr"))):
                derived.add((part, p, o))
            derived.add((town, PVD.participatesIn, programme))
    assert {str(s).rsplit("/", 1)[-1] for s in derived.subjects(RDF.type, PVD.Participation)} == {
        "commune-73011-ort", "commune-73303-ort", "commune-73303-pvd"}
    expected_parts = expected + derived
    for part, programme in expected_parts.subject_objects(PVD.inProgramme):
        who = expected_parts.value(part, PVD.participant)
        days = [expected.value(c, PVD.signedOn) for c in expected.subjects(PVD.underProgramme, programme)
                if (c, PVD.concerns, who) in expected and expected.value(c, PVD.signedOn) is not None]
        if days:
            derived.add((part, PVD.inProgrammeFrom, min(days, key=str)))
    assert isomorphic(built, expected + derived)
    assert len(built) > 100


def _write_variant(tmp_path: Path, g: Graph) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    g.serialize(data / "curated.ttl", format="turtle")
    return data


def test_ort_convention_without_the_state_fails(tmp_path, capsys):
    g = curated_graph()
    orts = list(g.subjects(RDF.type, PVD.ORTConvention))
    assert orts, "the curated data models the ORT convention of the seed page"
    for conv in orts:
        g.remove((conv, PVD.signatory, ETAT))
    code = main(["build", "--data", str(_write_variant(tmp_path, g)), "--out", str(tmp_path / "out"), "-q"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Violation" in out and "pvd:signatory" in out and "ORTConvention" in out


def test_broken_siren_checksum_fails(tmp_path, capsys):
    g = curated_graph()
    g.remove((ARLYSERE, PVD.siren, None))
    g.add((ARLYSERE, PVD.siren, Literal("200068998")))  # last digit changed: Luhn fails
    code = main(["build", "--data", str(_write_variant(tmp_path, g)), "--out", str(tmp_path / "out"), "-q"])
    out = capsys.readouterr().out
    assert code == 1
    assert "200068998" in out and "pvd:siren" in out


def test_malformed_turtle_names_file_and_line(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "bad.ttl").write_text("@prefix pvd: <https://w3id.org/pvd-graph/ontology#> .\n\n<a> pvd:x \"open .\n")
    code = main(["build", "--data", str(data), "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "bad.ttl:3" in err[0] and "cannot parse RDF" in err[0]
    assert not (tmp_path / "out").exists()


def test_failed_write_keeps_the_previous_build(tmp_path, monkeypatch):
    out = tmp_path / "out"
    build_graph(None, out)
    before = (out / resources.GRAPH_NT).read_bytes()

    def boom(_nt):
        raise RuntimeError("disk full")

    monkeypatch.setattr("pvd_graph.build.output.serialise_turtle", boom)
    with pytest.raises(RuntimeError):
        build_graph(None, out)
    assert (out / resources.GRAPH_NT).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "no temporary folder is left behind"


def test_conflicts_keep_the_more_authoritative_source():
    ds = store.new_dataset()
    s, label = ox.NamedNode(commune_iri("73011")), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    member = ox.NamedNode(str(PVD.memberOf))

    def q(o, g):
        return ox.Quad(s, member if isinstance(o, ox.NamedNode) else label, o, ox.NamedNode(GRAPHS + g))

    ds.extend([
        q(ox.Literal("Albertville", language="fr"), "curated"),
        q(ox.Literal("ALBERTVILLE", language="fr"), "anct-pvd"),
        q(ox.Literal("Albertville", language="fr"), "cog-communes"),
        q(ox.NamedNode(epci_iri("200068997")), "cog-epci"),
        q(ox.NamedNode(epci_iri("247300254")), "anct-pvd"),
    ])
    conflicts = resolve_conflicts(ds)
    assert {(c.kept, c.kept_source, c.dropped, c.dropped_source) for c in conflicts} == {
        ("Albertville", "curated", "ALBERTVILLE", "anct-pvd"),
        (epci_iri("200068997"), "cog-epci", epci_iri("247300254"), "anct-pvd"),
    }
    remaining = {(q.object.value, q.graph_name.value) for q in ds.quads()}
    assert (epci_iri("247300254"), GRAPHS + "anct-pvd") not in remaining
    assert ("Albertville", GRAPHS + "cog-communes") in remaining, "agreeing values stay in their source graph"


def test_stats_counts_classes(curated_build, capsys):
    assert main(["stats", "--graph", str(curated_build)]) == 0
    out = capsys.readouterr().out
    g = Graph().parse(curated_build / resources.GRAPH_NT, format="nt")
    communes = len(set(g.subjects(RDF.type, PVD.Commune)))
    assert any(line.split() == ["pvd:Commune", str(communes)] for line in out.splitlines())


def test_validate_command_on_a_build(curated_build, capsys):
    assert main(["validate", str(curated_build), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["conforms"] is True


def test_missing_graph_is_one_line(tmp_path, capsys):
    assert main(["stats", "--graph", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nowhere" in err[0]


def test_build_folder_describes_itself(curated_build):
    """void.ttl describes the graph; alignments.nt links Albertville to the official API and register."""
    void = Graph().parse(curated_build / resources.VOID_TTL, format="turtle")
    triples = void.value(URIRef("https://w3id.org/pvd-graph/dataset"), URIRef("http://rdfs.org/ns/void#triples"))
    lines = (curated_build / resources.GRAPH_NT).read_bytes().count(b"\n")
    assert int(triples) == lines
    links = Graph().parse(curated_build / resources.ALIGNMENTS_NT, format="nt")
    seealso = set(links.objects(ALBERTVILLE, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso")))
    assert URIRef("https://geo.api.gouv.fr/communes/73011") in seealso


def test_a_build_killed_between_the_two_renames_is_restored(tmp_path, capsys):
    """The swap renames OUT aside, then the new folder to OUT: killed in between, OUT is missing.
    Readers are told why, and the next build puts the previous one back before swapping."""
    out = tmp_path / "out"
    build_graph(None, out)
    before = (out / resources.GRAPH_NT).read_bytes()
    out.rename(tmp_path / ".out.old-4242")  # the state a SIGKILL between the renames leaves
    assert main(["stats", "--graph", str(out)]) == 2
    assert "interrupted while swapping" in capsys.readouterr().err
    messages = []
    build_graph(None, out, log=messages.append)
    assert any("restored the previous build" in m for m in messages)
    assert (out / resources.GRAPH_NT).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- issue 12: the build folder is replaced only when it is one ------------------------------------

def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>" for p in sorted(folder.rglob("*"))}


def _previous_build_with(tmp_path: Path, name: str) -> Path:
    out = tmp_path / "out"
    build_graph(None, out, run_validation=False)
    (out / name).write_text("precious\n")
    return out


@pytest.mark.parametrize("make", [
    pytest.param(lambda tmp: (tmp / "out").mkdir() or (tmp / "out" / "notes.txt").write_text("precious\n"),
                 id="user files"),
    pytest.param(lambda tmp: _previous_build_with(tmp, "notes.txt"), id="a build with a user file added"),
    pytest.param(lambda tmp: (tmp / "out").mkdir() or (tmp / "out" / resources.GRAPH_NT).write_text("<a> <b> <c> .\n"),
                 id="build files without manifest"),
])
def test_issue_12_build_never_replaces_a_folder_of_user_files(make, tmp_path, capsys):
    make(tmp_path)
    before = _tree(tmp_path)
    assert main(["build", "--out", str(tmp_path / "out"), "-q"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("pvd-graph build: error: --out ") and "nothing was written" in line
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("out", [".", "..", "sub/..", "/", "HOME"])
def test_issue_12_build_refuses_the_working_folder_its_parents_root_and_home(out, tmp_path, monkeypatch, capsys):
    """Resolved before deciding: never renamed or removed, even when empty (the home folder here is)."""
    work, home = tmp_path / "top" / "work", tmp_path / "home"
    work.mkdir(parents=True)
    home.mkdir()
    (work / "notes.txt").write_text("precious\n")
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    before = _tree(tmp_path)
    assert main(["build", "--out", str(home) if out == "HOME" else out, "-q"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("pvd-graph build: error: --out ") and "Traceback" not in line
    assert _tree(tmp_path) == before
    assert not list(Path("/").glob(".tmp-*")) and not list(Path("/").glob("..tmp-*"))


def test_issue_12_build_replaces_an_empty_folder_and_a_previous_build(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    build_graph(None, out, run_validation=False)  # an empty folder
    assert (out / resources.MANIFEST_JSON).is_file()
    build_graph(None, out, run_validation=False)  # a previous build
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_issue_12_build_reports_triples_and_quads(tmp_path):
    messages = []
    result = build_graph(None, tmp_path / "out", run_validation=False, log=messages.append)
    triples = (tmp_path / "out" / resources.GRAPH_NT).read_bytes().count(b"\n")
    quads = (tmp_path / "out" / resources.DATASET_NQ).read_bytes().count(b"\n")
    assert (result.triples, result.quads) == (triples, quads)
    assert any(f"({triples} triples, {quads} quads)" in m for m in messages), messages
    assert json.loads((tmp_path / "out" / resources.MANIFEST_JSON).read_text())["quads"] == quads
    assert build_graph(None, None, run_validation=False).triples == triples


def test_issue_12_national_build_counts_triples_and_quads_apart(national_build):
    """On the national graph a fact stated by several sources is one triple and several quads."""
    manifest = json.loads((national_build / resources.MANIFEST_JSON).read_text())
    assert manifest["triples"] == (national_build / resources.GRAPH_NT).read_bytes().count(b"\n")
    assert manifest["quads"] == (national_build / resources.DATASET_NQ).read_bytes().count(b"\n")
    assert manifest["quads"] > manifest["triples"]


# --- issue 12: symbolic links in --sources, missing sources said -----------------------------------

def _linked_sources(tmp_path: Path, shared_data: Path, names: list[str], loop: bool = False) -> Path:
    """A --sources folder of symbolic links to files and folders of ../shared/data."""
    folder = tmp_path / "sources"
    folder.mkdir()
    for name in names:
        (folder / name).symlink_to(shared_data / name)
    if loop:
        (folder / "again").symlink_to(folder)  # a loop: the folder itself
    return folder


def test_issue_12_sources_follow_linked_folders_without_looping(tmp_path, shared_data):
    from pvd_graph import importers

    linked = _linked_sources(tmp_path, shared_data, ["cog", "anct_pvd_communes_2021.csv"], loop=True)
    results, _ = importers.import_directory(linked)
    direct, _ = importers.import_directory(shared_data)
    expected = {r.source.id: r.rows_accepted for r in direct if r.source.id.startswith("cog-") or r.source.id == "anct-pvd"}
    assert {r.source.id: r.rows_accepted for r in results} == expected
    assert not [r.error for r in results if r.error], "the loop is not read twice"
    assert expected["cog-communes"] > 30_000


@pytest.mark.parametrize("names,missing", [
    (["anct_pvd_communes_2021.csv"], ["communes.json", "epci.json", "departements.json", "regions.json", "PVD list"]),
    (["cog"], ["no programme file"]),
    (["README.md"], ["no known source file here", "1 file not recognised"]),
    ([], ["no known source file here", "no file"]),
])
def test_issue_12_missing_sources_are_said_even_when_quiet(names, missing, tmp_path, shared_data, capsys):
    linked = _linked_sources(tmp_path, shared_data, names)
    code = main(["build", "--sources", str(linked), "--out", str(tmp_path / "out"), "--no-validate", "-q"])
    assert code == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("pvd-graph build: warning: ")]
    assert len(warnings) == 1 and all(word in warnings[0] for word in missing), warnings
    assert str(linked) in warnings[0]


def test_issue_12_a_complete_folder_gives_no_warning(national_build):
    manifest = json.loads((national_build / resources.MANIFEST_JSON).read_text())
    assert manifest["source_warnings"] == []


def test_issue_12_a_build_writes_exactly_the_files_it_may_replace(curated_build):
    """The list a previous build is recognised by is what a build writes, and what the README's table lists."""
    from pvd_graph.build import BUILD_FILES

    assert {p.name for p in curated_build.iterdir()} == BUILD_FILES
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("A build folder (`./pvd-build/` by default) holds:"):]
    table = table[:table.index("\n\n", table.index("| file |"))]
    listed = {name for line in table.splitlines()[3:] for name in re.findall(r"`([\w.]+)`", line.split("|")[1])}
    assert listed == BUILD_FILES


def test_issue_12_a_broken_link_in_sources_is_said(tmp_path, shared_data, capsys):
    linked = _linked_sources(tmp_path, shared_data, ["anct_pvd_communes_2021.csv"])
    (linked / "cog").symlink_to(tmp_path / "elsewhere" / "cog")
    assert main(["build", "--sources", str(linked), "--out", str(tmp_path / "out"), "--no-validate", "-q"]) == 0
    err = capsys.readouterr().err.splitlines()
    refused = [line for line in err if "source refused" in line]
    assert len(refused) == 1 and refused[0].count(str(linked / "cog")) == 1 and "broken symbolic link" in refused[0], err
    assert any("warning" in line and "communes.json" in line for line in err)


def test_issue_12_a_refused_cog_file_is_said_refused_not_missing(tmp_path, shared_data, capsys):
    linked = _linked_sources(tmp_path, shared_data, ["anct_pvd_communes_2021.csv"])
    (linked / "communes.json").write_text("[\n")
    assert main(["build", "--sources", str(linked), "--out", str(tmp_path / "out"), "--no-validate", "-q"]) == 0
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert "communes.json (refused)" in warning and "epci.json," in warning


# --- issue 13: the swap in a module of its own ----------------------------------------------

def test_a_staged_folder_replaces_the_build_only_when_its_block_succeeds(tmp_path):
    """``swap.staged`` (used by write_build) swaps the new folder in at the end of its block; a block
    that raises leaves the previous build as it was and no temporary folder behind."""
    from pvd_graph.build import swap

    out = tmp_path / "out"
    build_graph(None, out, run_validation=False)
    def files():  # every file, those of the on-disk store (store/ID/) included
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    before = files()
    with pytest.raises(RuntimeError), swap.staged(out, log=lambda _m: None) as folder:
        (folder / resources.MANIFEST_JSON).write_text("{}\n", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert files() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    with swap.staged(out, log=lambda _m: None) as folder:
        (folder / resources.MANIFEST_JSON).write_text("{}\n", encoding="utf-8")
    assert [p.name for p in out.iterdir()] == [resources.MANIFEST_JSON]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_issue_14_every_convention_subclass_instance_is_a_convention_in_plain_sparql(tmp_path):
    """The derivation materialises the convention hierarchy: an instance typed only with a subclass
    (here a hand-written ORT convention) is found by ``?c a pvd:Convention`` without inference, the
    triple lands in graph/derived, and nothing else (no commune) gets a derived type."""
    from pvd_graph.build.derive import DERIVED_GRAPH
    from pvd_graph.namespaces import PVD

    data = tmp_path / "data"
    data.mkdir()
    for path in resources.curated_files():
        (data / path.name).write_bytes(path.read_bytes())
    (data / "extra.ttl").write_text(
        f"<https://w3id.org/pvd-graph/id/convention/test-only-ort> a <{PVD.ORTConvention}> .\n", encoding="utf-8")
    result = build_graph(None, None, data_dir=data, run_validation=False)
    rows = result.dataset.select(f"SELECT ?c ?g WHERE {{ GRAPH ?g {{ ?c a <{PVD.Convention}> }} }}")
    found = {(c.value, g.value) for c, g in rows}
    assert ("https://w3id.org/pvd-graph/id/convention/test-only-ort", DERIVED_GRAPH) in found
    derived = result.dataset.select(f"SELECT ?s ?o WHERE {{ GRAPH <{DERIVED_GRAPH}> {{ ?s a ?o }} }}")
    # besides the participations a signed curated convention implies (derive_asof), typed Participation
    assert {s.value for s, o in derived if o.value != str(PVD.Participation)} == {
        "https://w3id.org/pvd-graph/id/convention/test-only-ort"}


def test_issue_14_several_source_folders_are_one_import(tmp_path):
    """``--sources A --sources B`` reads both folders as one import (the last one no longer wins
    silently): the ORT table of more-data is resolved through the COG of data; a folder given
    twice or nested in another is refused with one line."""
    from pvd_graph.build.assemble import source_folders
    from pvd_graph.errors import UserError
    from conftest import SHARED_DATA, SHARED_MORE_DATA

    ort = tmp_path / "ort"
    ort.mkdir()
    (ort / "ort.csv").symlink_to(next(SHARED_MORE_DATA.glob("ort_suivi_conventions*.csv")).resolve())
    result = build_graph([SHARED_DATA, ort], None, run_validation=False)
    by_id = {r.source.id: r for r in result.imports}
    assert {"cog-communes", "anct-pvd", "anct-ort"} <= by_id.keys()
    assert by_id["anct-ort"].error is None and by_id["anct-ort"].rows_accepted > 2000
    with pytest.raises(UserError, match="twice"):
        source_folders([SHARED_DATA, Path(str(SHARED_DATA) + "/")])
    with pytest.raises(UserError, match="overlap"):
        source_folders([SHARED_DATA, SHARED_DATA / "cog"])


def test_a_build_releases_each_import_once_loaded_and_its_store_holds_it(tmp_path, shared_data):
    """The build drops an import's triples once they are in its store (the national lines were
    ~400 MB of its peak memory): reading them afterwards is an error, not an empty source."""
    from pvd_graph import importers
    from pvd_graph.namespaces import named_graph_iri

    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "regions.json").symlink_to(shared_data / "cog" / "regions.json")
    (direct,), _ = importers.import_directory(folder)
    expected = {str(t) for t in direct.triples}
    result = build_graph(folder, None, run_validation=False)
    (regions,) = [r for r in result.imports if r.source.id == direct.source.id]
    assert regions.rows_accepted == direct.rows_accepted == len(json.loads((folder / "regions.json").read_text()))
    assert regions.lines == []
    with pytest.raises(RuntimeError, match="released"):
        regions.triples
    with pytest.raises(RuntimeError, match="released"):
        regions.ntriples()
    graph = ox.NamedNode(named_graph_iri(direct.source.id))
    assert {str(q.triple) for q in result.dataset.quads(graph=graph)} == expected


def test_the_shapes_read_the_written_graph_nt_and_a_failed_serialisation_stops_them(tmp_path, monkeypatch):
    """The build hands the SHACL engine its written graph.nt (no dump of its own); when the graph files
    cannot be made, the build fails with that error rather than waiting for the validation."""
    import pvd_graph.build as build_module

    seen = []
    real = build_module.validate

    def spy(ds, shapes, *, source=None, **kwargs):
        seen.append((source, source.read_bytes() if source is not None else None))
        return real(ds, shapes, source=source, **kwargs)

    monkeypatch.setattr(build_module, "validate", spy)
    out = tmp_path / "out"
    result = build_graph(None, out)
    ((source, data),) = seen
    assert source.name == resources.GRAPH_NT and data == (out / resources.GRAPH_NT).read_bytes()
    assert result.report.to_text() + "\n" == (out / resources.REPORT_TXT).read_text(encoding="utf-8")

    def boom(_ds):
        raise RuntimeError("no memory left")

    monkeypatch.setattr("pvd_graph.build.output.serialise", boom)
    with pytest.raises(RuntimeError, match="no memory left"):
        build_graph(None, out)
    assert len(seen) == 1, "the shapes were not run on a graph that was not written"
