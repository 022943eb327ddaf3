"""The gate's own SQLite file under --state: attestations and the decision audit trail.

Kept apart from the verify journal and the notification ledger (`gate.sqlite`),
so each writer owns its file. Append-only: nothing here is updated or deleted.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from migrate.errors import EnvironmentProblem
from migrate.gate.evidence import Attestation

FILENAME = "gate.sqlite"
KINDS = ("data-saved",)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attestations (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT NOT NULL,
    domain  TEXT NOT NULL,
    by      TEXT NOT NULL,
    at      TEXT NOT NULL,
    note    TEXT
);
CREATE TABLE IF NOT EXISTS decisions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    domain    TEXT NOT NULL,
    status    TEXT NOT NULL,
    evidence  TEXT NOT NULL,
    report    TEXT NOT NULL
);
"""


@contextmanager
def _open(state_dir: Path, *, write: bool) -> Iterator[sqlite3.Connection | None]:
    file = Path(state_dir) / FILENAME
    if not write and not file.exists():
        yield None
        return
    try:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(file, timeout=30, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise EnvironmentProblem(f"{file}: cannot open the gate store ({exc})") from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        yield db
    except sqlite3.Error as exc:
        raise EnvironmentProblem(f"{file}: {exc}") from None
    finally:
        db.close()


def _text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


# -- attestations -------------------------------------------------------------------


def attest(state_dir: Path, kind: str, domain: str, by: str, at: datetime, note: str | None = None) -> Attestation:
    with _open(state_dir, write=True) as db:
        db.execute("INSERT INTO attestations (kind, domain, by, at, note) VALUES (?, ?, ?, ?, ?)", (kind, domain, by, _text(at), note))
    return Attestation(kind=kind, domain=domain, by=by, at=at.astimezone(timezone.utc), note=note)


def attestations(state_dir: Path, domain: str) -> list[Attestation]:
    with _open(state_dir, write=False) as db:
        if db is None:
            return []
        rows = db.execute("SELECT kind, domain, by, at, note FROM attestations WHERE domain = ? ORDER BY id", (domain,)).fetchall()
    return [Attestation(kind=k, domain=d, by=b, at=datetime.fromisoformat(a), note=n) for k, d, b, a, n in rows]


# -- decisions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    id: int
    at: datetime
    domain: str
    status: str
    evidence: dict[str, str]
    report: dict


def record(state_dir: Path, at: datetime, domain: str, status: str, evidence: dict[str, str], report: dict) -> int:
    with _open(state_dir, write=True) as db:
        cursor = db.execute(
            "INSERT INTO decisions (at, domain, status, evidence, report) VALUES (?, ?, ?, ?, ?)",
            (_text(at), domain, status, json.dumps(evidence, sort_keys=True), json.dumps(report, sort_keys=True, default=str)),
        )
        return int(cursor.lastrowid)


def decisions(state_dir: Path, domain: str, limit: int = 50) -> list[Decision]:
    with _open(state_dir, write=False) as db:
        if db is None:
            return []
        rows = db.execute(
            "SELECT id, at, domain, status, evidence, report FROM decisions WHERE domain = ? ORDER BY id DESC LIMIT ?", (domain, limit)
        ).fetchall()
    return [Decision(i, datetime.fromisoformat(a), d, s, json.loads(e), json.loads(r)) for i, a, d, s, e, r in reversed(rows)]
