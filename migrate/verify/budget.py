"""How politely one run asks: a token bucket per server address, shared by every domain the run verifies.

Why a budget and not a pace per round: a run over many domains asks the
same few servers (the root, the TLD, the new host, the resolvers) for each
of them, concurrently. Public resolvers rate-limit per client and root and
TLD servers apply response rate limiting, so an answer that was throttled
would read as "not propagated"; the cap must hold for the run, not for one
domain's round.

Each address belongs to one kind, which sets its rate (queries a second):
- resolver (asked with recursion): `verify.resolver_rate`, default 5;
- host: an address of one of the domains' own authoritative servers (the
  new host, the old host, a name server the zone itself lists):
  `verify.server_rate`, default 50;
- parent: everything else: the root hints, TLD and other parent servers,
  the servers met while walking to a name server or an MX target:
  `verify.parent_rate`, default 10 (they serve everyone).

A bucket holds at most a tenth of a second's worth of queries (never less
than one), so over any stretch of T seconds an address gets at most
`rate * T + burst` queries, every attempt counted (retries and TCP too).

`Bucket` and `Rates` are pure (a clock reading in, a wait out); `Budget`
keeps the buckets of a run and only asks its clock for the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from migrate.endpoint import Endpoint

RESOLVER, HOST, PARENT = "resolver", "host", "parent"


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second, at most `burst` held; a query takes one.

    Tokens may go below zero: each query that has to wait reserves its own
    later slot, so queries queued at once leave at the rate, one by one.
    """

    rate: float
    burst: float
    tokens: float
    stamp: float  # the clock reading `tokens` was counted at

    @classmethod
    def full(cls, rate: float, now: float) -> Bucket:
        burst = burst_of(rate)
        return cls(rate, burst, burst, now)

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def reserve(self, now: float) -> float:
        """Take a token: the seconds to wait before the query may leave (0.0: at once)."""
        self._refill(now)
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def retune(self, rate: float, now: float) -> None:
        """Another rate from now on: what was reserved keeps its time, and the next query queues after it."""
        self._refill(now)
        if self.tokens < 0:
            self.tokens = self.tokens / self.rate * rate  # the same wait, in the new rate's tokens
        self.rate, self.burst = rate, burst_of(rate)
        self.tokens = min(self.tokens, self.burst)


def burst_of(rate: float) -> float:
    """A tenth of a second's worth of queries, and at least one."""
    return max(1.0, rate / 10)


@dataclass(frozen=True)
class Rates:
    """Queries a second to one address of each kind."""

    server: float = 50.0
    parent: float = 10.0
    resolver: float = 5.0

    def of(self, kind: str) -> float:
        return {HOST: self.server, PARENT: self.parent, RESOLVER: self.resolver}[kind]

    def share(self, parts: int) -> Rates:
        """One of `parts` equal shares (for processes that split a run between them)."""
        return Rates(self.server / parts, self.parent / parts, self.resolver / parts)

    @classmethod
    def politest(cls, rates: Iterable[Rates]) -> Rates:
        """The lowest rate of each kind: specs verified together share one budget, the strictest one."""
        rates = list(rates)
        if not rates:
            return cls()
        return cls(min(r.server for r in rates), min(r.parent for r in rates), min(r.resolver for r in rates))


def kind_of(rd: bool, host: bool) -> str:
    """Asked with recursion: a resolver; else one of the domains' own servers, or a server everyone shares."""
    if rd:
        return RESOLVER
    return HOST if host else PARENT


_RANK = {PARENT: 0, HOST: 1, RESOLVER: 2}


def settled_kind(old: str | None, new: str) -> str:
    """An address asked as several kinds keeps the strongest claim: a resolver stays one, a host outranks a parent."""
    if old is None:
        return new
    return old if _RANK[old] >= _RANK[new] else new


class Budget:
    """The buckets of one run: one per address, created at its first query."""

    def __init__(self, rates: Rates, clock: Callable[[], float] = time.monotonic) -> None:
        self.rates = rates
        self.clock = clock
        self._hosts: set[tuple[str, int]] = set()
        self._buckets: dict[tuple[str, int], tuple[str, Bucket]] = {}

    def mark_hosts(self, servers: Iterable[Endpoint]) -> None:
        """These addresses are domains' own authoritative servers (the host rate), from now on."""
        for server in servers:
            key = (server.host, server.port)
            self._hosts.add(key)
            if key in self._buckets:
                self._reclassify(key, HOST)

    def _reclassify(self, key: tuple[str, int], kind: str) -> Bucket:
        old, bucket = self._buckets[key]
        new = settled_kind(old, kind)
        if new != old:
            bucket.retune(self.rates.of(new), self.clock())
            self._buckets[key] = (new, bucket)
        return bucket

    def delay(self, server: Endpoint, rd: bool) -> float:
        """Reserve one query to `server`: the seconds it must wait first."""
        key = (server.host, server.port)
        kind = kind_of(rd, key in self._hosts)
        if key not in self._buckets:
            self._buckets[key] = (kind, Bucket.full(self.rates.of(kind), self.clock()))
        bucket = self._reclassify(key, kind)
        return bucket.reserve(self.clock())

    def limits(self) -> dict[str, tuple[str, float, float]]:
        """Each address asked so far: its kind, rate and burst (what the bench compares the servers' counts with)."""
        return {f"{host}:{port}": (kind, b.rate, b.burst) for (host, port), (kind, b) in self._buckets.items()}

