"""The budget's decisions on a fake clock: a token bucket per address, rates by kind."""

from __future__ import annotations

import asyncio
import random

import pytest

from migrate.endpoint import Endpoint
from migrate.verify import budget as B
from migrate.verify.query import Wire


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sends(bucket: B.Bucket, clock: FakeClock, count: int) -> list[float]:
    """When each of `count` queries queued at once leaves."""
    return [clock.now + bucket.reserve(clock.now) for _ in range(count)]


def test_a_full_bucket_lets_its_burst_go_at_once_then_paces_the_rest_at_the_rate():
    clock = FakeClock()
    bucket = B.Bucket.full(50.0, clock.now)
    assert bucket.burst == 5.0
    times = sends(bucket, clock, 15)
    assert times[:5] == [0.0] * 5
    gaps = [b - a for a, b in zip(times[5:], times[6:])]
    assert gaps == pytest.approx([0.02] * 9)
    assert times[-1] == pytest.approx(10 / 50)


def test_a_slow_rate_has_a_burst_of_one():
    clock = FakeClock()
    bucket = B.Bucket.full(2.0, clock.now)
    assert bucket.burst == 1.0
    assert sends(bucket, clock, 3) == pytest.approx([0.0, 0.5, 1.0])


def test_an_idle_bucket_refills_only_up_to_its_burst():
    clock = FakeClock()
    bucket = B.Bucket.full(10.0, clock.now)
    sends(bucket, clock, 1)
    clock.now = 3600.0
    times = sends(bucket, clock, 3)
    assert times == pytest.approx([3600.0, 3600.1, 3600.2])


@pytest.mark.parametrize("rate", [3.0, 10.0, 50.0, 2000.0])
def test_no_window_ever_holds_more_than_rate_times_length_plus_burst(rate):
    """The cap the bench checks against the servers' own counters, here under random arrivals."""
    clock = FakeClock()
    bucket = B.Bucket.full(rate, clock.now)
    rng = random.Random(7)
    times = []
    for _ in range(2000):
        clock.now += rng.expovariate(rate * 1.5)  # arrivals faster than the rate: the bucket must hold them back
        times.append(clock.now + bucket.reserve(clock.now))
    times.sort()
    for window in (0.1, 1.0, 5.0):
        j = 0
        for i, start in enumerate(times):
            while j < len(times) and times[j] <= start + window:
                j += 1
            assert j - i <= rate * window + bucket.burst + 1e-9
    # and it did go as fast as allowed: the last query left about when the rate says
    assert times[-1] == pytest.approx((2000 - bucket.burst) / rate, rel=0.05)


def test_retuning_keeps_what_was_reserved_and_paces_the_rest_at_the_new_rate():
    clock = FakeClock()
    bucket = B.Bucket.full(10.0, clock.now)
    assert sends(bucket, clock, 2) == pytest.approx([0.0, 0.1])
    bucket.retune(100.0, clock.now)
    later = sends(bucket, clock, 2)
    assert later[0] == pytest.approx(0.11)
    assert later[1] - later[0] == pytest.approx(0.01)


def test_kinds_and_their_rates():
    rates = B.Rates(server=50, parent=10, resolver=5)
    assert B.kind_of(rd=True, host=True) == B.RESOLVER
    assert B.kind_of(rd=False, host=True) == B.HOST
    assert B.kind_of(rd=False, host=False) == B.PARENT
    assert [rates.of(k) for k in (B.HOST, B.PARENT, B.RESOLVER)] == [50, 10, 5]
    assert B.settled_kind(B.HOST, B.PARENT) == B.HOST
    assert B.settled_kind(B.PARENT, B.HOST) == B.HOST
    assert B.settled_kind(B.RESOLVER, B.HOST) == B.RESOLVER
    assert B.Rates.politest([B.Rates(50, 10, 5), B.Rates(20, 30, 8)]) == B.Rates(20, 10, 5)
    assert B.Rates.politest([]) == B.Rates()
    assert B.Rates(50, 10, 5).share(2) == B.Rates(25, 5, 2.5)


def test_the_budget_gives_each_address_its_kinds_rate_and_promotes_a_parent_to_host():
    clock = FakeClock()
    budget = B.Budget(B.Rates(server=100, parent=10, resolver=5), clock)
    tld, host, resolver = Endpoint("192.0.2.1", 53), Endpoint("192.0.2.2", 53), Endpoint("192.0.2.3", 53)
    assert budget.delay(tld, rd=False) == 0.0
    assert budget.delay(tld, rd=False) == pytest.approx(0.1)
    # the new host's address was met while walking (the parent rate) before the round knew it
    assert budget.delay(host, rd=False) == 0.0
    budget.mark_hosts([host])
    delays = [budget.delay(host, rd=False) for _ in range(12)]
    assert delays[-1] - delays[-2] == pytest.approx(0.01)
    assert budget.delay(resolver, rd=True) == 0.0
    assert budget.delay(resolver, rd=True) == pytest.approx(0.2)
    assert budget.limits() == {
        "192.0.2.1:53": (B.PARENT, 10, 1.0), "192.0.2.2:53": (B.HOST, 100, 10.0), "192.0.2.3:53": (B.RESOLVER, 5, 1.0),
    }


def test_the_wire_lets_the_head_of_each_queue_hold_a_slot_so_a_slow_address_never_starves_a_fast_one():
    """Forty questions queued for a slow parent, then one for a fast host: the host's goes at once."""
    budget = B.Budget(B.Rates(server=10_000, parent=2, resolver=1))
    slow, fast = Endpoint("192.0.2.1", 53), Endpoint("192.0.2.2", 53)
    budget.mark_hosts([fast])
    left: dict[str, float] = {}

    async def one(name: str, server: Endpoint, wire: Wire, loop) -> None:
        await wire.turn(server, rd=False)
        left.setdefault(name, loop.time())
        wire.slots.release()

    async def main() -> float:
        loop = asyncio.get_running_loop()
        wire = Wire(budget, concurrency=4)
        start = loop.time()
        tasks = [asyncio.ensure_future(one(f"slow{i}", slow, wire, loop)) for i in range(40)]
        await asyncio.sleep(0.05)
        await one("fast", fast, wire, loop)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return start

    start = asyncio.run(main())
    assert left["fast"] - start < 0.2
    assert "slow2" not in left  # the slow address still paced: 2 a second
