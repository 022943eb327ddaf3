"""SQLite files in a state folder: the default backend.

Writers get, on every connection:
- WAL: readers never block the writer, and after a crash a transaction is
  wholly there or not at all;
- synchronous=FULL: a commit is on disk before the caller acts on it (the
  ledger commits `sending` before it talks SMTP);
- a busy timeout: a second writer waits for the first instead of failing;
- the store's schema and append-only triggers (BEFORE UPDATE and BEFORE
  DELETE raise) on every table the store names as evidence. All of it is
  `IF NOT EXISTS`: a file written by an older version gains what it lacks
  and keeps its rows;
- the link columns of every chained table and the chain heads
  (`migrate.state.chained`), and the columns a store added later, each
  added with ALTER TABLE where a file lacks it.

Triggers only stop honest mistakes: whoever can write the file can drop
them. The chains are what detect a row edited, moved or deleted.

Readers open read-only and never create anything: a missing file is no
evidence (None), not an error. Any sqlite error becomes one line naming the
file (`EnvironmentProblem`), never a traceback.
"""

from __future__ import annotations

import fcntl
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from migrate.errors import EnvironmentProblem
from migrate.state.chained import HEADS
from migrate.state.db import Db, problem
from migrate.state.schema import Schema

BUSY_TIMEOUT = 30  # seconds a writer waits for another one before giving up


class SqliteDb(Db):
    errors = (sqlite3.Error,)

    def execute(self, sql: str, args: Iterable = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, tuple(args))

    def executemany(self, sql: str, rows: Iterable[Iterable]) -> None:
        self.raw.executemany(sql, rows)

    def insert(self, sql: str, args: Iterable, key: str) -> int:
        return int(self.raw.execute(sql, tuple(args)).lastrowid)  # the id, or the rowid of a table without one

    def _present(self, table: str) -> set[str]:
        return {row[1] for row in self.raw.execute(f"PRAGMA table_info({table})")}

    def has_table(self, table: str) -> bool:
        return self.raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def _begin_writing(self) -> None:
        self.raw.execute("BEGIN IMMEDIATE")


def script(schema: Schema) -> str:
    """The store's tables, chain heads and append-only triggers, all IF NOT EXISTS."""
    return schema.tables + (HEADS if schema.chains else "") + "".join(
        f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{suffix} BEFORE {change} ON {table}\n"
        f"    BEGIN SELECT RAISE(ABORT, '{schema.title} is append-only ({table})'); END;\n"
        for table in schema.evidence
        for suffix, change in (("u", "UPDATE"), ("d", "DELETE"))
    )


def open_writer(file: Path, schema: Schema) -> SqliteDb:
    """A connection that writes `file` (created with its folder when missing); autocommit, see `Db.transaction`."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        raw = sqlite3.connect(file, timeout=BUSY_TIMEOUT, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise problem(file, f"open {schema.title}", exc) from None
    db = SqliteDb(raw, str(file))
    # Writers opening one new file at once race to switch it to WAL and create its
    # tables; SQLite reports some of those collisions as "locked" at once, without
    # its busy handler, so the (idempotent) set-up is tried again until the timeout.
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=FULL")
            raw.executescript(script(schema))
            _upgrade(db, schema)
            return db
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raw.close()
            raise problem(file, f"open {schema.title}", exc) from None
        except sqlite3.Error as exc:
            raw.close()
            raise problem(file, f"open {schema.title}", exc) from None


def _lacking(db: SqliteDb, schema: Schema) -> list[tuple[str, str]]:
    return [(table, column) for table, column in schema.later_columns() if column.split()[0] not in db._present(table)]


def _upgrade(db: SqliteDb, schema: Schema) -> None:
    """Add the columns an older file lacks; the write lock only when one is missing (opening stays lock-free)."""
    if not _lacking(db, schema):
        return
    with db.transaction():  # two writers upgrading one old file at once: the second finds it done
        for table, column in _lacking(db, schema):
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def open_reader(file: Path, schema: Schema) -> SqliteDb | None:
    """A read-only connection to `file`, or None when there is no file (no evidence)."""
    if not file.exists():
        return None
    try:
        raw = sqlite3.connect(f"{file.absolute().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        raise problem(file, f"read {schema.title}", exc) from None
    return SqliteDb(raw, str(file))


@contextmanager
def exclusive(folder: Path, name: str, busy: str) -> Iterator[None]:
    """Hold `name`.lock in `folder` for the block; held already by another process: `busy`, at once."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EnvironmentProblem(f"{folder}: {busy}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
