"""The partner network: a networkx projection of the RDF graph, built with SPARQL.

Who works with whom, as a graph that networkx, Gephi or a browser can draw:

* **nodes** are actors — communes, EPCI, départements, régions, the State,
  agencies, other organisations — and the things that tie them: programmes
  and (optionally) conventions. The node key is the resource IRI; attributes
  are ``label``, ``type`` (one of :data:`NODE_TYPES`), ``iri`` and, when
  known, ``code`` (INSEE code, SIREN or programme id), ``insee``, ``siren``,
  ``subtype`` (EPCI kind, convention class), ``signed_on``, ``population``,
  ``departement`` (IRI of a commune's département). Missing values are left
  out, never ``None``, so the GraphML/GEXF writers accept every graph.
* **edges** are an undirected :class:`networkx.MultiGraph` whose edge key is
  the relation (:data:`RELATIONS`): two actors can be related in several ways
  at once (a town is both *signatory* of and *concerned* by its convention),
  and each way stays a separate, typed edge. Every edge has ``relation``,
  ``label`` (French) and an integer ``weight``; ``cosigned`` edges (only when
  conventions are not nodes) weigh the number of conventions both sides
  signed and list them in ``conventions`` (space-separated IRIs).

A commune is in the network only when it takes part in something: a
programme, or a convention as signatory or concerned territory. Its EPCI
follows through ``memberOf``. The 35,000 communes that take part in nothing
would otherwise drown the partners.

All facts come from two SPARQL queries (relations, node attributes); the
filters, the folding of conventions into ``cosigned`` ties and the ego graph
then work on the projection, in that order: a filter selects conventions, so it
must see them before they are folded (the State, tied to the towns of a
programme only through the conventions it signs, would otherwise fall out).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping
from itertools import combinations

import networkx as nx
from rdflib import Graph

from pvd_graph import store
from pvd_graph.errors import UserError
from pvd_graph.identifiers import (
    InvalidCode, check_slug, commune_iri, departement_iri, epci_iri, normalise_departement,
    normalise_insee, normalise_siren, programme_iri,
)
from pvd_graph.namespaces import ONTOLOGY

#: Node types, in the order legends list them, with their French display name.
NODE_TYPES = {
    "commune": "Commune",
    "epci": "EPCI",
    "departement": "Département",
    "region": "Région",
    "state": "État",
    "agency": "Agence",
    "organisation": "Organisation",
    "programme": "Programme",
    "convention": "Convention",
    "resource": "Autre ressource",
}

#: Edge relations (the MultiGraph edge keys) with their French display name.
RELATIONS = {
    "cosigned": "cosignataires",
    "signatory": "signataire",
    "concerns": "concerne",
    "memberOf": "membre de",
    "participatesIn": "participe à",
    "ledBy": "piloté par",
    "partner": "partenaire",
    "underProgramme": "dans le programme",
    "partOf": "fait partie de",
}

#: Class local name → node type. When a resource has several, the first type
#: of :data:`_TYPE_PRECEDENCE` wins (the State is also an Organisation).
_CLASS_TYPES = {
    "Commune": "commune",
    "EPCI": "epci", "FormerEPCI": "epci", "CommunauteDeCommunes": "epci", "CommunauteDAgglomeration": "epci",
    "CommunauteUrbaine": "epci", "Metropole": "epci",
    "Departement": "departement", "Region": "region",
    "State": "state", "Agency": "agency", "Organisation": "organisation", "Grouping": "organisation",
    "Programme": "programme",
    "Convention": "convention", "FrameworkConvention": "convention", "ORTConvention": "convention",
    "TownConvention": "convention", "CRTEContract": "convention",
}
_TYPE_PRECEDENCE = ("state", "agency", "commune", "epci", "departement", "region",
                    "programme", "convention", "organisation")
_SUBTYPE_CLASSES = {"CommunauteDeCommunes", "CommunauteDAgglomeration", "CommunauteUrbaine",
                    "Metropole", "FrameworkConvention", "ORTConvention", "TownConvention",
                    "CRTEContract"}

#: Types that tie actors together: reaching one costs no ego-graph step.
_TIES = {"convention", "programme"}
#: National actors partnering everything: the ego graph reaches them but does
#: not go through them (the State signs every ACV convention).
_HUBS = {"state", "agency"}

_PREFIX = f"PREFIX pvd: <{ONTOLOGY}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"

# A commune counts only when it takes part in a programme or a convention.
_ACTIVE = "{ ?a pvd:participatesIn [] } UNION { [] pvd:participant ?a } UNION { [] pvd:signatory ?a } UNION { [] pvd:concerns ?a }"

RELATIONS_QUERY = _PREFIX + f"""
SELECT ?rel ?a ?b WHERE {{
  {{ ?a pvd:memberOf ?b . FILTER EXISTS {{ {_ACTIVE} }} BIND("memberOf" AS ?rel) }}
  UNION {{ ?a pvd:participatesIn ?b . BIND("participatesIn" AS ?rel) }}
  UNION {{ ?p pvd:participant ?a ; pvd:inProgramme ?b . BIND("participatesIn" AS ?rel) }}
  UNION {{ ?b pvd:ledBy ?a . BIND("ledBy" AS ?rel) }}
  UNION {{ ?b pvd:partner ?a . BIND("partner" AS ?rel) }}
  UNION {{ ?b pvd:signatory ?a . BIND("signatory" AS ?rel) }}
  UNION {{ ?a pvd:concerns ?b . BIND("concerns" AS ?rel) }}
  UNION {{ ?a pvd:underProgramme ?b . BIND("underProgramme" AS ?rel) }}
  UNION {{ ?a pvd:partOf ?b . BIND("partOf" AS ?rel) }}
  FILTER(isIRI(?a) && isIRI(?b))
}}"""

# One row per node: the same fact held by several named graphs (or a label per
# source) would otherwise multiply the rows, 160 of them for Albertville.
NODES_QUERY = _PREFIX + """
SELECT ?n (GROUP_CONCAT(DISTINCT STR(?cls); separator=" ") AS ?classes)
       (SAMPLE(?fr) AS ?labelFr) (SAMPLE(?anyLabel) AS ?label) (SAMPLE(?insee0) AS ?insee)
       (SAMPLE(?siren0) AS ?siren) (SAMPLE(?epciType0) AS ?epciType) (SAMPLE(?pid0) AS ?pid)
       (SAMPLE(?date0) AS ?date) (MAX(?pop0) AS ?pop) (SAMPLE(?dep0) AS ?dep) WHERE {
  VALUES ?n { %s }
  OPTIONAL { ?n a ?cls . FILTER(STRSTARTS(STR(?cls), STR(pvd:))) }
  OPTIONAL { ?n rdfs:label ?fr . FILTER(LANGMATCHES(LANG(?fr), "fr")) }
  OPTIONAL { ?n rdfs:label ?anyLabel }
  OPTIONAL { ?n pvd:inseeCode ?insee0 }
  OPTIONAL { ?n pvd:siren ?siren0 }
  OPTIONAL { ?n pvd:epciType ?epciType0 }
  OPTIONAL { ?n pvd:programmeId ?pid0 }
  OPTIONAL { ?n pvd:signedOn ?date0 }
  OPTIONAL { ?n pvd:population ?pop0 }
  OPTIONAL { ?n pvd:inDepartement ?dep0 }
} GROUP BY ?n"""

_VALUES_CHUNK = 1000


def build_network(ds: Graph, focus: str | None = None, depth: int = 1, programme: str | None = None,
                  departement: str | None = None, include_conventions: bool = True,
                  as_of: str | None = None) -> nx.MultiGraph:
    """The partner network of *ds*, optionally filtered and cut around one actor.

    *programme* (slug) keeps the territories taking part in that programme,
    their EPCI, the programme's conventions and their signatories, and the
    programme's leader and partners. *departement* (code) keeps the communes
    of that département, their EPCI, their conventions with every signatory,
    their programmes and those programmes' leader and partners.

    *focus* (INSEE code, SIREN or IRI, see :func:`resolve_focus`) cuts the
    ego graph of radius *depth*, counted in actor-to-actor steps: passing
    through a convention or a programme costs nothing (the convention *is* the
    tie between its signatories), and the ego graph stops at the State and
    agencies, and follows a programme only to its leader and partners — they
    take part in everything, and going through them would reach the whole
    country at depth 2.

    With *include_conventions* false, conventions are not nodes: signatories
    are tied directly by ``cosigned`` edges weighted by their shared
    conventions (:func:`fold_conventions`). The folding comes after the
    *programme* and *departement* filters, which select conventions, and
    before the ego graph, which then steps along ``cosigned`` ties.

    *as_of* (``YYYY-MM-DD``) first keeps the network as of that date (:func:`as_of_view`).
    """
    if depth < 0:
        raise UserError(f"--depth must be 0 or more, not {depth}")
    day = as_of_day(as_of) if as_of is not None else None  # a bad date fails before the graph is read
    graph = project(ds)
    if day is not None:
        graph = as_of_view(ds, graph, day)
    if programme is not None:
        graph = _programme_view(graph, programme)
    if departement is not None:
        graph = _departement_view(graph, departement)
    if not include_conventions:
        graph = fold_conventions(graph)
    if focus is not None:
        graph = ego_network(graph, resolve_focus(graph, focus), depth)
    graph.graph.update({k: v for k, v in (("focus", focus), ("programme", programme),
                                          ("departement", departement), ("as_of", as_of)) if v is not None})
    return graph


def project(ds: Graph) -> nx.MultiGraph:
    """The whole partner network of *ds*, unfiltered, conventions as nodes (see the module docstring)."""
    graph = nx.MultiGraph(name="pvd-graph partner network")
    for rel, a, b in store.query(ds, RELATIONS_QUERY):
        rel = str(rel)
        graph.add_edge(str(a), str(b), key=rel, relation=rel, label=RELATIONS[rel], weight=1)
    _add_node_attributes(ds, graph)
    dates = [str(t) for (t,) in store.query(ds, DATA_DATE_QUERY) if t is not None]
    if dates and dates[0]:
        graph.graph["data_date"] = dates[0][:10]
    return graph


#: The day the newest source of the graph was retrieved (``prov:generatedAtTime``): the date a
#: drawing's data is of, so that a GEXF file says when its data changed, not when it was written.
DATA_DATE_QUERY = "SELECT (MAX(STR(?t)) AS ?t) WHERE { ?s <http://www.w3.org/ns/prov#generatedAtTime> ?t }"


def fold_conventions(graph: nx.MultiGraph) -> nx.MultiGraph:
    """*graph* without its convention nodes, their signatories tied by ``cosigned`` edges.

    Each pair of signatories of a convention of *graph* gets one ``cosigned``
    edge weighing the number of conventions they both signed, listed in
    ``conventions``. Other nodes (a town only *concerned* by a convention)
    stay, even when left without edges.
    """
    shared: dict[tuple[str, str], set[str]] = {}
    conventions = _of_type(graph, graph, {"convention"})
    for conv in conventions:
        for a, b in combinations(sorted(_neighbours(graph, conv, ("signatory",))), 2):
            shared.setdefault((a, b), set()).add(conv)
    out = graph.copy()
    out.remove_nodes_from(conventions)
    for (a, b), convs in sorted(shared.items()):
        out.add_edge(a, b, key="cosigned", relation="cosigned", label=RELATIONS["cosigned"],
                     weight=len(convs), conventions=" ".join(sorted(convs)))
    return out


def _add_node_attributes(ds: Graph, graph: nx.MultiGraph) -> None:
    nodes = sorted(graph)
    for i in range(0, len(nodes), _VALUES_CHUNK):
        values = " ".join(f"<{n}>" for n in nodes[i:i + _VALUES_CHUNK])
        for n, classes, label_fr, label, *codes, pop, dep in store.query(ds, NODES_QUERY % values):
            row = {key: str(value) for key, value in zip(
                ("insee", "siren", "epci_type", "programme_id", "signed_on"), codes) if value is not None}
            if dep is not None:
                row["departement"] = str(dep)
            if pop is not None and str(pop).lstrip("-").isdigit():
                row["population"] = int(pop)
            found = {c[len(ONTOLOGY):] for c in str(classes or "").split()}
            graph.nodes[str(n)].update(_node_attributes(str(n), found, label_fr or label, row))


def _node_attributes(iri: str, classes: set[str], label, row: dict) -> dict:
    types = {_CLASS_TYPES[c] for c in classes if c in _CLASS_TYPES}
    node_type = next((t for t in _TYPE_PRECEDENCE if t in types), "resource")
    attrs = {"iri": iri, "label": str(label) if label is not None else iri.rstrip("/").rsplit("/", 1)[-1],
             "type": node_type}
    subtypes = sorted(classes & _SUBTYPE_CLASSES)
    if subtypes:
        attrs["subtype"] = subtypes[0]
    code = row.get("insee") or row.get("siren") or row.get("programme_id")
    if code:
        attrs["code"] = code
    attrs.update(row)
    return attrs


# --- as of a date -------------------------------------------------------------

# A town takes part in a programme from its participation's pvd:inProgrammeFrom (derived by the build:
# the first day of the vintage of the first list naming it, or a convention's signature; a derived TI
# commune the date of its EPCI's; ontology/README.md, "The graph as of a date"), as towns-in-programme.
SELECTED_QUERY = _PREFIX + """
SELECT ?a ?b (MIN(?day) AS ?from) WHERE {
  ?p pvd:participant ?a ; pvd:inProgramme ?b ; pvd:inProgrammeFrom ?day .
} GROUP BY ?a ?b"""

# Memberships (pvd:Membership, half-open [validFrom, validUntil)) valid at ?date.
MEMBERSHIPS_QUERY = _PREFIX + """PREFIX org: <http://www.w3.org/ns/org#>
SELECT ?a ?b ?date WHERE {
  ?m org:member ?a ; org:organization ?b ; pvd:validFrom ?from .
  FILTER (?from <= ?date)
  FILTER NOT EXISTS { ?m pvd:validUntil ?until FILTER (?until <= ?date) }
}"""


def as_of_day(date: str) -> str:
    """*date* as ``YYYY-MM-DD``, or a one-line :class:`UserError`."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(str(date).strip()).isoformat()
    except ValueError:
        raise UserError(f"--as-of {date!r}: not a date YYYY-MM-DD") from None


def as_of_view(ds: Graph, graph: nx.MultiGraph, date: str) -> nx.MultiGraph:
    """*graph* as of *date*: conventions signed on or before it (an undated one is left out: it cannot
    be placed in time), ``participatesIn`` ties from the participation's ``pvd:inProgrammeFrom`` (the first
    list naming it, or a convention of the programme concerning it signed by then; derived by the build)
    or a convention of the programme concerning the town signed by then, ``memberOf`` the memberships
    valid at the date (a former EPCI included); then, as in :func:`project`, only the communes that
    take part in something, and no node left without a tie.
    """
    from rdflib import Literal
    from rdflib.namespace import XSD

    day = as_of_day(date)
    out = graph.copy()
    late = [n for n, attrs in out.nodes(data=True)
            if attrs.get("type") == "convention" and not attrs.get("signed_on", "9999") <= day]
    out.remove_nodes_from(late)
    selected = {(str(a), str(b)) for a, b, start in store.query(ds, SELECTED_QUERY) if str(start) <= day}
    for a, b, key in list(out.edges(keys=True)):
        if key == "participatesIn":
            pair = (a, b) if out.nodes[b].get("type") == "programme" else (b, a)
            by_convention = any(out.has_edge(c, pair[0], "concerns") and out.has_edge(c, pair[1], "underProgramme")
                                for c in out[pair[0]] if out.nodes[c].get("type") == "convention")
            if pair not in selected and not by_convention:
                out.remove_edge(a, b, key)
        elif key == "memberOf":
            out.remove_edge(a, b, key)
    inactive = {n for n, t in out.nodes(data="type") if t == "commune" and not out.degree(n)}
    out.remove_nodes_from(inactive)
    added = []
    for a, b, _ in store.query(ds, MEMBERSHIPS_QUERY, bindings={"date": Literal(day, datatype=XSD.date)}):
        a, b = str(a), str(b)
        if a in out and out.nodes[a].get("type") == "commune":
            added += [n for n in (b,) if n not in out]
            out.add_edge(a, b, key="memberOf", relation="memberOf", label=RELATIONS["memberOf"], weight=1)
    if added:
        sub = nx.MultiGraph()
        sub.add_nodes_from(added)
        _add_node_attributes(ds, sub)
        for n in added:
            out.nodes[n].update(sub.nodes[n])
    out.remove_nodes_from([n for n in list(out) if not out.degree(n) and out.nodes[n].get("type") != "programme"])
    return out


# --- filters -----------------------------------------------------------------

def _neighbours(graph: nx.MultiGraph, node: str, relations: Iterable[str]) -> set[str]:
    wanted = set(relations)
    return {v for _, v, key in graph.edges(node, keys=True) if key in wanted}


def _of_type(graph: nx.MultiGraph, nodes: Iterable[str], types: set[str]) -> set[str]:
    return {n for n in nodes if graph.nodes[n].get("type") in types}


def _programme_partners(graph: nx.MultiGraph, programmes: Iterable[str]) -> set[str]:
    return {p for prog in programmes for p in _neighbours(graph, prog, ("ledBy", "partner"))}


def _programme_view(graph: nx.MultiGraph, slug: str) -> nx.MultiGraph:
    try:
        iri = programme_iri(check_slug(slug))
    except InvalidCode as exc:
        raise UserError(f"--programme: {exc}") from None
    if iri not in graph:
        known = sorted(graph.nodes[n].get("code") or n.rsplit("/", 1)[-1]
                       for n in graph if graph.nodes[n].get("type") == "programme")
        raise UserError(f"--programme {slug}: no such programme in this graph (known: {', '.join(known) or 'none'})")
    territories = _neighbours(graph, iri, ("participatesIn",))
    conventions = _of_type(graph, _neighbours(graph, iri, ("underProgramme",)), {"convention"})
    keep = {iri} | territories | conventions | _programme_partners(graph, [iri])
    keep |= {v for t in territories for v in _neighbours(graph, t, ("memberOf",))}
    keep |= {v for c in conventions for v in _neighbours(graph, c, ("signatory", "concerns", "partOf"))}
    return graph.subgraph(keep).copy()


def _departement_view(graph: nx.MultiGraph, code: str) -> nx.MultiGraph:
    try:
        code = normalise_departement(code)
    except InvalidCode as exc:
        raise UserError(f"--departement: {exc}") from None
    dep = departement_iri(code)
    communes = {n for n, d in graph.nodes(data="departement") if d == dep}
    if not communes:
        raise UserError(f"--departement {code}: no commune of this département takes part in a programme or convention in this graph")
    territories = communes | {v for c in communes for v in _neighbours(graph, c, ("memberOf",))}
    if dep in graph:
        territories.add(dep)
    ties = _of_type(graph, {v for t in territories for v in graph[t]}, _TIES)
    conventions = _of_type(graph, ties, {"convention"})
    keep = territories | ties
    keep |= {v for c in conventions for v in _neighbours(graph, c, ("signatory", "concerns", "partOf"))}
    keep |= _programme_partners(graph, _of_type(graph, keep, {"programme"}))
    return graph.subgraph(keep).copy()


# --- focus and ego graph --------------------------------------------------------

def resolve_focus(graph: nx.MultiGraph, value: str) -> str:
    """The node for ``--focus``: an INSEE code, a SIREN or an IRI of the network.

    A nine-digit value is a SIREN: the EPCI or commune carrying it. Anything
    that is not a node of *graph* is a :class:`UserError`.
    """
    text = str(value).strip()
    if text.startswith(("http://", "https://")):
        iri = text
    elif len(text.replace(" ", "")) >= 8 and text.replace(" ", "").isdigit():
        try:
            siren = normalise_siren(text)
        except InvalidCode as exc:
            raise UserError(f"--focus: {exc}") from None
        iri = next((n for n, s in graph.nodes(data="siren") if s == siren), epci_iri(siren))
    else:
        try:
            iri = commune_iri(normalise_insee(text))
        except InvalidCode as exc:
            raise UserError(f"--focus: {exc}; expected an INSEE code, a SIREN or an IRI") from None
    if iri not in graph:
        raise UserError(f"--focus {text}: {iri} is not in the partner network "
                        "(no programme, convention or EPCI link in the selection)")
    return iri


def ego_network(graph: nx.MultiGraph, centre: str, depth: int = 1) -> nx.MultiGraph:
    """Nodes within *depth* actor steps of *centre* (see :func:`build_network`).

    A 0–1 breadth-first search: entering a convention or programme costs 0,
    entering an actor costs 1. The State and agencies are reached but not
    expanded, and a programme is expanded only to its leader and partners,
    unless it is the centre itself.
    """
    dist = {centre: 0}
    queue = deque([centre])
    while queue:
        node = queue.popleft()
        node_type = graph.nodes[node].get("type")
        if node != centre and node_type in _HUBS:
            continue
        if node != centre and node_type == "programme":
            nexts = _neighbours(graph, node, ("ledBy", "partner"))
        else:
            nexts = set(graph[node])
        for nxt in nexts:
            cost = 0 if graph.nodes[nxt].get("type") in _TIES else 1
            d = dist[node] + cost
            if d <= depth and d < dist.get(nxt, depth + 1):
                dist[nxt] = d
                (queue.appendleft if cost == 0 else queue.append)(nxt)
    sub = graph.subgraph(dist).copy()
    for n, d in dist.items():
        sub.nodes[n]["distance"] = d
    return sub


# --- aggregation for national views ------------------------------------------------

def _move_edges(graph: nx.MultiGraph, out: nx.MultiGraph, into: Mapping[str, str]) -> None:
    """Copy *graph*'s edges into *out* with each end replaced by the node it merged ``into``.

    Edges of one relation between the same two merged nodes become one: weights
    added, ``conventions`` (a co-signature's list) united; an edge inside one
    merged node is dropped.
    """
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        a, b = into.get(u, u), into.get(v, v)
        if a == b:
            continue
        if not out.has_edge(a, b, key):
            out.add_edge(a, b, key=key, **{**attrs, "weight": attrs.get("weight", 1)})
            continue
        edge = out.edges[a, b, key]
        edge["weight"] += attrs.get("weight", 1)
        if "conventions" in attrs:
            edge["conventions"] = " ".join(sorted(set(edge.get("conventions", "").split())
                                                  | set(attrs["conventions"].split())))


def aggregate_communes(graph: nx.MultiGraph) -> nx.MultiGraph:
    """Communes merged into their EPCI: the national network small enough to draw.

    Each commune with an EPCI disappears; its edges move to the EPCI (same
    relation, weights added), and the EPCI gets ``communes`` (how many of its
    members were merged). Communes without an EPCI stay.
    """
    out = nx.MultiGraph(**graph.graph)
    merged_into: dict[str, str] = {}
    for n, attrs in graph.nodes(data=True):
        epcis = sorted(_neighbours(graph, n, ("memberOf",))) if attrs.get("type") == "commune" else []
        if epcis:
            merged_into[n] = epcis[0]
        else:
            out.add_node(n, **attrs)
    for n, epci in merged_into.items():
        out.nodes[epci]["communes"] = out.nodes[epci].get("communes", 0) + 1
    _move_edges(graph, out, merged_into)
    for n, attrs in out.nodes(data=True):
        if attrs.get("communes"):
            attrs["label"] = f"{attrs['label']} ({attrs['communes']} communes)"
    out.graph["aggregated"] = "communes merged into their EPCI"
    return out


def aggregate_departements(graph: nx.MultiGraph) -> nx.MultiGraph:
    """Communes and EPCI merged into their département: a national programme drawn without a hairball.

    A commune goes to its ``departement``; an EPCI to the département of most of
    its member communes in *graph* (the smallest code on a tie; an EPCI with no
    member there stays). Edges move with their ends (weights added, ties inside
    one département dropped); each département node counts the ``communes``
    merged into it (its size in a drawing) and ``epci``.
    """
    into: dict[str, str] = {}
    for n, attrs in graph.nodes(data=True):
        if attrs.get("type") == "commune" and attrs.get("departement"):
            into[n] = attrs["departement"]
    for n, attrs in graph.nodes(data=True):
        if attrs.get("type") == "epci":
            deps = Counter(into[m] for m in graph[n] if m in into and graph.nodes[m].get("type") == "commune"
                           and graph.has_edge(m, n, "memberOf"))
            if deps:
                into[n] = min(deps, key=lambda d: (-deps[d], d))
    out = nx.MultiGraph(**graph.graph)
    for n, attrs in graph.nodes(data=True):
        if n not in into:
            out.add_node(n, **attrs)
    for n, dep in sorted(into.items()):
        if dep not in out:
            code = dep.rsplit("/", 1)[-1]
            out.add_node(dep, iri=dep, type="departement", code=code, label=f"Département {code}", communes=0, epci=0)
        kind = "communes" if graph.nodes[n].get("type") == "commune" else "epci"
        out.nodes[dep][kind] += 1
    _move_edges(graph, out, into)
    for dep in set(into.values()):
        attrs = out.nodes[dep]
        attrs["label"] = f"{attrs['label']} ({attrs['communes']} communes)"
    out.graph["aggregated"] = "communes and EPCI merged into their département"
    return out


def collapse(graph: nx.MultiGraph) -> nx.Graph:
    """A simple weighted graph (parallel edges summed) for centrality and communities."""
    simple = nx.Graph(**graph.graph)
    simple.add_nodes_from(graph.nodes(data=True))
    for u, v, w in graph.edges(data="weight", default=1):
        if simple.has_edge(u, v):
            simple[u][v]["weight"] += w
        else:
            simple.add_edge(u, v, weight=w)
    return simple


# --- analysis ----------------------------------------------------------------------

#: Exact betweenness up to this many nodes; above, it is estimated from
#: BETWEENNESS_SAMPLES sampled sources (national graph, ~2,800 nodes: exact 25 s, sampled 5 s).
BETWEENNESS_EXACT_UP_TO = 500
BETWEENNESS_SAMPLES = 300


def network_stats(graph: nx.MultiGraph, top: int = 20, seed: int = 0) -> dict:
    """Centrality, components and communities of a partner network.

    Computed on :func:`collapse` of *graph* (parallel ties summed). Degree is
    the number of distinct neighbours; weighted degree adds the weights (a
    co-signature weighs its number of conventions). Betweenness ignores
    weights (they are strengths, not distances) and is estimated from
    ``BETWEENNESS_SAMPLES`` sampled sources above ``BETWEENNESS_EXACT_UP_TO`` nodes (the result
    says so in ``betweenness_sources``). Programmes and conventions tie actors
    together but are not ranked. Communities: Louvain, seeded for repeatable
    output.
    """
    simple = collapse(graph)
    n = simple.number_of_nodes()
    k = None if n <= BETWEENNESS_EXACT_UP_TO else BETWEENNESS_SAMPLES
    betweenness = nx.betweenness_centrality(simple, k=k, seed=seed, weight=None) if n else {}
    weighted = dict(simple.degree(weight="weight"))
    actors = [v for v, t in simple.nodes(data="type") if t not in _TIES]
    ranked = sorted(actors, key=lambda v: (-simple.degree(v), -weighted[v], -betweenness[v], v))[:top]

    def describe(v: str) -> dict:
        attrs = simple.nodes[v]
        return {"iri": v, "label": attrs.get("label", v), "type": attrs.get("type", "resource"),
                "code": attrs.get("code", "")}

    central = [{**describe(v), "degree": simple.degree(v), "weighted_degree": weighted[v],
                "betweenness": round(betweenness[v], 6)} for v in ranked]
    components = sorted(nx.connected_components(simple), key=len, reverse=True)
    communities = nx.community.louvain_communities(simple, weight="weight", seed=seed) if n else []
    communities = sorted(communities, key=lambda c: (-len(c), min(c)))
    return {
        "nodes": n, "edges": simple.number_of_edges(),
        "betweenness_sources": k or n,
        "central": central,
        "components": len(components),
        "component_sizes": [len(c) for c in components[:top]],
        "isolated": sum(1 for c in components if len(c) == 1),
        "communities": [{"size": len(c), "members": [describe(v) for v in
                         sorted(c, key=lambda v: (-weighted[v], v))[:3]]} for c in communities[:top]],
        "modularity": round(nx.community.modularity(simple, communities, weight="weight"), 4) if simple.number_of_edges() else 0.0,
    }
