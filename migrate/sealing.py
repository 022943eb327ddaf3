"""Putting a state written without M365_EXIT_STATE_KEY under the key: `migrate state seal`.

A reader holding the key refuses a chain whose head is not sealed with it,
since a chain rewritten by someone without the key looks exactly like one
written before the key was set. Sealing tells them apart the only way there
is: someone who holds the key and has checked the state vouches for it as
it stands. Every chain must verify first (links, each round's digest, the
ledger's messages against its events); then each store's heads are sealed
with the key in one transaction per file.
"""

from __future__ import annotations

from migrate import journal
from migrate.errors import BadInput
from migrate.gate import store
from migrate.notify import ledger
from migrate.state import keys
from migrate.state.location import Location


def seal(state: Location) -> dict[str, int]:
    """Seal every store of the state with the key in the environment; {store: chains sealed}."""
    key = keys.from_environment()
    if key is None:
        raise BadInput(f"{keys.ENV} is not set: it is the key to seal the state with")
    return {
        "journal": journal.seal(state, key),
        "gate store": store.seal(state, key),
        "ledger": ledger.seal(state, key),
    }
