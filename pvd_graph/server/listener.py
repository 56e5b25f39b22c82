"""The listening socket, opened before anything is loaded.

``serve`` binds its address first, so that a port in use, a port out of range
or an address this machine does not have is one line and exit 2 within a
fraction of a second, instead of after loading the graph in every worker. The
socket is then handed to uvicorn, which serves on it as it is.
"""

from __future__ import annotations

import errno
import socket

from pvd_graph.errors import UserError

#: Connections the kernel queues while the server is busy (uvicorn's own default).
BACKLOG = 2048


def url_host(host: str) -> str:
    """*host* as written in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to *host*:*port* and listening; a :class:`UserError` naming the address and why not."""
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port}: not a TCP port; give a number from 1 to 65535")
    if not host.strip():
        raise UserError("--host is empty; give an address, e.g. 127.0.0.1 (this machine) or 0.0.0.0 (every interface)")
    address = f"{url_host(host)}:{port}"
    try:
        family, kind, proto, _, sockaddr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise UserError(f"--host {host}: not an address of this machine or a known host name "
                        f"({getattr(exc, 'strerror', None) or exc})") from None
    sock = socket.socket(family, kind, proto)
    try:
        # as uvicorn does: a restart may reuse a port whose old connections linger in TIME_WAIT;
        # a port another process listens on is still refused (EADDRINUSE)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot listen on {address}: {exc.strerror or exc}"
                        + (" (another server is using this port?)" if exc.errno == errno.EADDRINUSE else "")) from None
    return sock



#: Seconds a client has to send a whole request (head and body), from the
#: connection or the end of the previous answer.
REQUEST_TIMEOUT = 10.0
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def guarded_protocol(request_timeout: float = REQUEST_TIMEOUT):
    """uvicorn's h11 protocol, closing a connection that does not send a whole request within *request_timeout*.

    uvicorn times out idle keep-alive connections (``timeout_keep_alive``) but
    not a connection that never sends its first request, sends its headers a
    byte at a time, or announces a ``Content-Length`` it never sends: each
    holds one of the ``limit_concurrency`` places for ever, and a few hundred
    lock every client out. Here a deadline is armed when the connection opens
    and again after each answer, and cancelled once the request has been read
    completely (h11 reports the client's side ``DONE``); when it passes, the
    client gets 408 and the connection is closed. A query being answered is
    never cut by it: its own time limit is the pool's.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _deadline = None

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(request_timeout, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.transport.is_closing() or self.conn.their_state is h11.DONE:
                return
            if self.cycle is None or not self.cycle.response_started:
                self.transport.write(_TIMED_OUT)
            self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is h11.DONE:
                self._disarm()

        def on_response_complete(self) -> None:
            self._arm()  # before: the next pipelined request may be read in full by super()
            super().on_response_complete()

    return GuardedH11Protocol
