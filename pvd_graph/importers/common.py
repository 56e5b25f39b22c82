"""What the importers share: the importer description, a fast triple builder, row bookkeeping.

An importer module defines one :class:`Importer` (or several, for the COG
files) whose ``parse`` function fills an :class:`ImportResult` through an
:class:`Emitter`. :meth:`Importer.run` does the file handling every importer
needs (bytes, checksum, provenance record, a whole-file failure as ``error``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
from collections.abc import Callable
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from pvd_graph.identifiers import (
    InvalidCode,
    normalise_departement,
    normalise_insee,
    normalise_region,
    normalise_siren,
)
from pvd_graph.importers.base import ImportResult, Reject, SourceInfo
from pvd_graph.importers.readers import (
    BROKEN,
    EXTRA,
    SHORT,
    BadValue,
    SourceError,
    read_bytes,
    read_csv,
)
from pvd_graph.importers.readers import cell as readers_cell
from pvd_graph.importers.readers import load_json as readers_load_json
from pvd_graph.namespaces import OX, OX_GEOSPARQL, OX_PROV, OX_RDF, OX_RDFS, OX_XSD, ids

#: IRI of an imported source (a prov:Entity / dcat:Distribution)
source_iri = ids.source


class Emitter:
    """Collects triples as N-Triples lines, reusing one NamedNode per IRI.

    A line is formatted from the pyoxigraph terms (their ``str`` is their N-Triples
    form, escaping included): 3× cheaper than a ``Triple`` object per triple.

    Every subject passed to :meth:`entity` gets ``prov:wasDerivedFrom`` the
    source once, so each imported fact can be traced to its file.
    """

    def __init__(self, source_id: str):
        self.lines: list[str] = []
        self._nodes: dict[str, ox.NamedNode] = {}
        self._derived: set[str] = set()
        self.source = ox.NamedNode(source_iri(source_id))

    def node(self, iri: str) -> ox.NamedNode:
        n = self._nodes.get(iri)
        if n is None:
            n = self._nodes[iri] = ox.NamedNode(iri)
        return n

    def add(self, s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode | ox.Literal) -> None:
        self.lines.append(f"{s} {p} {o} .")

    def entity(self, iri: str, *classes: ox.NamedNode) -> ox.NamedNode:
        """The subject node, typed with ``classes`` and derived from the source (once)."""
        s = self.node(iri)
        if iri not in self._derived:
            self._derived.add(iri)
            for cls in classes:
                self.add(s, OX_RDF.type, cls)
            self.add(s, OX_PROV.wasDerivedFrom, self.source)
        return s

    def label(self, s: ox.NamedNode, text: str | None) -> None:
        if text:
            self.add(s, OX_RDFS.label, ox.Literal(text, language="fr"))

    def string(self, s: ox.NamedNode, p: ox.NamedNode, text: str | None) -> None:
        if text:
            self.add(s, p, ox.Literal(text))

    def integer(self, s: ox.NamedNode, p: ox.NamedNode, number: int | None) -> None:
        if number is not None:
            self.add(s, p, ox.Literal(str(number), datatype=OX_XSD.integer))

    def date(self, s: ox.NamedNode, p: ox.NamedNode, day: dt.date | None) -> None:
        if day is not None:
            self.add(s, p, ox.Literal(day.isoformat(), datatype=OX_XSD.date))

    def decimal(self, s: ox.NamedNode, p: ox.NamedNode, number: float) -> None:
        self.add(s, p, ox.Literal(repr(number), datatype=OX_XSD.decimal))

    def participation(self, participant: ox.NamedNode, kind: str, code: str, programme: str,
                      joined_through: ox.NamedNode | None = None, status: str | None = None) -> ox.NamedNode:
        """This source's account of *participant*'s participation in *programme* (a slug: ``pvd``…).

        ``participation/{kind}-{code}-{programme}`` (kind ``commune`` or ``epci``), one node per
        participant and programme whatever the source, so that the lists that name it add up on
        it: ``pvd:participant``, ``pvd:inProgramme``, ``pvd:listedIn`` this source, the optional
        ``pvd:joinedThrough`` convention and ``pvd:participationStatus`` as the source says it;
        plus the shortcut ``participant pvd:participatesIn programme``.
        """
        programme_node = self.node(ids.programme(programme))
        p = self.entity(ids.participation(f"{kind}-{code}-{programme}"), OX.Participation)
        self.add(p, OX.participant, participant)
        self.add(p, OX.inProgramme, programme_node)
        self.add(p, OX.listedIn, self.source)
        if joined_through is not None:
            self.add(p, OX.joinedThrough, joined_through)
        self.string(p, OX.participationStatus, status)
        self.add(participant, OX.participatesIn, programme_node)
        return p

    def point(self, s: ox.NamedNode, longitude: float, latitude: float, part: str = "") -> ox.NamedNode:
        """The point this source gives for *s*, as GeoSPARQL: ``s geo:hasGeometry <s#point-SOURCE>``,
        which ``geo:asWKT "POINT(lon lat)"^^geo:wktLiteral`` (WGS84 longitude first: CRS84, the default
        of a WKT literal without a CRS IRI). One geometry per source, so that two sources' points of
        one town stay apart (they are not the same fact) and each is traced to its file; *part* names one
        of several points a source gives for *s* (``#point-SOURCE-PART``: a QPV's part in each commune).
        """
        g = self.node(ids.fragment(s.value, "point-" + self.source.value.rsplit("/", 1)[-1] + (f"-{part}" if part else "")))
        self.add(s, OX_GEOSPARQL.hasGeometry, g)
        self.add(g, OX_RDF.type, OX_GEOSPARQL.Geometry)
        self.add(g, OX_GEOSPARQL.asWKT, ox.Literal(f"POINT({longitude!r} {latitude!r})",
                                                    datatype=OX_GEOSPARQL.wktLiteral))
        self.add(g, OX_PROV.wasDerivedFrom, self.source)
        return g


#: pvd:epciType code → the EPCI subclass (every EPCI is also typed pvd:EPCI)
EPCI_CLASSES = {
    "CC": OX.CommunauteDeCommunes,
    "CA": OX.CommunauteDAgglomeration,
    "CU": OX.CommunauteUrbaine,
    "METRO": OX.Metropole,
}
#: type codes that the COG (and the CRTE list) give with the EPCI but that are not EPCI: the
#: Métropole de Lyon, a collectivité à statut particulier (CGCT art. L3611-1)
NOT_EPCI = {"MET69": OX.SpecialStatusCollectivity}
#: every type code of the COG's EPCI list, in its order
EPCI_TYPES = (*EPCI_CLASSES, *NOT_EPCI)


def epci_classes(kind: str) -> tuple[ox.NamedNode, ...]:
    """The classes of a body that the COG lists with the EPCI under type *kind* (a key of EPCI_TYPES):
    pvd:EPCI and its subclass, or, for the Métropole de Lyon, what it is instead. Every importer naming
    such a body types it through this function, so that no source's graph says otherwise."""
    return (NOT_EPCI[kind],) if kind in NOT_EPCI else (OX.EPCI, EPCI_CLASSES[kind])


class RowError(Exception):
    """A row that cannot be accepted: which field, which value, why."""

    def __init__(self, field: str, value: object, reason: str):
        super().__init__(reason)
        self.field, self.value, self.reason = field, "" if value is None else str(value), reason


def _memoised(fn: Callable[[object], str]) -> Callable[[object], str]:
    """*fn* memoised on text values (other values, e.g. a JSON number, are not hashed but passed on).

    Failures are not cached (lru_cache re-raises each time), so every bad row is reported.
    """
    cached = functools.lru_cache(maxsize=1 << 17)(fn)

    def call(value: object) -> str:
        return cached(value) if isinstance(value, str) else fn(value)

    call.cache_info = cached.cache_info  # type: ignore[attr-defined]
    return call


class Codes:
    """The official-code normalisers, memoised for one import run.

    The same codes recur across files and rows (each EPCI member, each commune's
    département): ~0.2 s of the national import. The memo lives and dies with its
    run, so nothing read by one import is kept by the process afterwards.
    """

    def __init__(self) -> None:
        self.insee = _memoised(normalise_insee)
        self.siren = _memoised(normalise_siren)
        self.departement = _memoised(normalise_departement)
        self.region = _memoised(normalise_region)


@dataclass
class Earlier:
    """What an importer may read from the importers that ran before it in the same run.

    Each field names the source that fills it; ``None`` means that source was not
    imported (yet) in this run. An importer that reads a field declares the source
    in its ``needs``, and :data:`pvd_graph.importers.KNOWN_SOURCES` runs it first.
    """

    #: SIREN → INSEE code of every current commune, filled by ``cog-communes``
    commune_by_siren: dict[str, str] | None = None
    #: INSEE code of every current commune, filled by ``cog-communes``
    current_communes: set[str] | None = None
    #: INSEE code → SIREN of the commune's EPCI (the first listed, if several), filled by ``cog-epci``
    epci_of_commune: dict[str, str] | None = None
    #: SIREN → name of every EPCI, filled by ``cog-epci``
    epci_names: dict[str, str] | None = None
    #: SIREN → type code (``pvd:epciType``, a key of :data:`EPCI_TYPES`) of every body of the COG's EPCI
    #: list, filled by ``cog-epci``: another source naming one types it as the COG does (:func:`epci_classes`)
    epci_types: dict[str, str] | None = None
    #: former INSEE code → the current commune whose ``anciensCodes`` list it, filled by ``cog-communes``
    merged_into: dict[str, str] | None = None
    #: INSEE code of an arrondissement municipal (Paris, Lyon, Marseille) → its commune, filled by ``cog-communes``
    arrondissement_of: dict[str, str] | None = None
    #: INSEE code → convention d'adhésion date of every town the newest PVD list dates, filled by
    #: ``anct-pvd-2024-08`` (the older list keys its conventions by these dates: pvd_graph.importers.anct_pvd_2024)
    pvd_adhesion: dict[str, dt.date] | None = None
    #: INSEE code → the years in which a commune of that code ended by a split, filled by ``insee-scissions``
    #: (the merger table names the versions of a code that a later split ended: pvd_graph.importers.insee_history)
    split_ends: dict[str, set[str]] | None = None
    #: kind (``membership``, ``name``) → millésime → key → (value, node IRI): what each vintage of the geographic
    #: code said, filled by ``cog-epci``/``cog-communes`` and the older vintages (pvd_graph.importers.cog_history)
    history: dict | None = None


@dataclass
class ImportRun:
    """The files imported together (one ``--sources`` folder): what their importers share."""

    earlier: Earlier = dataclasses.field(default_factory=Earlier)
    codes: Codes = dataclasses.field(default_factory=Codes)
    #: the date "today" for date checks (a test fixes it; None: the real date)
    today: dt.date | None = None


def check(field: str, value: object, fn: Callable):
    """``fn(value)``, turning InvalidCode/BadValue into a :class:`RowError` on ``field``."""
    try:
        return fn(value)
    except (InvalidCode, BadValue) as exc:
        raise RowError(field, value, str(exc)) from None


def optional(field: str, value: object, fn: Callable, result: ImportResult, where: tuple[str, int]):
    """``fn(value)``; on failure the value is dropped with a warning and None returned."""
    try:
        return fn(value)
    except (InvalidCode, BadValue) as exc:
        result.warnings.append(Reject(where[0], where[1], field, "" if value is None else str(value),
                                      f"{exc}; value dropped, rest of the row kept"))
        return None


class Duplicates:
    """Remembers the line of each key to report later rows as "duplicate of line N"."""

    def __init__(self) -> None:
        self._seen: dict[object, int] = {}

    def check(self, key: object, line: int, field: str, value: str) -> None:
        first = self._seen.setdefault(key, line)
        if first != line:
            raise RowError(field, value, f"duplicate of line {first}")


@dataclass(frozen=True)
class Importer:
    """One known source format: how to recognise its files and how to import them."""

    id: str  # source id, also the named graph's name (GRAPHS + id)
    title: str
    url: str  # official download address
    licence: str
    publisher: str  # organisation slug (organisation_iri) of the publisher
    vintage: str
    filenames: tuple[str, ...]  # glob patterns on the lower-cased file name
    sniff: Callable[[Path, bytes], bool]  # (path, first bytes) → is it this format?
    #: (bytes, result to fill, emitter, the run it belongs to) → None
    parse: Callable[[bytes, ImportResult, Emitter, ImportRun], None]
    kind: str = "csv"  # csv, json or geojson: only used to describe the format
    #: ids of the sources whose results (in :class:`Earlier`) this importer reads
    needs: tuple[str, ...] = ()
    #: precedence when two sources give different values of a single-valued property (lower wins;
    #: the curated data is 0, the geographic code 1); the loser is written to ``conflicts.csv``.
    #: Two vintages of one list give the newer the lower number.
    precedence: int = 2

    def matches_name(self, path: Path) -> bool:
        low = path.name.lower()
        return any(fnmatch.fnmatch(low, pat) for pat in self.filenames)

    def run(self, path: Path, retrieved: str | None = None, url: str | None = None,
            run: ImportRun | None = None) -> ImportResult:
        """Import one file; a file that cannot be read at all gives ``error``, never an exception."""
        info = SourceInfo(id=self.id, title=self.title, path=Path(path), url=url or self.url,
                          licence=self.licence, publisher=self.publisher, vintage=self.vintage,
                          retrieved=retrieved)
        result = ImportResult(source=info)
        try:
            data, info.sha256 = read_bytes(Path(path))
            emit = Emitter(self.id)
            self.parse(data, result, emit, ImportRun() if run is None else run)
        except SourceError as exc:
            result.error = f"{path}: {exc}"
            result.lines = []
            return result
        result.lines = emit.lines
        return result


def reject(result: ImportResult, file: str, line: int, err: RowError) -> None:
    result.rejects.append(Reject(file, line, err.field, err.value, err.reason))


def departement_of(insee: str) -> str:
    """The département code an INSEE commune code belongs to (``97411`` → ``974``)."""
    return insee[:3] if insee.startswith("97") or insee.startswith("98") else insee[:2]


def required_cell(field: str, row: dict, fn: Callable):
    """``fn`` of a cell that must be present: a missing value is a :class:`RowError`."""
    value = row.get(field)
    if readers_cell(value) is None:
        raise RowError(field, value, "missing value")
    return check(field, value, fn)


def optional_cell(field: str, row: dict, fn: Callable, result: ImportResult, where: tuple[str, int]):
    """``fn`` of a cell that may be missing (None); a bad value is dropped with a warning."""
    value = row.get(field)
    if readers_cell(value) is None:
        return None
    return optional(field, value, fn, result, where)


def check_departement(field: str, row: dict, insee: str) -> str:
    """The row's département code, which must be the one the commune code belongs to."""
    dep = required_cell(field, row, normalise_departement)
    if departement_of(insee) != dep:
        raise RowError(field, dep, f"commune {insee} is not in département {dep}")
    return dep


def csv_rows(data: bytes, result: ImportResult, required: tuple[str, ...]):
    """(line, row) of a CSV source, recording how it was read; a misaligned row is rejected."""
    table = read_csv(data, required)
    result.reading = f"{table.encoding}, {table.delimiter!r}"
    file = str(result.source.path)
    for line, row in table.rows:
        result.rows_read += 1
        if EXTRA in row:
            reject(result, file, line, RowError("(row)", row[EXTRA], "more cells than header columns"))
            continue
        if SHORT in row:
            reject(result, file, line, RowError("(row)", row[SHORT],
                                                "fewer cells than header columns: row cut short"))
            continue
        if BROKEN in row:
            reject(result, file, line, RowError("(row)", "", row[BROKEN]))
            continue
        yield line, row


def geojson_features(data: bytes, result: ImportResult, required: tuple[str, ...], what: str = "geojson") -> list:
    """The features of a GeoJSON FeatureCollection, recording how it was read (*what*, e.g. ``js``
    for one unwrapped from a JavaScript assignment); a *required* property that no feature has
    makes the whole file a :class:`SourceError` (not this format)."""
    doc, encoding = readers_load_json(data)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" \
            or not isinstance(doc.get("features"), list):
        raise SourceError("expected a GeoJSON FeatureCollection")
    result.reading = f"{what}, {encoding}"
    props = [f.get("properties") for f in doc["features"] if isinstance(f, dict)]
    for column in required:
        if props and not any(isinstance(p, dict) and column in p for p in props):
            raise SourceError(f"missing required property {column!r} in every feature")
    return doc["features"]


def current_communes(run: ImportRun, why: str) -> set[str]:
    """The current communes of the COG read earlier in *run*; a :class:`SourceError` saying *why* the source
    needs them when the COG communes file is not part of the import."""
    if run.earlier.current_communes is None:
        raise SourceError(f"{why}: it needs the COG communes file (communes.json) in the same import")
    return run.earlier.current_communes


def not_current(code: str, earlier: Earlier) -> RowError:
    """Why *code* is refused: not a current commune of the COG; the commune it is now part of when the
    COG lists it among a current commune's former codes (``anciensCodes``: a merger or renumbering)."""
    now = (earlier.merged_into or {}).get(code)
    reason = "not a current commune in the COG 2026 (merged or renumbered since)" if now is None else \
        f"not a current commune in the COG 2026: a former code of commune {now} (merged or renumbered since)"
    return RowError("code", code, reason)
