"""The compressed clock: the real clock's dates, with the waits skipped.

The lab serves the zone with its real TTLs, so verify and the gate compute
real ETAs (a day for a TLD's NS, two for an MX of 172800 s). The rehearsal
reads the time from this clock instead of the wall: it runs at the wall's
pace from the cutover on, and when the real components say "not before T",
it jumps to T. What a jump skips in the lab too (the resolvers' caches
running out) the rehearsal makes happen (it flushes them), so the world the
next round sees is the one it would see at T.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta


class Clock:
    """A clock that starts at `start` and can jump forward, never back."""

    def __init__(self, start: datetime, monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("the compressed clock needs an aware start")
        self._monotonic = monotonic
        self._base = start
        self._since = monotonic()
        self.skipped = timedelta(0)  # how much time the jumps skipped in all

    def now(self) -> datetime:
        return self._base + timedelta(seconds=self._monotonic() - self._since)

    def jump(self, to: datetime) -> bool:
        """Move to `to` if it lies ahead; True when the clock moved."""
        now = self.now()
        if to <= now:
            return False
        self.skipped += to - now
        self._base, self._since = to, self._monotonic()
        return True
