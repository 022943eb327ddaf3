"""Moving a state between places (`migrate state copy`): every row as stored, then shown to be the same.

The source must verify whole first (every chain, every round's digest, the
ledger against its events): a broken state is not copied, since the copy
would launder it. The target must hold nothing (a folder without store
files, or a database `migrate state init` prepared and nothing has written
to). Rows keep their ids and links, so the chains are the same chains.
Afterwards each table's rows are hashed on both sides and must match, and
the target is verified as a reader would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from migrate.errors import BadInput, EnvironmentProblem
from migrate.state.access import reading, verify, writing
from migrate.state.chained import quoted
from migrate.state.codec import canonical_json
from migrate.state.db import Db
from migrate.state.location import Folder, Location
from migrate.state.schema import Schema

BATCH = 1000  # rows per round trip


@dataclass(frozen=True)
class Copied:
    title: str  # the store, as messages name it
    rows: int
    chains: int  # verified in the target


def _columns(source: Db, target: Db, table: str) -> list[str]:
    # A column (or a table) an older source lacks stays NULL (empty); PostgreSQL's rowid is its own insertion order.
    return sorted((source.columns(table) & target.columns(table)) - {"rowid"}) if source.has_table(table) else []


def _order(schema: Schema, table: str, columns: list[str]) -> str | None:
    if "id" in columns:
        return "id"
    return "rowid" if any(c.table == table and c.order == "rowid" for c in schema.chains) else None


def _select(schema: Schema, table: str, columns: list[str]) -> str:
    order = _order(schema, table, columns)
    return f"SELECT {', '.join(map(quoted, columns))} FROM {table}" + (f" ORDER BY {order}" if order else "")


def _copy(source: Db, target: Db, schema: Schema, table: str) -> int:
    columns = _columns(source, target, table)
    if not columns:
        return 0
    insert = f"INSERT INTO {table} ({', '.join(map(quoted, columns))}) VALUES ({', '.join('?' for _ in columns)})"
    cursor = source.execute(_select(schema, table, columns))
    count = 0
    while batch := cursor.fetchmany(BATCH):
        target.executemany(insert, batch)
        count += len(batch)
    target.copied(table)
    return count


def _digest(db: Db, schema: Schema, table: str, columns: list[str]) -> str:
    """sha256 of the table's rows as canonical JSON; in id order, or sorted where the order is the database's own."""
    texts = (canonical_json(list(row)) for row in db.execute(_select(schema, table, columns)))
    ordered = texts if _order(schema, table, columns) else sorted(texts)
    return hashlib.sha256("\n".join(ordered).encode("utf-8")).hexdigest()


def _compare(source: Db, target: Db, schema: Schema) -> None:
    for table in schema.table_names():
        columns = _columns(source, target, table)
        if columns and _digest(source, schema, table, columns) != _digest(target, schema, table, columns):
            raise EnvironmentProblem(f"{target.where}: {table} does not hold what {source.where} holds after the copy")


def copy(source: Location, target: Location, schemas: Sequence[Schema], key: bytes | None) -> list[Copied]:
    """Copy every store from `source` into the empty `target`, and prove it (see the module docstring)."""
    if isinstance(source, Folder) and not source.holds(schemas):
        raise BadInput(f"{source}: holds no m365-exit state to copy")
    for schema in schemas:
        with reading(source, schema) as db:
            if db is not None:
                verify(db, schema, key)
    if not target.empty(schemas):
        raise BadInput(f"{target}: holds a state already; copy only into a new one (`migrate state init`)")
    copied = []
    for schema in schemas:
        with reading(source, schema) as src, writing(target, schema) as dst:
            rows = 0
            if src is not None:
                with src.snapshot():  # what is copied and what it is compared with are one moment of the source
                    with dst.transaction():
                        rows = sum(_copy(src, dst, schema, table) for table in schema.table_names())
                    _compare(src, dst, schema)
            copied.append(Copied(schema.title, rows, verify(dst, schema, key)))
    return copied
