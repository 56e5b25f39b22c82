"""ANCT's common list layout (``insee_com``, ``lib_com``, ``id_…``, optional ``lib_…``, ``date_signature``):
one importer per scheme, tested on fixtures written in that layout, a programme named from its source
when no curated description names it, and ``fetch --list`` against a server on 127.0.0.1."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pvd_graph import fetch, importers
from pvd_graph.cli import main
from pvd_graph.identifiers import commune_iri
from pvd_graph.importers import anct_lists
from pvd_graph.namespaces import OX, OX_RDFS, ids, named_graph_iri
from tests.test_fetch import Server

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "anct_lists"
CDE = FIXTURES / "anct_liste_cde.csv"
CITE = FIXTURES / "cites-educatives.csv"


def _rows(path: Path) -> list[tuple[int, dict]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(enumerate(csv.DictReader(fh), start=2))


@pytest.fixture(scope="module")
def run(shared_data):
    r = importers.ImportRun()
    importers.import_file(shared_data / "cog" / "communes.json", importers.KNOWN_SOURCES["cog-communes"], r)
    return r


def test_each_listed_current_commune_participates_in_the_scheme(run):
    result = importers.import_file(CDE, run=run)
    assert result.source.id == "anct-list-cde" and result.error is None
    current = run.earlier.current_communes
    first: dict[tuple[str, str], int] = {}
    expected_towns, rejected = set(), {}
    for line, row in _rows(CDE):
        code, site = row["insee_com"], row["id_cde"]
        if code not in current:
            rejected[line] = "insee_com"
        elif not site:
            rejected[line] = "id_cde"
        elif first.setdefault((code, site), line) != line:
            rejected[line] = "id_cde"
        else:
            expected_towns.add(commune_iri(code))
    participants = {t.object.value for t in result.triples if t.predicate == OX.participant}
    assert participants == expected_towns
    assert {t.object.value for t in result.triples if t.predicate == OX.inProgramme} == {ids.programme("cde")}
    assert {r.line: r.field for r in result.rejects} == rejected
    dated = sum(1 for line, row in _rows(CDE) if row["date_signature"] and line not in rejected)
    assert [(w.field, w.value) for w in result.warnings] == [("date_signature", f"{dated} values")]


def test_recognised_by_content_never_claiming_the_lists_other_importers_read(tmp_path):
    assert importers.detect(CITE) is importers.KNOWN_SOURCES["anct-list-cite"]
    for column in ("id_pvd", "id_ti", "id_crte", "id_fs", "id_acv"):
        other = tmp_path / f"liste-{column}.csv"
        other.write_text(f"insee_com,lib_com,{column},id_cite\n73065,Chambéry,x-1,cite-111\n", encoding="utf-8")
        found = importers.detect(other)
        assert found is None or not found.id.startswith("anct-list-"), column


def test_a_scheme_without_curated_description_is_named_from_its_source(tmp_path, shared_data):
    from pvd_graph import store
    from pvd_graph.build import build_graph

    src = tmp_path / "src"
    (src / "cog").mkdir(parents=True)
    (src / "cog" / "communes.json").symlink_to(shared_data / "cog" / "communes.json")
    (src / CDE.name).symlink_to(CDE)
    out = tmp_path / "build"
    build_graph(src, out, run_validation=False)
    ds = store.open_built(out, graphs="named")
    labels = ds.select(f"""SELECT ?l WHERE {{ GRAPH <{named_graph_iri('derived')}> {{
        <{ids.programme('cde')}> <{OX_RDFS.label.value}> ?l }} }}""")
    assert [l.value for (l,) in labels] == [f"id_cde — {importers.KNOWN_SOURCES['anct-list-cde'].title}"]
    # a curated programme keeps its own name only
    curated = ds.select(f"SELECT ?l WHERE {{ <{ids.programme('va')}> <{OX_RDFS.label.value}> ?l }}", union=True)
    assert [l.value for (l,) in curated] == ["Villages d'avenir"]


def test_fetch_list_downloads_the_scheme_then_build_reads_it(tmp_path, capsys):
    server = Server()
    try:
        server.files[anct_lists.cache_name("cde")] = CDE.read_bytes()
        cache = tmp_path / "cache"
        report = fetch.fetch_all(cache, base_url=server.url, remotes=(), lists=("cde",))
        assert [(o.name, o.status) for o in report.outcomes] == [(anct_lists.cache_name("cde"), "downloaded")]
        assert (cache / anct_lists.cache_name("cde")).read_bytes() == CDE.read_bytes()
        assert importers.detect(cache / anct_lists.cache_name("cde")).id == "anct-list-cde"
        # an HTML page sent with 200 is not a list: the last good file stays
        server.files[anct_lists.cache_name("cde")] = b"<html><body>maintenance</body></html>"
        again = fetch.fetch_all(cache, base_url=server.url, remotes=(), lists=("cde",))
        assert again.outcomes[0].status == "kept cached"
        assert (cache / anct_lists.cache_name("cde")).read_bytes() == CDE.read_bytes()
    finally:
        server.close()
    assert fetch.LIST_REMOTES["cde"].url == f"https://www.data.gouv.fr/api/1/datasets/r/{anct_lists.SCHEMES['cde']}"


def test_fetch_an_unknown_scheme_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["fetch", "--list", "nope", "--cache", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "'nope'" in err
    assert not (tmp_path / "c").exists()
