"""Ontology documentation: an HTML page of the ontology (pyLODE) and a summary of the SHACL shapes.

``index.html`` is pyLODE's page for ``ontology/pvd.ttl`` (classes, properties,
labels, definitions), with a link to ``shapes.html``; ``shapes.html`` is
written here from the shapes graph: one table per target class listing each
property constraint (path, constraints, severity, message). Every value is
HTML-escaped.

pyLODE is pinned to 3.3.4: 3.4.1 (the newest on PyPI here) crashes at import
(it reads a ``pyproject.toml`` that its wheel does not ship).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import BNode, Literal, Node

from pvd_graph import resources
from pvd_graph.namespaces import PREFIXES
from pvd_graph.shapes import load_shapes  # the one reader of the shapes files (one-line parse errors)

#: Languages of the ontology page (the ontology labels and defines every term in both).
LANGUAGES = ("fr", "en")
FALLBACK_LANGUAGE = "fr"

SHAPES_PAGE = "shapes.html"
ONTOLOGY_PAGE = "index.html"

#: Constraint parameters shown, in this order, with their display names.
CONSTRAINTS = (
    ("minCount", "min"), ("maxCount", "max"), ("datatype", "type"), ("class", "classe"),
    ("nodeKind", "nature"), ("pattern", "motif"), ("languageIn", "langues"), ("in", "valeurs"),
    ("hasValue", "valeur"), ("minInclusive", "≥"), ("maxInclusive", "≤"), ("minExclusive", ">"),
    ("maxExclusive", "<"), ("minLength", "longueur ≥"), ("maxLength", "longueur ≤"), ("node", "forme"),
    ("uniqueLang", "une par langue"), ("equals", "égal à"), ("disjoint", "disjoint de"),
    ("lessThan", "inférieur à"), ("qualifiedValueShape", "forme qualifiée"),
    ("qualifiedMinCount", "min qualifié"), ("qualifiedMaxCount", "max qualifié"),
)


def shorten(term: Node) -> str:
    """``prefix:local`` for an IRI in a known namespace, the lexical form for a literal."""
    if isinstance(term, Literal):
        return str(term)
    text = str(term)
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if text.startswith(ns) and len(text) > len(ns):
            return f"{prefix}:{text[len(ns):]}"
    return f"<{text}>" if isinstance(term, URIRef) else "[ ]"


def _render(g: Graph, node: Node) -> str:
    """A constraint value as text: lists as ( a b ), paths and blank nodes in brief."""
    if isinstance(node, BNode):
        if (node, RDF.first, None) in g or node == RDF.nil:
            return "( " + " ".join(_render(g, x) for x in Collection(g, node)) + " )"
        for key, label in ((SH.inversePath, "^"), (SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"),
                           (SH.zeroOrOnePath, "?"), (SH.alternativePath, "|")):
            inner = g.value(node, key)
            if inner is not None:
                return f"{label}{_render(g, inner)}"
        return "[ ]"
    return shorten(node)


@dataclass
class PropertyRow:
    path: str
    constraints: list[tuple[str, str]]
    severity: str
    message: str
    shape: str


@dataclass
class ClassShapes:
    target: str
    shapes: list[str] = field(default_factory=list)
    rows: list[PropertyRow] = field(default_factory=list)


def _messages(g: Graph, node: Node) -> str:
    msgs = sorted(g.objects(node, SH.message), key=lambda m: (getattr(m, "language", "") != "fr", str(m)))
    return str(msgs[0]) if msgs else ""


def summarise_shapes(shapes: Graph) -> list[ClassShapes]:
    """Per target class, every property shape of the node shapes targeting it."""
    by_class: dict[str, ClassShapes] = {}
    for node_shape, target in sorted(shapes.subject_objects(SH.targetClass), key=lambda x: (str(x[1]), str(x[0]))):
        entry = by_class.setdefault(str(target), ClassShapes(shorten(target)))
        entry.shapes.append(shorten(node_shape))
        node_severity = shapes.value(node_shape, SH.severity)
        for prop in sorted(shapes.objects(node_shape, SH.property), key=lambda p: _render(shapes, shapes.value(p, SH.path))):
            constraints = []
            for key, label in CONSTRAINTS:
                for value in sorted(shapes.objects(prop, SH[key]), key=str):
                    constraints.append((label, _render(shapes, value)))
            severity = shapes.value(prop, SH.severity) or node_severity or SH.Violation
            entry.rows.append(PropertyRow(
                path=_render(shapes, shapes.value(prop, SH.path)),
                constraints=constraints,
                severity=shorten(severity).removeprefix("sh:"),
                message=_messages(shapes, prop) or _messages(shapes, node_shape),
                shape=shorten(prop) if isinstance(prop, URIRef) else shorten(node_shape),
            ))
    return [by_class[k] for k in sorted(by_class)]


def shapes_html(summary: list[ClassShapes]) -> str:
    """A self-contained HTML page of the shapes summary (every value escaped)."""
    e = html.escape
    out = [
        "<!DOCTYPE html>", '<html lang="fr"><head><meta charset="utf-8">',
        "<title>pvd-graph : contraintes SHACL par classe</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #ccc;padding:.3em;vertical-align:top;text-align:left}th{background:#eee}"
        "code{font-size:90%}.Violation{color:#a00}.Warning{color:#a60}.Info{color:#06a}</style>",
        "</head><body>", "<h1>Contraintes SHACL par classe</h1>",
        f'<p><a href="{ONTOLOGY_PAGE}">Ontologie</a> · formes : <code>{e(PREFIXES["pvdsh"])}</code></p>',
        "<ul>",
    ]
    for cls in summary:
        out.append(f'<li><a href="#{e(_anchor(cls.target), quote=True)}">{e(cls.target)}</a></li>')
    out.append("</ul>")
    for cls in summary:
        out.append(f'<h2 id="{e(_anchor(cls.target), quote=True)}">{e(cls.target)}</h2>')
        out.append(f"<p>Formes : {', '.join(f'<code>{e(s)}</code>' for s in cls.shapes)}</p>")
        out.append("<table><tr><th>propriété</th><th>contraintes</th><th>gravité</th><th>message</th></tr>")
        for row in cls.rows:
            cons = "<br>".join(f"{e(k)} <code>{e(v)}</code>" for k, v in row.constraints)
            out.append(f"<tr><td><code>{e(row.path)}</code></td><td>{cons}</td>"
                       f'<td class="{e(row.severity, quote=True)}">{e(row.severity)}</td><td>{e(row.message)}</td></tr>')
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _anchor(name: str) -> str:
    return name.replace(":", "-")


def keep_one_language(g: Graph, lang: str) -> Graph:
    """Remove from *g* the literals not in *lang*, for each subject and property that has some in *lang*.

    pyLODE shows every label it finds: with ``"commune"@fr`` and ``"commune"@en``
    a heading read "communecommune". Where a subject has no literal in *lang*
    for a property, its French ones (the project's required language) are kept,
    and failing those every one. Untagged literals are always kept. *g* is
    changed in place (pyLODE lists terms in the order the file gives them, which
    a copy would lose) and returned.
    """
    tagged: dict[tuple, set[str]] = {}
    for s, p, o in g:
        if isinstance(o, Literal) and o.language:
            tagged.setdefault((s, p), set()).add(o.language.lower())
    kept = {key: (lang if lang in langs else FALLBACK_LANGUAGE if FALLBACK_LANGUAGE in langs else None)
            for key, langs in tagged.items()}
    for s, p, o in list(g):
        if isinstance(o, Literal) and o.language and kept[s, p] not in (None, o.language.lower()):
            g.remove((s, p, o))
    return g


def _ontpub():
    """pyLODE's ``OntPub``, imported without its side effect on logging.

    pyLODE 3.3.4 calls ``logging.basicConfig(level=DEBUG)`` when imported: every
    INFO and DEBUG line of every library (pyLODE's own, asyncio's) would then go
    to stderr, even with ``--quiet``. The root logger is put back as it was.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from pylode import OntPub
    except ImportError:
        from pvd_graph.errors import UserError

        raise UserError("pyLODE is not installed: pip install 'pvd-graph[docs]'") from None
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    return OntPub


def ontology_html(ontology: Path | None = None, lang: str = "fr") -> str:
    """pyLODE's HTML page for the ontology file, its labels and definitions in *lang* (one of :data:`LANGUAGES`)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}")
    OntPub = _ontpub()
    g = Graph().parse(ontology or resources.ONTOLOGY_FILE, format="turtle")
    page = OntPub(ontology=keep_one_language(g, lang)).make_html(include_css=True)
    return page.replace("<html>", f'<html lang="{lang}">', 1)


def generate_docs(out_dir: Path | str, lang: str = "fr") -> list[Path]:
    """Write ``index.html`` (ontology, in *lang*) and ``shapes.html`` (shapes per class) into *out_dir*."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = ontology_html(lang=lang)
    text = {"fr": "Contraintes SHACL par classe", "en": "SHACL constraints per class (in French)"}[lang]
    link = f'<p style="margin:1em"><a href="{SHAPES_PAGE}">{text} (shapes)</a></p>'
    page = page.replace("<body>", "<body>\n" + link, 1)
    index = out / ONTOLOGY_PAGE
    index.write_text(page, encoding="utf-8")
    shapes = out / SHAPES_PAGE
    shapes.write_text(shapes_html(summarise_shapes(load_shapes())), encoding="utf-8")
    return [index, shapes]
