"""Loopback ports: one free for a server a test starts, one where nothing listens."""

from __future__ import annotations

import socket

# Sockets bound and never listening, held until the test process ends: nobody else (another
# test's server, another run's) can take their ports, so connecting to one is refused.
_HELD: list[socket.socket] = []


def free_port() -> int:
    """A loopback port free at this moment (a server binding it later may still lose a race: retry)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A loopback TCP port where nothing listens, for the rest of the run: 'server down'."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return sock.getsockname()[1]
