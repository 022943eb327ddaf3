"""The bounds of the Graph work of one command: a deadline, a retry budget, a page cap.

One Budget is made per client, and a client per command (a gate run, one
`m365 remove-domain`), so whatever a server does (drip its answer a byte at
a time, answer Retry-After for ever, loop its @odata.nextLink) the command's
Graph work ends by the deadline. Reaching a bound raises GraphLimit, one
line that names the bound: the gate then counts the evidence as unknown and
stays locked.
"""

from __future__ import annotations

import time

from migrate.errors import MigrateError

# Retries of the whole operation, not of each request: a storm of 429s costs this many waits at most.
RETRIES = 8
# 1,000 pages of Graph's 100 to 999 objects cover any tenant a self-service exit concerns.
PAGES = 1000

KNOB = "source.graph.deadline"


class GraphLimit(MigrateError):
    """A bound of the Graph work was reached: out of time, retries or pages (exit 1, fails closed)."""


class Budget:
    def __init__(
        self,
        deadline: float,
        *,
        retries: int = RETRIES,
        pages: int = PAGES,
    ) -> None:
        self.deadline = deadline
        self.retries, self._retries_left = retries, retries
        self.pages, self._pages_left = pages, pages
        self._end = time.monotonic() + deadline

    def left(self, what: str) -> float:
        """Seconds left before the deadline; GraphLimit when there are none."""
        remaining = self._end - time.monotonic()
        if remaining <= 0:
            raise self.out_of_time(what)
        return remaining

    def out_of_time(self, what: str) -> GraphLimit:
        return GraphLimit(f"{what}: no complete answer within the {self.deadline:g} s deadline of {KNOB}; giving up")

    def retry(self, failure: str, wait: float) -> None:
        """Spend one retry of `failure` (a one-line description) after waiting `wait` seconds.

        GraphLimit when the budget cannot pay for it: no retries left, or the
        wait would end past the deadline (sleeping only to fail then: fail now).
        """
        if self._retries_left <= 0:
            raise GraphLimit(f"{failure} (still failing after {self.retries} retries, the retry budget of the Graph work; giving up)")
        left = self._end - time.monotonic()
        if wait >= left:
            raise GraphLimit(
                f"{failure} (a retry in {wait:g} s would pass the {self.deadline:g} s deadline of {KNOB}, {max(left, 0):.0f} s left; giving up)"
            )
        self._retries_left -= 1

    def page(self, what: str) -> None:
        """Count one more page of a collection; GraphLimit beyond the cap."""
        if self._pages_left <= 0:
            raise GraphLimit(f"{what}: more than {self.pages} pages of Graph answers; giving up")
        self._pages_left -= 1
