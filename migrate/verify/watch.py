"""Rounds until verified or the deadline: what `migrate verify --watch` and the demo run.

Each round opens the journal, runs and records, and closes it, so every round
is on disk before the next one starts. Between rounds the loop waits for the
round's ETA plus a second (caches count their TTLs down in whole seconds),
never longer than `verify.interval` and never less than a second.

The deadline holds inside a round too: a round still asking at the deadline
is cancelled. A round writes the journal in one synchronous step after its
last question, so a cancelled round leaves nothing in the journal, never a
part of itself. When the next round would start after the deadline, the loop
waits for the deadline instead of ending early: a watch given 30 minutes
watches for 30 minutes unless it is verified sooner.

It prints nothing: the caller shows each round through `on_round` and each
wait through `on_wait`. A round may also be a pass over a set of domains
(`batch.SetResult`): the loop reads only its status and ETA.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from migrate.journal import Journal
from migrate.verify.batch import SetResult
from migrate.spec import Spec
from migrate.verify.query import Progress
from migrate.verify.round import RoundResult, Settings, run_round
from migrate.zone import Zone

Result = RoundResult | SetResult  # one domain's round, or a pass over a set


@dataclass(frozen=True)
class Outcome:
    """How a watch ended."""

    last: Result | None  # the last completed round; None when none completed before the deadline
    timed_out: bool = False  # the deadline came before a verified round
    cut_short: bool = False  # a round was still asking at the deadline (cancelled, not recorded)


async def recorded_round(
    spec: Spec, settings: Settings, state_dir: Path, *, desired: Zone, current: Zone,
    progress: Callable[[Progress], None] | None = None, fresh: bool = False,
) -> RoundResult:
    """One round, appended to the journal in `state_dir` (`fresh`: reusing no settled answer)."""
    with Journal.open(state_dir) as journal:
        return await run_round(spec, settings, desired=desired, current=current, journal=journal, progress=progress,
                               fresh=fresh)


def pause(result: Result, interval: float, now: datetime) -> float:
    """Seconds to wait before the next round."""
    if result.eta is None:
        return interval
    return min(interval, max(1.0, (result.eta - now).total_seconds() + 1))


async def _within(round_: Awaitable[Result], seconds: float | None) -> Result | None:
    """The round's result, or None when it is cancelled after `seconds` (None: no limit)."""
    task = asyncio.ensure_future(round_)
    await asyncio.wait({task}, timeout=seconds)
    if not task.done():
        task.cancel()
    try:
        # A round that finished as the time ran out is kept: it is already in the journal.
        return await task
    except asyncio.CancelledError:
        return None


def watch(
    round_: Callable[[], Awaitable[Result]],
    *,
    interval: float,
    timeout: float | None = None,
    on_round: Callable[[Result], None] = lambda result: None,
    on_wait: Callable[[Result, float, bool], None] = lambda result, seconds, next_round: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Outcome:
    """Run `round_` until a round is verified, or until `timeout` seconds have passed.

    `on_wait` hears each wait: its seconds, and whether a round follows it
    (False: the wait ends at the deadline). Whether the last round is
    verified is the caller's to judge.
    """
    deadline = None if timeout is None else clock() + timeout
    last = None
    while True:
        result = asyncio.run(_within(round_(), None if deadline is None else max(0.0, deadline - clock())))
        if result is None:
            return Outcome(last, timed_out=True, cut_short=True)
        last = result
        on_round(result)
        if result.status == "verified":
            return Outcome(result)
        wait = pause(result, interval, now())
        if deadline is not None and clock() + wait >= deadline:
            left = max(0.0, deadline - clock())
            on_wait(result, left, False)
            sleep(left)
            return Outcome(result, timed_out=True)
        on_wait(result, wait, True)
        sleep(wait)
