"""Headless Chromium for the browser tests (Debian package ``chromium``, installed by .ci/run).

The browser runs offline: every host name resolves to nothing except
127.0.0.1, so a page that needed a CDN would fail to render.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def chromium() -> str:
    """Path of the Chromium binary; fails the test (not skips) when it is missing."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is needed by the browser tests: apt-get install -y chromium")


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(page: Path, budget_ms: int = 5000) -> str:
    """The DOM of *page* after *budget_ms* of virtual time (scripts have run)."""
    result = _run([f"--virtual-time-budget={budget_ms}", "--dump-dom", page.resolve().as_uri()])
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def drawn_dom(page: Path, budget_ms: int = 5000) -> str:
    """The DOM once the network page says it has drawn (``data-nodes`` on ``<body>``).

    On a loaded machine a first dump can come before vis-network's first drawing: the page is
    then dumped again with a larger virtual-time budget (at most three tries).
    """
    for factor in (1, 3, 6):
        dom = dump_dom(page, budget_ms * factor)
        if "nodes" in body_data(dom):
            return dom
    return dom


def body_data(dom: str) -> dict[str, str]:
    """The ``data-*`` attributes of ``<body>`` in a dumped DOM."""
    match = re.search(r"<body([^>]*)>", dom)
    assert match, "no <body> in the dumped DOM"
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', match.group(1)))


def screenshot(page: Path, name: str, size: str = "1200,800", budget_ms: int = 5000) -> Path:
    """Save a screenshot of *page* as ``tests/artifacts/NAME.png`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    out.unlink(missing_ok=True)
    result = _run([f"--virtual-time-budget={budget_ms}", f"--screenshot={out}", f"--window-size={size}",
                   page.resolve().as_uri()])
    assert result.returncode == 0 and out.is_file(), result.stderr[-2000:]
    return out
