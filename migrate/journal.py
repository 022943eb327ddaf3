"""The verification journal: every round's observations, append-only, in SQLite under --state.

Why a journal: "safe to cancel" is a statement about time (the new state has
been served everywhere authoritative for longer than any old TTL), so it
needs a record of *when* things were seen, and of the old state's TTLs
measured while the old host still answered. One round is one transaction
(crash-safe with WAL: a round is either wholly there or not at all), and
triggers refuse UPDATE and DELETE on every table, so evidence is never
rewritten (`migrate.state.sqlite`).

Tables:
- rounds: one row per round (times, status, whether the authoritative state
  was fully the desired one, ETA, safe time, the sha256 of its observations,
  and its checks as JSON);
- observations: one row per DNS answer (time, role, server, question,
  outcome, flags, the answer as JSON);
- old_ttls: TTLs of the old state measured in a round;
- old_servers: name servers seen delegated before the move.

The gate reads `dns_evidence(state_dir, domain, now)`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from migrate.gate.evidence import DnsEvidence
from migrate.state.codec import canonical_json, digest, utc_text, utc_time
from migrate.state.sqlite import Schema, open_reader, open_writer, problem, reported, transaction

FILENAME = "journal.sqlite"

_TABLES = """
CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    status TEXT NOT NULL,
    authoritative_ok INTEGER NOT NULL,
    eta TEXT,
    safe_after TEXT,
    digest TEXT NOT NULL,
    observations INTEGER NOT NULL,
    checks TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rounds_domain ON rounds (domain, id);
CREATE TABLE IF NOT EXISTS observations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL REFERENCES rounds (id),
    at TEXT NOT NULL,
    role TEXT NOT NULL,
    server TEXT NOT NULL,
    qname TEXT NOT NULL,
    qtype TEXT NOT NULL,
    rd INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    rcode TEXT,
    aa INTEGER NOT NULL,
    tc INTEGER NOT NULL,
    tcp INTEGER NOT NULL,
    ttl INTEGER,
    answer TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS observations_round ON observations (round_id);
CREATE TABLE IF NOT EXISTS old_ttls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL REFERENCES rounds (id),
    domain TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    ttl INTEGER NOT NULL,
    server TEXT NOT NULL,
    measured_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS old_ttls_domain ON old_ttls (domain);
CREATE TABLE IF NOT EXISTS old_servers (
    domain TEXT NOT NULL,
    name TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (domain, name)
);
"""
SCHEMA = Schema("the journal", _TABLES, evidence=("rounds", "observations", "old_ttls", "old_servers"))


def _digest(observations: Iterable[dict], verdict: dict) -> str:
    """sha256 of a round's observations in a canonical order, and of the verdict drawn from them.

    The verdict (status, authoritative_ok, times, safe time, checks) is
    covered too: otherwise a "failing" round edited to "verified" would
    still match its digest.
    """
    return digest([*sorted(canonical_json(o) for o in observations), "verdict:" + canonical_json(verdict)])


def _verdict(status: str, authoritative_ok: bool, started_at, finished_at, eta, safe_after, checks) -> dict:
    """What a round concluded, as the digest covers it (times as stored, ISO 8601 UTC)."""
    text = (lambda v: v if isinstance(v, str) else utc_text(v))
    return {"status": status, "authoritative_ok": bool(authoritative_ok), "started_at": text(started_at),
            "finished_at": text(finished_at), "eta": text(eta), "safe_after": text(safe_after), "checks": checks}


@dataclass(frozen=True)
class Observation:
    """One answer as the journal stores it; `answer` is `query.Answer.to_dict()`."""

    role: str  # parent | auth | old | resolver | walk
    answer: dict

    def to_dict(self) -> dict:
        return {"role": self.role, **self.answer}


@dataclass(frozen=True)
class RoundRow:
    id: int
    domain: str
    started_at: datetime
    finished_at: datetime
    status: str
    authoritative_ok: bool
    eta: datetime | None
    safe_after: datetime | None
    digest: str
    observations: int
    checks: list[dict]


@dataclass(frozen=True)
class MeasuredTTL:
    kind: str
    subject: str
    ttl: int
    server: str
    measured_at: datetime


class Journal:
    """One SQLite file per state folder; open, use, close (or use as a context manager)."""

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = Path(path)
        # create=False: read-only, and `db` is None when there is no file.
        self.db = open_writer(self.path, SCHEMA) if create else open_reader(self.path, SCHEMA)

    @classmethod
    def open(cls, state_dir: Path | str) -> Journal:
        return cls(Path(state_dir) / FILENAME)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):  # a read that failed (writes say so themselves): one line naming the file
            raise problem(self.path, "read the journal", exc) from None

    # -- writing -------------------------------------------------------------

    def record_round(
        self,
        *,
        domain: str,
        started_at: datetime,
        finished_at: datetime,
        status: str,
        authoritative_ok: bool,
        eta: datetime | None,
        safe_after: datetime | None,
        checks: list[dict],
        observations: list[Observation],
        old_ttls: Iterable[tuple[str, str, int, str]] = (),
        old_servers: Iterable[str] = (),
    ) -> RoundRow:
        """Append one round, all of it or nothing (one transaction)."""
        rows = [o.to_dict() for o in observations]
        checks_json = canonical_json(checks)
        round_digest = _digest(rows, _verdict(status, authoritative_ok, started_at, finished_at, eta, safe_after,
                                              json.loads(checks_json)))
        # Locked by another writer, disk full, a damaged file: one line naming the file; nothing was written.
        with reported(self.path, "write the round to the journal", "is another `migrate verify` using this --state?"), \
                transaction(self.db):
            cursor = self.db.execute(
                "INSERT INTO rounds (domain, started_at, finished_at, status, authoritative_ok, eta, safe_after,"
                " digest, observations, checks) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (domain, utc_text(started_at), utc_text(finished_at), status, int(authoritative_ok), utc_text(eta),
                 utc_text(safe_after), round_digest, len(rows), checks_json),
            )
            round_id = cursor.lastrowid
            self.db.executemany(
                "INSERT INTO observations (round_id, at, role, server, qname, qtype, rd, outcome, rcode, aa, tc, tcp,"
                " ttl, answer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (round_id, r["at"], r["role"], r["server"], r["qname"], r["qtype"], int(r["rd"]), r["outcome"],
                     r.get("rcode"), int(r.get("aa", False)), int(r.get("truncated", False)), int(r.get("tcp", False)),
                     _first_ttl(r), canonical_json(r))
                    for r in rows
                ],
            )
            self.db.executemany(
                "INSERT INTO old_ttls (round_id, domain, kind, subject, ttl, server, measured_at) VALUES (?,?,?,?,?,?,?)",
                [(round_id, domain, kind, subject, ttl, server, utc_text(finished_at)) for kind, subject, ttl, server in old_ttls],
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO old_servers (domain, name, first_seen) VALUES (?,?,?)",
                [(domain, name, utc_text(finished_at)) for name in old_servers],
            )
        return self.round(round_id)

    # -- reading -------------------------------------------------------------

    def _row(self, row) -> RoundRow:
        return RoundRow(
            id=row[0], domain=row[1], started_at=utc_time(row[2]), finished_at=utc_time(row[3]), status=row[4],
            authoritative_ok=bool(row[5]), eta=utc_time(row[6]), safe_after=utc_time(row[7]), digest=row[8],
            observations=row[9], checks=json.loads(row[10]),
        )

    _COLUMNS = "id, domain, started_at, finished_at, status, authoritative_ok, eta, safe_after, digest, observations, checks"

    def round(self, round_id: int) -> RoundRow:
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM rounds WHERE id = ?", (round_id,)).fetchone()
        if row is None:
            raise KeyError(round_id)
        return self._row(row)

    def rounds(self, domain: str) -> list[RoundRow]:
        rows = self.db.execute(f"SELECT {self._COLUMNS} FROM rounds WHERE domain = ? ORDER BY id", (domain,)).fetchall()
        return [self._row(r) for r in rows]

    def latest(self, domain: str) -> RoundRow | None:
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM rounds WHERE domain = ? ORDER BY id DESC LIMIT 1", (domain,)).fetchone()
        return self._row(row) if row else None

    def observations(self, round_id: int) -> list[dict]:
        rows = self.db.execute("SELECT answer FROM observations WHERE round_id = ? ORDER BY id", (round_id,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def verify_digest(self, round_id: int) -> bool:
        """The stored observations and verdict still hash to the digest recorded with the round."""
        row = self.db.execute(
            "SELECT status, authoritative_ok, started_at, finished_at, eta, safe_after, checks, digest FROM rounds WHERE id = ?",
            (round_id,),
        ).fetchone()
        if row is None:
            raise KeyError(round_id)
        verdict = _verdict(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]))
        return _digest(self.observations(round_id), verdict) == row[7]

    def old_ttls(self, domain: str) -> list[MeasuredTTL]:
        rows = self.db.execute(
            "SELECT kind, subject, ttl, server, measured_at FROM old_ttls WHERE domain = ? ORDER BY id", (domain,)
        ).fetchall()
        return [MeasuredTTL(k, s, t, srv, utc_time(m)) for k, s, t, srv, m in rows]

    def old_servers(self, domain: str) -> list[str]:
        rows = self.db.execute("SELECT name FROM old_servers WHERE domain = ? ORDER BY name", (domain,)).fetchall()
        return [r[0] for r in rows]

    def streak_start(self, domain: str, *, current_ok: bool, current_at: datetime) -> datetime | None:
        """When the current unbroken run of authoritative-ok rounds began, counting a round not yet recorded.

        The run is broken where the clock went backwards: elapsed time across
        the step is unknown. (Unwatched gaps are the gate's to judge, with its
        max_age: `DnsEvidence.continuous_since`.)
        """
        if not current_ok:
            return None
        streak = _streak(self.rounds(domain), current_at=current_at)
        return streak[0] if streak else current_at

    def evidence(self, domain: str, now: datetime) -> DnsEvidence:
        rounds = self.rounds(domain)
        if not rounds:
            return DnsEvidence.nothing(domain, now)
        latest = rounds[-1]
        first_ever = next((r for r in rounds if r.authoritative_ok), None)
        since = [r for r in rounds if first_ever is not None and r.id >= first_ever.id]
        held = first_ever is not None and all(r.authoritative_ok and r.status != "failing" for r in since)
        lost = sum(1 for a, b in zip(since, since[1:]) if a.authoritative_ok and not b.authoritative_ok)
        streak = _streak(rounds)  # the same run the verifier's streak_start() counts safe_after from
        return DnsEvidence(
            domain=domain,
            latest_status=latest.status,
            latest_at=latest.finished_at,
            latest_round=latest.id,
            first_fully_seen=streak[0] if streak else None,
            first_ever_fully_seen=first_ever.finished_at if first_ever else None,
            held=held,
            safe_after=latest.safe_after,
            eta=latest.eta,
            digest=latest.digest,
            digest_ok=self.verify_digest(latest.id),
            rounds=len(rounds),
            now=now,
            streak=streak,
            lost=lost,
            problems=tuple(sorted({f"{c.get('id')} ({c.get('status')})" for c in latest.checks if c.get("status") != "pass"})),
        )


def _streak(rounds: list[RoundRow], *, current_at: datetime | None = None) -> tuple[datetime, ...]:
    """Finish times of the newest unbroken run of authoritative-ok rounds, oldest first.

    A round stamped later than the round after it ends the run there (the
    clock stepped back: elapsed time across the step is unknown, and a run
    starting "in the future" would never finish, or one stamped too early
    would finish too soon). `current_at` is a round not yet recorded (it
    belongs to the run and is not returned).
    """
    streak: list[datetime] = []
    after = current_at
    for row in reversed(rounds):
        if not row.authoritative_ok:
            break
        if after is not None and row.finished_at > after:
            break
        streak.append(row.finished_at)
        after = row.finished_at
    return tuple(reversed(streak))


def _first_ttl(row: dict) -> int | None:
    for section in ("answer", "authority"):
        for rrset in row.get(section) or []:
            return rrset.get("ttl")
    return None


def dns_evidence(state_dir: Path | str, domain: str, now: datetime) -> DnsEvidence:
    """The gate's view of DNS for `domain` from the journal in `state_dir` (read-only).

    A missing journal is not an error: it is evidence of nothing (no rounds,
    not held, not safe), and the gate stays locked.
    """
    journal = Journal(Path(state_dir) / FILENAME, create=False)
    if journal.db is None:
        return DnsEvidence.nothing(domain, now)
    with journal:
        return journal.evidence(domain, now)
