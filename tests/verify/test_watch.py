"""The watch loop (`migrate verify --watch`, the demo): when it waits, how long, and when it stops."""

from __future__ import annotations

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

    def round_(self) -> Round:
        return self.rounds.pop(0)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def run(self, *, interval: float, timeout: float | None = None) -> Round:
        return watch(
            self.round_,
            interval=interval,
            timeout=timeout,
            on_round=lambda result: self.shown.append(("round", result.status)),
            on_wait=lambda result, seconds: self.shown.append(("wait", seconds)),
            sleep=self.sleep,
            clock=lambda: self.elapsed,
            now=lambda: START + timedelta(seconds=self.elapsed),
        )


def test_a_verified_first_round_is_the_only_round():
    world = World(Round("verified"))
    assert world.run(interval=60).status == "verified"
    assert world.shown == [("round", "verified")] and world.sleeps == []


def test_rounds_repeat_until_verified_waiting_for_the_eta_plus_a_second():
    world = World(Round("converging", START + timedelta(seconds=4)), Round("verified"))
    assert world.run(interval=60).status == "verified"
    assert world.sleeps == [5.0]
    assert world.shown == [("round", "converging"), ("wait", 5.0), ("round", "verified")]


def test_without_an_eta_the_loop_waits_the_interval():
    world = World(Round("failing"), Round("failing"), Round("verified"))
    world.run(interval=30)
    assert world.sleeps == [30, 30]


def test_a_deadline_shorter_than_the_wait_returns_the_first_round_without_waiting():
    world = World(Round("converging", START + timedelta(hours=1)), Round("verified"))
    last = world.run(interval=60, timeout=10)
    assert last.status == "converging"
    assert world.sleeps == [] and world.shown == [("round", "converging")]
    assert len(world.rounds) == 1  # the second round never ran


def test_no_round_starts_after_the_deadline():
    world = World(*(Round("failing") for _ in range(10)))
    last = world.run(interval=30, timeout=100)
    assert last.status == "failing"
    assert world.sleeps == [30, 30, 30]  # a fourth wait would end at 120 s, past the deadline
    assert len(world.rounds) == 6


def test_the_wait_is_at_least_a_second_and_at_most_the_interval():
    assert pause(Round("converging", START + timedelta(hours=2)), 60, START) == 60
    assert pause(Round("converging", START - timedelta(seconds=30)), 60, START) == 1.0
    assert pause(Round("converging", START + timedelta(seconds=2.5)), 60, START) == 3.5
    assert pause(Round("failing"), 45, START) == 45
