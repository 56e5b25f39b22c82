"""One vocabulary: the generated ``pvd:`` namespace, its two views, the resource IRIs, no IRI glued elsewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from pvd_graph import namespaces, resources
from pvd_graph.namespaces import ID, ONTOLOGY, OX, PVD, ids

PACKAGE = Path(namespaces.__file__).resolve().parent
#: The modules allowed to put IRIs together: the namespace module and the file it generates.
IRI_MODULES = {PACKAGE / "namespaces.py", PACKAGE / "_pvd_terms.py"}


def test_generated_namespace_is_up_to_date():
    """``_pvd_terms.py`` is exactly what ``python -m pvd_graph.namespaces`` writes from ``ontology/pvd.ttl``."""
    assert (PACKAGE / "_pvd_terms.py").read_text(encoding="utf-8") == namespaces.generate(), (
        "ontology/pvd.ttl changed: run `python -m pvd_graph.namespaces` and commit pvd_graph/_pvd_terms.py")


def test_namespace_has_every_declared_term_and_nothing_else():
    """The closed namespace holds exactly the classes and properties that pvd.ttl declares (read here with rdflib)."""
    g = Graph().parse(resources.ONTOLOGY_FILE)
    declared = {str(s)[len(ONTOLOGY):] for s in g.subjects(RDF.type, None)
                if isinstance(s, URIRef) and str(s).startswith(ONTOLOGY) and str(s) != ONTOLOGY}
    assert declared and set(namespaces.PVD_TERMS) == declared
    assert {str(PVD[n]) for n in namespaces.PVD_TERMS} == {ONTOLOGY + n for n in declared}
    for cls in g.subjects(RDF.type, OWL.Class):
        if str(cls).startswith(ONTOLOGY):
            assert PVD[str(cls)[len(ONTOLOGY):]] == cls


def test_a_typo_raises_in_both_views():
    with pytest.raises(AttributeError):
        PVD.Comune  # noqa: B018
    with pytest.raises(AttributeError):
        OX.Comune  # noqa: B018
    with pytest.raises(AttributeError):
        namespaces.OX_XSD.integr  # noqa: B018 - rdflib's own XSD namespace does not raise; the view does
    with pytest.raises(AttributeError):
        ids.comune("73011")


def test_the_two_views_name_the_same_terms():
    """Every ``OX.x`` is the pyoxigraph node of ``PVD.x``, and likewise for the external vocabularies."""
    for name in namespaces.PVD_TERMS:
        assert getattr(OX, name) == ox.NamedNode(str(PVD[name]))
    assert namespaces.OX_RDF.type == ox.NamedNode(str(RDF.type))
    assert namespaces.OX_RDFS.label == ox.NamedNode(str(RDFS.label))


def test_resource_iris():
    """``id/<type>/<key>`` for each type of the per-type prefixes (those of ontology/context.jsonld)."""
    assert ids.commune("73011") == "https://w3id.org/pvd-graph/id/commune/73011"
    assert ids.epci("200068997") == "https://w3id.org/pvd-graph/id/epci/200068997"
    for kind in namespaces.ID_TYPES:
        assert getattr(ids, kind)("x") == f"{ID}{kind}/x"
    assert set(namespaces.ID_TYPES) == {name for name in vars(type(ids)) if not name.startswith("_")} - {
        "path", "fragment"}


# --- the rule ------------------------------------------------------------------------------------

_SCHEME = re.compile(r"^(?:https?://|urn:)")
#: names that hold a namespace base in every module (imported from pvd_graph.namespaces or rdflib)
_BASE_NAMES = {"ONTOLOGY", "ID", "SHAPES", "GRAPHS", "PREFIXES", "ID_PREFIXES", "SERIALISATION_PREFIXES",
               "PVD", "PVDSH", "IDNS", "RDF", "RDFS", "OWL", "XSD", "SH", "SKOS", "DCTERMS", "DCAT", "PROV",
               "VOID"}
#: Texts that start with http but are no IRI of the data, and why.
ALLOWED = {
    ("pvd_graph/server/__init__.py", 'f"http://{url_host(host)}:{port}"'):
        "the address the server listens on, printed in its messages",
    ("pvd_graph/ntriples.py", 'f"{_IN_GRAPH}{_escape(graph)}/{_escape(str(q.predicate))}"'):
        "a temporary predicate naming a quad's graph while blank nodes are canonicalised; never written out",
}
#: a character that continues an IRI: text right after a base in an f-string extends it
_IRI_CHAR = re.compile(r"^[A-Za-z0-9_\-/#.~%]")


def _iri_names(tree: ast.Module) -> set[str]:
    """The module's names for a namespace base: imported from pvd_graph.namespaces or rdflib, or bound at
    module level to a literal IRI (``X = "https://…"``, ``X = URIRef("https://…")``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("pvd_graph.namespaces", "rdflib")):
            names.update(a.asname or a.name for a in node.names if a.name in _BASE_NAMES)
    for node in tree.body:
        if isinstance(node, ast.Assign) and _starts_with_iri(node.value, names):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _starts_with_iri(node: ast.AST, names: set[str]) -> bool:
    """Whether *node* is an IRI or a namespace base (possibly wrapped in str(), URIRef(), .encode()…)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
        return bool(_SCHEME.match(text))
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Attribute):  # namespaces.ID, PVD.Commune
        return _starts_with_iri(node.value, names) or (
            isinstance(node.value, ast.Name) and node.value.id == "namespaces" and node.attr in _BASE_NAMES)
    if isinstance(node, ast.Subscript):  # PREFIXES["rdf"]
        return _starts_with_iri(node.value, names)
    if isinstance(node, ast.Call):  # str(RDF), URIRef("http…"), ID.encode(), x.rstrip("/")
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("encode", "rstrip", "removesuffix"):
            return _starts_with_iri(func.value, names)
        return isinstance(func, ast.Name) and func.id in ("str", "URIRef", "NamedNode") and bool(node.args) \
            and _starts_with_iri(node.args[0], names)
    if isinstance(node, ast.JoinedStr) and node.values:
        return _starts_with_iri(node.values[0].value if isinstance(node.values[0], ast.FormattedValue)
                                else node.values[0], names)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _starts_with_iri(node.left, names)
    return False


def iri_glue(source: str, name: str) -> list[str]:
    """``name:line: code`` of each place where the Python *source* glues text onto an IRI (rule below)."""
    tree = ast.parse(source)
    names = _iri_names(tree)
    found = []
    for node in ast.walk(tree):
        glued = False
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            glued = _starts_with_iri(node.left, names) or (
                isinstance(node.op, ast.Add) and _starts_with_iri(node.right, names)
                and not isinstance(node.left, ast.Constant))  # "<" + iri + ">" is a term, not an IRI
            if isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant) \
                    and _starts_with_iri(node.right, names):
                glued = bool(_SCHEME.match(str(node.left.value)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            glued = _starts_with_iri(node.func.value, names)
        elif isinstance(node, ast.JoinedStr):
            parts = node.values
            if parts and isinstance(parts[0], ast.Constant) and _SCHEME.match(parts[0].value) and len(parts) > 1:
                glued = True
            for here, after in zip(parts, parts[1:]):
                if isinstance(here, ast.FormattedValue) and _starts_with_iri(here.value, names):
                    glued |= isinstance(after, ast.FormattedValue) or bool(_IRI_CHAR.match(after.value))
        if glued:
            found.append(f"{name}:{node.lineno}: {ast.get_source_segment(source, node)}")
    return sorted(set(found))


def test_no_iri_glued_outside_the_namespace_module():
    """Rule IRI-GLUE: outside ``pvd_graph/namespaces.py``, no IRI is made by gluing text together.

    Flagged: ``+``, ``%``, ``.format`` or an f-string whose text starts with ``http://``, ``https://`` or
    ``urn:``, or that extends a namespace base (``ID``, ``ONTOLOGY``, ``GRAPHS``, ``PREFIXES[…]``, an
    rdflib namespace, a module constant holding an IRI) with more text (``ID + "commune/"``,
    ``f"{ID}commune/{code}"``, ``f"<{ONTOLOGY}Source>"``). Allowed: a whole IRI or base inserted into a
    larger text where it ends (``f"<{PVD.Source}>"`` in a query, ``STRSTARTS(STR(?s), "{ID}")``).
    IRIs come from the namespace module's terms and functions (``PVD.Commune``, ``ids.commune(code)``).
    """
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) if path not in IRI_MODULES
             for hit in iri_glue(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))
             if (hit.split(":", 1)[0], hit.split(": ", 1)[1]) not in ALLOWED]
    assert not found, "IRIs glued outside pvd_graph/namespaces.py:\n" + "\n".join(found)


@pytest.mark.parametrize("code, glued", [
    ('from pvd_graph.namespaces import ID\nx = ID + "commune/" + code', True),
    ('from pvd_graph.namespaces import ID\nx = f"{ID}commune/{code}"', True),
    ('from pvd_graph.namespaces import ONTOLOGY\nx = f"<{ONTOLOGY}Source>"', True),
    ('from pvd_graph.namespaces import PREFIXES\nx = PREFIXES["rdf"] + "type"', True),
    ('from rdflib.namespace import RDF\nx = str(RDF) + "type"', True),
    ('x = "https://example.org/" + name', True),
    ('x = f"https://example.org/{name}"', True),
    ('x = "https://example.org/{}".format(name)', True),
    ('BASE = "https://example.org/"\ny = BASE + name', True),
    ('from pvd_graph.namespaces import PVD\nx = f"<{PVD.Source}> ?p ?o"', False),
    ('from pvd_graph.namespaces import ID\nx = f\'STRSTARTS(STR(?s), "{ID}")\'', False),
    ('x = "(" + name + ")"', False),
    ('x = f"{name}: {value}"', False),
    ('from pvd_graph.namespaces import GRAPHS\nx = GRAPHS + "union"', True),
    ('GRAPHS = ("text/turtle",)\nx = GRAPHS + ("text/html",)', False),  # a local name, not the base
    ('x = namespaces.ID + key', True),
])
def test_the_rule_itself(code, glued):
    """The scanner flags the gluing forms and leaves whole IRIs inserted in a text alone."""
    assert bool(iri_glue(code, "case")) == glued, code


# --- single-valued properties ----------------------------------------------------------------------

def _max_count_1_paths() -> set[str]:
    """The simple paths of every shape with ``sh:maxCount 1``, read here with rdflib."""
    from rdflib import Literal
    from rdflib.namespace import SH

    g = Graph()
    for path in resources.shapes_files():
        g.parse(path, format="turtle")
    return {str(p) for shape in g.subjects(SH.maxCount, Literal(1)) for p in g.objects(shape, SH.path)
            if isinstance(p, URIRef)}


def test_single_valued_properties_are_the_shapes_max_count_1():
    found = namespaces.single_valued_properties()
    assert set(found) == _max_count_1_paths() and list(found) == sorted(found)
    assert str(PVD.population) in found and str(RDFS.label) in found


@pytest.mark.parametrize("prop", sorted(_max_count_1_paths()))
def test_the_build_resolves_every_max_count_1_property(prop):
    """Two sources disagreeing on any ``sh:maxCount 1`` property: the curated value is kept, the other reported."""
    from pvd_graph import store
    from pvd_graph.build import resolve_conflicts

    ds = store.new_dataset()
    s, p = ox.NamedNode(ids.commune("73011")), ox.NamedNode(prop)
    ds.extend([ox.Quad(s, p, ox.Literal("kept"), ox.NamedNode(namespaces.named_graph_iri("curated"))),
                         ox.Quad(s, p, ox.Literal("other"), ox.NamedNode(namespaces.named_graph_iri("anct-pvd")))])
    conflicts = resolve_conflicts(ds)
    assert [(c.property, c.kept, c.kept_source, c.dropped, c.dropped_source) for c in conflicts] == [
        (prop, "kept", "curated", "other", "anct-pvd")]


#: Modules that write a project IRI in full on purpose, and why.
WRITTEN_OUT = {"pvd_graph/cli/publish.py": "so that `publish --help` imports no RDF library (a test compares them)"}


def test_project_iris_are_written_only_in_the_namespace_module():
    """No other module spells out an IRI of the project (``https://w3id.org/pvd-graph/…``): they name it."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = str(path.relative_to(PACKAGE.parent))
        if path in IRI_MODULES or name in WRITTEN_OUT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.startswith("https://w3id.org/pvd-graph/"):
                found.append(f"{name}:{node.lineno}: {node.value}")
    assert not found, "\n".join(found)


def test_the_iris_written_out_for_a_lean_help_are_the_namespace_modules():
    from pvd_graph.cli import publish

    assert publish.UNION_GRAPH == namespaces.named_graph_iri("union")
    assert publish.BUILD_GRAPHS == namespaces.GRAPHS
