"""PostgreSQL: one database that a laptop and any number of CI runners share, with the SQLite files' guarantees.

Layout: each store lives in a namespace of its own (`m365_exit_journal`,
`m365_exit_gate`, `m365_exit_notify`, from its file's stem), so the stores'
SQL stays unqualified and each has its own `chain_heads`; `m365_exit.state`
marks a database that `migrate state init` prepared. Only init creates
anything: opening a database without the mark is bad input (an empty
database, a wrong URL), never a fresh start, so a lost state cannot make a
wave go out twice.

What the SQLite files get from their backend, and how it is had here:
- append-only evidence: a PL/pgSQL trigger refuses UPDATE and DELETE (and
  TRUNCATE) on every evidence table; the tables belong to the role that ran
  init, so a runner role granted only SELECT and INSERT (`init(runner=)`)
  can neither drop the triggers nor delete a row;
- one writer at a time per store (SQLite's BEGIN IMMEDIATE): every write
  transaction first takes the store's transaction-scoped advisory lock, so
  reading a chain's head and appending after it are never interleaved with
  another writer's, and nothing is lost or linked twice;
- one sender per state (the lock file): a session advisory lock, held on a
  connection of its own for the run and released by the server when that
  process dies;
- consistent reads: REPEATABLE READ, read-only snapshots;
- bounded time: a connect timeout, a statement timeout and a lock timeout,
  and TCP keepalives, so a dead database ends a command with one line.
  `connect_timeout=` in the URL, or `options=-c statement_timeout=...`,
  change them.

The password (from the URL or PGPASSWORD) is never shown: messages name the
URL without it, and driver errors are scrubbed of it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from migrate.errors import BadInput, EnvironmentProblem
from migrate.secrets import scrub
from migrate.state.chained import HEADS
from migrate.state.db import Db, problem
from migrate.state.schema import Schema
from migrate.state.sqlite import BUSY_TIMEOUT

MARK = "m365_exit"  # the namespace of the mark `state init` leaves, and of the append-only trigger function
VERSION = 1
CONNECT_TIMEOUT = 10  # seconds
STATEMENT_TIMEOUT = 120_000  # milliseconds: a gate reading a long journal over a slow link stays well within it
LOCK_TIMEOUT = BUSY_TIMEOUT * 1000  # milliseconds a writer waits for another, as with SQLite
_DEFAULTS = {"connect_timeout": CONNECT_TIMEOUT, "application_name": "m365-exit", "keepalives": 1,
             "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3, "tcp_user_timeout": 30_000}
_ERRORS = (psycopg.Error,)


def namespace(schema: Schema) -> str:
    return f"{MARK}_{schema.name}"


def lock_key(name: str) -> int:
    """A stable 64-bit advisory lock id for `name` (advisory locks are per database)."""
    return int.from_bytes(hashlib.sha256(f"m365-exit/{name}".encode()).digest()[:8], "big", signed=True)


@functools.lru_cache(maxsize=256)
def _dialect(statement: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s` outside quoted strings; every literal `%` doubled (psycopg reads them all)."""
    parts = statement.replace("%", "%%").split("'")
    return "'".join(part if i % 2 else part.replace("?", "%s") for i, part in enumerate(parts))


class PostgresDb(Db):
    errors = _ERRORS
    SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(self, raw: psycopg.Connection, where: str, lock: int, secrets: Sequence[str]) -> None:
        super().__init__(raw, where)
        self.lock = lock
        self.secrets = tuple(secrets)

    def execute(self, statement: str, args: Iterable = ()) -> psycopg.Cursor:
        args = tuple(args)
        return self.raw.execute(_dialect(statement) if args else statement, args or None)

    def executemany(self, statement: str, rows: Iterable[Iterable]) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(_dialect(statement), [tuple(row) for row in rows])

    def insert(self, statement: str, args: Iterable, key: str) -> int:
        return int(self.raw.execute(f"{_dialect(statement)} RETURNING {key}", tuple(args)).fetchone()[0])

    def _present(self, table: str) -> set[str]:
        return {name for (name,) in self.raw.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
            (table,))}

    def has_table(self, table: str) -> bool:
        return self.raw.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR,
                                                    TransactionStatus.ACTIVE)

    def _begin_writing(self) -> None:
        self.raw.execute("BEGIN")
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock,))

    def describe(self, exc: BaseException) -> str:
        return scrub(super().describe(exc), *self.secrets)

    def copied(self, table: str) -> None:
        if "id" in self.columns(table):  # the next row gets the id after the copied ones
            self.raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} HAVING max(id) IS NOT NULL")


def script(schema: Schema) -> str:
    """The store's tables as PostgreSQL has them: 64-bit ids, every later column, an insertion order, the triggers."""
    tables = (schema.tables + (HEADS if schema.chains else "")).replace(
        "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    later = "".join(f"ALTER TABLE {table} ADD COLUMN {column};\n" for table, column in schema.later_columns())
    # SQLite's rowid, where a chain is in insertion order without an id of its own (the journal's old name servers).
    order = "".join(f"ALTER TABLE {c.table} ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;\n"
                    for c in schema.chains if c.order == "rowid")
    triggers = "".join(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW "
        f"EXECUTE FUNCTION {MARK}.append_only('{schema.title} is append-only ({table})');\n"
        f"CREATE TRIGGER {table}_append_only_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {MARK}.append_only('{schema.title} is append-only ({table})');\n"
        for table in schema.evidence
    )
    return re.sub(r"\bINTEGER\b", "BIGINT", tables + later) + order + triggers


_MARK = f"""
CREATE SCHEMA {MARK};
CREATE TABLE {MARK}.state (version INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE FUNCTION {MARK}.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$$;
"""


def _where(where: str, schema: Schema | None) -> str:
    return f"{where} ({schema.name})" if schema else where


def _failed(where: str, exc: psycopg.Error, secrets: Sequence[str]) -> Exception:
    """A connection that failed as one line: a database or role that is not there is a wrong URL (bad input)."""
    text = scrub(" ".join(str(exc).split()), *secrets)
    if re.search(r'(database|role) "[^"]*" does not exist|password authentication failed|no password supplied|invalid .*value', text):
        return BadInput(f"{where}: cannot connect ({text})")
    return EnvironmentProblem(f"{where}: cannot connect ({text}); is the database up and reachable?")


def connect(url: str, where: str, secrets: Sequence[str], schema: Schema | None, *, write: bool,
            marked: bool = True) -> PostgresDb:
    """A connection for one store (`schema`; None: the database as a whole), read-only unless `write`.

    `marked`: the database must hold a state (`init`): otherwise bad input,
    and nothing is created.
    """
    try:
        given = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise BadInput(f"{where}: not a PostgreSQL URL libpq can read ({scrub(' '.join(str(exc).split()), *secrets)})") from None
    options = [f"-c statement_timeout={STATEMENT_TIMEOUT}", f"-c lock_timeout={LOCK_TIMEOUT}", given.get("options") or ""]
    if schema is not None:
        options.append(f"-c search_path={namespace(schema)}")
    if not write:
        options.append("-c default_transaction_read_only=on")
    settings = {name: value for name, value in _DEFAULTS.items() if name not in given}
    try:
        raw = psycopg.connect(url, autocommit=True, options=" ".join(filter(None, options)), **settings)
    except psycopg.Error as exc:
        raise _failed(where, exc, secrets) from None
    db = PostgresDb(raw, _where(where, schema), lock_key(f"store/{schema.name}" if schema else "state"), secrets)
    try:
        if marked and not db.has_table(f"{MARK}.state"):
            raise BadInput(f"{where}: holds no m365-exit state (an empty database, or a wrong URL?); "
                           "create it once with `migrate state init URL`")
    except BaseException as exc:
        db.close()
        if isinstance(exc, psycopg.Error):
            raise problem(where, "read the database", db.describe(exc)) from None
        raise
    return db


def init(url: str, where: str, secrets: Sequence[str], schemas: Sequence[Schema], runner: str | None) -> None:
    """Create the state: the mark, each store's namespace and tables, owned by the role connecting; `runner` may read and add."""
    db = connect(url, where, secrets, None, write=True, marked=False)
    try:
        with db.transaction():
            if db.has_table(f"{MARK}.state"):
                (created,) = db.raw.execute(f"SELECT created_at FROM {MARK}.state").fetchone() or ("?",)
                raise BadInput(f"{where}: holds an m365-exit state already (created {created}); nothing changed")
            if runner and not db.raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (runner,)).fetchone():
                raise BadInput(f"--runner: the role {runner!r} does not exist in {where}: create it first (CREATE ROLE)")
            db.raw.execute(_MARK)
            for schema in schemas:
                db.raw.execute(f"CREATE SCHEMA {namespace(schema)}")
                db.raw.execute(f"SET LOCAL search_path = {namespace(schema)}")
                db.raw.execute(script(schema))
            db.raw.execute(f"INSERT INTO {MARK}.state (version, created_at) VALUES (%s, %s)",
                           (VERSION, datetime.now(timezone.utc).isoformat()))
            if runner:
                _grant(db, schemas, runner)
    except psycopg.Error as exc:
        raise problem(where, "create the state", db.describe(exc), "does this role have CREATE on the database?") from None
    finally:
        db.close()


def _grant(db: PostgresDb, schemas: Sequence[Schema], runner: str) -> None:
    """SELECT and INSERT for the runner; UPDATE only on what is not evidence (the ledger's messages, the chain heads)."""
    role = sql.Identifier(runner)
    spaces = sql.SQL(", ").join(sql.Identifier(name) for name in (MARK, *map(namespace, schemas)))
    db.raw.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(spaces, role))
    db.raw.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(MARK, "state"), role))
    for schema in schemas:
        space = sql.Identifier(namespace(schema))
        db.raw.execute(sql.SQL("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {} TO {}").format(space, role))
        for table in schema.table_names():
            if table not in schema.evidence:
                db.raw.execute(sql.SQL("GRANT UPDATE ON {} TO {}").format(sql.Identifier(namespace(schema), table), role))


def empty(url: str, where: str, secrets: Sequence[str], schemas: Sequence[Schema]) -> bool:
    """Whether the state holds no row at all (a target `state copy` may fill)."""
    db = connect(url, where, secrets, None, write=False)
    try:
        return not any(db.raw.execute(f"SELECT EXISTS (SELECT 1 FROM {namespace(schema)}.{table})").fetchone()[0]
                       for schema in schemas for table in schema.table_names())
    except psycopg.Error as exc:
        raise problem(where, "read the database", db.describe(exc)) from None
    finally:
        db.close()


@contextmanager
def exclusive(url: str, where: str, secrets: Sequence[str], name: str, busy: str) -> Iterator[None]:
    """Hold the advisory lock `name` for the block, on a connection of its own; held by another session: `busy`, at once."""
    db = connect(url, where, secrets, None, write=False)
    try:
        try:
            held = db.raw.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(f"exclusive/{name}"),)).fetchone()[0]
        except psycopg.Error as exc:
            raise problem(where, "take the lock", db.describe(exc)) from None
        if not held:
            raise EnvironmentProblem(f"{where}: {busy}")
        yield
    finally:
        db.close()  # ends the session, and with it the lock
