"""A wall-clock bound on blocking socket work, which a socket timeout alone cannot give.

A socket timeout bounds each read: a server that sends a byte just before
each read would time out holds the caller for as long as it likes. The
watchdog shuts the socket down when the time is up, so whatever call is
blocked on it fails at once; the caller asks `expired` to tell that failure
from any other.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

# While the socket does not exist yet (a connect in progress, itself bounded
# by its timeout), look again this often.
_RECHECK = 0.05


class Watchdog:
    def __init__(self, seconds: float, sock: Callable[[], socket.socket | None]) -> None:
        self.seconds = seconds
        self.expired = False
        self._sock = sock
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._done = False

    def __enter__(self) -> Watchdog:
        self._arm(self.seconds)
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()

    def _arm(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._bite)
        self._timer.daemon = True
        self._timer.start()

    def _bite(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sock = self._sock()
            if sock is None:
                self._arm(_RECHECK)
                return
            try:
                # The plain socket's shutdown, even under TLS: SSLSocket.shutdown would also
                # drop its TLS state under the reader's feet, a ValueError instead of an OSError.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass  # closed already: nothing left to stop
