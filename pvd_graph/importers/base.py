"""What every importer returns: triples, rejected rows and a provenance record.

Importers read one source file and never write files or print. The build
assembles their results into one named graph per source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox


@dataclass(frozen=True)
class Reject:
    """One input row (or feature) that could not be accepted, and why."""

    file: str
    line: int | str  # line number in a CSV (header = 1), feature index in GeoJSON, array index in JSON
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}={self.value!r}: {self.reason}"


@dataclass
class SourceInfo:
    """Provenance of one imported file (becomes a prov:Entity / dcat:Distribution)."""

    id: str  # slug, e.g. "cog-communes", "anct-pvd"; also names the source's named graph
    title: str
    path: Path
    url: str  # official download address
    licence: str  # licence IRI
    publisher: str
    vintage: str  # e.g. "2025", "2021-01"
    sha256: str = ""
    retrieved: str | None = None  # ISO datetime when fetched, if known


@dataclass
class ImportResult:
    """Triples of one source plus the account of every row read."""

    source: SourceInfo
    #: the triples as N-Triples lines, as the importers emit them: the build bulk-loads this
    #: text, ~1 s faster on the national files than building and serialising Triple objects
    lines: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    #: set when the whole source was refused (e.g. a missing required column); one line
    error: str | None = None
    #: rows left out on purpose, by reason (e.g. COG arrondissements municipaux): not errors,
    #: but counted so that rows_read == rows_accepted + rows_skipped + rows_rejected
    skipped: dict[str, int] = field(default_factory=dict)
    #: values dropped from rows that were otherwise accepted (an impossible date, a bad SIREN):
    #: same shape as rejects, reported with them, but the row's other facts were kept
    warnings: list[Reject] = field(default_factory=list)
    #: rows imported whole, with something worth saying (a former code mapped to its current commune):
    #: reported in rejects.csv as ``noted``, never counted as dropped values
    noted: list[Reject] = field(default_factory=list)
    #: how the file was read, for the summary: e.g. "utf-8-sig, ';'" or "json"
    reading: str = ""
    #: figures the importer computed about its source, by name (e.g. the ORT grouping: "dated (EPCI,
    #: date) groups"); written to the manifest under the source
    figures: dict[str, int] = field(default_factory=dict)
    #: how the source was read that the build's lines must say (e.g. the geographic code a list is read in)
    notes: list[str] = field(default_factory=list)
    #: values of the source that differ from another source's, found by the importer (a list against the
    #: code of its vintage: pvd_graph.importers.vintage): (subject, property, kept, kept source, dropped,
    #: dropped source), written to conflicts.csv by the build
    conflicts: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)

    _parsed: tuple[int, list[ox.Triple]] | None = field(default=None, repr=False, compare=False)
    _released: bool = field(default=False, repr=False, compare=False)

    def release(self) -> None:
        """Drop the triples once they are in a store (the build: ~400 MB of lines on the national files).

        Everything else (rows, rejects, figures, notes) stays; reading the triples afterwards is
        an error, never an empty list that would pass for a source without triples.
        """
        self.lines, self._parsed, self._released = [], None, True

    def _check_held(self) -> None:
        if self._released:
            raise RuntimeError(f"{self.source.id}: the triples of this import were released once loaded "
                               "into the build's store; read them from the build (its store or files)")

    def ntriples(self) -> bytes:
        """The triples as N-Triples text."""
        self._check_held()
        return ("\n".join(self.lines) + "\n").encode("utf-8") if self.lines else b""

    @property
    def triples(self) -> list[ox.Triple]:
        """The triples as pyoxigraph objects (parsed from :attr:`lines`, once)."""
        self._check_held()
        if self._parsed is None or self._parsed[0] != len(self.lines):
            self._parsed = (len(self.lines), [q.triple for q in ox.parse(self.ntriples(), format=ox.RdfFormat.N_TRIPLES)])
        return self._parsed[1]

    @triples.setter
    def triples(self, triples: list[ox.Triple]) -> None:
        self.lines = [str(t) + " ." for t in triples]
        self._parsed = None

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_accepted - self.rows_skipped
