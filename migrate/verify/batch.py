"""One verify pass over a set of domains: every domain's round at once, under one budget.

A tenant's domains share the servers that matter (the root, their TLD, the
new host, the resolvers), so their rounds share one `Wire`: one token
bucket per address at the politest rates any of the specs asks for, one
bound on packets in flight, and a question two rounds ask is sent once
(`processes` makes the wire, and splits a large set between processes).
Each domain keeps its own round, written whole to its own journal (the
state the command names for it) as soon as it finishes; at most `ROUNDS_AT_ONCE` rounds
are in progress, so memory stays flat however many domains there are, and
a finished round keeps its checks but not the answers they came from.

The set's status is its worst domain's (failing, then unknown, then
converging, then verified); its ETA, when it is converging, is the latest
of its domains' (when the last one can be verified).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime

from migrate.journal import Journal
from migrate.spec import Spec
from migrate.state.location import Location
from migrate.verify.checks import CONVERGING, FAILING, VERIFIED
from migrate.verify.evidence import Clock, utc_now
from migrate.verify.query import Wire
from migrate.verify.round import RoundResult, Settings, run_round
from migrate.zone import Zone

ROUNDS_AT_ONCE = 64
UNKNOWN = "unknown"
_WORST_FIRST = (FAILING, UNKNOWN, CONVERGING, VERIFIED)


@dataclass(frozen=True)
class Member:
    """One domain of the set: its spec, how its rounds ask, its plan, and where its journal is."""

    spec: Spec
    settings: Settings
    desired: Zone
    current: Zone
    state: Location


@dataclass(frozen=True)
class SetResult:
    """A pass over the set: each domain's round, in the set's order."""

    results: tuple[RoundResult, ...]

    @property
    def status(self) -> str:
        statuses = {r.status for r in self.results}
        return next((s for s in _WORST_FIRST if s in statuses), FAILING)

    @property
    def eta(self) -> datetime | None:
        """When the last converging domain can be verified (None unless the set is converging, or one has no ETA)."""
        if self.status != CONVERGING:
            return None
        etas = [r.eta for r in self.results if r.status == CONVERGING]
        return None if any(e is None for e in etas) else max(etas)

    @property
    def summary(self) -> dict[str, int]:
        return {s: sum(1 for r in self.results if r.status == s) for s in (VERIFIED, CONVERGING, FAILING, UNKNOWN)}

    @property
    def queries(self) -> int:
        return sum(r.queries for r in self.results)

    @property
    def carried(self) -> int:
        return sum(r.carried for r in self.results)


async def verify_pass(
    members: Sequence[Member],
    *,
    wire: Wire,
    clock: Clock = utc_now,
    fresh: bool = False,
    on_round: Callable[[RoundResult], None] = lambda result: None,
) -> SetResult:
    """One round for every member, concurrently, each recorded in its own journal as it finishes; `wire` is closed after."""
    at_once = asyncio.Semaphore(ROUNDS_AT_ONCE)
    with ExitStack() as stack:
        stack.callback(wire.close)  # a wire serves one pass
        journals: dict[Location, Journal] = {}
        for member in members:
            if member.state not in journals:
                journals[member.state] = stack.enter_context(Journal.open(member.state))

        async def one(member: Member) -> RoundResult:
            async with at_once:
                result = await run_round(member.spec, member.settings, desired=member.desired, current=member.current,
                                         journal=journals[member.state], clock=clock, wire=wire, fresh=fresh)
            # What the round saw is in the journal: keep its verdict, not its answers.
            result = replace(result, evidence=None, observations=[])
            on_round(result)
            return result

        return SetResult(tuple(await asyncio.gather(*(one(m) for m in members))))
