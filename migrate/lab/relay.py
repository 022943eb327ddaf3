"""A real SMTP server on loopback (aiosmtpd) standing in for the company's relay.

The demo and a rehearsal send their waves through it with the same code
`migrate notify --send` uses, so the ledger the gate reads records real SMTP
deliveries. What the relay accepts is written to a folder, one .eml a message.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from migrate.errors import EnvironmentProblem


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class Relay:
    """Accepts every message for anyone and keeps it in `folder`."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            raise EnvironmentProblem("the lab's SMTP relay needs aiosmtpd: pip install -e '.[test]' (make demo does)") from None
        self.folder = folder
        self.host = host
        self.port = port or free_port(host)
        self.received: list[tuple[str, list[str], Path]] = []
        self._lock = threading.Lock()
        relay = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
                with relay._lock:
                    relay.folder.mkdir(parents=True, exist_ok=True)
                    path = relay.folder / f"{len(relay.received) + 1:03d}.eml"
                    path.write_bytes(envelope.original_content or envelope.content)
                    relay.received.append((envelope.mail_from, list(envelope.rcpt_tos), path))
                return "250 OK queued"

        self._controller = Controller(Handler(), hostname=host, port=self.port)

    def start(self) -> Relay:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
