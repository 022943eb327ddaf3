"""Opening a store where the state lives, for either backend: the one way every store reads and writes.

Each store (`migrate.journal`, `migrate.gate.store`, `migrate.notify.ledger`)
declares its tables once (`Schema`) and opens through here with a
`Location`: `writing` and `reading` hand it a `Db`, whose errors become one
line naming the store. Backend differences stay below (`sqlite`,
`postgres`); above, a store has one code path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from migrate.state import chained, location
from migrate.state.db import Db, problem
from migrate.state.location import Location
from migrate.state.schema import Schema


@contextmanager
def reported(db: Db, doing: str, hint: str = "") -> Iterator[None]:
    """Turn a driver error raised inside the block into one line naming the store (`problem`)."""
    try:
        yield
    except db.errors as exc:
        raise problem(db.where, doing, db.describe(exc), hint) from None


@contextmanager
def writing(where: Location | Path, schema: Schema) -> Iterator[Db]:
    """A writer for the length of a block (SQLite: the file is created when missing)."""
    db = location.of(where).writer(schema)
    try:
        with reported(db, f"write {schema.title}"):
            yield db
    finally:
        db.close()


@contextmanager
def reading(where: Location | Path, schema: Schema) -> Iterator[Db | None]:
    """A read-only connection for the length of a block; None: a folder without the store's file (no evidence)."""
    db = location.of(where).reader(schema)
    if db is None:
        yield None
        return
    try:
        with reported(db, f"read {schema.title}"):
            yield db
    finally:
        db.close()


def verify(db: Db, schema: Schema, key: bytes | None) -> int:
    """Every chain of the store verified whole, and what its readers check besides (`Schema.check`); how many chains."""
    count = 0
    with db.snapshot():
        for each in schema.chains:
            for scope in chained.scopes(db, each):
                chained.rows(db, each, scope, key)
                count += 1
        if schema.check:
            schema.check(db, key)
    return count


def adopt(where: Location | Path, schema: Schema, key: bytes) -> int:
    """Seal every chain of the store with `key` as it stands (`chained.adopt`), once `Schema.check` passes, all
    in one transaction; how many chains. A folder without the file: 0, and none is made."""
    with reading(where, schema) as db:
        if db is None:
            return 0
    with writing(where, schema) as db, db.transaction():
        sealed = sum(chained.adopt(db, c, key) for c in schema.chains)
        if schema.check:
            schema.check(db, key)
    return sealed
