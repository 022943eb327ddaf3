"""The watch loop (`migrate verify --watch`, the demo): when it waits, how long, and when it stops."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from migrate.verify.watch import pause, watch

START = datetime(2027, 1, 15, 6, 0, tzinfo=timezone.utc)


@dataclass
class Round:
    status: str
    eta: datetime | None = None


class World:
    """A fake clock that only moves when the loop sleeps, and rounds served from a script."""

    def __init__(self, *rounds: Round) -> None:
        self.rounds = list(rounds)
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self.shown: list[tuple[str, object]] = []

    async def round_(self) -> Round:
        return self.rounds.pop(0)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def run(self, *, interval: float, timeout: float | None = None):
        return watch(
            self.round_,
            interval=interval,
            timeout=timeout,
            on_round=lambda result: self.shown.append(("round", result.status)),
            on_wait=lambda result, seconds, next_round: self.shown.append(("wait" if next_round else "wait for the deadline", seconds)),
            sleep=self.sleep,
            clock=lambda: self.elapsed,
            now=lambda: START + timedelta(seconds=self.elapsed),
        )


def test_a_verified_first_round_is_the_only_round():
    world = World(Round("verified"))
    outcome = world.run(interval=60)
    assert outcome.last.status == "verified" and not outcome.timed_out
    assert world.shown == [("round", "verified")] and world.sleeps == []


def test_rounds_repeat_until_verified_waiting_for_the_eta_plus_a_second():
    world = World(Round("converging", START + timedelta(seconds=4)), Round("verified"))
    assert world.run(interval=60).last.status == "verified"
    assert world.sleeps == [5.0]
    assert world.shown == [("round", "converging"), ("wait", 5.0), ("round", "verified")]


def test_without_an_eta_the_loop_waits_the_interval():
    world = World(Round("failing"), Round("failing"), Round("verified"))
    world.run(interval=30)
    assert world.sleeps == [30, 30]


def test_a_deadline_shorter_than_the_interval_is_waited_for_without_another_round():
    world = World(Round("converging", START + timedelta(hours=1)), Round("verified"))
    outcome = world.run(interval=60, timeout=10)
    assert outcome.last.status == "converging" and outcome.timed_out and not outcome.cut_short
    assert world.sleeps == [10] and world.shown == [("round", "converging"), ("wait for the deadline", 10)]
    assert len(world.rounds) == 1  # the second round never ran


def test_no_round_starts_after_the_deadline():
    world = World(*(Round("failing") for _ in range(10)))
    outcome = world.run(interval=30, timeout=100)
    assert outcome.last.status == "failing" and outcome.timed_out
    assert world.sleeps == [30, 30, 30, 10]  # a fourth wait would end at 120 s: the loop waits for the deadline instead
    assert len(world.rounds) == 6


class Slow:
    """Rounds on the real clock: the scripted ones end at once, every one after them takes a minute."""

    def __init__(self, *statuses: str) -> None:
        self.statuses = list(statuses)
        self.finished: list[str] = []

    async def round_(self) -> Round:
        status = self.statuses.pop(0) if self.statuses else "slow"
        if status == "slow":
            await asyncio.sleep(60)
        self.finished.append(status)
        return Round(status)


def test_a_round_still_asking_at_the_deadline_is_cancelled():
    rounds = Slow("converging")
    shown = []
    outcome = watch(rounds.round_, interval=0.05, timeout=0.5, on_round=lambda r: shown.append(r.status))
    assert outcome.timed_out and outcome.cut_short
    assert outcome.last.status == "converging" and shown == ["converging"]
    assert rounds.finished == ["converging"]  # the slow round was cancelled, not waited for


def test_when_no_round_completes_there_is_no_last_round():
    rounds = Slow()
    outcome = watch(rounds.round_, interval=60, timeout=0.3)
    assert outcome.last is None and outcome.timed_out and outcome.cut_short
    assert rounds.finished == []


def test_the_wait_is_at_least_a_second_and_at_most_the_interval():
    assert pause(Round("converging", START + timedelta(hours=2)), 60, START) == 60
    assert pause(Round("converging", START - timedelta(seconds=30)), 60, START) == 1.0
    assert pause(Round("converging", START + timedelta(seconds=2.5)), 60, START) == 3.5
    assert pause(Round("failing"), 45, START) == 45
