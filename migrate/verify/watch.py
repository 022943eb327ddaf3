"""Rounds until verified: what `migrate verify --watch` and the demo run.

Each round opens the journal, runs and records, and closes it, so every round
is on disk before the next one starts. Between rounds the loop waits for the
round's ETA plus a second (caches count their TTLs down in whole seconds),
never longer than `verify.interval` and never less than a second. It prints
nothing: the caller shows each round through `on_round` and each wait
through `on_wait`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from migrate.journal import Journal
from migrate.spec import Spec
from migrate.verify.round import RoundResult, Settings, run_round
from migrate.zone import Zone


def one_round(spec: Spec, settings: Settings, state_dir: Path, *, desired: Zone, current: Zone) -> RoundResult:
    """One round, appended to the journal in `state_dir`."""
    with Journal.open(state_dir) as journal:
        return asyncio.run(run_round(spec, settings, desired=desired, current=current, journal=journal))


def pause(result: RoundResult, interval: float, now: datetime) -> float:
    """Seconds to wait before the next round."""
    if result.eta is None:
        return interval
    return min(interval, max(1.0, (result.eta - now).total_seconds() + 1))


def watch(
    round_: Callable[[], RoundResult],
    *,
    interval: float,
    timeout: float | None = None,
    on_round: Callable[[RoundResult], None] = lambda result: None,
    on_wait: Callable[[RoundResult, float], None] = lambda result, seconds: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> RoundResult:
    """Run `round_` until a round is verified, or until the next one would start after `timeout` seconds.

    Returns the last round; whether it is verified is the caller's to judge.
    """
    deadline = None if timeout is None else clock() + timeout
    result = round_()
    on_round(result)
    while result.status != "verified":
        wait = pause(result, interval, now())
        if deadline is not None and clock() + wait > deadline:
            break
        on_wait(result, wait)
        sleep(wait)
        result = round_()
        on_round(result)
    return result
