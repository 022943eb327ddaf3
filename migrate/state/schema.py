"""One store's tables, declared once for every backend.

A store writes its tables in SQLite's dialect, the one its files have
always had; each backend builds its own script from the same declaration
(`sqlite.script`, `postgres.script`), so a store never holds a second copy
of its tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from migrate.state.chained import LINK_COLUMNS, Chained

if TYPE_CHECKING:
    from migrate.state.db import Db

_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")


@dataclass(frozen=True)
class Schema:
    """One store: its name in messages, its file, its tables, which are evidence (append-only) and chained."""

    title: str  # "the journal": how error messages name the store
    file: str  # "journal.sqlite": its file in a state folder; the stem names its namespace in a database
    tables: str  # CREATE TABLE / INDEX ... IF NOT EXISTS statements, in SQLite's dialect
    evidence: tuple[str, ...]
    chains: tuple[Chained, ...] = ()
    added: tuple[tuple[str, str], ...] = ()  # (table, "column TYPE") added after files were written without it
    # What a reader verifies besides the chains (a round's digest, the ledger's messages against its events).
    check: Callable[[Db, bytes | None], None] | None = None

    @property
    def name(self) -> str:
        return PurePath(self.file).stem

    def table_names(self) -> list[str]:
        """Every table, in the order they are created (a table before those referring to it)."""
        return _TABLE.findall(self.tables) + (["chain_heads"] if self.chains else [])

    def later_columns(self) -> list[tuple[str, str]]:
        """(table, "column TYPE") for every column the CREATE statements lack: added ones and the chains' links."""
        return [*self.added, *((c.table, column) for c in self.chains for column in LINK_COLUMNS)]
