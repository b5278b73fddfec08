"""A listening socket for targman's servers (`review --serve`, `serve`), bound before anything loads,
so a port in use is said at once."""

from __future__ import annotations

import socket

from pipeline.errors import TargmanError


def bind(host: str, port: int, backlog: int = 256) -> socket.socket:
    """A socket listening on `host:port` (IPv6 when the host has a colon); one clear line when it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise TargmanError(f"cannot listen on {host}:{port} ({error.strerror}); pass another --port") from None
    sock.listen(backlog)
    return sock
