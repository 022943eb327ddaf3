"""The compressed clock: the wall's pace from its start, jumps forward only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from migrate.rehearse.clock import Clock

START = datetime(2027, 1, 15, 6, 0, tzinfo=timezone.utc)


class Wall:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_it_runs_at_the_wall_s_pace_and_jumps_only_forward():
    wall = Wall()
    clock = Clock(START, monotonic=wall)
    assert clock.now() == START
    wall.seconds += 2.5
    assert clock.now() == START + timedelta(seconds=2.5)
    assert clock.jump(START + timedelta(days=1)) is True
    wall.seconds += 1
    assert clock.now() == START + timedelta(days=1, seconds=1)
    assert clock.jump(START) is False  # the past stays behind
    assert clock.now() == START + timedelta(days=1, seconds=1)
    assert clock.skipped == timedelta(days=1) - timedelta(seconds=2.5)


def test_it_needs_a_time_zone():
    with pytest.raises(ValueError):
        Clock(datetime(2027, 1, 15))
