"""Expected failures: user mistakes and bad inputs, reported as one line, never a traceback."""

from __future__ import annotations

from pathlib import Path

#: Exit statuses shared by every command.
EXIT_OK = 0
EXIT_PROBLEMS = 1  # the graph has violations, a check returned rows
EXIT_USAGE = 2  # usage or input error


class UserError(Exception):
    """A mistake in what the user asked or gave us; ``str()`` is the one-line message."""

    exit_code = EXIT_USAGE


def describe_parse_error(path: Path, exc: BaseException) -> str:
    """One line naming the file, the line when the parser gives it, and the parser's message."""
    message = " ".join(str(exc).split())
    line = getattr(exc, "lineno", None)
    if line is None and isinstance(getattr(exc, "lines", None), int):
        # rdflib's BadSyntax: 0-based line, and a reason without the quoted context
        line, message = exc.lines + 1, " ".join(str(getattr(exc, "_why", message)).split())
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: cannot parse RDF: {message}"
