"""The HTML the server writes: the query page, catalogue results and the entity pages.

Every piece of graph text goes through :func:`html.escape` (labels come from
files published by many hands). Pages carry no inline script: the only scripts
are the query page's editor files under ``/assets/`` (see
:mod:`~pvd_graph.server.assets`), and the server's Content-Security-Policy
allows scripts from this server on that page only, none elsewhere.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from rdflib.namespace import XSD

from pvd_graph.namespaces import ONTOLOGY
from pvd_graph.server.entity_page import PAGE_SIZE

_STYLE = """body{font-family:system-ui,sans-serif;max-width:70rem;margin:1rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}
code,textarea{font-family:ui-monospace,monospace}textarea{width:100%;height:14rem}.iri{color:#555;font-size:.9em}
details{margin:.5rem 0}form.example input{width:9rem;margin-right:.5rem}.note{color:#8a4b00}pre{background:#f5f5f5;padding:.5rem;overflow:auto}"""


def _page(title: str, body: str, head: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}<style>{_STYLE}</style></head>'
            f'<body>{body}</body></html>\n')


#: The page frame (title, style), for the other page modules.
html_page = _page


def compact(iri: str, prefixes: dict[str, str]) -> str:
    """``pvd:Commune`` for a known namespace, else the IRI itself."""
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and len(iri) > len(ns) and prefix != "id":
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def local_href(iri: str, id_base: str | None) -> str | None:
    """The server path of a resource IRI under ``/id/``, or ``None`` for outside IRIs."""
    if id_base and iri.startswith(id_base):
        path, hash_, fragment = iri[len(id_base):].partition("#")
        return "/id/" + quote(path, safe="/-._~") + (hash_ + quote(fragment, safe="-._~") if hash_ else "")
    return None


def _node(node, labels: dict, id_base: str | None, prefixes: dict, show_iri: bool = True) -> str:
    if isinstance(node, ox.NamedNode):
        href = local_href(node.value, id_base)
        if href is None and node.value.startswith(ONTOLOGY):  # a term: its entry on this server's /ontology page
            href = "/ontology#" + quote(node.value[len(ONTOLOGY):], safe="-._~")
        if href is None and node.value.startswith(("http://", "https://")):
            href = node.value
        label = labels.get(node)
        text = escape(label) if label else escape(compact(node.value, prefixes))
        iri = f' <span class="iri">{escape(node.value)}</span>' if label and show_iri else ""
        return f'<a href="{escape(href)}">{text}</a>{iri}' if href else f"{text}{iri}"
    if isinstance(node, ox.BlankNode):
        return f"<code>_:{escape(node.value)}</code>"
    if isinstance(node, ox.Literal):
        extra = ""
        if node.language:
            extra = f' <span class="iri">@{escape(node.language)}</span>'
        elif node.datatype.value not in _PLAIN_DATATYPES:
            extra = f' <span class="iri">{escape(compact(node.datatype.value, prefixes))}</span>'
        return escape(node.value) + extra
    return escape(str(node))


#: Datatypes a reader needs no reminder of: the value says it (``1606``, ``2023-07-03``).
_PLAIN_DATATYPES = {str(t) for t in (XSD.string, XSD.integer, XSD.decimal, XSD.double, XSD.boolean, XSD.date,
                                     XSD.gYear, XSD.dateTime)}
#: French names of the properties the ontology does not label (those of W3C and DCMI vocabularies).
_PROPERTY_NAMES = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": "type",
    "http://www.w3.org/2000/01/rdf-schema#label": "nom",
    "http://www.w3.org/2000/01/rdf-schema#comment": "commentaire",
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": "voir aussi",
    "http://www.w3.org/ns/adms#identifier": "identifiant",
    "http://www.w3.org/ns/adms#schemeAgency": "agence du référentiel",
    "http://www.w3.org/2004/02/skos/core#notation": "notation",
    "http://www.w3.org/2004/02/skos/core#prefLabel": "nom",
    "http://www.w3.org/2004/02/skos/core#altLabel": "autre nom",
    "http://www.w3.org/2004/02/skos/core#definition": "définition",
    "http://www.w3.org/2002/07/owl#sameAs": "identique à",
    "http://purl.org/dc/terms/title": "titre",
    "http://purl.org/dc/terms/description": "description",
    "http://www.w3.org/ns/org#member": "membre",
    "http://www.opengis.net/ont/geosparql#hasGeometry": "géométrie",
    "http://www.opengis.net/ont/geosparql#asWKT": "coordonnées (WKT)",
    "http://purl.org/dc/terms/publisher": "éditeur",
    "http://purl.org/dc/terms/temporal": "millésime",
    "http://purl.org/dc/terms/modified": "modifié le",
    "http://purl.org/dc/terms/issued": "publié le",
    "http://purl.org/dc/terms/license": "licence",
    "http://purl.org/dc/terms/source": "source",
    "http://www.w3.org/ns/prov#wasDerivedFrom": "dérivé de",
    "http://www.w3.org/ns/dcat#downloadURL": "téléchargement",
    "http://www.w3.org/ns/dcat#landingPage": "page d’accueil",
    "http://spdx.org/rdf/terms#checksum": "empreinte",
    "http://spdx.org/rdf/terms#algorithm": "algorithme",
    "http://spdx.org/rdf/terms#checksumValue": "valeur",
}
_NAME_PROPERTIES = {"http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
                    "http://purl.org/dc/terms/title"}
_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _property(pred, labels: dict, prefixes: dict) -> str:
    """A property as its French label (the ontology's, else :data:`_PROPERTY_NAMES`), with its short name."""
    short = compact(pred.value, prefixes)
    name = labels.get(pred) or _PROPERTY_NAMES.get(pred.value)
    return f'{escape(name)} <span class="iri">{escape(short)}</span>' if name else escape(short)


def _rank(t, labels: dict, prefixes: dict) -> tuple:
    """Facts in reading order: names, type, codes and figures (literals), relations, then structured values."""
    p = t.predicate.value
    group = (0 if p in _NAME_PROPERTIES else 1 if p == _TYPE else 2 if isinstance(t.object, ox.Literal)
             else 3 if isinstance(t.object, ox.NamedNode) else 4)
    return group, labels.get(t.predicate) or _PROPERTY_NAMES.get(p) or compact(p, prefixes), str(t.object)


def _facts(subject, triples: list, labels: dict, id_base, prefixes: dict, depth: int = 0, root=None) -> str:
    """Rows of *subject*'s facts; a blank-node or hash-IRI value (``…/73011#point-anct-ort``) is shown
    once, as its own facts nested in the row."""
    root = root or subject
    rows = []
    for t in sorted((t for t in triples if t.subject == subject), key=lambda t: _rank(t, labels, prefixes)):
        part = isinstance(t.object, ox.BlankNode) or (
            isinstance(t.object, ox.NamedNode) and t.object.value.startswith(root.value + "#"))
        if part and depth < 5 and any(n.subject == t.object for n in triples):
            anchor = (f'<a id="{escape(t.object.value.split("#", 1)[1])}" class="iri">#{escape(t.object.value.split("#", 1)[1])}</a>'
                      if isinstance(t.object, ox.NamedNode) else "")
            value = anchor + f"<table>{_facts(t.object, triples, labels, id_base, prefixes, depth + 1, root)}</table>"
        else:
            value = _node(t.object, labels, id_base, prefixes)
        rows.append(f"<tr><td>{_property(t.predicate, labels, prefixes)}</td><td>{value}</td></tr>")
    return "".join(rows)


def entity_page(view, id_base: str | None, prefixes: dict) -> str:
    """HTML for one resource (an :class:`~pvd_graph.server.entity_page.EntityView`): its facts, then what points to it."""
    node, labels = view.node, view.labels
    title = labels.get(node) or node.value
    facts = _facts(node, view.outgoing, labels, id_base, prefixes)

    def kind(types) -> str:
        return ", ".join(_node(t, labels, id_base, prefixes, show_iri=False) for t in types) if types else ""

    back = "".join(
        f"<tr><td>{_node(t.subject, labels, id_base, prefixes)}</td><td>{kind(view.types.get(t.subject))}</td>"
        f"<td>{_property(t.predicate, labels, prefixes)}</td></tr>" for t in view.incoming)
    counts = "".join(
        f"<tr><td>{_property(p, labels, prefixes)}</td><td>{kind([t] if t is not None else [])}</td>"
        f"<td>{_number(n)}</td></tr>" for p, t, n in view.counts)
    first = (view.page - 1) * PAGE_SIZE + 1
    span = (f"<p>{_number(view.total_in)} lien{'s' if view.total_in != 1 else ''} entrant"
            f"{'s' if view.total_in != 1 else ''}")
    if view.pages > 1:
        nav = " · ".join(
            (f"<b>{n}</b>" if n == view.page else f'<a href="?page={n}">{n}</a>') for n in range(1, view.pages + 1))
        span += (f" ; ici {_number(first)} à {_number(first + len(view.incoming) - 1)} "
                 f"(page {view.page} sur {view.pages}) :</p><p class=pages>pages : {nav}</p>")
    else:
        span += ".</p>"
    alt = "".join(
        f'<a href="?format={k}" type="{m}">{n}</a> ' for k, m, n in
        (("turtle", "text/turtle", "Turtle"), ("jsonld", "application/ld+json", "JSON-LD"),
         ("ntriples", "application/n-triples", "N-Triples")))
    body = (f"<h1>{escape(title)}</h1><p class=iri>{escape(node.value)}</p><p>Formats : {alt}</p>"
            f"<h2>Faits</h2><table><tr><th>propriété</th><th>valeur</th></tr>{facts}</table>"
            "<h2>Liens entrants</h2>"
            + (f"<table><tr><th>propriété</th><th>type de la ressource</th><th>ressources</th></tr>{counts}</table>"
               + span + f"<table><tr><th>ressource</th><th>type</th><th>propriété</th></tr>{back}</table>"
               if view.total_in else "<p>Aucun.</p>")
            + '<p><a href="/sparql">Point d’accès SPARQL</a></p>')
    head = ('<link rel="alternate" type="text/turtle" href="?format=turtle">'
            '<link rel="alternate" type="application/ld+json" href="?format=jsonld">')
    return _page(title, body, head)


def _number(n: int) -> str:
    """French digit grouping: 333\u202f623."""
    return f"{n:,}".replace(",", "\u202f")


def dataset_section(view) -> str:
    """What the endpoint's dataset is: its default graph and its named graphs (the README's "dataset view")."""
    if view is None:
        return ""
    if view.build:
        default = ("le <b>graphe par défaut</b> est l’union de toutes les sources, chaque triplet une fois "
                   f"({_number(view.default)} triplets)")
    elif view.default_meaning:
        default = ("le <b>graphe par défaut</b> est l’union des graphes nommés (un triplet présent dans "
                   "plusieurs graphes y compte une fois par graphe)")
    else:
        default = f"le <b>graphe par défaut</b> contient {_number(view.default)} triplets"
    if not view.named:
        return f"<p>Jeu de données : {default} ; aucun graphe nommé.</p>"
    items = "".join(f"<li><code>{escape(name)}</code> ({_number(count)} triplets)</li>"
                    for name, count in view.named.items())
    per = ", un par source" if view.build else ""
    return (f"<p>Jeu de données : {default} ; à côté, {len(view.named)} <b>graphes nommés</b>{per} "
            "(<code>GRAPH &lt;…&gt; { … }</code> pour n’interroger qu’une source) :</p>"
            f"<ul>{items}</ul><p>Description du service (SPARQL 1.1 Service Description) : "
            "<code>/sparql</code> sans requête, avec <code>Accept: text/turtle</code>.</p>")


def _example_form(e: dict) -> str:
    """A catalogue query as a form: one field per parameter, bound by ``/catalogue/NAME`` (never pasted into the text)."""
    fields = "".join(
        f'<label>{escape(p["name"])} <input name="{escape(p["name"])}"'
        f'{"" if p["optional"] else " required"} placeholder="{escape(p["example"] or "")}" '
        f'title="{escape(p["description"])}"></label>{"" if p["optional"] else " *"} '
        for p in e["params"])
    return (f'<form class="example" method="get" action="/catalogue/{escape(e["name"])}" '
            f'data-example="{escape(e["name"])}">{fields}<button type="submit">exécuter</button></form>')


def _examples_json(examples: list[dict]) -> str:
    """The examples for the editor's script, safe inside ``<script type="application/json">``."""
    data = [{"name": e["name"], "title": e["title"], "query": e["query"]} for e in examples]
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


DEFAULT_QUERY = ("PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>\n"
                 "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                 "SELECT ?commune ?nom WHERE {\n  ?commune a pvd:Commune ; rdfs:label ?nom .\n} LIMIT 10")


def query_page(examples: list[dict], limits: dict, query: str = "", view=None, editor: bool = False) -> str:
    """The endpoint's home: the editor (YASGUI when *editor*, else a plain form), the dataset, the catalogue.

    Each catalogue query is a form whose fields are its parameters: without the
    editor it answers with an HTML table (``/catalogue/NAME``), with the editor
    its script runs it in a new YASGUI tab.
    """
    items = "".join(
        f"<details><summary><b>{escape(e['title'])}</b> — {escape(e.get('description', ''))}</summary>"
        f"{_example_form(e)}<pre>{escape(e['query'])}</pre></details>"
        for e in examples)
    default = query or DEFAULT_QUERY
    intro = ("<p>SPARQL 1.1 (lecture seule) sur <code>/sparql</code> : GET ou POST. Formats par l’en-tête "
             "<code>Accept</code> ou <code>format=</code> : json, xml, csv, tsv ; turtle, ntriples, jsonld pour CONSTRUCT/DESCRIBE. "
             f"Limites : {limits['timeout']:g} s par requête, {limits['max_results']} lignes par résultat. "
             "SPARQL Update et SERVICE sont refusés. Les préfixes usuels (pvd:, rdfs:, xsd:, …) sont prédéclarés.</p>")
    if editor:
        tool = (f'<div id="yasgui" data-query="{escape(default)}"></div>'
                f'<script type="application/json" id="pvd-examples">{_examples_json(examples)}</script>'
                '<script defer src="/assets/yasgui.min.js"></script><script defer src="/assets/pvd-yasgui.js"></script>')
        head = '<link rel="stylesheet" href="/assets/yasgui.min.css">'
    else:
        tool = ('<p class="note">Éditeur YASGUI absent de ce serveur : formulaire simple '
                "(voir <code>pvd-graph serve --help</code>, option <code>--assets</code>).</p>"
                '<form method="post" action="/sparql"><textarea name="query">' + escape(default) + "</textarea>"
                '<p><label>Format <select name="format"><option>json</option><option>xml</option><option>csv</option>'
                "<option>tsv</option><option>turtle</option><option>jsonld</option><option>ntriples</option></select></label> "
                '<button type="submit">Exécuter</button></p></form>')
        head = ""
    body = ("<h1>pvd-graph — point d’accès SPARQL</h1>" + intro + tool
            + dataset_section(view)
            + (f"<h2>Exemples du catalogue</h2><p>Chaque requête a ses paramètres en champs "
               f"(* : obligatoire).</p>{items}" if items else "")
            + '<p>Ressources : <a href="/id/commune/73011">/id/commune/73011</a></p>')
    return _page("pvd-graph SPARQL", body, head)


def results_page(title: str, head: list[str], rows: list[list[str]], notes: list[str]) -> str:
    """A SELECT result as an HTML table (a catalogue form sent without the editor)."""
    table = ("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"
             + "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows))
    said = "".join(f"<p>{escape(n)}</p>" for n in notes)
    body = (f"<h1>{escape(title)}</h1>{said}<p>{_number(len(rows))} ligne{'s' if len(rows) != 1 else ''}.</p>"
            f'<table>{table}</table><p><a href="/sparql">Point d’accès SPARQL</a></p>')
    return _page(title, body)
