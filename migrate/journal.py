"""The verification journal: every round's observations, append-only, in the state (`--state`: SQLite or PostgreSQL).

Why a journal: "safe to cancel" is a statement about time (the new state has
been served everywhere authoritative for longer than any old TTL), so it
needs a record of *when* things were seen, and of the old state's TTLs
measured while the old host still answered. One round is one transaction
(crash-safe with WAL: a round is either wholly there or not at all), and
triggers refuse UPDATE and DELETE on every table, so evidence is never
rewritten by mistake (`migrate.state.access`). Deliberate rewriting is
caught by hash chains (`migrate.state.chained`), one per domain: rounds,
old TTLs and old name servers each link to their predecessor, and each
round's digest covers its observations. Every read of rounds, old TTLs or
old name servers verifies its whole chain; a broken one is one line
(`BrokenChain`), never evidence.

Tables:
- rounds: one row per round (times, status, whether the authoritative state
  was fully the desired one, ETA, safe time, the sha256 of its observations,
  and its checks as JSON);
- observations: one row per DNS answer (time, role, server, question,
  outcome, flags, the answer as JSON);
- old_ttls: TTLs of the old state measured in a round;
- old_servers: name servers seen delegated before the move.

The gate reads `dns_evidence(state_dir, domain, now, seen)`: its newest
round counts as old as the oldest answer that round reused from an earlier
one (an observation marked `carried`, `verify.settled`). A round reads back
the previous round's observations (`latest_observations`) only once the
domain's chain and that round's digest verify.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from migrate.gate.evidence import DnsEvidence
from migrate.state import chained, keys, location
from migrate.state.access import adopt, reported
from migrate.state.chained import Chained
from migrate.state.codec import canonical_json, digest, utc_text, utc_time
from migrate.state.db import Db, problem
from migrate.state.location import Location
from migrate.state.schema import Schema

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
ROUNDS = Chained("rounds", ("domain", "started_at", "finished_at", "status", "authoritative_ok", "eta", "safe_after",
                            "digest", "observations", "checks"), "journal", "verify rounds", scope="domain")
OLD_TTLS = Chained("old_ttls", ("round_id", "domain", "kind", "subject", "ttl", "server", "measured_at"), "journal",
                   "old TTLs", scope="domain")
OLD_SERVERS = Chained("old_servers", ("domain", "name", "first_seen"), "journal", "old name servers", scope="domain",
                      order="rowid")


def _digest(observations: Iterable[str], verdict: str) -> str:
    """sha256 of a round's observations (canonical JSON texts, as stored) in a canonical order, and of its verdict.

    The verdict (status, authoritative_ok, times, safe time, checks) is
    covered too: otherwise a "failing" round edited to "verified" would
    still match its digest. The stored texts are hashed as they are: a text
    that is not the canonical one was not written by verify.
    """
    return digest([*sorted(observations), "verdict:" + verdict])


def _verdict(status: str, authoritative_ok, started_at, finished_at, eta, safe_after, checks: str) -> str:
    """The canonical JSON of what a round concluded (times as stored, ISO 8601 UTC; `checks` as its canonical text).

    The checks are spliced in as stored rather than decoded and encoded again:
    a gate verifies every round, and that round trip was most of its time.
    Keys are sorted, and only "authoritative_ok" (a boolean) sorts before
    "checks", so the first `"checks":null` is the key's.
    """
    text = (lambda v: v if isinstance(v, str) else utc_text(v))
    rest = canonical_json({"status": status, "authoritative_ok": bool(authoritative_ok), "started_at": text(started_at),
                           "finished_at": text(finished_at), "eta": text(eta), "safe_after": text(safe_after), "checks": None})
    return rest.replace('"checks":null', '"checks":' + checks, 1)


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
    checks_text: str  # canonical JSON, decoded on demand: a gate reads thousands of rounds and the newest one's checks

    @cached_property
    def checks(self) -> list[dict]:
        return json.loads(self.checks_text)


@dataclass(frozen=True)
class MeasuredTTL:
    kind: str
    subject: str
    ttl: int
    server: str
    measured_at: datetime


class Journal:
    """The journal of one state; open, use, close (or use as a context manager)."""

    def __init__(self, state: Location | Path, create: bool = True) -> None:
        where = location.of(state)
        self.key = keys.from_environment()
        # create=False: read-only, and `db` is None when a state folder has no journal file.
        self.db = where.writer(SCHEMA) if create else where.reader(SCHEMA)

    @classmethod
    def open(cls, state: Location | Path | str) -> Journal:
        return cls(location.of(state))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        self.close()
        if isinstance(exc, self.db.errors):  # a read that failed (writes say so themselves): one line naming the store
            raise problem(self.db.where, "read the journal", self.db.describe(exc)) from None

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
        texts = [canonical_json(r) for r in rows]
        checks_json = canonical_json(checks)
        round_digest = _digest(texts, _verdict(status, authoritative_ok, started_at, finished_at, eta, safe_after, checks_json))
        # Locked by another writer, disk full, a damaged file: one line naming the file; nothing was written.
        # A broken chain is its own line (BrokenChain): verify does not build on altered evidence.
        with reported(self.db, "write the round to the journal", "is another `migrate verify` using this --state?"), \
                self.db.transaction():
            (round_id,) = chained.append(self.db, ROUNDS, domain, [dict(
                domain=domain, started_at=utc_text(started_at), finished_at=utc_text(finished_at), status=status,
                authoritative_ok=int(authoritative_ok), eta=utc_text(eta), safe_after=utc_text(safe_after),
                digest=round_digest, observations=len(rows), checks=checks_json)], self.key)
            self.db.executemany(
                "INSERT INTO observations (round_id, at, role, server, qname, qtype, rd, outcome, rcode, aa, tc, tcp,"
                " ttl, answer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (round_id, r["at"], r["role"], r["server"], r["qname"], r["qtype"], int(r["rd"]), r["outcome"],
                     r.get("rcode"), int(r.get("aa", False)), int(r.get("truncated", False)), int(r.get("tcp", False)),
                     _first_ttl(r), text)
                    for r, text in zip(rows, texts)
                ],
            )
            chained.append(self.db, OLD_TTLS, domain, [
                dict(round_id=round_id, domain=domain, kind=kind, subject=subject, ttl=ttl, server=server,
                     measured_at=utc_text(finished_at))
                for kind, subject, ttl, server in old_ttls
            ], self.key)
            known = {name for (name,) in self.db.execute("SELECT name FROM old_servers WHERE domain = ?", (domain,))}
            chained.append(self.db, OLD_SERVERS, domain, [
                dict(domain=domain, name=name, first_seen=utc_text(finished_at))
                for name in dict.fromkeys(old_servers) if name not in known
            ], self.key)
        return self.round(round_id)

    # -- reading -------------------------------------------------------------

    def _row(self, row) -> RoundRow:
        return RoundRow(
            id=row[0], domain=row[1], started_at=utc_time(row[2]), finished_at=utc_time(row[3]), status=row[4],
            authoritative_ok=bool(row[5]), eta=utc_time(row[6]), safe_after=utc_time(row[7]), digest=row[8],
            observations=row[9], checks_text=row[10],
        )

    _COLUMNS = "id, domain, started_at, finished_at, status, authoritative_ok, eta, safe_after, digest, observations, checks"

    def round(self, round_id: int) -> RoundRow:
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM rounds WHERE id = ?", (round_id,)).fetchone()
        if row is None:
            raise KeyError(round_id)
        return self._row(row)

    def rounds(self, domain: str) -> list[RoundRow]:
        """The domain's rounds, oldest first, once their chain verified."""
        return [self._row(r) for r in chained.rows(self.db, ROUNDS, domain, self.key)[0]]

    def latest(self, domain: str) -> RoundRow | None:
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM rounds WHERE domain = ? ORDER BY id DESC LIMIT 1", (domain,)).fetchone()
        return self._row(row) if row else None

    def observations(self, round_id: int) -> list[dict]:
        rows = self.db.execute("SELECT answer FROM observations WHERE round_id = ? ORDER BY id", (round_id,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def answered(self, domain: str, role: str) -> list[dict]:
        """Who of `role` answered what in each of the domain's rounds, oldest first: `round_id`, `server`,
        `outcome` and `aa`, from the stored columns (the answers are not decoded: the report reads every round's)."""
        rows = self.db.execute(
            "SELECT o.round_id, o.server, o.outcome, o.aa FROM observations o JOIN rounds r ON r.id = o.round_id"
            " WHERE r.domain = ? AND o.role = ? ORDER BY o.id", (domain, role)).fetchall()
        return [{"round_id": r, "server": server, "outcome": outcome, "aa": bool(aa)} for r, server, outcome, aa in rows]

    def verify_digest(self, round_id: int) -> bool:
        """The stored observations and verdict still hash to the digest recorded with the round."""
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM rounds WHERE id = ?", (round_id,)).fetchone()
        if row is None:
            raise KeyError(round_id)
        texts = [t for (t,) in self.db.execute("SELECT answer FROM observations WHERE round_id = ?", (round_id,))]
        return _holds(row, texts)

    def latest_observations(self, domain: str) -> tuple[RoundRow | None, list[dict]]:
        """The domain's newest round and its observations, once the domain's chain verified and that round still
        hashes to its digest: what a round may reuse (`verify.settled`) must be what verify wrote."""
        rounds = self.rounds(domain)
        if not rounds:
            return None, []
        latest = rounds[-1]
        if not self.verify_digest(latest.id):
            raise chained.broken(self.db.where, ROUNDS, domain, f"its observations or verdict no longer hash to its digest "
                                 f"sha256:{latest.digest} (altered after verify wrote them)", f"round #{latest.id}")
        return latest, self.observations(latest.id)

    def old_ttls(self, domain: str) -> list[MeasuredTTL]:
        rows = chained.rows(self.db, OLD_TTLS, domain, self.key)[0]
        return [MeasuredTTL(k, s, t, srv, utc_time(m)) for _, _, _, k, s, t, srv, m in rows]

    def old_servers(self, domain: str) -> list[str]:
        return sorted(name for _, _, name, _ in chained.rows(self.db, OLD_SERVERS, domain, self.key)[0])

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

    def evidence(self, domain: str, now: datetime, seen: Callable[[chained.Read], None] = lambda read: None) -> DnsEvidence:
        """What the gate needs about `domain`, from rounds whose whole chain verified; `seen` hears of that chain."""
        rows, read, texts = _verified(self.db, domain, self.key)
        seen(read)
        rounds = [self._row(r) for r in rows]
        if not rounds:
            return DnsEvidence.nothing(domain, now)
        latest = rounds[-1]
        # A round that reused settled answers is as old as the oldest of them: the gate's max_age
        # is met by what was observed, never by a recent round repeating old answers.
        observed_at = min(latest.finished_at, _oldest_carried(texts[latest.id]) or latest.finished_at)
        first_ever = next((r for r in rounds if r.authoritative_ok), None)
        since = [r for r in rounds if first_ever is not None and r.id >= first_ever.id]
        held = first_ever is not None and all(r.authoritative_ok and r.status != "failing" for r in since)
        lost = sum(1 for a, b in zip(since, since[1:]) if a.authoritative_ok and not b.authoritative_ok)
        streak = _streak(rounds)  # the same run the verifier's streak_start() counts safe_after from
        return DnsEvidence(
            domain=domain,
            latest_status=latest.status,
            latest_at=observed_at,
            latest_round=latest.id,
            first_fully_seen=streak[0] if streak else None,
            first_ever_fully_seen=first_ever.finished_at if first_ever else None,
            held=held,
            safe_after=latest.safe_after,
            eta=latest.eta,
            digest=latest.digest,
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


def _verified(db: Db, domain: str, key: bytes | None) -> tuple[list[tuple], chained.Read, dict[int, list[str]]]:
    """The domain's rounds as stored, once their chain verified and every round's observations hash to its digest;
    and those observations' texts, by round."""
    texts: dict[int, list[str]] = defaultdict(list)
    with db.snapshot():
        rows, read = chained.rows(db, ROUNDS, domain, key)
        for round_id, text in db.execute(
            "SELECT o.round_id, o.answer FROM observations o JOIN rounds r ON r.id = o.round_id WHERE r.domain = ?", (domain,)
        ):
            texts[round_id].append(text)
    for row in rows:
        if not _holds(row, texts[row[0]]):
            raise chained.broken(db.where, ROUNDS, domain, f"its observations or verdict no longer hash to its digest "
                                 f"sha256:{row[8]} (altered after verify wrote them)", f"round #{row[0]}")
    return rows, read, texts


def _oldest_carried(texts: list[str]) -> datetime | None:
    """When the oldest answer a round reused (`"carried": true`) was seen; None when it reused none."""
    times = [utc_time(o["at"]) for o in map(json.loads, (t for t in texts if '"carried":true' in t)) if o.get("carried")]
    return min(times, default=None)


def _check(db: Db, key: bytes | None) -> None:
    """Every round of every domain still hashes to its digest (what a reader verifies besides the chains)."""
    for (domain,) in db.execute("SELECT DISTINCT domain FROM rounds").fetchall():
        _verified(db, domain, key)


SCHEMA = Schema("the journal", FILENAME, _TABLES, evidence=("rounds", "observations", "old_ttls", "old_servers"),
                chains=(ROUNDS, OLD_TTLS, OLD_SERVERS), check=_check)


def seal(state: Location | Path | str, key: bytes) -> int:
    """Put the journal under `key` as it stands, once every round still hashes to its digest; how many chains."""
    return adopt(location.of(state), SCHEMA, key)


def _holds(row: tuple, observations: list[str]) -> bool:
    """Whether a round as stored (`Journal._COLUMNS`) still hashes to its digest, with its observations' texts."""
    _, _, started, finished, status, ok, eta, safe, recorded, _, checks = row
    return _digest(observations, _verdict(status, ok, started, finished, eta, safe, checks)) == recorded


def _first_ttl(row: dict) -> int | None:
    for section in ("answer", "authority"):
        for rrset in row.get(section) or []:
            return rrset.get("ttl")
    return None


def dns_evidence(state: Location | Path | str, domain: str, now: datetime,
                 seen: Callable[[chained.Read], None] = lambda read: None) -> DnsEvidence:
    """The gate's view of DNS for `domain` from the state's journal (read-only); `seen` hears of the chain.

    A missing journal file is not an error: it is evidence of nothing (no
    rounds, not held, not safe), and the gate stays locked.
    """
    where = location.of(state)
    journal = Journal(where, create=False)
    if journal.db is None:
        seen(chained.nothing(where.file(SCHEMA), ROUNDS, domain))
        return DnsEvidence.nothing(domain, now)
    with journal:
        return journal.evidence(domain, now, seen)
