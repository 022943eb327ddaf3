"""What someone who can write the state files does: drop the triggers, change rows, recompute an unkeyed chain."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from migrate.state import chain
from migrate.state.chained import Chained, content


def attacker(file: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to `file` with every append-only trigger dropped (anyone with the file can)."""
    db = sqlite3.connect(file, isolation_level=None)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


def tamper(file: Path, *statements: str | tuple) -> None:
    """Run statements (SQL, or (SQL, parameters)) on `file` as the attacker."""
    db = attacker(file)
    try:
        for statement in statements:
            db.execute(*((statement,) if isinstance(statement, str) else statement))
    finally:
        db.close()


def recompute(file: Path, chained: Chained, scope: str | None = None) -> None:
    """Rewrite every link of the chain, and its head, as plain sha256 over what the rows now hold (no key needed)."""
    db = attacker(file)
    try:
        where, args = (f" WHERE {chained.scope} = ?", (scope,)) if chained.scope else ("", ())
        rows = db.execute(f"SELECT {chained.order}, {', '.join(chained.columns)} FROM {chained.table}{where} "
                          f"ORDER BY {chained.order}", args).fetchall()
        previous = ""
        for position, row in enumerate(rows, start=1):
            previous = chain.link(chain.PLAIN, None, previous, position, content(row[1:]))
            db.execute(f"UPDATE {chained.table} SET link = ?, link_kind = ? WHERE {chained.order} = ?", (previous, chain.PLAIN, row[0]))
        name, head = chained.name(scope), chain.Head(len(rows), previous)
        db.execute("UPDATE chain_heads SET count = ?, link = ?, kind = ?, seal = ? WHERE chain = ?",
                   (head.count, head.link, chain.PLAIN, chain.seal(name, head, chain.PLAIN, None), name))
    finally:
        db.close()


def swap(file: Path, table: str, first: int, second: int) -> None:
    """Exchange two rows whole (content and links), keeping their ids: the order changes, nothing else."""
    db = attacker(file)
    try:
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] != "id"]
        a = db.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = ?", (first,)).fetchone()
        b = db.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = ?", (second,)).fetchone()
        sets = ", ".join(f"{c} = ?" for c in columns)
        db.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*b, first))
        db.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*a, second))
    finally:
        db.close()
