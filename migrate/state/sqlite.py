"""SQLite files under the state folder: the one way every store opens its file.

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

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from migrate.errors import EnvironmentProblem
from migrate.state import chained as chained_tables
from migrate.state.chained import HEADS, LINK_COLUMNS, Chained, missing_columns

BUSY_TIMEOUT = 30  # seconds a writer waits for another one before giving up


@dataclass(frozen=True)
class Schema:
    """One store's file: its name in messages, its tables, which of them are evidence (append-only) and chained."""

    title: str  # "the journal": how error messages name the store
    tables: str  # CREATE TABLE / INDEX ... IF NOT EXISTS statements
    evidence: tuple[str, ...]
    chains: tuple[Chained, ...] = ()
    added: tuple[tuple[str, str], ...] = ()  # (table, "column TYPE") added after files were written without it

    def script(self) -> str:
        return self.tables + (HEADS if self.chains else "") + "".join(
            f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{suffix} BEFORE {change} ON {table}\n"
            f"    BEGIN SELECT RAISE(ABORT, '{self.title} is append-only ({table})'); END;\n"
            for table in self.evidence
            for suffix, change in (("u", "UPDATE"), ("d", "DELETE"))
        )


def problem(file: Path, doing: str, exc: BaseException, hint: str = "") -> EnvironmentProblem:
    """The one line a sqlite (or file system) error becomes: the file, what failed, why, and what to check."""
    return EnvironmentProblem(f"{file}: cannot {doing} ({exc})" + (f"; {hint}" if hint else ""))


@contextmanager
def reported(file: Path, doing: str, hint: str = "") -> Iterator[None]:
    """Turn a sqlite error raised inside the block into `problem(...)`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise problem(file, doing, exc, hint) from None


def open_writer(file: Path, schema: Schema) -> sqlite3.Connection:
    """A connection that writes `file` (created with its folder when missing); autocommit, see `transaction`."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(file, timeout=BUSY_TIMEOUT, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise problem(file, f"open {schema.title}", exc) from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(schema.script())
        _upgrade(db, schema)
    except sqlite3.Error as exc:
        db.close()
        raise problem(file, f"open {schema.title}", exc) from None
    return db


def _upgrade(db: sqlite3.Connection, schema: Schema) -> None:
    """Add the columns an older file lacks; the write lock only when one is missing (opening stays lock-free)."""
    wanted = [*schema.added, *((c.table, column) for c in schema.chains for column in LINK_COLUMNS)]
    if all(not missing_columns(db, table, [column]) for table, column in wanted):
        return
    with transaction(db):  # two writers upgrading one old file at once: the second finds it done
        for table, column in wanted:
            for lacking in missing_columns(db, table, [column]):
                db.execute(f"ALTER TABLE {table} ADD COLUMN {lacking}")


def open_reader(file: Path, schema: Schema) -> sqlite3.Connection | None:
    """A read-only connection to `file`, or None when there is no file (no evidence)."""
    if not file.exists():
        return None
    with reported(file, f"read {schema.title}"):
        return sqlite3.connect(f"{file.absolute().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)


@contextmanager
def writing(file: Path, schema: Schema) -> Iterator[sqlite3.Connection]:
    """`open_writer` for the length of a block; a sqlite error inside it is one line naming the file."""
    db = open_writer(file, schema)
    try:
        with reported(file, f"write {schema.title}"):
            yield db
    finally:
        db.close()


@contextmanager
def reading(file: Path, schema: Schema) -> Iterator[sqlite3.Connection | None]:
    """`open_reader` for the length of a block (None: no file); a sqlite error inside it is one line naming the file."""
    db = open_reader(file, schema)
    try:
        with reported(file, f"read {schema.title}"):
            yield db
    finally:
        if db is not None:
            db.close()


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE (the write lock up front, so two writers never both read then write) ... COMMIT, or ROLLBACK on any exception."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def adopt(file: Path, schema: Schema, key: bytes, check: Callable[[sqlite3.Connection], None] = lambda db: None) -> int:
    """Seal every chain in `file` with `key` as it stands (`chained.adopt`), once `check` (what the store's readers
    verify besides the links) passes, all in one transaction; how many chains. No file: 0, and none is made."""
    if not file.exists():
        return 0
    with writing(file, schema) as db, transaction(db):
        sealed = sum(chained_tables.adopt(db, file, table, key) for table in schema.chains)
        check(db)
    return sealed
