"""Anchors: the chain heads a gate decision rested on, and whether the stores still extend them.

A store's own head catches rows deleted from its end, but not a store put
back as an older copy of itself, nor (without the key) a chain recomputed
after an edit. So each decision records the head (count and newest link) of
every chain its evidence came from: the domain's verify rounds, the ledger's
events, the domain's attestations. The next gate run reads the newest
decision (whose own chain verifies) and, as each store is read, checks that
its chain still extends that head: at least as long, and the entry at that
position still carries that link. A store that does not fails its
requirement with one line naming it, and the gate stays locked.

The heads a decision records are the ones seen that extend the previous
decision's, and the previous ones otherwise (a store not read this time, or
one that failed): a mismatch is never forgotten by the next run.
"""

from __future__ import annotations

from migrate.errors import BrokenChain
from migrate.gate.store import Decision
from migrate.state.chain import Head
from migrate.state.chained import Read


class Anchors:
    """What the previous decision saw, and what this gate run has seen so far."""

    def __init__(self) -> None:
        self.previous: dict[str, Head] = {}
        self.decision: int | None = None
        self.seen: dict[str, Head] = {}

    def expect(self, decision: Decision | None) -> None:
        """Check every store read from now on against `decision`'s heads (None: the first decision, nothing to check)."""
        self.previous = dict(decision.heads) if decision else {}
        self.decision = decision.id if decision else None

    def saw(self, read: Read) -> None:
        """A store's chain, as read (and verified on its own): BrokenChain unless it extends what the previous decision saw."""
        store = read.chained.store
        anchor = self.previous.get(store)
        why = read.chain.extends(anchor) if anchor else None
        if why:
            raise BrokenChain(f"{read.where}: {read.title} are not what gate decision #{self.decision} saw, grown: {why}", store)
        self.seen[store] = read.chain.head

    def heads(self) -> dict[str, Head]:
        """The heads the decision being made rests on (see the module docstring)."""
        return {**self.previous, **self.seen}
