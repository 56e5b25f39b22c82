"""``pvd-graph fetch`` against a local HTTP server on 127.0.0.1 serving the shared files (never the internet)."""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import io
import socket
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pvd_graph import __version__, fetch, importers
from pvd_graph.cli import main

CRTE_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "importers" / "crte" / "crte_groupements.csv"
ORT_CSV = Path(__file__).resolve().parents[2] / "shared" / "more-data" / "ort_suivi_conventions_zlv_2024-10.csv"


@functools.lru_cache(maxsize=2)
def make_tarball(cog_dir: Path, tweak: bytes = b"") -> bytes:
    """An npm-like package tarball of the shared COG files (made once per test session)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for member, name in fetch.COG_MEMBERS.items():
            data = (cog_dir / name).read_bytes() + (tweak if name == "regions.json" else b"")
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class _QuietServer(ThreadingHTTPServer):
    """A client that gives up (fetch's ``--timeout 0.5`` on a loaded machine) makes the handler's
    write fail with a broken pipe: that is the client's choice, not a server error, and its
    traceback on stderr would be mistaken for fetch's (the tests assert fetch prints none)."""

    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Server:
    """Serves ``files`` {name: bytes} with ETag/Last-Modified; ``modes`` make a path fail on purpose."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.modes: dict[str, str] = {}
        self.requests: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.lstrip("/")
                outer.requests.append((name, dict(self.headers)))
                mode = outer.modes.get(name)
                body = outer.files.get(name)
                if body is None or mode == "500":
                    self.send_response(404 if body is None else 500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "timeout":
                    time.sleep(1.5)
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag and mode is None:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", "Mon, 06 Jan 2025 10:00:00 GMT")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mode == "truncated":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server(shared_data):
    s = Server()
    s.files["anct_pvd_communes.csv"] = (shared_data / "anct_pvd_communes_2021.csv").read_bytes()
    s.files["anct_crte_groupements.csv"] = CRTE_FIXTURE.read_bytes()
    s.files[fetch.COG_TARBALL] = make_tarball(shared_data / "cog")
    s.files["ort_suivi_conventions.xlsx"] = make_ort_workbook()
    yield s
    s.close()


def make_ort_workbook() -> bytes:
    """The first 40 rows of the real ORT table (../shared/more-data) as the official workbook."""
    import csv

    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Suivi conventions"
    with ORT_CSV.open(encoding="utf-8", newline="") as fh:
        for n, cells in enumerate(csv.reader(fh)):
            if n <= 40:
                book.active.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def remotes_for(server):
    """The official remotes, with the COG pin set to the test tarball's sha512."""
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(server.files[fetch.COG_TARBALL]).digest()).decode()
    return tuple(dataclasses.replace(r, integrity=integrity) if r.integrity else r for r in fetch.REMOTES)


def statuses(report):
    return {o.name: o.status for o in report.outcomes}


def test_download_then_build_sources_from_the_cache(tmp_path, server, shared_data):
    cache = tmp_path / "cache"
    report = fetch.fetch_all(cache, base_url=server.url, remotes=remotes_for(server))
    assert report.ok and set(statuses(report).values()) == {"downloaded"}
    assert (cache / "anct_pvd_communes.csv").read_bytes() == server.files["anct_pvd_communes.csv"]
    for name in ("communes.json", "epci.json", "departements.json", "regions.json"):
        assert (cache / name).read_bytes() == (shared_data / "cog" / name).read_bytes()
    assert not list(cache.glob(".fetch-*"))
    results, ignored = importers.import_directory(cache)
    by_id = {r.source.id: r for r in results}
    assert set(by_id) == {"cog-communes", "cog-epci", "cog-departements", "cog-regions", "anct-pvd", "anct-crte",
                          "anct-ort"}
    assert by_id["anct-ort"].rows_read == 40 and by_id["anct-ort"].reading.startswith("xlsx")
    pvd = by_id["anct-pvd"].source
    assert pvd.url == f"{server.url}/anct_pvd_communes.csv" and pvd.retrieved
    assert pvd.sha256 == hashlib.sha256(server.files["anct_pvd_communes.csv"]).hexdigest()
    assert by_id["anct-crte"].rows_accepted == by_id["anct-crte"].rows_read  # communes resolved via the COG
    assert ignored == ["LICENSE-etalab-decoupage-administratif"]


def test_second_fetch_is_conditional(tmp_path, server):
    cache = tmp_path / "cache"
    remotes = remotes_for(server)
    fetch.fetch_all(cache, base_url=server.url, remotes=remotes)
    server.requests.clear()
    report = fetch.fetch_all(cache, base_url=server.url, remotes=remotes)
    assert set(statuses(report).values()) == {"not modified"}
    sent = dict(server.requests)
    assert "If-None-Match" in sent["anct_pvd_communes.csv"] and "If-Modified-Since" in sent["anct_pvd_communes.csv"]
    assert fetch.COG_TARBALL not in sent  # a pinned version already in the cache is not downloaded again
    server.files["anct_pvd_communes.csv"] += b"\n"  # the publisher updates the file
    report = fetch.fetch_all(cache, base_url=server.url, remotes=remotes)
    assert statuses(report)["anct_pvd_communes.csv"] == "downloaded"


@pytest.mark.parametrize("mode,detail", [("500", "HTTP 500"), ("truncated", "truncated body"),
                                         ("timeout", "timed out")])
def test_failures_keep_the_last_good_file(tmp_path, server, mode, detail):
    cache = tmp_path / "cache"
    remotes = remotes_for(server)
    fetch.fetch_all(cache, base_url=server.url, remotes=remotes)
    good = (cache / "anct_pvd_communes.csv").read_bytes()
    server.files["anct_pvd_communes.csv"] = b"id_pvd,insee_com\n" * 500
    server.modes["anct_pvd_communes.csv"] = mode
    report = fetch.fetch_all(cache, base_url=server.url, remotes=remotes, timeout=0.5)
    outcome = next(o for o in report.outcomes if o.name == "anct_pvd_communes.csv")
    assert outcome.status == "kept cached" and detail in outcome.detail
    assert not report.ok
    assert (cache / "anct_pvd_communes.csv").read_bytes() == good
    assert not list(cache.glob(".fetch-*"))


def test_checksum_mismatch_keeps_the_cached_cog(tmp_path, server, shared_data):
    cache = tmp_path / "cache"
    remotes = remotes_for(server)
    fetch.fetch_all(cache, base_url=server.url, remotes=remotes)
    (cache / "regions.json").write_bytes((shared_data / "cog" / "regions.json").read_bytes() + b" ")  # force a re-download
    server.files[fetch.COG_TARBALL] = make_tarball(shared_data / "cog", tweak=b"\n")
    report = fetch.fetch_all(cache, base_url=server.url, remotes=remotes)
    outcome = next(o for o in report.outcomes if o.name == fetch.COG_TARBALL)
    assert outcome.status == "kept cached" and "checksum mismatch" in outcome.detail
    assert (cache / "epci.json").read_bytes() == (shared_data / "cog" / "epci.json").read_bytes()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_offline_is_one_line_and_non_zero(tmp_path, capsys):
    code = main(["fetch", "--cache", str(tmp_path / "c"), "--base-url", _closed_port_url(), "--timeout", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "offline" in err[0]


def test_cli_reports_partial_failure(tmp_path, server, capsys, monkeypatch):
    monkeypatch.setattr(fetch, "REMOTES", remotes_for(server))
    server.modes["anct_crte_groupements.csv"] = "500"
    code = main(["fetch", "--cache", str(tmp_path / "c"), "--base-url", server.url])
    out = capsys.readouterr()
    assert code == 1 and "anct_crte_groupements.csv: failed (HTTP 500" in out.err
    assert "anct_pvd_communes.csv: downloaded" in out.out


def test_an_html_error_page_sent_with_200_keeps_the_last_good_file(tmp_path, server):
    """Portals sometimes answer 200 with an HTML page (maintenance, login): it must not replace the data."""
    cache = tmp_path / "cache"
    remotes = remotes_for(server)
    fetch.fetch_all(cache, base_url=server.url, remotes=remotes)
    good = (cache / "anct_pvd_communes.csv").read_bytes()
    server.files["anct_pvd_communes.csv"] = b"<!DOCTYPE html><html><body>Maintenance en cours</body></html>\n"
    report = fetch.fetch_all(cache, base_url=server.url, remotes=remotes)
    outcome = next(o for o in report.outcomes if o.name == "anct_pvd_communes.csv")
    assert outcome.status == "kept cached" and "not a file of source anct-pvd" in outcome.detail
    assert "<!DOCTYPE html>" in outcome.detail
    assert (cache / "anct_pvd_communes.csv").read_bytes() == good
    assert not list(cache.glob(".fetch-*"))


def test_issue_13_network_errors_are_one_line_with_the_url_and_the_systems_reason(tmp_path, capsys, server):
    """One HTTP client (requests): its wrapped exceptions never reach the user, only the reason."""
    closed = _closed_port_url()
    code = main(["fetch", "--cache", str(tmp_path / "c"), "--base-url", closed, "--timeout", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert f"cannot reach {closed}/anct_pvd_communes.csv (cannot connect: [Errno 111] Connection refused)" in err[0]
    assert "0x" not in err[0] and "Pool" not in err[0]
    fetch.fetch_all(tmp_path / "d", base_url=server.url, remotes=remotes_for(server))
    agents = {headers.get("User-Agent") for _name, headers in server.requests}
    assert agents == {f"pvd-graph/{__version__}"}
    assert {headers.get("Accept-Encoding") for _name, headers in server.requests} == {"identity"}  # bytes as sent
