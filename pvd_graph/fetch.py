"""Download the official files into a cache that a later ``build --sources CACHE`` imports.

What is fetched, from where:

* the ANCT *Petites villes de demain* list, data.gouv.fr resource
  ``1fa831ec-d912-4277-8b95-a8b998bf951e`` (a stable URL that redirects to the
  current file) → ``anct_pvd_communes.csv``;
* the ANCT CRTE list, data.gouv.fr resource ``cf3d2117-3ce8-4f26-af0b-7a86af450862``
  → ``anct_crte_groupements.csv``;
* the DGALN/ANCT ORT tracking workbook (sheet « Suivi conventions »), data.gouv.fr dataset
  ``63c69d70de98bf9a1fa11948``, resource ``ec3eb2fc-c7a6-4c9f-b9ee-b471ed88e6fc``
  → ``ort_suivi_conventions.xlsx``;
* the COG: the npm registry tarball of ``@etalab/decoupage-administratif``
  6.0.0, checked against the registry's published sha512 ``integrity`` (a
  versioned tarball never changes, so a different body is corruption), from
  which ``data/communes.json``, ``epci.json``, ``departements.json``,
  ``regions.json`` and the licence are extracted. The tarball is preferred to
  a CDN's per-file URLs because its checksum is published by the registry.
* on request (``fetch --list SCHEME``), ANCT's list of communes of a scheme in its common layout,
  data.gouv.fr resource of :data:`pvd_graph.importers.anct_lists.SCHEMES` → ``anct_liste_{scheme}.csv``;
* *Action cœur de ville*: no stable data.gouv.fr resource URL for the towns
  layer with convention dates was found; the GeoJSON comes from the ANCT
  cartography and must be put in the sources folder by the user.

Each download is conditional (``If-None-Match`` / ``If-Modified-Since`` from
the previous answer, kept in ``fetch-manifest.json`` in the cache with the
URL, retrieval time and SHA-256 of every file), written to a temporary file
and renamed into place only when complete and verified: a timeout, an HTTP
error, a truncated body (fewer bytes than ``Content-Length``) or a checksum
mismatch keeps the last good file.

``base_url`` (option ``--base-url`` or environment ``PVD_GRAPH_FETCH_BASE``)
replaces every official address by ``{base_url}/{file name}``: a mirror, or a
local test server.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import requests

from pvd_graph import fetch_manifest, http_client
from pvd_graph.importers import anct_lists, anct_ort, anct_pvd, cog, crte

#: The COG package's version, tarball and checksum: those of the importers' source record
COG_VERSION = cog.PACKAGE_VERSION
COG_TARBALL = cog.TARBALL_URL.rsplit("/", 1)[-1]
COG_INTEGRITY = cog.INTEGRITY
COG_MEMBERS = {
    "package/data/communes.json": "communes.json",
    "package/data/epci.json": "epci.json",
    "package/data/departements.json": "departements.json",
    "package/data/regions.json": "regions.json",
    "package/LICENSE": "LICENSE-etalab-decoupage-administratif",
}


@dataclass(frozen=True)
class Remote:
    """One file to download: its cache name and official address."""

    name: str
    url: str
    integrity: str | None = None  # "sha512-<base64>" or "sha256-<base64>" when the content is pinned
    members: dict[str, str] | None = None  # for a .tgz: member path → cache name


#: The addresses are those of the importers' records (one record per source).
REMOTES = (
    Remote("anct_pvd_communes.csv", anct_pvd.IMPORTER.url),
    Remote("anct_crte_groupements.csv", crte.IMPORTER.url),
    Remote("ort_suivi_conventions.xlsx", anct_ort.IMPORTER.url),
    Remote(COG_TARBALL, cog.TARBALL_URL, integrity=COG_INTEGRITY, members=COG_MEMBERS),
)
#: ANCT's lists of communes in the common layout (:mod:`pvd_graph.importers.anct_lists`), by scheme: fetched
#: on request only (``fetch --list SCHEME``), each as the cache name its importer recognises
LIST_REMOTES = {scheme: Remote(anct_lists.cache_name(scheme), imp.url)
                for scheme, imp in zip(anct_lists.SCHEMES, anct_lists.IMPORTERS)}


@dataclass
class Outcome:
    """What happened to one remote file."""

    name: str
    url: str
    status: str  # "downloaded", "not modified", "kept cached", "failed"
    detail: str = ""
    offline: bool = False  # the server could not be reached at all

    def __str__(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class FetchReport:
    cache: Path
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.status in ("downloaded", "not modified") for o in self.outcomes)

    @property
    def offline(self) -> bool:
        return bool(self.outcomes) and all(o.offline for o in self.outcomes)


class _FetchError(Exception):
    def __init__(self, detail: str, offline: bool = False):
        super().__init__(detail)
        self.offline = offline


def fetch_all(cache: Path | str, base_url: str | None = None, timeout: float = 60.0,
              remotes: tuple[Remote, ...] | None = None, lists: tuple[str, ...] = ()) -> FetchReport:
    """Bring every remote file of the cache up to date, and ANCT's lists of the schemes *lists* (keys of
    :data:`LIST_REMOTES`); never raises on network trouble."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    base_url = base_url or os.environ.get("PVD_GRAPH_FETCH_BASE") or None
    manifest = fetch_manifest.read(cache)
    report = FetchReport(cache)
    session = http_client.session()
    for remote in (REMOTES if remotes is None else remotes) + tuple(LIST_REMOTES[s] for s in lists):
        url = f"{base_url.rstrip('/')}/{remote.name}" if base_url else remote.url
        try:
            outcome = _fetch_one(session, cache, remote, url, manifest, timeout)
        except _FetchError as exc:
            cached = (cache / remote.name).is_file() or bool(remote.members) and all(
                (cache / n).is_file() for n in remote.members.values())
            outcome = Outcome(remote.name, url, "kept cached" if cached else "failed", str(exc), exc.offline)
        report.outcomes.append(outcome)
        _write_manifest(cache, manifest)
    return report


def _fetch_one(session: requests.Session, cache: Path, remote: Remote, url: str, manifest: dict,
               timeout: float) -> Outcome:
    previous = manifest["downloads"].get(remote.name, {})
    if remote.integrity and previous.get("integrity") == remote.integrity and _intact(cache, remote, manifest):
        return Outcome(remote.name, url, "not modified", "pinned version already in the cache")
    # the body as sent: its length is checked against Content-Length, its digest against the pin
    headers = {"Accept-Encoding": "identity"}
    have_cached = _cached(cache, remote)
    if have_cached and previous.get("etag"):
        headers["If-None-Match"] = previous["etag"]
    if have_cached and previous.get("last_modified"):
        headers["If-Modified-Since"] = previous["last_modified"]
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    try:
        response = session.get(url, headers=headers, timeout=timeout, stream=True)
    except requests.RequestException as exc:
        if http_client.is_timeout(exc):
            raise _FetchError("timed out") from None
        raise _FetchError(f"cannot connect: {http_client.reason(exc)}", offline=True) from None
    with response:
        if response.status_code == 304 and have_cached:
            previous["checked"] = now
            return Outcome(remote.name, url, "not modified")
        if not 200 <= response.status_code < 300:
            raise _FetchError(f"HTTP {response.status_code} {response.reason}")
        tmp, sha256, digest512 = _download(response, cache)
    try:
        _verify(remote, sha256, digest512)
        if not remote.members:
            _check_format(remote, tmp)
        size = tmp.stat().st_size
        if remote.members:
            files = _extract(tmp, cache, remote.members)
            tmp.unlink()
        else:
            os.replace(tmp, cache / remote.name)
            files = {remote.name: sha256}
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    manifest["downloads"][remote.name] = {
        "url": url, "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"),
        "sha256": sha256, "size": size, "retrieved": now, "checked": now, "integrity": remote.integrity,
    }
    for name, digest in files.items():
        manifest["files"][name] = {"url": url, "from": remote.name, "sha256": digest, "retrieved": now}
    return Outcome(remote.name, url, "downloaded", f"{size} bytes")


def _download(response, cache: Path) -> tuple[Path, str, bytes]:
    """Body into a temporary file of the cache; a short body is an error."""
    expected = response.headers.get("Content-Length")
    h256, h512 = hashlib.sha256(), hashlib.sha512()
    fd, name = tempfile.mkstemp(dir=cache, prefix=".fetch-", suffix=".part")
    os.fchmod(fd, 0o644)
    tmp = Path(name)
    got = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in response.iter_content(1 << 16):
                out.write(chunk)
                h256.update(chunk)
                h512.update(chunk)
                got += len(chunk)
            out.flush()
            os.fsync(out.fileno())
    except (requests.RequestException, OSError) as exc:
        tmp.unlink(missing_ok=True)
        if http_client.is_timeout(exc):
            raise _FetchError("timed out while downloading") from None
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):  # the connection closed early
            got = http_client.bytes_received(exc, got)
            raise _FetchError(f"truncated body: {got} bytes, expected {expected}") from None
        raise _FetchError(f"download interrupted: {http_client.reason(exc)}") from None
    if expected is not None and expected.isdigit() and int(expected) != got:
        tmp.unlink(missing_ok=True)
        raise _FetchError(f"truncated body: {got} bytes, expected {expected}")
    return tmp, h256.hexdigest(), h512.digest()


def _check_format(remote: Remote, tmp: Path) -> None:
    """Refuse a body that is not the expected kind of file (e.g. an HTML error page sent with 200).

    The importer that the cached file name selects must recognise the download's content, or the
    last good file stays in the cache.
    """
    from pvd_graph import importers

    importer = importers.detect(Path(remote.name))
    if importer is None:
        return
    with open(tmp, "rb") as fh:
        head = fh.read(64 * 1024)
    if not importer.sniff(tmp, head):
        start = " ".join(head[:40].decode("utf-8", errors="replace").split())
        raise _FetchError(f"the server sent something that is not a file of source {importer.id} (it starts with {start!r})")


def _verify(remote: Remote, sha256: str, digest512: bytes) -> None:
    if not remote.integrity:
        return
    algo, _, value = remote.integrity.partition("-")
    actual = {"sha512": base64.b64encode(digest512).decode(),
              "sha256": base64.b64encode(bytes.fromhex(sha256)).decode()}.get(algo)
    if actual != value:
        raise _FetchError(f"checksum mismatch: expected {remote.integrity}, got {algo}-{actual}")


def _extract(tarball: Path, cache: Path, members: dict[str, str]) -> dict[str, str]:
    """Named members of a .tgz into the cache (each written atomically); returns their sha256."""
    written: dict[str, str] = {}
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member, target in members.items():
                try:
                    src = tar.extractfile(member)
                except KeyError:
                    src = None
                if src is None:
                    raise _FetchError(f"{member} missing from {tarball.name}")
                data = src.read()
                _atomic_write(cache / target, data)
                written[target] = hashlib.sha256(data).hexdigest()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise _FetchError(f"unreadable archive: {exc}") from None
    return written


def _cached(cache: Path, remote: Remote) -> bool:
    if remote.members:
        return all((cache / n).is_file() for n in remote.members.values())
    return (cache / remote.name).is_file()


def _intact(cache: Path, remote: Remote, manifest: dict) -> bool:
    """The files extracted from a pinned archive are all there, with their recorded checksums."""
    for name in (remote.members or {}).values():
        try:
            digest = hashlib.sha256((cache / name).read_bytes()).hexdigest()
        except OSError:
            return False
        if digest != manifest["files"].get(name, {}).get("sha256"):
            return False
    return bool(remote.members)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".fetch-", suffix=".part")
    os.fchmod(fd, 0o644)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _write_manifest(cache: Path, manifest: dict) -> None:
    _atomic_write(cache / fetch_manifest.NAME, json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n")
