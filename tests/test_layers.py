"""The package's layers: every module imports alone, and no two modules import each other.

The import graph is read from the source with :mod:`ast`, module-level and
function-level imports alike (a lazy import inside a function is still a
dependency), so that a cycle hidden behind a late import is found too.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "pvd_graph"


def modules() -> dict[str, Path]:
    """Dotted name → source file of every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that *name* imports anywhere in its source."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            # ``from pvd_graph import store`` imports the module pvd_graph.store
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                          for alias in node.names]
        else:
            continue
        for target in candidates:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
    return targets


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(name, path, known) for name, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of *graph* as ``[a, b, …, a]``, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_module_and_function_level_imports():
    graph = import_graph()
    assert "pvd_graph.store" in graph["pvd_graph.build"]  # module level: from pvd_graph import store
    assert "pvd_graph.validate" in graph["pvd_graph.cli.validate"]  # inside run
    assert "pvd_graph.importers.readers" in graph["pvd_graph.importers.crte"]  # from pvd_graph.importers import readers
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_two_modules_import_each_other():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_every_module_imports_alone_in_a_fresh_interpreter():
    """Each module imported with no other module of the package loaded before it."""
    names = [n for n in modules() if not n.endswith("__main__")]  # __main__ runs the command line
    script = (
        "import importlib, json, sys, traceback\n"
        f"names = {names!r}\n"
        "failed = {}\n"
        "for name in names:\n"
        "    for loaded in [m for m in sys.modules if m == 'pvd_graph' or m.startswith('pvd_graph.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        module = importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed[name] = traceback.format_exc().strip().splitlines()[-1]\n"
        "print(json.dumps({'failed': failed, 'from': importlib.import_module('pvd_graph').__file__}))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(report["from"]).resolve() == (PACKAGE / "__init__.py").resolve()
    assert report["failed"] == {}
