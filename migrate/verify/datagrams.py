"""UDP exchanges for the verifier: a few long-lived sockets, each carrying one question at a time.

dnspython's asyncio `udp()` opens a socket, a transport and a protocol
for every question and closes them after it: on a run of a thousand
domains that was a third of the verifier's time. Here a question borrows
a socket from a pool, sends from it at once, and the event loop hands the
socket's datagrams to whoever borrowed it. A datagram counts only when it
comes from the address asked and carries the question's ID; anything else
(a late reply to a question that timed out on that socket, a stray packet)
is dropped and the wait goes on, within the question's timeout. What
counts must then be a response to the question, as dnspython's `udp()`
requires (else it is a malformed reply). Each socket is replaced
after `USES` questions, so the source port changes as often as the ID
does: a forged reply has to guess both.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import weakref

import dns.exception
import dns.message
import dns.query

USES = 128  # questions a socket carries before a new one (a new random source port) takes its place
MAX_DATAGRAM = 65535  # every read is bounded: the largest UDP payload


class _Socket:
    def __init__(self, family: int) -> None:
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind(("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0))
        self.family = family
        self.uses = 0
        self.waiting: tuple[asyncio.Future, int, tuple[str, int]] | None = None


def _close(loop: asyncio.AbstractEventLoop, sockets: list[_Socket]) -> None:
    for s in sockets:
        if not loop.is_closed():
            loop.remove_reader(s.sock.fileno())
        s.sock.close()


class Datagrams:
    """The pool of one event loop; `close()` (or garbage collection) closes every socket."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._free: dict[int, list[_Socket]] = {}
        self._open: list[_Socket] = []
        self._finalizer: weakref.finalize | None = None

    def _new(self, family: int) -> _Socket:
        s = _Socket(family)
        self._loop.add_reader(s.sock.fileno(), self._readable, s)
        self._open.append(s)
        return s

    def _take(self, family: int) -> _Socket:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._finalizer = weakref.finalize(self, _close, loop, self._open)
        free = self._free.setdefault(family, [])
        return free.pop() if free else self._new(family)

    def _give(self, s: _Socket) -> None:
        s.waiting = None
        s.uses += 1
        if s.uses < USES:
            self._free[s.family].append(s)
            return
        self._open.remove(s)
        _close(self._loop, [s])

    @staticmethod
    def _readable(s: _Socket) -> None:
        while True:
            try:
                data, source = s.sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error queued on the socket: the timeout says it
            waiting = s.waiting
            if waiting is None:
                continue
            future, query_id, where = waiting
            if source[:2] == where and len(data) >= 2 and int.from_bytes(data[:2], "big") == query_id and not future.done():
                future.set_result(data)

    async def exchange(self, query: dns.message.Message, host: str, port: int, timeout: float) -> dns.message.Message:
        """Send `query` to host:port over UDP and return its reply; dns.exception.Timeout after `timeout` seconds."""
        address = ipaddress.ip_address(host)
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        where = (address.compressed, port)  # as recvfrom() will name the sender
        wire = query.to_wire()
        s = self._take(family)
        loop = self._loop
        try:
            s.sock.sendto(wire, where)
            future = loop.create_future()
            s.waiting = (future, query.id, where)
            timer = loop.call_later(timeout, _expire, future)
            try:
                data = await future
            finally:
                timer.cancel()
        finally:
            self._give(s)
        # As dnspython's udp(): a reply that does not parse, or answers another question, is malformed.
        reply = dns.message.from_wire(data, raise_on_truncation=False)
        if not query.is_response(reply):
            raise dns.query.BadResponse
        return reply

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(dns.exception.Timeout())
