"""The one HTTP client of the package (``requests``), for ``fetch`` and ``publish``.

Both say a network failure in one line: the caller names the URL, :func:`reason`
gives why, in the words of the operating system (``[Errno 111] Connection
refused``, ``timed out``) rather than the chain of wrapped exceptions that
``requests`` and ``urllib3`` print.
"""

from __future__ import annotations

import requests
import urllib3

from pvd_graph import __version__


def session() -> requests.Session:
    """A session sending ``User-Agent: pvd-graph/<version>``."""
    s = requests.Session()
    s.headers["User-Agent"] = f"pvd-graph/{__version__}"
    return s


def reason(exc: BaseException) -> str:
    """Why a request failed, in one line: ``timed out``, or the operating system's words."""
    if is_timeout(exc):
        return "timed out"
    cause = _inner(exc, OSError)
    return " ".join(str(cause if cause is not None else exc).split())


def is_timeout(exc: BaseException) -> bool:
    """Whether *exc* is a timeout, while connecting or reading (``requests`` wraps a timeout in the
    middle of a body as a ``ConnectionError``)."""
    # not urllib3's TimeoutError: its NewConnectionError (a refused connection) is one
    return isinstance(exc, requests.Timeout) or any(
        isinstance(e, (TimeoutError, urllib3.exceptions.ReadTimeoutError)) for e in _chain(exc))


def bytes_received(exc: BaseException, written: int) -> int:
    """Bytes of a body received before a short read, when *exc* says (else those *written* so far).

    urllib3 stops at the short read without handing over its last partial block.
    """
    for e in _chain(exc):
        if isinstance(e, urllib3.exceptions.IncompleteRead) and isinstance(e.partial, int):
            return max(written, e.partial)
    return written


def _chain(exc: BaseException):
    """*exc* and every exception it wraps (arguments, ``reason``, cause, context), outermost first."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        todo += [x for x in (getattr(e, "reason", None), e.__cause__, e.__context__) if isinstance(x, BaseException)]


def _inner(exc: BaseException, kind: type) -> BaseException | None:
    """The first exception of type *kind* wrapped by *exc* that is not one of ``requests``' own."""
    for e in _chain(exc):
        if isinstance(e, kind) and not isinstance(e, requests.RequestException) and e is not exc:
            return e
    return None
