"""The gate's own store in the state: attestations and the decision audit trail.

Kept apart from the verify journal and the notification ledger (`gate.sqlite`
in a state folder), so each writer owns its file. Append-only: triggers
refuse UPDATE and DELETE on both tables (`migrate.state`), and each table is a hash chain per
domain (`migrate.state.chained`) that every read verifies whole.

Each decision records the heads of the chains it rested on (`heads`: the
journal's rounds, the ledger's events, the attestations), so the next gate
run can tell whether each store still extends what this one saw (`anchors`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from migrate.gate.evidence import Attestation
from migrate.state import chained, keys, location
from migrate.state.access import adopt, reading, writing
from migrate.state.chain import Head
from migrate.state.chained import Chained
from migrate.state.codec import canonical_json, utc_text, utc_time
from migrate.state.location import Location
from migrate.state.schema import Schema

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
    "by"    TEXT NOT NULL,
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
CREATE INDEX IF NOT EXISTS attestations_domain ON attestations (domain, id);
CREATE INDEX IF NOT EXISTS decisions_domain ON decisions (domain, id);
"""
ATTESTATIONS = Chained("attestations", ("kind", "domain", "by", "at", "note"), "attestations", "attestations", scope="domain")
DECISIONS = Chained("decisions", ("at", "domain", "status", "evidence", "report", "heads"), "decisions", "gate decisions",
                    scope="domain")
SCHEMA = Schema("the gate store", FILENAME, _TABLES, evidence=("attestations", "decisions"), chains=(ATTESTATIONS, DECISIONS),
                added=(("decisions", "heads TEXT"),))


# -- attestations -------------------------------------------------------------------


def attest(state: Location | Path, kind: str, domain: str, by: str, at: datetime, note: str | None = None) -> Attestation:
    key = keys.from_environment()
    with writing(state, SCHEMA) as db, db.transaction():
        chained.append(db, ATTESTATIONS, domain,
                       [dict(kind=kind, domain=domain, by=by, at=utc_text(at), note=note)], key)
    return Attestation(kind=kind, domain=domain, by=by, at=at.astimezone(timezone.utc), note=note)


def attestations(state: Location | Path, domain: str, seen: Callable[[chained.Read], None] = lambda read: None) -> list[Attestation]:
    """The domain's attestations, once their whole chain verified; `seen` hears of that chain."""
    key = keys.from_environment()
    with reading(state, SCHEMA) as db:
        if db is None:
            seen(chained.nothing(location.of(state).file(SCHEMA), ATTESTATIONS, domain))
            return []
        rows, read = chained.rows(db, ATTESTATIONS, domain, key)
    seen(read)
    return [Attestation(kind=k, domain=d, by=b, at=utc_time(a), note=n) for _, k, d, b, a, n in rows]


# -- decisions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    id: int
    at: datetime
    domain: str
    status: str
    evidence: dict[str, str]
    report: dict
    heads: dict[str, Head] = field(default_factory=dict)  # store -> the chain head the decision rested on


@dataclass(frozen=True)
class Entry:
    """A decision to record: under which domain (or `tenant:<name>`), what it decided, on what."""

    domain: str
    status: str
    evidence: dict[str, str]
    report: dict
    heads: dict[str, Head] = field(default_factory=dict)


def record_all(state: Location | Path, at: datetime, entries: list[Entry]) -> list[int]:
    """Append decisions made at `at` in one transaction (an exit's: every domain's and the tenant's): all or none."""
    key = keys.from_environment()
    with writing(state, SCHEMA) as db, db.transaction():
        return [chained.append(db, DECISIONS, e.domain, [dict(
            at=utc_text(at), domain=e.domain, status=e.status, evidence=canonical_json(e.evidence), report=canonical_json(e.report),
            heads=canonical_json({store: head.to_dict() for store, head in e.heads.items()}))], key)[0] for e in entries]


def record(state: Location | Path, at: datetime, domain: str, status: str, evidence: dict[str, str], report: dict,
           heads: dict[str, Head] | None = None) -> int:
    (decision,) = record_all(state, at, [Entry(domain, status, evidence, report, heads or {})])
    return decision


def decisions(state: Location | Path, domain: str, limit: int | None = 50) -> list[Decision]:
    """The newest `limit` decisions (all with None), oldest first, once the whole chain of them verified."""
    key = keys.from_environment()
    with reading(state, SCHEMA) as db:
        if db is None:
            return []
        rows = chained.rows(db, DECISIONS, domain, key)[0]
    return [_decision(row) for row in (rows[-limit:] if limit else rows)]


def _decision(row: tuple) -> Decision:
    i, at, domain, status, evidence, report, heads = row
    anchors = {store: Head.from_dict(head) for store, head in json.loads(heads).items()} if heads else {}
    return Decision(i, utc_time(at), domain, status, json.loads(evidence), json.loads(report), anchors)


def first_unlocked(state: Location | Path, domain: str) -> datetime | None:
    """When the gate first unlocked for `domain`, by the audit trail (verified whole); None if it never did."""
    return next((d.at for d in decisions(state, domain, limit=None) if d.status == "unlocked"), None)


def last(state: Location | Path, domain: str) -> Decision | None:
    """The newest decision (after the whole chain verified): what the next gate run must find still true."""
    return latest(state, [domain])[domain]


def latest(state: Location | Path, domains: list[str]) -> dict[str, Decision | None]:
    """Each domain's newest decision, every chain verified whole, read in one snapshot of the store."""
    key = keys.from_environment()
    with reading(state, SCHEMA) as db:
        if db is None:
            return dict.fromkeys(domains)
        rows = {d: chained.rows(db, DECISIONS, d, key)[0] for d in domains}
    return {d: _decision(found[-1]) if found else None for d, found in rows.items()}


def seal(state: Location | Path, key: bytes) -> int:
    """Put the attestations and decisions under `key` as they stand; how many chains."""
    return adopt(state, SCHEMA, key)
