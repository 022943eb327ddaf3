"""The key that seals the stores' hash chains (HMAC-SHA256), when there is one.

It comes from M365_EXIT_STATE_KEY: the file holder can recompute a plain
chain, not a keyed one, so the key must live where the state files do not
(a CI secret, the verify host's service environment). Every store asks
`from_environment()` when it opens and passes the key down to the chain
functions (`key=`), so the stores never learn where a key comes from. In
PostgreSQL the same key applies; there the roles add what no key gives (a
runner that cannot delete: see `postgres`).
"""

from __future__ import annotations

import os

from migrate.errors import BadInput

ENV = "M365_EXIT_STATE_KEY"
MIN_LENGTH = 16  # characters: shorter keys can be guessed offline from a stolen file


def from_environment() -> bytes | None:
    """The key in M365_EXIT_STATE_KEY, or None when it is not set (plain sha256 chains)."""
    value = os.environ.get(ENV)
    if not value:
        return None
    if len(value) < MIN_LENGTH:
        raise BadInput(f"{ENV} is {len(value)} characters long; use at least {MIN_LENGTH} (e.g. `openssl rand -hex 32`)")
    return value.encode("utf-8")
