"""The SPARQL query catalogue (``queries/*.rq``) and the function that runs any query safely.

A catalogue file opens with a comment header::

    # title: Communes d'un programme
    # description: ... (may continue on following ``#`` lines)
    # param: programme (pvd:Programme) identifiant court du programme, ex. "pvd"
    # param: departement (xsd:string, departement, optional) code du département, ex. "73"
    # returns: insee, name, departement, epci

A parameter ``NAME`` binds the SPARQL variable ``?NAME``. Its type says which
RDF term is bound and how the value is checked:

* ``xsd:string`` — a plain literal; an optional *form* (``insee``, ``siren``,
  ``departement``, ``region``, ``slug``) normalises it with
  :mod:`pvd_graph.identifiers` first (``1001`` → ``"01001"``);
* ``xsd:date`` (``YYYY-MM-DD``) and ``xsd:integer`` — typed literals;
* a class such as ``pvd:Programme`` or ``pvd:Commune`` — the IRI of that
  resource, minted from its code or slug by :mod:`pvd_graph.identifiers`.

Values are bound as RDF terms (rdflib ``initBindings``; on Oxigraph these
become ``substitutions``) and never pasted into the query text. Two engine
rules shape the catalogue queries:

* Oxigraph refuses a substituted variable that is not projected, so every
  parameter variable is in the ``SELECT`` list (under ``GROUP BY`` in
  aggregates); the ``returns`` header names the columns shown to users, and
  the extra parameter columns are dropped.
* A bound variable is a constant everywhere, including inside ``OPTIONAL``,
  where it cannot filter; and ``BOUND(?param)`` is unreliable on Oxigraph. An
  optional parameter therefore filters through an expression that is true when
  the parameter is unbound: ``FILTER(COALESCE(?x = ?param, ?param != ?param, true))``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from pvd_graph import identifiers as ids
from pvd_graph import resources
from pvd_graph.errors import UserError

# --- parameter types ---------------------------------------------------------

#: code forms a ``xsd:string`` parameter may declare, with their normaliser
FORMS: dict[str, Callable[[str], str]] = {
    "insee": ids.normalise_insee,
    "siren": ids.normalise_siren,
    "departement": ids.normalise_departement,
    "region": ids.normalise_region,
    "slug": ids.check_slug,
}

#: class parameter types: (normaliser of the code, IRI minting function)
RESOURCE_TYPES: dict[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    "pvd:Commune": (ids.normalise_insee, ids.commune_iri),
    "pvd:EPCI": (ids.normalise_siren, ids.epci_iri),
    "pvd:Departement": (ids.normalise_departement, ids.departement_iri),
    "pvd:Region": (ids.normalise_region, ids.region_iri),
    "pvd:Programme": (ids.check_slug, ids.programme_iri),
    "pvd:Organisation": (ids.check_slug, ids.organisation_iri),
    "pvd:Convention": (ids.check_slug, ids.convention_iri),
}

LITERAL_TYPES = ("xsd:string", "xsd:date", "xsd:integer")


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "xsd:string", "xsd:date", "xsd:integer" or a key of RESOURCE_TYPES
    form: str | None = None  # a key of FORMS, for xsd:string
    optional: bool = False
    description: str = ""
    example: str | None = None

    def signature(self) -> str:
        kind = self.type + (f", {self.form}" if self.form else "") + (", optional" if self.optional else "")
        return f"{self.name} ({kind})"

    def bind(self, value: str):
        """The RDF term for a user's *value*; ``ValueError`` with the reason when it has the wrong form."""
        value = value.strip()
        try:
            if self.type in RESOURCE_TYPES:
                normalise, mint = RESOURCE_TYPES[self.type]
                return URIRef(mint(normalise(value)))
            if self.type == "xsd:date":
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    raise ValueError(f"{value!r} is not a date YYYY-MM-DD")
                return Literal(dt.date.fromisoformat(value).isoformat(), datatype=XSD.date)
            if self.type == "xsd:integer":
                if not re.fullmatch(r"[+-]?\d+", value):
                    raise ValueError(f"{value!r} is not an integer")
                return Literal(int(value), datatype=XSD.integer)
            if not value:
                raise ValueError("empty value")
            return Literal(FORMS[self.form](value) if self.form else value)
        except ids.InvalidCode as exc:
            raise ValueError(str(exc)) from None


@dataclass
class CatalogueQuery:
    """One ``.rq`` file and what its header declares."""

    name: str
    path: Path | None
    text: str
    title: str = ""
    description: str = ""
    params: list[Param] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def bindings(self, values: Mapping[str, str]) -> dict[str, object]:
        """Check *values* (strings from the user) against the header; RDF terms by variable name.

        Raises :class:`UserError` (one line) for an unknown parameter, a missing
        required one or a value of the wrong form — before any query runs.
        """
        where = f"query {self.name!r}"
        out = {}
        for key, value in values.items():
            param = self.param(key)
            if param is None:
                known = ", ".join(p.name for p in self.params) or "none"
                raise UserError(f"{where}: unknown parameter {key!r} (parameters: {known})")
            try:
                out[key] = param.bind(str(value))
            except ValueError as exc:
                raise UserError(f"{where}: parameter {key}={value!r}: {exc}") from None
        missing = [p.name for p in self.params if not p.optional and p.name not in out]
        if missing:
            raise UserError(f"{where}: missing required parameter {', '.join(missing)}"
                            f" (give --param {missing[0]}=VALUE)")
        return out


_HEADER = re.compile(r"^#\s*(title|description|param|returns)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<kind>[^)]*)\)\s*(?P<rest>.*)$")
_EXAMPLE = re.compile(r',?\s*ex\.\s*"(?P<ex>[^"]*)"\s*$')


def _parse_param(text: str, where: str) -> Param:
    m = _PARAM.match(text)
    if not m:
        raise ValueError(f"{where}: bad param line {text!r}; expected 'name (type) description, ex. \"value\"'")
    parts = [p.strip() for p in m["kind"].split(",") if p.strip()]
    if not parts:
        raise ValueError(f"{where}: param {m['name']!r} has no type")
    kind, form, optional = parts[0], None, False
    for extra in parts[1:]:
        if extra == "optional":
            optional = True
        elif extra in FORMS and kind == "xsd:string":
            form = extra
        else:
            raise ValueError(f"{where}: param {m['name']!r}: unknown qualifier {extra!r}")
    if kind not in LITERAL_TYPES and kind not in RESOURCE_TYPES:
        raise ValueError(f"{where}: param {m['name']!r}: unknown type {kind!r}")
    rest = m["rest"]
    ex = _EXAMPLE.search(rest)
    description = rest[:ex.start()].strip() if ex else rest.strip()
    return Param(m["name"], kind, form, optional, description, ex["ex"] if ex else None)


def parse_header(text: str, name: str, path: Path | None = None) -> CatalogueQuery:
    """Read the leading comment header of a query; ``ValueError`` on a malformed header line."""
    q = CatalogueQuery(name=name, path=path, text=text)
    last = None
    where = str(path or name)
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        m = _HEADER.match(stripped)
        if m is None:
            # a plain comment line continues the title or description above it
            if last in ("title", "description"):
                more = stripped.lstrip("#").strip()
                setattr(q, last, f"{getattr(q, last)} {more}".strip())
            continue
        key, value = m.groups()
        last = key
        if key == "title":
            q.title = value.strip()
        elif key == "description":
            q.description = value.strip()
        elif key == "param":
            q.params.append(_parse_param(value.strip(), where))
        else:
            q.returns = [c.strip().lstrip("?") for c in value.split(",") if c.strip()]
    return q


def load_catalogue(folder: Path | None = None) -> dict[str, CatalogueQuery]:
    """Every ``*.rq`` of the catalogue folder (not ``checks/``), by name (file name without ``.rq``)."""
    files = sorted(Path(folder).glob("*.rq")) if folder else resources.query_files()
    return {f.stem: parse_header(f.read_text(encoding="utf-8"), f.stem, f) for f in files}


def load_query_file(path: Path | str) -> CatalogueQuery:
    """An ad hoc query file, read with the same header rules (its params become usable)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read query file: {exc}") from None
    try:
        return parse_header(text, path.stem, path)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def resolve(name_or_text: str, catalogue: Mapping[str, CatalogueQuery] | None = None) -> CatalogueQuery:
    """A catalogue query by name, or SPARQL text wrapped as an ad hoc query (header still read)."""
    catalogue = load_catalogue() if catalogue is None else catalogue
    if name_or_text in catalogue:
        return catalogue[name_or_text]
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", name_or_text):
        raise UserError(f"no query named {name_or_text!r} in the catalogue; 'pvd-graph queries' lists them")
    try:
        return parse_header(name_or_text, "(ad hoc)")
    except ValueError as exc:
        raise UserError(str(exc)) from None


# --- running -----------------------------------------------------------------

def open_graph(path: Path | str | None = None, backend: str = "oxigraph"):
    """Open a build output for querying, never re-importing (see :func:`pvd_graph.store.open_built`)."""
    from pvd_graph import store

    return store.open_built(path, backend=backend)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def execute(ds, q: CatalogueQuery, bindings: Mapping[str, object]) -> tuple[str, list[str], list[tuple]]:
    """Run an already-checked query; ``(form, columns, rows)`` of rdflib terms (``None`` when unbound).

    *form* is ``SELECT``, ``ASK`` or ``CONSTRUCT`` (also for DESCRIBE).
    SELECT rows keep the ``returns`` columns when the header declares them
    (else every projected variable); ASK gives one column ``ask`` with a
    boolean literal; CONSTRUCT/DESCRIBE give ``subject, predicate, object``.
    A SPARQL syntax or evaluation error is a one-line :class:`UserError`.
    """
    from pvd_graph import store

    try:
        inner = store.oxigraph_store(ds)
        if inner is not None:
            kind, variables, rows = _run_native(inner, q.text, bindings)
        else:
            kind, variables, rows = _run_rdflib(ds, q.text, bindings)
    except UserError:
        raise
    except Exception as exc:  # parser and engine errors of both backends
        raise UserError(f"{q.path or q.name}: SPARQL error: {_one_line(exc)}") from None
    if kind != "SELECT":
        return kind, variables, rows
    columns = q.returns or variables
    unknown = [c for c in columns if c not in variables]
    if unknown:
        raise UserError(f"{q.path or q.name}: 'returns' names {', '.join(unknown)}, not in the SELECT list")
    index = [variables.index(c) for c in columns]
    return kind, columns, [tuple(row[i] for i in index) for row in rows]


def _run_rdflib(ds, text: str, bindings: Mapping[str, object]):
    from pvd_graph import store

    result = store.query(ds, text, bindings)
    kind = result.type
    if kind == "ASK":
        return kind, ["ask"], [(Literal(bool(result.askAnswer)),)]
    if kind in ("CONSTRUCT", "DESCRIBE"):
        return "CONSTRUCT", list(GRAPH_COLUMNS), sorted((tuple(t) for t in result.graph), key=_triple_key)
    return kind, [str(v) for v in result.vars], [tuple(row) for row in result]


def _run_native(inner, text: str, bindings: Mapping[str, object]):
    """The same query straight on the Oxigraph store.

    Through rdflib (oxrdflib) the result terms are converted twice and
    wrapped in ``ResultRow`` objects, which cost more than the query itself
    on results of ~1,600 rows; here each distinct term is converted once.
    """
    import pyoxigraph as ox

    from pvd_graph.store import to_rdflib

    subs = {ox.Variable(k): _to_ox(v) for k, v in bindings.items()}
    result = inner.query(text, use_default_graph_as_union=True, substitutions=subs)
    if isinstance(result, ox.QueryBoolean):
        return "ASK", ["ask"], [(Literal(bool(result)),)]
    cache: dict = {}

    def conv(term):
        if term is None:
            return None
        out = cache.get(term)
        if out is None:
            out = cache[term] = to_rdflib(term)
        return out

    if isinstance(result, ox.QueryTriples):
        triples = {(conv(t.subject), conv(t.predicate), conv(t.object)) for t in result}
        return "CONSTRUCT", list(GRAPH_COLUMNS), sorted(triples, key=_triple_key)
    variables = [v.value for v in result.variables]
    return "SELECT", variables, [tuple(conv(t) for t in row) for row in result]


GRAPH_COLUMNS = ("subject", "predicate", "object")


def _triple_key(t):
    return tuple(x.n3() for x in t)


def _to_ox(term):
    """rdflib term → pyoxigraph term, for ``substitutions``."""
    import pyoxigraph as ox

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot bind {term!r}")


def run_query(ds, name_or_text: str, params: Mapping[str, str] | None = None,
              catalogue: Mapping[str, CatalogueQuery] | None = None) -> tuple[list[str], list[tuple]]:
    """Run a catalogue query (by name) or SPARQL text on *ds*; ``(columns, rows)``.

    *params* are strings as a user types them (``{"insee": "73011"}``),
    checked and bound as RDF terms; rows hold rdflib terms, see :func:`plain`.
    """
    q = resolve(name_or_text, catalogue)
    _, columns, rows = execute(ds, q, q.bindings(params or {}))
    return columns, rows


def plain(term) -> object:
    """A result term as a plain value: ``None``, ``int`` for integers, ``bool``, else its text."""
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, bool) or (isinstance(value, int) and term.datatype is not None):
            return value
    return str(term)


def ntriples(rows: list[tuple]) -> str:
    """CONSTRUCT/DESCRIBE rows as N-Triples (``xsd:string`` literals written plain, as in RDF 1.1)."""
    def n3(term) -> str:
        if isinstance(term, Literal) and term.datatype == XSD.string:
            term = Literal(str(term))
        return term.n3()

    return "".join(f"{n3(s)} {n3(p)} {n3(o)} .\n" for s, p, o in rows)


def format_rows(columns: list[str], rows: list[tuple], fmt: str = "table") -> str:
    """Text of a result in ``table``, ``csv``, ``tsv`` or ``json`` (a list of objects)."""
    values = [[plain(v) for v in row] for row in rows]
    if fmt == "json":
        import json

        return json.dumps([dict(zip(columns, row)) for row in values], ensure_ascii=False, indent=1) + "\n"
    text = [["" if v is None else str(v) for v in row] for row in values]
    if fmt in ("csv", "tsv"):
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(text)
        return buf.getvalue()
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}")
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in text]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def describe_catalogue(catalogue: Mapping[str, CatalogueQuery], fmt: str = "text") -> str:
    """The catalogue as text (what ``pvd-graph queries`` prints) or JSON."""
    if fmt == "json":
        import json

        return json.dumps([{
            "name": q.name, "title": q.title, "description": q.description,
            "params": [{"name": p.name, "type": p.type, "form": p.form, "optional": p.optional,
                        "description": p.description, "example": p.example} for p in q.params],
            "returns": q.returns,
        } for q in catalogue.values()], ensure_ascii=False, indent=1) + "\n"
    import textwrap

    out = []
    for q in catalogue.values():
        out.append(f"{q.name} — {q.title}")
        out.extend(textwrap.wrap(q.description, 88, initial_indent="    ", subsequent_indent="    "))
        for p in q.params:
            ex = f' (ex. "{p.example}")' if p.example else ""
            out.append(f"    --param {p.signature()}: {p.description}{ex}")
        if q.returns:
            out.append(f"    returns: {', '.join(q.returns)}")
        out.append("")
    return "\n".join(out)
