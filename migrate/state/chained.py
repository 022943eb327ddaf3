"""Chained tables in a store: appending a linked row, and reading a chain that verifies.

A store names each chained table in its `Schema` (`Chained`): the columns a
link covers, and the column (if any) that splits the table into one chain
per value (the journal keeps one chain per domain). Every chained table
gains `link` and `link_kind`; `chain_heads` holds each chain's sealed head
and is updated in the transaction that appends (it is bookkeeping, not
evidence: the links are). The link formula and the checks are `chain`'s.

Appending reads the head and refuses a chain whose newest row is not the
one its head names (a writer never extends a trimmed chain, which would
hide the trim). Reading verifies the whole chain and its head. A file
written before chains existed reads as a legacy prefix (see `chain`); a
read-only reader of such a file finds no link columns and no heads table,
and reads every row as legacy. Everything goes through `Db`, so a chain in
PostgreSQL is the same chain, link for link, as in SQLite. With the key, a head must be sealed with it:
`adopt` seals a state written before the key was set, on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrate.errors import BrokenChain, EnvironmentProblem
from migrate.state import chain
from migrate.state.codec import canonical_json
from migrate.state.keys import ENV

if TYPE_CHECKING:
    from migrate.state.db import Db

HEADS = """
CREATE TABLE IF NOT EXISTS chain_heads (
    chain  TEXT PRIMARY KEY,
    count  INTEGER NOT NULL,
    link   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    seal   TEXT NOT NULL
);
"""
LINK_COLUMNS = ("link TEXT", "link_kind TEXT")


@dataclass(frozen=True)
class Chained:
    """One chained table: what its links cover and how messages name it."""

    table: str
    columns: tuple[str, ...]  # the content each link covers, besides its predecessor
    store: str  # the store's short name, as the gate's check ids and anchors name it ("journal")
    what: str  # "verify rounds": what a message calls the rows
    scope: str | None = None  # a column splitting the table into one chain per value
    order: str = "id"  # insertion order

    def name(self, scope: str | None) -> str:
        return self.table if self.scope is None else f"{self.table}:{scope}"

    def title(self, scope: str | None) -> str:
        return self.what if self.scope is None else f"{self.what} for {str(scope).rstrip('.')}"


@dataclass(frozen=True)
class Read:
    """A chain as a reader verified it: what the gate anchors on."""

    chained: Chained
    where: str  # the store, as messages name it
    scope: str | None
    chain: chain.Verified

    @property
    def title(self) -> str:
        return self.chained.title(self.scope)


def content(values: Iterable) -> str:
    """The text a link covers: the row's content columns, as stored (a writer's bool is stored, and read back, as 0 or 1)."""
    return canonical_json([int(v) if isinstance(v, bool) else v for v in values])


def broken(store: str, chained: Chained, scope: str | None, reason: str, where: str = "") -> BrokenChain:
    """The one line a chain that does not verify becomes: the store, the chain, the row (`where`), what is wrong."""
    return BrokenChain(f"{store}: {chained.title(scope)}{where and ', ' + where}: {reason}", chained.store)


def _key_needed(store: str, chained: Chained, scope: str | None) -> EnvironmentProblem:
    return EnvironmentProblem(f"{store}: {chained.title(scope)} are sealed with a key (HMAC-SHA256): set {ENV} to the key they were written with")


def _unsealed(store: str, chained: Chained, scope: str | None) -> BrokenChain:
    return broken(store, chained, scope, f"not sealed with the key in {ENV}: made or rewritten without it; if it was "
                  "written before the key was set, check it and run `migrate state seal SPEC` once")


@contextmanager
def _reported(store: str, chained: Chained, scope: str | None, found: list[tuple]) -> Iterator[None]:
    """The chain module's exceptions as one line naming the store, the chain and the entry."""
    try:
        yield
    except chain.Broken as exc:
        where = f"entry {exc.position} of {len(found)} (#{found[exc.position - 1][0]})" if exc.position else ""
        raise broken(store, chained, scope, exc.reason, where) from None
    except chain.KeyNeeded:
        raise _key_needed(store, chained, scope) from None
    except chain.Unsealed:
        raise _unsealed(store, chained, scope) from None


def quoted(column: str) -> str:
    # "by" is a reserved word in PostgreSQL; a quoted name means the same column in SQLite.
    return f'"{column}"'


def _select(db: Db, chained: Chained) -> str:
    # A reader may hold an old file it must not change: columns it lacks read as NULL.
    present = db.columns(chained.table)
    wanted = (chained.order, *chained.columns, "link", "link_kind")
    return ", ".join(quoted(c) if c in present else "rowid" if c == "rowid" else "NULL" for c in wanted)


def _where(chained: Chained) -> str:
    return f" WHERE {chained.scope} = ?" if chained.scope else ""


def _args(chained: Chained, scope: str | None) -> tuple:
    return (scope,) if chained.scope else ()


def _head(db: Db, name: str) -> tuple[chain.Head, str, str] | None:
    """The stored head of chain `name`: (head, seal kind, seal); None without one (or without a heads table)."""
    if not db.has_table("chain_heads"):
        return None
    row = db.execute("SELECT count, link, kind, seal FROM chain_heads WHERE chain = ?", (name,)).fetchone()
    return (chain.Head(row[0], row[1]), row[2], row[3]) if row else None


def _put_head(db: Db, chained: Chained, scope: str | None, head: chain.Head, key: bytes | None) -> None:
    name, kind = chained.name(scope), chain.kind_for(key)
    db.execute("INSERT INTO chain_heads (chain, count, link, kind, seal) VALUES (?, ?, ?, ?, ?)"
               " ON CONFLICT (chain) DO UPDATE SET count = excluded.count, link = excluded.link, kind = excluded.kind,"
               " seal = excluded.seal", (name, head.count, head.link, kind, chain.seal(name, head, kind, key)))


def rows(db: Db, chained: Chained, scope: str | None, key: bytes | None, *,
         adopting: bool = False) -> tuple[list[tuple], Read]:
    """Every row of the chain (its order column, then its content columns), after the whole chain and its head verified.

    `adopting`: a head not sealed with the key is accepted (see `adopt`).
    """
    with db.snapshot():
        found = db.execute(f"SELECT {_select(db, chained)} FROM {chained.table}{_where(chained)} ORDER BY {chained.order}",
                           _args(chained, scope)).fetchall()
        stored = _head(db, chained.name(scope))
    n = len(chained.columns)
    with _reported(db.where, chained, scope, found):
        verified = chain.verify(((content(r[1:1 + n]), r[1 + n], r[2 + n]) for r in found), key)
        chain.check_head(chained.name(scope), verified, stored, key, adopting=adopting)
    return [r[:1 + n] for r in found], Read(chained, db.where, scope, verified)


def nothing(where: object, chained: Chained, scope: str | None) -> Read:
    """The chain of a store that has no file: empty."""
    return Read(chained, str(where), scope, chain.Verified((), False))


def scopes(db: Db, chained: Chained) -> list[str | None]:
    """Every chain the table holds: one per value of its scope column, or the table's one."""
    if chained.scope is None:
        return [None]
    return [s for (s,) in db.execute(f"SELECT DISTINCT {chained.scope} FROM {chained.table} ORDER BY 1")]


def _tip(db: Db, chained: Chained, scope: str | None, key: bytes | None) -> chain.Head:
    """The head to append after: the stored one, once its seal and the newest row agree with it."""
    stored = _head(db, chained.name(scope))
    where, args = _where(chained), _args(chained, scope)
    newest = db.execute(f"SELECT link FROM {chained.table}{where} ORDER BY {chained.order} DESC LIMIT 1", args).fetchone()
    if stored is None or newest is None or newest[0] is None:
        # A new chain, legacy rows (adopted or not), or something amiss: read it all once.
        return rows(db, chained, scope, key)[1].chain.head
    head, kind, sealed = stored
    with _reported(db.where, chained, scope, []):
        chain.check_seal(chained.name(scope), head, kind, sealed, key)
    # Only the end is checked here (a count would cost a scan per append): a gap
    # further back stays in the chain for every read to find.
    if newest[0] != head.link:
        raise broken(db.where, chained, scope, f"its newest entry is not the one its head names (entry {head.count}): "
                     "rows were deleted or replaced; nothing more is written to it")
    return head


def append(db: Db, chained: Chained, scope: str | None, values: list[dict], key: bytes | None) -> list[int]:
    """Insert rows (column -> value, as stored) at the end of their chain, linked; inside the caller's transaction.

    The new links are keyed when there is a key. A keyed chain is never
    extended without the key, nor an unkeyed one with it (it must be adopted
    first: otherwise a chain rewritten without the key would be laundered by
    the next honest write).
    """
    if not values:
        return []
    head = _tip(db, chained, scope, key)
    kind = chain.kind_for(key)
    columns = ", ".join(map(quoted, chained.columns))
    marks = ", ".join("?" for _ in chained.columns)
    ids = []
    for row in values:
        cells = [row[c] for c in chained.columns]
        head = chain.Head(head.count + 1, chain.link(kind, key, head.link, head.count + 1, content(cells)))
        ids.append(db.insert(f"INSERT INTO {chained.table} ({columns}, link, link_kind) VALUES ({marks}, ?, ?)",
                             (*cells, head.link, kind), chained.order))
    _put_head(db, chained, scope, head, key)
    return ids


def adopt(db: Db, chained: Chained, key: bytes) -> int:
    """Seal every chain of the table with `key` as it is now (links verified, head unsealed accepted); how many.

    For a state written before the key was set: whoever runs it vouches for
    what the state holds at that moment. Inside the caller's transaction.
    """
    sealed = 0
    for scope in scopes(db, chained):
        read = rows(db, chained, scope, key, adopting=True)[1]
        if read.chain.links:
            _put_head(db, chained, scope, read.chain.head, key)
            sealed += 1
    return sealed
