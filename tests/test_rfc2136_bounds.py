"""An RFC 2136 exchange ends within its timeout even when the server drips its answer."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from migrate.errors import MigrateError
from migrate.rfc2136 import Client


def dripping_server(every: float) -> tuple[socket.socket, int]:
    """A TCP DNS server that reads the query, then sends a byte of a (long) answer every `every` s."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65535)
            try:
                for _ in range(65535):
                    conn.sendall(b"\xff")
                    time.sleep(every)
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_a_dripping_answer_is_a_timeout_within_the_timeout():
    server, port = dripping_server(0.2)
    client = Client(server=f"127.0.0.1:{port}", zone="example.dk", key_name="update.example.dk", timeout=1)
    start = time.monotonic()
    with server, pytest.raises(MigrateError) as exc:
        client.read("www.example.dk.", "A")
    assert "no answer to the query within 1 s" in str(exc.value)
    assert time.monotonic() - start < 1 + 20  # generous slack for a loaded machine; the drip lasts hours
