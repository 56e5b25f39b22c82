"""What ``pip install .`` installs: every package of the source tree.

The test suite imports ``pvd_graph`` from the checkout, so a package missing from
``[tool.setuptools] packages`` passes every other test while the installed command fails
(``pvd-graph build`` raised ``ModuleNotFoundError: pvd_graph.build`` after a plain
``pip install .`` until session 10).
"""

from __future__ import annotations

import tomllib

from tests.conftest import REPO


def test_every_python_package_of_the_tree_is_installed():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    tree = {".".join(init.parent.relative_to(REPO).parts) for init in (REPO / "pvd_graph").rglob("__init__.py")}
    assert "pvd_graph.build" in tree
    assert tree <= listed, f"not installed by pip install .: {sorted(tree - listed)}"
    # a directory of modules without __init__.py would not be a package at all: none
    modules = {".".join(py.parent.relative_to(REPO).parts) for py in (REPO / "pvd_graph").rglob("*.py")
               if "__pycache__" not in py.parts}
    assert modules <= tree, sorted(modules - tree)
