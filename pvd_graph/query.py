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
import os
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
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
    "pvd:Typology": (ids.check_slug, ids.typology_iri),
}

LITERAL_TYPES = ("xsd:string", "xsd:date", "xsd:integer")


#: what a code form or class parameter must name in the graph: (class, code property or None)
MEANINGS: dict[str, tuple[str, str | None]] = {
    "insee": ("Commune", "inseeCode"),
    "siren": ("EPCI", "siren"),
    "departement": ("Departement", "inseeCode"),
    "region": ("Region", "inseeCode"),
    **{t: (t.removeprefix("pvd:"), None) for t in RESOURCE_TYPES},
}

#: French words for the classes, in messages
_WHAT = {"Commune": "commune", "EPCI": "EPCI", "Departement": "département", "Region": "région",
         "Programme": "programme", "Organisation": "organisation", "Convention": "convention",
         "Typology": "typologie"}


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "xsd:string", "xsd:date", "xsd:integer" or a key of RESOURCE_TYPES
    form: str | None = None  # a key of FORMS, for xsd:string
    optional: bool = False
    description: str = ""
    example: str | None = None
    not_before: str | None = None  # name of a parameter this one may not be smaller than (">= from")

    def signature(self) -> str:
        kind = (self.type + (f", {self.form}" if self.form else "") + (", optional" if self.optional else "")
                + (f", >= {self.not_before}" if self.not_before else ""))
        return f"{self.name} ({kind})"

    def takes_names(self) -> bool:
        """Whether a commune name may stand for the code (``insee=Albertville``)."""
        return self.form == "insee" or self.type == "pvd:Commune"

    def bind(self, value: str, notes: list[str] | None = None):
        """The RDF term for a user's *value*; ``ValueError`` with the reason when it has the wrong form.

        A value that had to be normalised (``7301`` → ``07301``, ``PVD`` →
        ``pvd``) adds a line saying so to *notes*.
        """
        value = value.strip()
        try:
            if self.type in RESOURCE_TYPES:
                normalise, mint = RESOURCE_TYPES[self.type]
                code = normalise(value.lower() if normalise is ids.check_slug else value)
                self._note(value, code, notes)
                return URIRef(mint(code))
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
            if not self.form:
                return Literal(value)
            code = FORMS[self.form](value.lower() if self.form == "slug" else value)
            self._note(value, code, notes)
            return Literal(code)
        except ids.InvalidCode as exc:
            raise ValueError(str(exc)) from None

    def _note(self, given: str, read: str, notes: list[str] | None) -> None:
        if notes is not None and read != given:
            notes.append(f"{self.name} {given} read as {read}")

    def code_of(self, term) -> str:
        """The code or slug a bound term stands for (the inverse of :meth:`bind`)."""
        return str(term).rsplit("/", 1)[-1] if isinstance(term, URIRef) else str(term)


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
    #: the second text, used only when ``date`` is given (``NAME.dated.rq``, see :func:`text_for`)
    dated_text: str | None = None
    dated_path: Path | None = None

    def text_for(self, values: Mapping[str, object]) -> str:
        """The text to send for *values* (parameter names to raw strings or bound terms): see :func:`text_for`."""
        return text_for(self, values)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def check_form(self, values: Mapping[str, str]) -> None:
        """The checks of :meth:`bindings` that need no graph (a name is left for later); run before loading."""
        self.bindings(values, _form_only=True)

    def bindings(self, values: Mapping[str, str], ds=None, notes: list[str] | None = None,
                 _form_only: bool = False) -> dict[str, object]:
        """Check *values* (strings from the user) against the header; RDF terms by variable name.

        Raises :class:`UserError` (one line) for an unknown parameter, a missing
        required one, a value of the wrong form, or two values out of order
        (``from`` after ``to``). With the opened graph *ds*, values are also
        checked by meaning: a code must name a commune, EPCI, département… of
        the graph, a programme must be one of the graph's, and a commune may be
        given by name (``insee=Albertville``), which needs *ds*. See
        :meth:`check_form` for the checks that can run before the graph is loaded.

        Lines saying how a value was read (``insee 7301 read as 07301``) go to *notes*.
        """
        where = f"query {self.name!r}"
        out = {}
        formers = {}  # parameter → the former EPCI it names (answered only at a date of its period)
        for key, value in values.items():
            param = self.param(key)
            if param is None:
                known = ", ".join(p.name for p in self.params) or "none"
                raise UserError(f"{where}: unknown parameter {key!r} (parameters: {known})")
            try:
                if param.takes_names() and _lookup().looks_like_name(str(value)):
                    if ds is None and not _form_only:
                        raise ValueError("a commune name can only be looked up in an opened graph (pass ds)")
                    if ds is not None:
                        out[key] = _by_name(ds, param, str(value), notes)
                    continue
                out[key] = param.bind(str(value), notes)
                if ds is not None and (former := _check_meaning(ds, param, out[key])) is not None:
                    formers[key] = former
            except ValueError as exc:
                raise UserError(f"{where}: parameter {key}={value!r}: {exc}") from None
        missing = [p.name for p in self.params if not p.optional and p.name not in values]
        if missing:
            raise UserError(f"{where}: missing required parameter {', '.join(missing)}"
                            f" (give --param {missing[0]}=VALUE)")
        if ds is not None and notes is not None and "date" in out and self.param("date").type == "xsd:date":
            note = date_note(ds, out["date"].toPython())
            if note:
                notes.append(note)
        if notes is not None:
            day = out["date"].toPython().isoformat() if "date" in out and self.param("date").type == "xsd:date" else None
            notes += [n for key, former in formers.items() if (n := former.note(key, day))]
        for p in self.params:
            if p.not_before and p.name in out and p.not_before in out \
                    and out[p.name].toPython() < out[p.not_before].toPython():
                raise UserError(f"{where}: {p.not_before}={values[p.not_before]} is after "
                                f"{p.name}={values[p.name]}; give {p.not_before} <= {p.name}")
        return out


#: the graph's dated span: the first day of each source's vintage (``dcterms:temporal``) and each
#: dated membership or name (``pvd:validFrom``, 1 January of a geographic code's vintage)
_DATED_SPAN = """PREFIX pvd: <https://w3id.org/pvd-graph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT (MIN(?day) AS ?first) (MAX(?day) AS ?last) WHERE {
  { ?source a pvd:Source ; dcterms:temporal ?vintage
    BIND (SUBSTR(CONCAT(STR(?vintage), "-01-01"), 1, 10) AS ?day) }
  UNION { ?dated pvd:validFrom ?from BIND (STR(?from) AS ?day) }
}"""
_SPANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def dated_span(ds) -> tuple[str, str] | None:
    """``(oldest, newest)`` first days (``YYYY-MM-DD``) of the graph's dated sources, or ``None``.

    Computed from the graph (not a fixed 2021): the vintages of its sources and the start of its
    dated memberships and names (the geographic codes' 1 January). Kept per opened store.
    """
    if ds in _SPANS:
        return _SPANS[ds]
    rows = ds.select(_DATED_SPAN)
    first, last = (rows[0][0], rows[0][1]) if rows else (None, None)
    span = _SPANS[ds] = (first.value, last.value) if first is not None and last is not None else None
    return span


def date_note(ds, day: dt.date) -> str | None:
    """One line when *day* (a query's ``date``) lies outside what the graph's sources date, else ``None``.

    Before the oldest dated source nothing listed, no membership and no name holds yet: only what
    is dated earlier (a convention signed, an office labelled) can be shown, so an empty answer is
    said, not silent. After the newest vintage the graph knows no later change: the answer is the
    sources' latest state, not the state at that day.
    """
    span = dated_span(ds)
    if span is None:
        return None
    given, (first, last) = day.isoformat(), span
    if given < first:
        return (f"date {given} is before the oldest dated source of this graph ({first}): no list, "
                f"membership or name is known then; only what is dated earlier (a signature, a labellisation) is shown")
    if given > last:
        return (f"date {given} is after the newest vintage of this graph's sources ({last}): "
                f"the answer is the sources' latest state; later changes are not known")
    return None


def _lookup():
    from pvd_graph import lookup

    return lookup


def _by_name(ds, param: Param, name: str, notes: list[str] | None):
    """The term for a commune given by name; ``ValueError`` if none or several have it."""
    try:
        match = _lookup().resolve_name(ds, name)
    except UserError as exc:
        raise ValueError(str(exc)) from None
    if notes is not None:
        notes.append(f"{param.name} {name.strip()} read as {match.describe()}")
    return URIRef(match.iri) if param.type == "pvd:Commune" else Literal(match.code)


def _check_meaning(ds, param: Param, term):
    """``ValueError`` unless *term* names a resource of the right class in *ds* (see :data:`MEANINGS`).

    An EPCI parameter may also name a former EPCI (``pvd:FormerEPCI``, an EPCI of an older code,
    merged or dissolved): a dated query answers for it through the memberships valid at the date.
    Returned (:class:`pvd_graph.lookup.FormerEPCI`) so that :meth:`CatalogueQuery.bindings` says when
    the date cannot reach it, rather than 0 silent rows; ``None`` otherwise."""
    key = param.type if param.type in RESOURCE_TYPES else param.form
    if key not in MEANINGS:
        return None
    lookup = _lookup()
    cls, prop = MEANINGS[key]
    what, code = _WHAT[cls], param.code_of(term)
    if prop is not None:
        if lookup.by_code(ds, prop, code, cls) is None:
            former = lookup.by_code(ds, prop, code, "FormerEPCI") if cls == "EPCI" else None
            if former is None:
                raise ValueError(f"no {what} with code {code} in this graph")
            return lookup.former_epci(ds, former)
        return None
    if lookup.is_a(ds, str(term), cls):
        return None
    if cls == "EPCI" and (former := lookup.former_epci(ds, str(term))) is not None:
        return former
    known = [iri.rsplit("/", 1)[-1] for iri in lookup.members(ds, cls)]
    listed = f"known: {', '.join(known)}" if len(known) <= 30 else f"{len(known)} in the graph"
    raise ValueError(f"no {what} {code!r} in this graph ({listed})")


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
    kind, form, optional, not_before = parts[0], None, False, None
    for extra in parts[1:]:
        order = re.fullmatch(r">=\s*([A-Za-z_][A-Za-z0-9_]*)", extra)
        if extra == "optional":
            optional = True
        elif extra in FORMS and kind == "xsd:string":
            form = extra
        elif order and kind in ("xsd:date", "xsd:integer"):
            not_before = order[1]
        else:
            raise ValueError(f"{where}: param {m['name']!r}: unknown qualifier {extra!r}")
    if kind not in LITERAL_TYPES and kind not in RESOURCE_TYPES:
        raise ValueError(f"{where}: param {m['name']!r}: unknown type {kind!r}")
    rest = m["rest"]
    ex = _EXAMPLE.search(rest)
    description = rest[:ex.start()].strip() if ex else rest.strip()
    return Param(m["name"], kind, form, optional, description, ex["ex"] if ex else None, not_before)


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
    for p in q.params:
        other = q.param(p.not_before) if p.not_before else None
        if p.not_before and (other is None or other.type != p.type):
            raise ValueError(f"{where}: param {p.name!r}: '>= {p.not_before}' names no parameter of type {p.type}")
    check_no_column_named_like_a_param(q, where)
    return q


def check_no_column_named_like_a_param(q: CatalogueQuery, where: str) -> None:
    """``ValueError`` when a ``returns`` column has the name of a date parameter.

    A parameter NAME binds ``?NAME``, so a column of that name is pinned to the value given. For a
    code that filters its own column (``departement``, ``epci``) that is the intent: the column shows
    the code asked for. A date parameter is a point in time (``date``: the graph as of that day, issue
    15) or a bound of a range (``from``, ``to``), never the value of a column: a ``date`` column (a
    signature date) would silently keep only the rows signed on the day given. Such a header is
    refused. (Kept apart from :func:`parse_header` so that it reads as one rule.)
    """
    clash = [p.name for p in q.params if p.type == "xsd:date" and p.name in q.returns]
    if clash:
        raise ValueError(f"{where}: column {clash[0]!r} of 'returns' has the name of the date parameter "
                         f"{clash[0]!r}: the parameter would pin the column to its value; rename the column")



def load_catalogue(folder: Path | None = None) -> dict[str, CatalogueQuery]:
    """Every ``*.rq`` of the catalogue folder (not ``checks/``), by name (file name without ``.rq``);
    a ``NAME.dated.rq`` is not a query of its own but NAME's text with a date (:func:`attach_dated_text`).

    The caller gets copies (``CatalogueQuery`` is mutable): what one changes, the next does not see.
    """
    return {name: _copy_query(q) for name, q in _current_catalogue(folder).items()}


#: (folder, its files' stamp, catalogue) of the last catalogue read
_LAST_CATALOGUE: tuple[Path, tuple, dict[str, CatalogueQuery]] | None = None


def _current_catalogue(folder: Path | None = None) -> dict[str, CatalogueQuery]:
    """The catalogue of *folder* (default: the project's), read again only when its files changed
    (path, size, modification time of each, as Python's own import system checks a cached module).

    ``run_query`` by name reads the catalogue on every call, and reading and parsing its files
    was more than half of a light query's time from Python. Not to be changed: see
    :func:`load_catalogue` for copies.
    """
    global _LAST_CATALOGUE
    folder = Path(folder) if folder else resources.QUERIES_DIR
    with os.scandir(folder) as entries:
        found = sorted((e.path, e.stat()) for e in entries if e.name.endswith(".rq") and e.is_file())
    stamp = tuple((path, st.st_size, st.st_mtime_ns) for path, st in found)
    if _LAST_CATALOGUE is None or _LAST_CATALOGUE[:2] != (folder, stamp):
        _LAST_CATALOGUE = (folder, stamp, _read_catalogue([Path(path) for path, _ in found]))
    return _LAST_CATALOGUE[2]


def _copy_query(q: CatalogueQuery) -> CatalogueQuery:
    return replace(q, params=list(q.params), returns=list(q.returns))


def _read_catalogue(files: list[Path]) -> dict[str, CatalogueQuery]:
    out = {f.stem: attach_dated_text(parse_header(f.read_text(encoding="utf-8"), f.stem, f))
           for f in files if not f.name.endswith(DATED_SUFFIX)}
    orphans = [f for f in files if f.name.endswith(DATED_SUFFIX) and f.name[:-len(DATED_SUFFIX)] not in out]
    if orphans:
        raise ValueError(f"{orphans[0]}: a text with a date but no {orphans[0].name[:-len(DATED_SUFFIX)]}.rq "
                         "beside it (queries/README.md, 'Two texts')")
    return out


# --- the text sent: one per query, or a second one for a date ----------------

#: the sibling file holding a catalogue query's text for a date (queries/README.md, "Two texts")
DATED_SUFFIX = ".dated.rq"


def attach_dated_text(q: CatalogueQuery) -> CatalogueQuery:
    """*q* with the text of ``NAME.dated.rq`` beside its file, when there is one; *q* itself.

    Why two texts: the optional-parameter idiom (``COALESCE(?date != ?date, true)`` branches) makes
    Oxigraph plan and run the dated branches even without a date (programme-matrix with the date in the
    same text was 3x slower without one). The second file holds SPARQL only: the header (parameters,
    columns) is NAME.rq's, which must declare the ``date`` parameter (``xsd:date``, optional); a header
    line in the dated file would be a second header to drift, and is refused (``ValueError``).
    """
    if q.path is None:
        return q
    dated = q.path.with_name(q.path.stem + DATED_SUFFIX)
    if not dated.is_file():
        return q
    param = q.param("date")
    if param is None or param.type != "xsd:date" or not param.optional:
        raise ValueError(f"{dated}: a text with a date, but {q.path.name} declares no optional "
                         "'# param: date (xsd:date, optional)'")
    text = dated.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if _HEADER.match(line.strip()):
            raise ValueError(f"{dated}:{number}: header line {line.strip()[:40]!r}: the header is "
                             f"{q.path.name}'s alone; write a plain comment")
    q.dated_text, q.dated_path = text, dated
    return q


def text_for(q: CatalogueQuery, values: Mapping[str, object]) -> str:
    """The text of *q* to send when the parameters *values* are given: the dated text when ``date`` is
    one of them and *q* has one, else its text. Every caller that sends a catalogue query (``execute``,
    the endpoint's ``/catalogue``, the benchmarks' reference runs) picks it here."""
    return q.dated_text if q.dated_text is not None and "date" in values else q.text


def catalogue_text(q: CatalogueQuery, values: Mapping[str, object], given: str | None = None) -> str:
    """The text the endpoint runs for *q*: *given* (the editor's tab) unless it is empty or one of *q*'s own
    texts unchanged, then :func:`text_for` (a page showing the text without a date, sent with a date,
    gets the dated text)."""
    if given and given.strip() not in (q.text.strip(), (q.dated_text or "").strip()):
        return given
    return text_for(q, values)


def load_query_file(path: Path | str) -> CatalogueQuery:
    """An ad hoc query file, read with the same header rules (its params become usable)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read query file: {exc}") from None
    try:
        return attach_dated_text(parse_header(text, path.stem, path))
    except ValueError as exc:
        raise UserError(str(exc)) from None


def resolve(name_or_text: str, catalogue: Mapping[str, CatalogueQuery] | None = None) -> CatalogueQuery:
    """A catalogue query by name, or SPARQL text wrapped as an ad hoc query (header still read)."""
    if catalogue is None:  # the kept catalogue, one copy of the query asked for
        if name_or_text in (current := _current_catalogue()):
            return _copy_query(current[name_or_text])
    elif name_or_text in catalogue:
        return catalogue[name_or_text]
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", name_or_text):
        raise UserError(f"no query named {name_or_text!r} in the catalogue; 'pvd-graph queries' lists them")
    try:
        return parse_header(name_or_text, "(ad hoc)")
    except ValueError as exc:
        raise UserError(str(exc)) from None


# --- running -----------------------------------------------------------------

def open_graph(path: Path | str | None = None, text: str | None = None):
    """Open a build output for querying, never re-importing: the dataset the endpoint serves.

    A build folder opens as :func:`pvd_graph.store.open_built` with
    ``graphs="both"``, as ``pvd-graph serve`` does: the default graph is
    ``graph.nt`` (every triple once, what catalogue queries read), and each
    source is also a named graph (``GRAPH ?g { … }``, from ``dataset.nq``).
    A single RDF file opens as it is (an ``.nq`` file: the union of its graphs
    as default graph).

    Given the query *text*, the named graphs are loaded only if it can reach
    them (``GRAPH``, ``FROM``, ``FROM NAMED``, as the endpoint's lexical guard
    reads it): the default graph is the same either way, so is the answer, and
    most queries skip reading ``dataset.nq``.
    """
    from pvd_graph import store
    from pvd_graph.server import guard

    needs_named = text is None or guard.inspect(text).named_graphs
    return store.open_built(path, graphs="both" if needs_named else "union")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def check_text(q: CatalogueQuery, text: str | None = None):
    """Refuse, before anything is loaded, a text (*text*, else *q*'s) that is an update rather than a query.

    The endpoint's lexical guard decides (:mod:`pvd_graph.server.guard`), so
    both refuse the same texts; its verdict is returned (``from_clause`` is used).
    """
    from pvd_graph.server import guard

    verdict = guard.inspect(q.text if text is None else text)
    if verdict.update:
        raise UserError(f"{q.path or q.name}: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, …) is not supported: "
                        "queries only read the graph; change the sources and rebuild instead")
    return verdict


_QUERY_FORM = re.compile(
    r"(?:\s+|#[^\n]*|PREFIX\s*[A-Za-z_][\w.-]*?:\s*<[^>]*>|PREFIX\s*:\s*<[^>]*>|BASE\s*<[^>]*>)*", re.I)
_OX_ERROR = re.compile(r"error at (\d+):(\d+): (.*)", re.S)


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _found(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    rest = lines[line - 1][column - 1:] if line <= len(lines) else ""
    if not rest.strip() and all(not ln.strip() for ln in lines[line:]):
        return "the end of the query"
    token = re.match(r"\s*(\S{1,24})", rest or "\n".join(lines[line:]))
    return repr(token[1]) if token else "the end of the line"


def describe_syntax_error(text: str, exc: BaseException) -> str:
    """One readable line for a SPARQL parse error: line, column, what was found and, when known, expected.

    Oxigraph's own message lists every token it could have taken, character
    classes spelt as Unicode ranges included, often at a position past the
    mistake, and reports a misspelt query form (``SELEC``) as "expected
    CONSTRUCT". So the query form is checked here first; then rdflib's parser
    (pyparsing), which stops where the text stops making sense, locates the
    error; Oxigraph's position is the fallback for what only Oxigraph refuses.
    """
    start = _QUERY_FORM.match(text).end()
    word = re.match(r"[A-Za-z]*", text[start:])[0]
    if word.upper() not in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
        line, column = _position(text, start)
        return (f"SPARQL syntax error at line {line}, column {column}: expected SELECT, ASK, CONSTRUCT or "
                f"DESCRIBE, found {_found(text, line, column)}")
    from rdflib.plugins.sparql.parser import parseQuery

    want = ""
    try:
        parseQuery(text)
    except Exception as second:  # pyparsing's ParseException: 1-based lineno and col
        line, column = getattr(second, "lineno", None), getattr(second, "col", None)
        expected = " ".join(str(getattr(second, "msg", "")).split()).removeprefix("Expected").strip()
        if expected and expected != "end of text" and not re.fullmatch(r"[A-Z]\w*", expected):
            want = f"expected {expected}, "  # a grammar rule's name (SelectQuery) says nothing to a user
    else:
        line = column = None
    if line is None:
        m = _OX_ERROR.match(str(exc))
        if not m:
            return f"SPARQL syntax error: {_one_line(exc)}"
        line, column = int(m[1]), int(m[2])
        tokens = [t for t in re.findall(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|\[[^\]]*\]|[A-Za-z_]+', m[3])
                  if not t.startswith("[") and t not in ("expected", "one", "of")]
        want = f"expected one of {', '.join(tokens)}, " if tokens else ""
    return f"SPARQL syntax error at line {line}, column {column}: {want}found {_found(text, line, column)}"


def execute(ds, q: CatalogueQuery, bindings: Mapping[str, object],
            inline: bool = True) -> tuple[str, list[str], list[tuple]]:
    """Run an already-checked query; ``(form, columns, rows)`` of rdflib terms (``None`` when unbound).

    *form* is ``SELECT``, ``ASK`` or ``CONSTRUCT`` (also for DESCRIBE).
    SELECT rows keep the ``returns`` columns when the header declares them
    (else every projected variable); ASK gives one column ``ask`` with a
    boolean literal; CONSTRUCT/DESCRIBE give ``subject, predicate, object``.
    The project's prefixes (:data:`pvd_graph.namespaces.PREFIXES`, as on the
    endpoint's query page) are declared. An update, a SPARQL syntax error or
    an evaluation error is a one-line :class:`UserError`.

    With *inline* (default), bound values are written into the text as RDF terms
    (:func:`pvd_graph.inline.inline_bindings`) so that they narrow Oxigraph's plan;
    ``inline=False`` binds them as substitutions (the same rows, tests compare both).
    """
    text = text_for(q, bindings)
    where = (q.dated_path if text is q.dated_text else q.path) or q.name
    verdict = check_text(q, text)
    # as on the endpoint: a query naming its own dataset (FROM) gets it, else the opened view
    union = ds.default_union and not verdict.from_clause
    try:
        kind, variables, rows = _run(ds, text, bindings, union, inline)
    except UserError:
        raise
    except SyntaxError as exc:  # Oxigraph's parser
        raise UserError(f"{where}: {describe_syntax_error(text, exc)}") from None
    except Exception as exc:  # evaluation errors of the engine
        raise UserError(f"{where}: SPARQL error: {_one_line(exc)}") from None
    if kind != "SELECT":
        return kind, variables, rows
    columns = q.returns or variables
    unknown = [c for c in columns if c not in variables]
    if unknown:
        raise UserError(f"{where}: 'returns' names {', '.join(unknown)}, not in the SELECT list")
    if columns == variables:
        return kind, columns, rows
    index = [variables.index(c) for c in columns]
    return kind, columns, [tuple(row[i] for i in index) for row in rows]


def sent_text(text: str, bindings: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    """The text :func:`execute` sends to the engine for *bindings*, and the bindings it substitutes (see
    :func:`pvd_graph.inline.inline_bindings`): what a reference run must send to compare like with like."""
    from pvd_graph.inline import inline_bindings

    return inline_bindings(text, bindings)


def _run(ds, text: str, bindings: Mapping[str, object], union: bool = True, inline: bool = True):
    """The query on the store; result terms as rdflib terms, each distinct term converted once
    (rows of ~1,600 results repeat the same towns and EPCI)."""
    from pvd_graph.namespaces import PREFIXES
    from pvd_graph.store import to_rdflib

    sent, rest = sent_text(text, bindings) if inline else (text, bindings)
    try:
        result = ds.query(sent, bindings=rest, prefixes=PREFIXES, union=union)
    except SyntaxError:
        if sent is text:
            raise
        # the rewritten text is refused: the user's own text and substitutions say why (or answer)
        result = ds.query(text, bindings=bindings, prefixes=PREFIXES, union=union)
    if isinstance(result, ox.QueryBoolean):
        return "ASK", ["ask"], [(Literal(bool(result)),)]
    cache: dict = {}

    def conv(term):
        if term is None:
            return None
        out = cache.get(term)
        if out is None:
            out = cache[term] = _rdflib_term(term, to_rdflib)
        return out

    if isinstance(result, ox.QueryTriples):
        triples = {(conv(t.subject), conv(t.predicate), conv(t.object)) for t in result}
        return "CONSTRUCT", list(GRAPH_COLUMNS), sorted(triples, key=_triple_key)
    variables = [v.value for v in result.variables]
    return "SELECT", variables, [tuple(map(conv, row)) for row in result]


_XSD_STRING = str(XSD.string)


def _rdflib_term(term, to_rdflib):
    """:func:`pvd_graph.store.to_rdflib` of a result term, without rdflib's checks where they cannot apply.

    rdflib's ``URIRef()`` and ``Literal()`` re-validate the IRI, the language tag and the
    lexical form and re-cast the value: most of the time of a large result (35,000 towns ×
    name, code…) went there. An IRI or a plain or language-tagged literal that Oxigraph
    returns is already valid, and for those rdflib would keep the text as it is (value = the
    text, no datatype): the same object is built directly. Typed literals (numbers, dates),
    whose value rdflib casts, and blank nodes take the ordinary path. A test compares both on
    every term of the national graph.
    """
    if isinstance(term, ox.NamedNode):
        return str.__new__(URIRef, term.value)
    if isinstance(term, ox.Literal):
        lang = term.language
        if lang or term.datatype.value == _XSD_STRING:
            out = str.__new__(Literal, term.value)
            out._language, out._datatype, out._value, out._ill_typed = lang or None, None, term.value, None
            return out
    return to_rdflib(term)


GRAPH_COLUMNS = ("subject", "predicate", "object")


def _triple_key(t):
    return tuple(x.n3() for x in t)


def run_query(ds, name_or_text: str, params: Mapping[str, str] | None = None,
              catalogue: Mapping[str, CatalogueQuery] | None = None,
              notes: list[str] | None = None, inline: bool = True) -> tuple[list[str], list[tuple]]:
    """Run a catalogue query (by name) or SPARQL text on *ds*; ``(columns, rows)``.

    *params* are strings as a user types them (``{"insee": "73011"}``, or
    ``{"insee": "Albertville"}``), checked by form and by meaning against *ds*
    and bound as RDF terms; how a value was read goes to *notes*. Rows hold
    rdflib terms, see :func:`plain`. *inline*: see :func:`execute`.
    """
    q = resolve(name_or_text, catalogue)
    _, columns, rows = execute(ds, q, q.bindings(params or {}, ds, notes), inline)
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


def turtle(rows: list[tuple]) -> str:
    """CONSTRUCT/DESCRIBE rows as Turtle with the project's prefixes, one per resource type
    (``commune:73011``), as the build's ``graph.ttl`` writes them."""
    import pyoxigraph as ox

    from pvd_graph.namespaces import SERIALISATION_PREFIXES
    from pvd_graph.store import to_ox

    triples = [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in rows]
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=SERIALISATION_PREFIXES).decode("utf-8")


#: Literal datatypes written as numbers in the Excel flavour (decimal comma, as French Excel reads them)
_NUMBERS = {str(XSD[t]) for t in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger")}
#: text Excel would turn into a number, a date or a formula when it opens the file
_EXCEL_CONVERTS = re.compile(r"[0-9=+\-@\t\r]")
_EXCEL_TEXT_MAX = 255  # longest text constant an Excel formula may hold


def excel_cell(term) -> str:
    """A result term as a cell of the Excel flavour of CSV.

    Excel, opening a CSV file, types each cell itself: ``01001`` becomes the
    number 1001 whether or not the field is quoted (quotes are CSV syntax, not
    a type), ``1/2`` becomes a date, ``=…`` a formula. Text that starts with a
    digit or a sign is therefore written as the formula ``="01001"``, whose
    value is that text: the cell shows ``01001`` and stays text. Numbers are
    written with a decimal comma.
    """
    if term is None:
        return ""
    text = str(term)
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) in _NUMBERS:
        return text.replace(".", ",")
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) != str(XSD.string):
        return text  # dates, booleans: as written in the graph
    if not _EXCEL_CONVERTS.match(text):
        return text
    if len(text) <= _EXCEL_TEXT_MAX:
        return '="' + text.replace('"', '""') + '"'
    return "'" + text if text[0] in "=+-@" else text  # too long for a formula: at least never one


def format_rows(columns: list[str], rows: list[tuple], fmt: str = "table") -> str:
    """Text of a result in ``table``, ``csv``, ``csv-excel``, ``tsv`` or ``json`` (a list of objects).

    ``csv`` is RFC 4180 (``,``, fields quoted when needed, CRLF line ends);
    ``csv-excel`` is what French Excel opens as meant: ``;`` separator, a
    UTF-8 byte order mark (without it Excel reads the file as Windows-1252),
    CRLF, and codes kept as text (see :func:`excel_cell`).
    """
    if fmt == "csv-excel":
        return "\ufeff" + _csv(columns, [[excel_cell(v) for v in row] for row in rows], ";", "\r\n")
    values = [[plain(v) for v in row] for row in rows]
    if fmt == "json":
        import json

        return json.dumps([dict(zip(columns, row)) for row in values], ensure_ascii=False, indent=1) + "\n"
    text = [["" if v is None else str(v) for v in row] for row in values]
    if fmt == "csv":
        return _csv(columns, text, ",", "\r\n")
    if fmt == "tsv":
        return _csv(columns, text, "\t", "\n")
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}")
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in text]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _csv(columns: list[str], rows: list[list[str]], delimiter: str, end: str) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=end)
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def describe_catalogue(catalogue: Mapping[str, CatalogueQuery], fmt: str = "text") -> str:
    """The catalogue as text (what ``pvd-graph queries`` prints) or JSON."""
    if fmt == "json":
        import json

        return json.dumps([{
            "name": q.name, "title": q.title, "description": q.description,
            "params": [{"name": p.name, "type": p.type, "form": p.form, "optional": p.optional,
                        "description": p.description, "example": p.example} for p in q.params],
            "returns": q.returns,
            # the file of the text sent when `date` is given, when it is not the query's own
            "dated_text": q.dated_path.name if q.dated_path else None,
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
        if q.dated_path:
            out.append(f"    with date: the text of {q.dated_path.name}")
        out.append("")
    return "\n".join(out)
