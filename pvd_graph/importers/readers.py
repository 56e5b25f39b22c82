"""Reading real French open-data files: encodings, separators, empty cells, dates, names.

Every importer goes through these helpers so that the same quirk is handled
the same way everywhere. A cell that cannot be accepted raises
:class:`BadValue` whose message is the reason for the rejects report; a file
that cannot be read at all raises :class:`SourceError` (one line).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

#: Cell values that mean "unknown" in the ANCT files.
MISSING = frozenset({"", "NA", "N/A", "NAN", "NULL", "-"})

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&(?:[a-zA-Z]+|#\d+);")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
#: characters that only appear when UTF-8 bytes were decoded as Windows-1252
_MOJIBAKE_MARK = re.compile("[ÃÂâ][\u0080-\u00bf\u2013-\u203a\u20ac\u0152-\u0178\u02c6\u02dc]")


class BadValue(ValueError):
    """A cell that cannot be accepted; the message is the reason."""


class SourceError(ValueError):
    """A whole file that cannot be imported; the message is one line."""


# --- bytes and text ---------------------------------------------------------

def read_bytes(path: Path) -> tuple[bytes, str]:
    """The file's bytes and their sha256; a directory or unreadable path is a SourceError."""
    if path.is_dir():
        raise SourceError(f"{path} is a directory, expected a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise SourceError(f"{path} is empty")
    return data, hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: strict UTF-8 (with or without BOM), else Windows-1252.

    UTF-8 is tried strictly first because a cp1252 file almost never happens to
    be valid UTF-8 when it holds accented letters, whereas every byte string
    decodes "successfully" as cp1252.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8", errors="strict"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252", errors="strict"), "cp1252"
    except UnicodeDecodeError as exc:
        raise SourceError(f"neither UTF-8 nor Windows-1252 (byte {exc.start})") from None


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was once decoded as Windows-1252 (``CÃ¨re`` → ``Cère``).

    Applied only when typical mojibake pairs are present and the round trip
    (encode as cp1252, decode as strict UTF-8) succeeds, which does not happen
    for genuine French text: the repair is unambiguous or not done.
    """
    if not _MOJIBAKE_MARK.search(text):
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


# --- CSV --------------------------------------------------------------------

@dataclass
class CsvTable:
    """Rows of a CSV file as (physical line number of the row's start, {column: cell})."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str
    delimiter: str


def sniff_delimiter(header: str) -> str:
    """Separator from the header line: the most frequent of ``;``, ``,``, tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {sep: outside.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def header_columns(head: bytes) -> set[str]:
    """Lower-cased column names of a CSV file's first line (for recognising the format)."""
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    return {c.strip().strip('"').lower() for c in first.split(sniff_delimiter(first))}


def read_csv(data: bytes, required: tuple[str, ...] = ()) -> CsvTable:
    """Parse CSV bytes; column names are trimmed and lower-cased.

    Raises :class:`SourceError` naming the first missing required column.
    """
    text, encoding = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError("no header line") from None
    columns = [c.strip().lower() for c in header]
    for name in required:
        if name not in columns:
            raise SourceError(f"missing required column {name!r} (found: {', '.join(columns)})")
    rows: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):  # blank lines are not rows
            if len(cells) < len(columns):
                cells = cells + [""] * (len(columns) - len(cells))
            row = dict(zip(columns, cells))
            if len(cells) > len(columns):
                row["\0extra"] = delimiter.join(cells[len(columns):])
            rows.append((start, row))
        start = reader.line_num + 1
    return CsvTable(columns, rows, encoding, delimiter)


def load_json(data: bytes) -> tuple[object, str]:
    """Parsed JSON and the encoding; a syntax error is a SourceError with line and column."""
    text, encoding = decode(data)
    try:
        return json.loads(text), encoding
    except json.JSONDecodeError as exc:
        raise SourceError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


# --- cells ------------------------------------------------------------------

def cell(value: object) -> str | None:
    """Trimmed text of a cell, or None when it is empty or means "unknown" (NA, N/A…)."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text.upper() in MISSING else text


def name(value: object) -> str | None:
    """A place or programme name: trimmed, whitespace collapsed, mojibake repaired.

    Control characters or HTML markup mean the cell is not a plain name:
    :class:`BadValue` (the row is rejected rather than publishing markup).
    """
    text = cell(value)
    if text is None:
        return None
    if _CONTROL.search(text):
        raise BadValue("contains control characters")
    if _HTML.search(text):
        raise BadValue("contains HTML markup")
    return " ".join(repair_mojibake(text).split())


def integer(value: object) -> int | None:
    """A non-negative whole number (``1 234``, ``1234.0`` accepted), or None when missing."""
    if isinstance(value, bool):
        raise BadValue("not a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = cell(value)
        if text is None:
            return None
        text = re.sub(r"[\s\u00a0\u202f]", "", text)
        if re.fullmatch(r"\d+(?:\.0+)?", text):
            number = int(text.split(".")[0])
        else:
            raise BadValue("not a whole number")
    if number < 0:
        raise BadValue("negative number")
    return number


def date(value: object, today: dt.date | None = None) -> dt.date | None:
    """A date given as ``DD/MM/YYYY`` or ISO ``YYYY-MM-DD``; None when missing.

    Impossible dates (31/02/2023), partial dates (``01/2021``) and dates after
    ``today`` raise :class:`BadValue`.
    """
    text = cell(value)
    if text is None:
        return None
    if m := _ISO_DATE.match(text):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _FR_DATE.match(text):
        d, mo, y = (int(g) for g in m.groups())
    else:
        raise BadValue("not a date (expected DD/MM/YYYY or YYYY-MM-DD)")
    try:
        result = dt.date(y, mo, d)
    except ValueError:
        raise BadValue("impossible date") from None
    if result > (today or dt.date.today()):
        raise BadValue("date in the future")
    return result


def coordinate(value: object, low: float, high: float) -> float:
    """A longitude or latitude within [low, high]."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadValue("not a number") from None
    if not low <= number <= high:
        raise BadValue(f"outside [{low}, {high}]")
    return number
