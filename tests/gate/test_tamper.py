"""`migrate gate` (the real command, as a subprocess) against stores trimmed, edited, reordered or put back behind its back.

Every case starts from evidence that locks the gate: hourly verified rounds
for 60 hours, then one failing round. Without the failing round the same
journal unlocks it (checked first), so each tamper below is one that would
unlock a gate that did not notice.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from migrate import journal
from migrate.gate import store
from migrate.journal import Journal, Observation
from migrate.notify import ledger
from migrate.notify.ledger import Ledger
from migrate.state.keys import ENV
from tests.helpers.gate import CUTOVER, load, write_spec
from tests.helpers.tamper import recompute, swap, tamper

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(timezone.utc)
GOOD = [NOW - timedelta(hours=h, minutes=10) for h in range(60, -1, -1)]  # hourly, the newest 10 minutes ago
BAD = NOW - timedelta(minutes=5)


def gate(spec: Path, state: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", "gate", str(spec), "--state", str(state), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)


def observation(at: datetime) -> Observation:
    return Observation("auth", {"server": "192.0.2.1", "qname": "nordlys-tekstil.dk.", "qtype": "MX", "rd": False,
                                "outcome": "answer", "rcode": "NOERROR", "aa": True, "truncated": False, "tcp": False,
                                "at": at.isoformat(), "answer": [{"name": "nordlys-tekstil.dk.", "type": "MX", "ttl": 300,
                                                                  "values": ["10 mx1.example.net."]}]})


def verify_rounds(state: Path, domain: str, times, *, ok: bool = True) -> None:
    """Rounds as `migrate verify` writes them: verified and fully seen, or failing."""
    with Journal.open(state) as book:
        for at in times:
            book.record_round(domain=domain, started_at=at, finished_at=at, status="verified" if ok else "failing",
                              authoritative_ok=ok, eta=None, safe_after=GOOD[0] + timedelta(hours=1),
                              checks=[{"id": "auth.mx", "status": "pass" if ok else "fail"}], observations=[observation(at)])


@pytest.fixture
def dns(tmp_path):
    """(spec, state, journal file): 60 hours held, then a failing round; the gate has seen it once (locked)."""
    spec = write_spec(tmp_path, require=["dns"])
    domain = load(spec).domain
    control = tmp_path / "control"
    verify_rounds(control, domain, GOOD)
    assert gate(spec, control).returncode == 0  # the same rounds without the failing one unlock
    state = tmp_path / "state"
    verify_rounds(state, domain, GOOD)
    shutil.copy(state / journal.FILENAME, tmp_path / "before-the-failing-round.sqlite")
    verify_rounds(state, domain, [BAD], ok=False)
    first = gate(spec, state)
    assert first.returncode == 1 and "dns.verified" in first.stdout
    return spec, state, state / journal.FILENAME


def locked_by(result: subprocess.CompletedProcess, check: str, *words: str) -> None:
    """Locked (exit 1), with exactly one line for the broken store, naming it and what is wrong."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "UNLOCKED" not in result.stdout and "LOCKED" in result.stdout
    lines = [line for line in result.stdout.splitlines() if check in line]
    assert len(lines) == 1, result.stdout
    for word in words:
        assert word in result.stdout, result.stdout
    assert "Traceback" not in result.stderr


def test_the_newest_round_deleted(dns):
    spec, state, file = dns
    tamper(file, "DELETE FROM observations WHERE round_id = 62", "DELETE FROM rounds WHERE id = 62")
    locked_by(gate(spec, state), "state.journal", "journal.sqlite", "head says 62")


def test_the_newest_round_deleted_and_the_chain_recomputed_is_caught_by_the_last_decision(dns):
    spec, state, file = dns
    tamper(file, "DELETE FROM observations WHERE round_id = 62", "DELETE FROM rounds WHERE id = 62")
    recompute(file, journal.ROUNDS, load(spec).domain)
    assert journal.dns_evidence(state, load(spec).domain, NOW).rounds == 61  # the journal alone is fooled
    locked_by(gate(spec, state), "state.journal", "not what gate decision #1 saw", "61 entries now, 62 then")
    # decision #2 carried #1's head forward (not the trimmed one it found): the next run still sees the trim
    locked_by(gate(spec, state), "state.journal", "not what gate decision #2 saw", "61 entries now, 62 then")


def test_an_older_copy_of_the_journal_put_back(dns, tmp_path):
    spec, state, file = dns
    shutil.copy(tmp_path / "before-the-failing-round.sqlite", file)
    locked_by(gate(spec, state), "state.journal", "61 entries now, 62 then")


def test_the_failing_round_edited_to_verified_with_its_digest_recomputed(dns):
    spec, state, file = dns
    with sqlite3.connect(file) as db:
        started, finished, eta, safe, checks = db.execute(
            "SELECT started_at, finished_at, eta, safe_after, checks FROM rounds WHERE id = 62").fetchone()
        texts = [t for (t,) in db.execute("SELECT answer FROM observations WHERE round_id = 62")]
    checks = checks.replace('"fail"', '"pass"')
    digest = journal._digest(texts, journal._verdict("verified", True, started, finished, eta, safe, checks))
    tamper(file, ("UPDATE rounds SET status = 'verified', authoritative_ok = 1, checks = ?, digest = ? WHERE id = 62",
                  (checks, digest)))
    locked_by(gate(spec, state), "state.journal", "entry 62 of 62", "no longer matches its link")


def test_rounds_reordered(dns):
    spec, state, file = dns
    swap(file, "rounds", 61, 62)  # the failing round no longer the newest
    locked_by(gate(spec, state), "state.journal", "entry 61 of 62")


def test_with_the_key_a_chain_recomputed_without_it_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "the key only verify and the gate have")
    spec = write_spec(tmp_path, require=["dns"])
    domain = load(spec).domain
    state = tmp_path / "state"
    verify_rounds(state, domain, GOOD)
    verify_rounds(state, domain, [BAD], ok=False)
    file = state / journal.FILENAME
    tamper(file, "DELETE FROM observations WHERE round_id = 62", "DELETE FROM rounds WHERE id = 62")
    recompute(file, journal.ROUNDS, domain)
    locked_by(gate(spec, state), "state.journal", f"not sealed with the key in {ENV}")


def test_a_keyed_journal_read_without_the_key_is_unknown(tmp_path, monkeypatch):
    spec = write_spec(tmp_path, require=["dns"])
    monkeypatch.setenv(ENV, "the key only verify and the gate have")
    verify_rounds(tmp_path / "state", load(spec).domain, GOOD)
    monkeypatch.delenv(ENV)
    locked_by(gate(spec, tmp_path / "state"), "gate.dns", f"set {ENV}")


def test_the_newest_attestation_deleted(tmp_path):
    spec = write_spec(tmp_path, require=["data_saved"])
    state = tmp_path / "state"
    verify_rounds(state, load(spec).domain, GOOD)  # an attestation counts only after verify's safe time
    for name in ("Mette Jensen", "Anne Holm"):
        store.attest(state, "data-saved", "nordlys-tekstil.dk", name, NOW - timedelta(hours=1))
    assert gate(spec, state).returncode == 0
    file = state / store.FILENAME
    tamper(file, "DELETE FROM attestations WHERE id = 2")
    locked_by(gate(spec, state), "state.attestations", "gate.sqlite", "attestations for nordlys-tekstil.dk")


def test_the_newest_ledger_event_deleted(tmp_path):
    spec = write_spec(tmp_path, require=["notice"])
    state = tmp_path / "state"
    with Ledger.open(state) as book:
        for address in ("anne@nordlys-tekstil.dk", "bo@nordlys-tekstil.dk"):
            book.claim("announce", address, f"<{address}>")
            book.sent("announce", address, at=CUTOVER - timedelta(days=20))
    assert gate(spec, state).returncode == 0
    file = state / ledger.FILENAME
    with sqlite3.connect(file) as db:
        newest = db.execute("SELECT max(id) FROM events").fetchone()[0]
    tamper(file, f"DELETE FROM events WHERE id = {newest}")
    locked_by(gate(spec, state), "state.ledger", "notify.sqlite", "head says")


def test_an_emptied_ledger_put_back_whole_is_caught_by_the_last_decision(tmp_path):
    spec = write_spec(tmp_path, require=["notice"])
    state = tmp_path / "state"
    with Ledger.open(state) as book:
        book.claim("announce", "anne@nordlys-tekstil.dk", "<a>")
    assert gate(spec, state).returncode == 1  # decision #1 saw one event
    (state / ledger.FILENAME).unlink()
    locked_by(gate(spec, state), "state.ledger", "0 entries now, 1 then")


def test_the_newest_gate_decision_deleted_stops_the_gate(dns):
    spec, state, _ = dns
    assert gate(spec, state).returncode == 1
    tamper(state / store.FILENAME, "DELETE FROM decisions WHERE id = 2")
    result = gate(spec, state)
    assert result.returncode == 2 and "UNLOCKED" not in result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "gate.sqlite" in line and "gate decisions for nordlys-tekstil.dk" in line and "head says 2" in line


def test_two_requirements_on_one_broken_journal_get_its_line_once(tmp_path):
    spec = write_spec(tmp_path, require=["dns", "data_saved"])
    state = tmp_path / "state"
    verify_rounds(state, load(spec).domain, GOOD)
    store.attest(state, "data-saved", "nordlys-tekstil.dk", "Mette Jensen", NOW - timedelta(minutes=1))
    assert gate(spec, state).returncode == 0
    tamper(state / journal.FILENAME, "DELETE FROM observations WHERE round_id = 61", "DELETE FROM rounds WHERE id = 61")
    result = gate(spec, state)
    locked_by(result, "state.journal", "head says 61")
    assert "LOCKED: dns fail, data_saved fail" in result.stdout
