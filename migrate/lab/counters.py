"""The lab servers' own count of the verifier's queries, read while it runs.

A client's own tally says what it meant to send; what a server received is
the evidence that a rate cap held. Knot counts requests in its statistics
module (`knotc stats`; every lab Knot loads it), and among them those that
carry an EDNS NSID option (`mod-stats.request-edns-option[NSID]`): the
verifier asks every question with one, while a lab resolver recursing, a
secondary refreshing and the lab's own probes do not, so that counter is
the verifier's queries alone. A lab resolver has no other client than the
verifier: its `total.num.queries` (`unbound-control stats_noreset`) is
theirs. `Sampler` reads every server's count at a steady pace in a thread;
`windows`, `peak` and `over` turn the samples into rates (pure).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from migrate.lab import knot, unbound
from migrate.lab.world import World


def knot_nsid_requests(text: str) -> int:
    """Requests that carried an NSID option, in `knotc stats` output (0 before the first)."""
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "mod-stats.request-edns-option[NSID]":
            return int(value)
    return 0


def unbound_queries(text: str) -> int:
    """`total.num.queries` in `unbound-control stats_noreset` output."""
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "total.num.queries":
            return int(value)
    raise ValueError("unbound-control printed no total.num.queries")


def count(world: World, server: str) -> int:
    """The verifier's queries the server has received since it started, by the server's own statistics."""
    folder = world.dir / server
    if world.spec.server(server).role == "resolver":
        return unbound_queries(unbound.control(folder / "unbound.conf", "stats_noreset"))
    # not check=True: its test for a failure, "error" in the output, would take the counter NOERROR for one
    return knot_nsid_requests(knot.knotc(folder / "run", "stats", check=False))


@dataclass(frozen=True)
class Sample:
    counts: dict[str, int]
    at: dict[str, float]  # time.monotonic() each count was read at (the middle of its reading)


@dataclass(frozen=True)
class Window:
    """Two consecutive samples of one server: how many queries it got in how long."""

    start: float
    seconds: float
    queries: int

    @property
    def rate(self) -> float:
        return self.queries / self.seconds if self.seconds > 0 else 0.0


def windows(samples: list[Sample], server: str) -> list[Window]:
    return [Window(a.at[server], b.at[server] - a.at[server], b.counts[server] - a.counts[server])
            for a, b in zip(samples, samples[1:])]


def peak(samples: list[Sample], server: str) -> float:
    """The highest rate the server saw between two consecutive samples (queries a second)."""
    return max((w.rate for w in windows(samples, server) if w.queries), default=0.0)


def over(samples: list[Sample], server: str, rate: float, burst: float) -> list[Window]:
    """The windows in which the server got more than a token bucket of `rate` and `burst` lets through."""
    return [w for w in windows(samples, server) if w.queries > rate * w.seconds + burst]


class Sampler:
    """Reads the named servers' counts every `period` seconds in a thread, from `start()` until `stop()`."""

    def __init__(self, world: World, servers: Iterable[str], period: float = 1.0) -> None:
        self.world = world
        self.servers = list(servers)
        self.period = period
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lab-counters", daemon=True)

    def read(self) -> Sample:
        counts, at = {}, {}
        for name in self.servers:
            began = time.monotonic()
            counts[name] = count(self.world, name)
            at[name] = (began + time.monotonic()) / 2
        return Sample(counts, at)

    def _run(self) -> None:
        while True:
            self.samples.append(self.read())
            if self._stop.wait(self.period):
                return

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(self.read())
