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

