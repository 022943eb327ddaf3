"""The send ledger: what was sent to whom, in the state (`--state`: SQLite or PostgreSQL).

One row per (wave, recipient address), with the Message-ID, the status, the
time sent (UTC), the number of attempts and the last error. Every change is
also appended to `events` for the history.

`events` is evidence: append-only (the state layer refuses UPDATE and
DELETE) and a hash chain (`migrate.state.chained`). `messages` is not, by
design: it is the state machine below, and each step (sending -> data -> sent
or failed) updates its row in place, in the same transaction as the event
that records the step, and the event carries the row as the step left it
(`entry`). So the ledger anchors itself: every read (opening it to send, the
gate's `delivered`) verifies the whole events chain and that `messages` is
exactly what the newest event of each recipient says. An emptied, trimmed or
edited ledger is one line (`BrokenChain`, exit 2), never a reason to send
again. (Events written before the chain carry no entry: their status alone
is compared.)

Statuses and why ("never twice, never skipped"):
- `sending` is committed (synchronous=FULL, so it is on disk) BEFORE the SMTP
  transaction starts, with phase `envelope`. Just before the message body
  goes out (after the server's 354 to DATA) the phase becomes `data`, again
  committed first. `sent` is committed after the server accepted the
  message (250 after the body).
- A `sending` row in phase `envelope` found by a later run: the previous run
  died before the body left, so the server cannot have the message (it
  needs the final "."): it is sent again automatically.
- A `sending` row in phase `data`: the run died, or the connection broke,
  between handing over the body and recording the answer. The server may
  or may not have it: *uncertain*. Uncertain messages are never resent
  silently: a re-run lists them and exits 1 until the operator resolves
  them with `--confirm-uncertain` (the relay's log shows it accepted: record
  it as sent) or `--resend-uncertain` (send again, same Message-ID, so
  receivers that deduplicate by Message-ID show it once).
- `failed`: the server refused it (5xx, or 4xx after all retries) or it
  never got to the body: not delivered, so a re-run sends it again.
- no row: never attempted; a re-run sends it.
Only one sending run per state at a time (`send.exclusive`: a lock file in
a folder, an advisory lock in PostgreSQL), so a `sending` row seen by a run
is always a dead run's.

`sends` is evidence too: one row per sending run of a wave, written before
its first message, with the data deadline its messages name (the gate holds
the users to it: `migrate.notify.promise`) and, for a run `--force` sent
outside the wave's window, that window (`migrate.notify.windows`).

Gate contract: `delivered(state, wave) -> {address: time sent (UTC)}`,
addresses in lower case, `sent` rows only (uncertain ones do not count).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from migrate.errors import BrokenChain
from migrate.state import chained, keys, location
from migrate.state.access import adopt, reading, writing
from migrate.state.chained import Chained
from migrate.state.codec import canonical_json, utc_text, utc_time
from migrate.state.db import Db
from migrate.state.location import Location
from migrate.state.schema import Schema

FILENAME = "notify.sqlite"

SENDING = "sending"
SENT = "sent"
FAILED = "failed"

_COLUMNS = "wave, address, message_id, status, phase, attempts, claimed_at, sent_at, error, permanent"

_TABLES = """
CREATE TABLE IF NOT EXISTS messages (
    wave        TEXT NOT NULL,
    address     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    phase       TEXT NOT NULL DEFAULT 'envelope' CHECK (phase IN ('envelope', 'data')),
    claimed_at  TEXT NOT NULL,
    sent_at     TEXT,
    error       TEXT,
    permanent   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (wave, address)
);
CREATE TABLE IF NOT EXISTS events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    wave     TEXT NOT NULL,
    address  TEXT NOT NULL,
    status   TEXT NOT NULL,
    detail   TEXT
);
CREATE TABLE IF NOT EXISTS sends (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    wave           TEXT NOT NULL,
    data_deadline  TEXT,
    forced         TEXT
);
"""
EVENTS = Chained("events", ("at", "wave", "address", "status", "detail", "entry"), "ledger", "notification events")
SENDS = Chained("sends", ("at", "wave", "data_deadline", "forced"), "ledger", "sending runs")


@dataclass(frozen=True)
class Entry:
    wave: str
    address: str
    message_id: str
    status: str
    phase: str
    attempts: int
    claimed_at: datetime
    sent_at: datetime | None
    error: str | None
    permanent: bool


@dataclass(frozen=True)
class Send:
    """One sending run of a wave: when it began, the data deadline its messages name, why it was forced."""

    at: datetime
    wave: str
    data_deadline: str | None  # ISO date (a whole day) or moment, as the messages name it
    forced: str | None  # the window it was sent outside of, with --force


def _now() -> datetime:
    return datetime.now(timezone.utc)


def path(folder: Location | Path) -> Path:
    """The ledger's file in a state folder."""
    return location.of(folder).file(SCHEMA)


def _recorded(row: tuple) -> str:
    """A messages row (`_COLUMNS`) as its events record it."""
    return canonical_json(list(row))


def verified(db: Db, key: bytes | None) -> chained.Read:
    """The events chain, once it verified whole and `messages` is what its newest event per recipient says."""
    with db.snapshot():
        rows, read = chained.rows(db, EVENTS, None, key)
        messages = {(row[0], row[1]): row for row in db.execute(f"SELECT {_COLUMNS} FROM messages")}
    newest = {(wave, address): (status, entry) for _, _, wave, address, status, _, entry in rows}
    for (wave, address), (status, entry) in newest.items():
        row = messages.pop((wave, address), None)
        if row is None:
            why = "its row is gone (deleted: it would be sent again)"
        elif (entry is None and row[3] == status) or entry == _recorded(row):
            continue
        else:
            why = f"its row says {row[3]}, its newest event says {status}" if row[3] != status else "its row was edited"
        raise BrokenChain(f"{db.where}: the message to {address} ({wave}) does not match the events: {why}", EVENTS.store)
    if messages:
        wave, address = next(iter(messages))
        raise BrokenChain(f"{db.where}: the message to {address} ({wave}) has no event (written outside the ledger)", EVENTS.store)
    return read


# `messages` is the mutable state machine (see the module docstring); the rest is evidence.
SCHEMA = Schema("the notification ledger", FILENAME, _TABLES, evidence=("events", "sends"), chains=(EVENTS, SENDS),
                added=(("events", "entry TEXT"),), check=verified)


class Ledger:
    def __init__(self, db: Db, key: bytes | None) -> None:
        self.db = db
        self.key = key

    @classmethod
    @contextmanager
    def open(cls, state: Location | Path) -> Iterator[Ledger]:
        """The ledger to send through, once it verified (`verified`): nothing is sent on a trimmed or edited one."""
        # Durable commits (SQLite's synchronous=FULL, PostgreSQL's commit) matter here: a claim is stored before we talk SMTP.
        key = keys.from_environment()
        with writing(state, SCHEMA) as db:
            verified(db, key)
            yield cls(db, key)

    # -- reading -----------------------------------------------------------

    def get(self, wave: str, address: str) -> Entry | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM messages WHERE wave = ? AND address = ?", (wave, address.lower())).fetchone()
        return self._entry(row) if row else None

    def entries(self, wave: str, status: str | None = None) -> list[Entry]:
        query = f"SELECT {_COLUMNS} FROM messages WHERE wave = ?" + (" AND status = ?" if status else "") + " ORDER BY address"
        args = (wave, status) if status else (wave,)
        return [self._entry(row) for row in self.db.execute(query, args)]

    def uncertain(self, wave: str) -> list[Entry]:
        return [e for e in self.entries(wave, SENDING) if e.phase == "data"]

    @staticmethod
    def _entry(row: tuple) -> Entry:
        wave, address, message_id, status, phase, attempts, claimed, sent, error, permanent = row
        return Entry(wave, address, message_id, status, phase, attempts, utc_time(claimed), utc_time(sent), error, bool(permanent))

    @staticmethod
    def is_uncertain(entry: Entry | None) -> bool:
        return entry is not None and entry.status == SENDING and entry.phase == "data"

    # -- writing (each call is one durable transaction) ----------------------

    def _event(self, wave: str, address: str, status: str, detail: str | None = None) -> None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM messages WHERE wave = ? AND address = ?", (wave, address)).fetchone()
        chained.append(self.db, EVENTS, None, [dict(
            at=utc_text(_now()), wave=wave, address=address, status=status, detail=detail, entry=_recorded(row))], self.key)

    def begin(self, wave: str, *, data_deadline: str | None, forced: str | None) -> None:
        """Record a sending run of `wave` before its first message goes out."""
        with self.db.transaction():
            chained.append(self.db, SENDS, None, [dict(at=utc_text(_now()), wave=wave, data_deadline=data_deadline, forced=forced)],
                           self.key)

    def claim(self, wave: str, address: str, message_id: str, *, resend_uncertain: bool = False) -> bool:
        """Record `sending` before the SMTP transaction. False: sent already, or uncertain
        (unless resend_uncertain), so it must not be sent now."""
        key = address.lower()
        with self.db.transaction():
            row = self.db.execute("SELECT status, phase FROM messages WHERE wave = ? AND address = ?", (wave, key)).fetchone()
            status, phase = row if row else (None, None)
            uncertain = status == SENDING and phase == "data"
            if status == SENT or (uncertain and not resend_uncertain):
                return False
            self.db.execute(
                """INSERT INTO messages (wave, address, message_id, status, attempts, claimed_at)
                   VALUES (?, ?, ?, 'sending', 1, ?)
                   ON CONFLICT (wave, address) DO UPDATE SET
                     message_id = excluded.message_id, status = 'sending', phase = 'envelope', attempts = messages.attempts + 1,
                     claimed_at = excluded.claimed_at, error = NULL, permanent = 0""",
                (wave, key, message_id, utc_text(_now())),
            )
            detail = "resend of an uncertain message" if uncertain else ("retry after a run died before the body" if status == SENDING else None)
            self._event(wave, key, SENDING, detail)
            return True

    def _update(self, wave: str, address: str, status: str, sets: str, args: tuple, detail: str | None) -> None:
        key = address.lower()
        with self.db.transaction():
            self.db.execute(f"UPDATE messages SET status = ?, {sets} WHERE wave = ? AND address = ?", (status, *args, wave, key))
            self._event(wave, key, status, detail)

    def body(self, wave: str, address: str) -> None:
        """The point of no return: recorded before the first byte of the body goes out."""
        self._update(wave, address, SENDING, "phase = 'data'", (), "body")

    def sent(self, wave: str, address: str, at: datetime | None = None) -> None:
        self._update(wave, address, SENT, "sent_at = ?, error = NULL", (utc_text(at or _now()),), None)

    def failed(self, wave: str, address: str, error: str, *, permanent: bool) -> None:
        self._update(wave, address, FAILED, "error = ?, permanent = ?", (error, int(permanent)), error)

    def lost(self, wave: str, address: str, error: str) -> None:
        """The connection failed after the body started: stays `sending`/`data` (uncertain)."""
        self._update(wave, address, SENDING, "phase = 'data', error = ?", (error,), f"uncertain: {error}")

    def confirm(self, wave: str, address: str) -> None:
        """The operator checked the relay's log: an uncertain message was accepted.
        Its time sent is when it was handed to the relay (the claim)."""
        if not self.is_uncertain(self.get(wave, address)):
            return
        self._update(wave, address, SENT, "sent_at = claimed_at, error = NULL", (), "confirmed by the operator")


def events_chain(state: Location | Path) -> chained.Read:
    """The ledger's events chain, once it verified with its messages (`verified`), read-only; empty without a ledger."""
    with reading(state, SCHEMA) as db:
        return chained.nothing(path(state), EVENTS, None) if db is None else verified(db, keys.from_environment())


def delivered(state: Location | Path, wave: str, seen: Callable[[chained.Read], None] = lambda read: None) -> dict[str, datetime]:
    """Gate contract: {lower-case address: time sent, UTC} for every message of `wave`
    the relay accepted. Uncertain and failed messages are absent. No ledger: {}.
    Only from a ledger that verified (`verified`); `seen` hears of its events chain."""
    with reading(state, SCHEMA) as db:
        if db is None:
            seen(chained.nothing(path(state), EVENTS, None))
            return {}
        with db.snapshot():
            read = verified(db, keys.from_environment())
            rows = db.execute("SELECT address, sent_at FROM messages WHERE wave = ? AND status = 'sent'", (wave,)).fetchall()
    seen(read)
    return {address: utc_time(sent_at) for address, sent_at in rows}


def sends(state: Location | Path) -> list[Send]:
    """Every sending run recorded, oldest first, once their chain verified. No ledger, or one written before runs were recorded: []."""
    with reading(state, SCHEMA) as db:
        if db is None or not db.has_table("sends"):
            return []
        rows = chained.rows(db, SENDS, None, keys.from_environment())[0]
    return [Send(utc_time(at), wave, deadline, forced) for _, at, wave, deadline, forced in rows]


def seal(state: Location | Path, key: bytes) -> int:
    """Put the ledger under `key` as it stands, once its messages match its events; how many chains."""
    return adopt(state, SCHEMA, key)
