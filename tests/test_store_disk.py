"""Issue 20: a build folder carries an on-disk Oxigraph store, opened read-only instead of parsing the files.

The store must give the same answers as the parsed files (every catalogue query, on the
enlarged national graph), and a store that no longer matches the files beside it is never
used: the files are parsed, after one warning line saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from pvd_graph import query, resources, store
from pvd_graph.alignments import ALIGNMENTS_GRAPH
from pvd_graph.server.engine import dataset_figures

REPO = Path(__file__).resolve().parent.parent
CATALOGUE = query.load_catalogue()


def parsed(folder: Path, graphs: str, alignments: bool = True) -> store.Store:
    """The build's files parsed as open_built parsed them before the on-disk store (for "both", the
    layout `serve` reads, with the alignments as the named graph the endpoint adds to the files)."""
    ds = store.new_dataset(default_union=graphs != "both")
    for name in ([resources.GRAPH_NT] if graphs == "union" else [resources.DATASET_NQ, resources.GRAPH_NT]):
        ds.load_file(folder / name)
    if graphs == "both" and alignments:
        ds.load_file(folder / resources.ALIGNMENTS_NT, graph=ALIGNMENTS_GRAPH)
    return ds


def _cell(term) -> str:
    """A cell as text; the words of a text in sorted order: SPARQL gives GROUP_CONCAT no order, and
    Oxigraph concatenates in its storage's order (``conventions-between``'s codes ``69243 69248 69066``
    from RocksDB are ``69248 69243 69066`` in memory): the same codes, compared as such."""
    if term is None:
        return "None"
    return " ".join(sorted(str(term).split(" "))) + f"|{getattr(term, 'datatype', None)}|{getattr(term, 'language', None)}"


def catalogue_rows(ds: store.Store) -> dict[str, list[str]]:
    """Every catalogue query with its header's examples: its rows (as text, sorted) on *ds*."""
    out = {}
    for name, q in CATALOGUE.items():
        params = {p.name: p.example for p in q.params if p.example}
        _form, columns, rows = query.execute(ds, q, q.bindings(params, ds))
        out[name] = [repr(columns)] + sorted(repr(tuple(map(_cell, row))) for row in rows)
    return out


@pytest.fixture()
def small_build(curated_build, tmp_path) -> Path:
    """A copy of the curated build (modification times kept, as ``cp -p`` does)."""
    out = tmp_path / "build"
    shutil.copytree(curated_build, out)
    return out


# --- the store stands for the files -----------------------------------------------------------

@pytest.mark.national
@pytest.mark.parametrize("graphs", ["union", "both"])
def test_issue_20_every_catalogue_query_same_rows_on_the_disk_store(enlarged_build, graphs):
    """Every catalogue query gives the same rows on the opened store as on the parsed files, in the
    layout of ``pvd-graph query`` ("union": graph.nt alone) and of ``serve`` ("both": the sources as
    named graphs beside it); the store holds the same statements, graph by graph."""
    disk = store.open_disk_store(enlarged_build, graphs)
    assert disk is not None and disk.on_disk
    reference = parsed(enlarged_build, graphs)
    assert len(disk) == len(reference)
    assert dataset_figures(disk) == dataset_figures(reference)
    assert catalogue_rows(disk) == catalogue_rows(reference)
    assert store.open_built(enlarged_build, graphs=graphs).on_disk  # what every command opens


def test_issue_20_union_layout_shows_no_named_graph(small_build):
    """On the store, the "union" layout is graph.nt alone, as when it was parsed: GRAPH ?g sees
    nothing, counts and dumps are those of the default graph."""
    disk, reference = store.open_built(small_build, graphs="union"), parsed(small_build, "union")
    assert disk.on_disk and not reference.on_disk
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for text in (named, everything):
        for union in (None, True, False):
            assert disk.select(text, union=union) == reference.select(text, union=union), (text, union)
    assert disk.named_graphs() == reference.named_graphs() == []
    assert len(disk) == len(reference) == json.loads((small_build / resources.MANIFEST_JSON).read_text())["triples"]
    assert sorted(map(str, disk)) == sorted(map(str, reference))


def test_issue_20_build_writes_the_store_and_rebuilds_over_it(tmp_path):
    """The store is written inside the build folder, recorded in manifest.json (what it was made
    from), and a second build replaces a folder holding one."""
    from pvd_graph.build import build_graph

    out = tmp_path / "b"
    folders = []
    for _ in range(2):
        build_graph(None, out, run_validation=False)
        record = json.loads((out / resources.MANIFEST_JSON).read_text())["store"]
        assert [p.relative_to(out).as_posix() for p in (out / resources.STORE_DIR).iterdir()] == [record["folder"]]
        folders.append(record["folder"])
        for name in (resources.GRAPH_NT, resources.DATASET_NQ):
            assert record["made_from"][name]["bytes"] == (out / name).stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # nothing left beside it
    # a new place at each build: a process holding the old store open never reads the new one's files
    assert folders[0] != folders[1]


@pytest.mark.parametrize("block", [97, 4096])
def test_issue_20_store_streams_the_files_keeping_blank_node_labels(curated_build, monkeypatch, block):
    """The build's store is loaded from its files streamed block by block (never held in memory), the
    lines holding a blank node set aside and parsed apart: the same statements, labels as written
    (Oxigraph's bulk loader would rename them), however the blocks cut the file."""
    monkeypatch.setattr(store._BlankLinesAside, "BLOCK", block)
    for name, fmt, graph in ((resources.DATASET_NQ, ox.RdfFormat.N_QUADS, None),
                             (resources.GRAPH_NT, ox.RdfFormat.N_TRIPLES, ox.DefaultGraph())):
        data = (curated_build / name).read_bytes()
        assert data.count(b"_:") > 10  # the ontology's and shapes' blank nodes: the case this is about
        streamed = store.new_dataset()
        streamed._load_line_file(curated_build / name, fmt, graph, lenient=True)
        written = {ox.Quad(s.subject, s.predicate, s.object, ox.DefaultGraph()) if graph is not None else s
                   for s in ox.parse(data, format=fmt)}
        assert set(streamed) == written
        assert len(streamed) == data.count(b"\n")


# --- a store that does not match is never used --------------------------------------------------

def _open_with_warning(folder: Path, capsys, graphs: str = "union") -> tuple[store.Store, str]:
    capsys.readouterr()
    ds = store.open_built(folder, graphs=graphs)
    return ds, capsys.readouterr().err


def test_issue_20_copied_build_uses_its_store_without_warning(small_build, capsys):
    ds, err = _open_with_warning(small_build, capsys)
    assert ds.on_disk and err == ""
    os.utime(small_build / resources.GRAPH_NT)  # touched, same bytes: checked by SHA-256, still the store
    ds, err = _open_with_warning(small_build, capsys, graphs="both")
    assert ds.on_disk and err == ""
    capsys.readouterr()
    assert not store.open_built(small_build, use_store=False).on_disk  # the caller's choice: no warning
    assert capsys.readouterr().err == ""


def _changed_triple(folder: Path, same_size: bool) -> str:
    """Change graph.nt (Albertville's name, same size; or one more triple); a changed line, that only
    a parse of the file sees."""
    path = folder / resources.GRAPH_NT
    data = path.read_bytes()
    if same_size:
        assert data.count(b'"Albertville"') >= 1
        data = data.replace(b'"Albertville"', b'"Albertvillf"')
        new = next(line for line in data.splitlines(keepends=True) if b'"Albertvillf"' in line)
    else:
        new = b'<https://example.org/s> <https://example.org/p> "added" .\n'
        data += new
    path.write_bytes(data)
    return new.decode()


@pytest.mark.parametrize("same_size", [False, True])
def test_issue_20_stale_store_falls_back_to_parsing_with_one_warning(small_build, capsys, same_size):
    new = _changed_triple(small_build, same_size)
    ds, err = _open_with_warning(small_build, capsys)
    assert not ds.on_disk
    assert err.count("\n") == 1 and "warning" in err and "graph.nt has changed" in err, err
    s, p, o = new.rstrip(" .\n").split(" ", 2)
    assert bool(ds.query(f"ASK {{ {s} {p} {o} }}"))  # the graph of the files, not the stale store


@pytest.mark.parametrize("damage, reason", [
    (lambda b: shutil.rmtree(b / resources.STORE_DIR), "no store/"),
    (lambda b: (next((b / resources.STORE_DIR).iterdir()) / "CURRENT").unlink(), "cannot be opened"),
    (lambda b: (b / resources.MANIFEST_JSON).write_text(json.dumps(
        {k: v for k, v in json.loads((b / resources.MANIFEST_JSON).read_text()).items() if k != "store"})),
     "records no on-disk store"),
])
def test_issue_20_missing_or_broken_store_falls_back_with_one_warning(small_build, capsys, damage, reason):
    """The files parsed instead, the alignments among them as their named graph when the manifest records
    the store's graphs (a manifest without a store record, as of an older build, names none)."""
    reference = sorted(map(str, parsed(small_build, "both", alignments=reason != "records no on-disk store")))
    damage(small_build)
    ds, err = _open_with_warning(small_build, capsys, graphs="both")
    assert not ds.on_disk and err.count("\n") == 1 and reason in err, err
    assert sorted(map(str, ds)) == reference


def test_issue_20_opening_leaves_the_store_as_it_was(small_build):
    """Read-only: opening and querying the store writes nothing into it."""
    folder = small_build / resources.STORE_DIR
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}
    ds = store.open_built(small_build)
    assert ds.on_disk and ds.select("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    with pytest.raises((OSError, RuntimeError)):
        ds.extend([next(iter(ds))])  # no write through a read-only store
    del ds
    assert {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()} == before


def test_issue_20_cli_query_reads_the_store_and_answers_as_the_file(small_build):
    """``pvd-graph query`` on the folder (the store) prints what it prints on graph.nt (parsed); once
    graph.nt has changed, it says so in one warning line and prints what the changed file says."""
    def run(graph):
        return subprocess.run([sys.executable, "-m", "pvd_graph", "query", "towns-in-programme", "-p",
                               "programme=pvd", "-f", "csv", "--graph", str(graph)],
                              cwd=REPO, capture_output=True, text=True, check=True)
    on_store, on_file = run(small_build), run(small_build / resources.GRAPH_NT)
    assert on_store.stderr == on_file.stderr == ""
    assert on_store.stdout == on_file.stdout and on_store.stdout.count("\n") > 1
    _changed_triple(small_build, same_size=True)
    on_stale, on_file = run(small_build), run(small_build / resources.GRAPH_NT)
    assert on_stale.stderr.count("\n") == 1 and "on-disk store not used: graph.nt has changed" in on_stale.stderr
    assert on_stale.stdout == on_file.stdout != on_store.stdout


# --- serve: every worker opens the store read-only itself ----------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _open_files(pid: int) -> set[str]:
    names = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            names.add(os.readlink(fd))
        except OSError:
            pass
    return names


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)")
def test_issue_20_serve_workers_read_the_disk_store(small_build, tmp_path):
    """Each query worker of ``serve`` has the build's store open (its own read-only open after the
    fork) and answers from it what the parsed files say."""
    import urllib.parse
    import urllib.request

    from serve_support import Server

    where = small_build / json.loads((small_build / resources.MANIFEST_JSON).read_text())["store"]["folder"]
    expected = len(parsed(small_build, "union"))
    srv = Server(small_build, "--workers", "2", log_dir=tmp_path)
    try:
        text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        request = urllib.request.Request(f"{srv.base}/sparql?query={urllib.parse.quote(text)}",
                                         headers={"Accept": "text/csv"})
        with urllib.request.urlopen(request, timeout=30) as r:
            assert r.read().decode().split() == ["n", str(expected)]
        templates = [p for c in _children(srv.proc.pid) for p in _children(c)] + _children(srv.proc.pid)
        workers = [w for t in templates for w in _children(t)]
        assert len(workers) >= 2, (templates, workers)
        for pid in workers:
            assert any(name.startswith(f"{where}/") for name in _open_files(pid)), pid
    finally:
        srv.stop()


def test_issue_20_query_imports_only_what_it_needs(small_build):
    """``pvd-graph query`` imports neither the validation, network, drawing and web libraries nor the
    endpoint's worker pool (asyncio, multiprocessing): a process start costs their import otherwise."""
    heavy = ["pyshacl", "shacl", "networkx", "matplotlib", "starlette", "uvicorn", "asyncio", "multiprocessing",
             "pvd_graph.server.pool", "pvd_graph.server.engine"]
    script = ("import sys\n"
              "from pvd_graph.cli import main\n"
              f"status = main(['query', 'programmes-of-town', '-p', 'insee=73011', '-q', '--graph', {str(small_build)!r}])\n"
              f"print(status, sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert "pvd" in done.stdout, done.stdout  # Albertville takes part in PVD
    assert done.stderr.strip() == "0 []", done.stderr


@pytest.mark.parametrize("graphs", ["union", "both"])
def test_issue_20_recorded_figures_are_the_counted_ones(small_build, graphs):
    """The endpoint's figures (triples of the default graph, statements per named graph) come from the
    build's record for an on-disk store (counting it takes seconds): the same as counted on the files."""
    disk = store.open_built(small_build, graphs=graphs)
    assert disk.on_disk and disk.figures is not None
    assert dataset_figures(disk) == disk.figures == dataset_figures(parsed(small_build, graphs))
    assert len(disk) == len(parsed(small_build, graphs))  # statements, the alignments graph's included
    assert disk.opener_for_forks()().figures == disk.figures  # what each serve worker reopens
