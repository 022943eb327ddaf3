"""Every store a state holds, in one list: what `migrate state init` creates and `migrate state copy` moves."""

from __future__ import annotations

from migrate import journal
from migrate.gate import store
from migrate.notify import ledger

SCHEMAS = (journal.SCHEMA, store.SCHEMA, ledger.SCHEMA)
