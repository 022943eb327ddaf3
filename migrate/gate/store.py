"""The gate's own SQLite file under --state: attestations and the decision audit trail.

Kept apart from the verify journal and the notification ledger (`gate.sqlite`),
so each writer owns its file. Append-only: triggers refuse UPDATE and DELETE
on both tables (`migrate.state.sqlite`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from migrate.gate.evidence import Attestation
from migrate.state.codec import canonical_json, utc_text, utc_time
from migrate.state.sqlite import Schema, reading, writing

FILENAME = "gate.sqlite"
# data-saved: users saved their data (the gate's data_saved); cancelled: the subscription
# was cancelled (opens the after-cancel wave, with an unlocked decision).
CANCELLED = "cancelled"
KINDS = ("data-saved", CANCELLED)

_TABLES = """
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
SCHEMA = Schema("the gate store", _TABLES, evidence=("attestations", "decisions"))


def _file(state_dir: Path) -> Path:
    return Path(state_dir) / FILENAME


# -- attestations -------------------------------------------------------------------


def attest(state_dir: Path, kind: str, domain: str, by: str, at: datetime, note: str | None = None) -> Attestation:
    with writing(_file(state_dir), SCHEMA) as db:
        db.execute("INSERT INTO attestations (kind, domain, by, at, note) VALUES (?, ?, ?, ?, ?)", (kind, domain, by, utc_text(at), note))
    return Attestation(kind=kind, domain=domain, by=by, at=at.astimezone(timezone.utc), note=note)


def attestations(state_dir: Path, domain: str) -> list[Attestation]:
    with reading(_file(state_dir), SCHEMA) as db:
        if db is None:
            return []
        rows = db.execute("SELECT kind, domain, by, at, note FROM attestations WHERE domain = ? ORDER BY id", (domain,)).fetchall()
    return [Attestation(kind=k, domain=d, by=b, at=utc_time(a), note=n) for k, d, b, a, n in rows]


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
    with writing(_file(state_dir), SCHEMA) as db:
        cursor = db.execute(
            "INSERT INTO decisions (at, domain, status, evidence, report) VALUES (?, ?, ?, ?, ?)",
            (utc_text(at), domain, status, canonical_json(evidence), canonical_json(report)),
        )
        return int(cursor.lastrowid)


def first_unlocked(state_dir: Path, domain: str) -> datetime | None:
    """When the gate first unlocked for `domain`, by the audit trail; None if it never did."""
    with reading(_file(state_dir), SCHEMA) as db:
        if db is None:
            return None
        row = db.execute("SELECT at FROM decisions WHERE domain = ? AND status = 'unlocked' ORDER BY id LIMIT 1", (domain,)).fetchone()
    return utc_time(row[0]) if row else None


def decisions(state_dir: Path, domain: str, limit: int = 50) -> list[Decision]:
    with reading(_file(state_dir), SCHEMA) as db:
        if db is None:
            return []
        rows = db.execute(
            "SELECT id, at, domain, status, evidence, report FROM decisions WHERE domain = ? ORDER BY id DESC LIMIT ?", (domain, limit)
        ).fetchall()
    return [Decision(i, utc_time(a), d, s, json.loads(e), json.loads(r)) for i, a, d, s, e, r in reversed(rows)]
