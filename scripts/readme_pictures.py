"""Draw the pictures the README shows, from a build: ``python scripts/readme_pictures.py BUILD [OUT]``.

BUILD is the enlarged national build (``pvd-graph build --sources ../shared/data ../shared/more-data``);
OUT defaults to ``docs/pictures``. Each picture is a plain ``pvd-graph`` command (printed as it runs),
so the README's pictures are what a user gets; the HTML outputs are photographed in headless Chromium.
Refuses to overwrite anything outside OUT; rewrites only the files it names.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: (file name, pvd-graph arguments without --graph/--out)
PICTURES = (
    ("network-albertville.png", ["viz", "--focus", "73011"]),
    ("network-pvd-national.png", ["viz", "--programme", "pvd"]),
    ("map-pvd.png", ["map", "--programme", "pvd"]),
    ("map-ort-auvergne-rhone-alpes.png", ["map", "--programme", "ort", "--region", "84"]),
    ("map-pvd-acv-choropleth.png", ["map", "--programme", "pvd", "--programme", "acv", "--choropleth"]),
)
#: HTML outputs photographed in Chromium: (file name, arguments, window size)
PAGES = (
    ("network-albertville-page.png", ["viz", "--focus", "73011"], "1200,800"),
    ("map-pvd-savoie-page.png", ["map", "--programme", "pvd", "--departement", "73"], "1200,800"),
)


def run(args: list[str]) -> None:
    print("pvd-graph", " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "pvd_graph", *args, "-q"], cwd=REPO, check=True)


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    build, out = Path(argv[0]), Path(argv[1]) if len(argv) > 1 else REPO / "docs" / "pictures"
    out.mkdir(parents=True, exist_ok=True)
    for name, args in PICTURES:
        run([*args, "--graph", str(build), "--out", str(out / name)])
    sys.path.insert(0, str(REPO / "tests"))
    from browser import screenshot  # the tests' headless-Chromium helper

    with tempfile.TemporaryDirectory() as tmp:
        for name, args, size in PAGES:
            page = Path(tmp) / (Path(name).stem + ".html")
            run([*args, "--graph", str(build), "--out", str(page)])
            shutil.copyfile(screenshot(page, Path(name).stem, size=size, budget_ms=8000), out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
