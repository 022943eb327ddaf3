"""One open connection to one store, whichever backend holds it: what stores and chains talk to.

Stores write SQL once, in SQLite's dialect (`?` placeholders); a backend
translates what differs (`postgres.PostgresDb`) and supplies the rest: how
a writer takes the store's write lock, how a reader gets one consistent
view, how a new row's id comes back, which columns a table has.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from migrate.errors import EnvironmentProblem


def problem(where: object, doing: str, exc: BaseException | str, hint: str = "") -> EnvironmentProblem:
    """The one line a store error becomes: where, what failed, why (`Db.describe`d), and what to check."""
    return EnvironmentProblem(f"{where}: cannot {doing} ({' '.join(str(exc).split())})" + (f"; {hint}" if hint else ""))


class Db:
    """A store's connection. `where` names it in messages (its file, or its database and namespace)."""

    errors: tuple[type[BaseException], ...] = ()  # what the driver raises: `access.reported` makes each one line

    def __init__(self, raw: Any, where: str) -> None:
        self.raw = raw
        self.where = where
        self._columns: dict[str, set[str]] = {}

    # -- what the backends differ in -------------------------------------------------

    def execute(self, sql: str, args: Iterable = ()) -> Any:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Iterable]) -> None:
        raise NotImplementedError

    def insert(self, sql: str, args: Iterable, key: str) -> int:
        """Run one INSERT and return the new row's `key` column (its id)."""
        raise NotImplementedError

    def _present(self, table: str) -> set[str]:
        raise NotImplementedError

    def has_table(self, table: str) -> bool:
        raise NotImplementedError

    @property
    def in_transaction(self) -> bool:
        raise NotImplementedError

    def _begin_writing(self) -> None:
        """Start a transaction that holds the store's write lock from its first statement."""
        raise NotImplementedError

    SNAPSHOT = "BEGIN"  # a transaction whose reads all see one moment

    def copied(self, table: str) -> None:
        """Rows were copied into `table` with their ids: new rows must continue after them (SQLite does so itself)."""

    def describe(self, exc: BaseException) -> str:
        """A driver error as one line (with nothing secret in it)."""
        return " ".join(str(exc).split())

    # -- the same for every backend ---------------------------------------------------

    def columns(self, table: str) -> set[str]:
        """The columns `table` has (a file written by an older version may lack some)."""
        if table not in self._columns:
            self._columns[table] = self._present(table)
        return self._columns[table]

    @contextmanager
    def transaction(self) -> Iterator[Db]:
        """The write lock up front (two writers never both read, then write) ... COMMIT, or ROLLBACK on any exception."""
        self._begin_writing()
        try:
            yield self
            self.raw.execute("COMMIT")
        except BaseException:
            if self.in_transaction:
                self.raw.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[Db]:
        """Several SELECTs as of one moment (inside a caller's transaction: that one).

        A writer committing between reading a chain and its head, or the
        ledger's events and its messages, would make a whole store look broken.
        """
        if self.in_transaction:
            yield self
            return
        self.raw.execute(self.SNAPSHOT)
        try:
            yield self
        finally:
            if self.in_transaction:
                self.raw.execute("ROLLBACK")  # it only read

    def close(self) -> None:
        self.raw.close()
