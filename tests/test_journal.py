"""The journal: append-only rounds in SQLite, crash-safe, and the gate's evidence."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from migrate.errors import BrokenChain
from migrate.gate import checks as gate_checks
from migrate.journal import Journal, Observation, dns_evidence
from tests.helpers.journal_rounds import D, T0, add, obs


def gate(ev, now: datetime) -> dict[str, str]:
    """The gate's dns decision on the evidence, the one definition of "safe" (here without an extra soak)."""
    return {c.id: c.status for c in gate_checks.dns(ev, min_soak=timedelta(0), max_age=timedelta(hours=1), now=now)}


def test_rounds_observations_and_old_ttls_are_kept(tmp_path):
    with Journal.open(tmp_path) as journal:
        row = add(journal, 0, "failing", False, old_ttls=[("record", f"{D} MX", 3600, "198.51.100.1")], old_servers=["ns1.old.net."])
        assert row.observations == 1 and len(row.digest) == 64
        assert journal.observations(row.id)[0]["answer"][0]["values"] == ["0 mx.example.net."]
        assert [(m.kind, m.ttl) for m in journal.old_ttls(D)] == [("record", 3600)]
        assert journal.old_servers(D) == ["ns1.old.net."]
        assert journal.verify_digest(row.id)
    # WAL: crash-safe, readers do not block the writer
    assert sqlite3.connect(tmp_path / "journal.sqlite").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_journal_is_append_only(tmp_path):
    with Journal.open(tmp_path) as journal:
        row = add(journal, 0, "failing", False)
        for statement in ("UPDATE rounds SET status = 'verified'", "DELETE FROM rounds",
                          "UPDATE observations SET outcome = 'x'", "DELETE FROM observations"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                journal.db.execute(statement)
        assert journal.round(row.id).status == "failing"


def test_a_round_is_all_or_nothing(tmp_path):
    with Journal.open(tmp_path) as journal:
        bad = Observation("auth", {"server": "x"})  # missing fields: the insert fails midway
        with pytest.raises(KeyError):
            journal.record_round(domain=D, started_at=T0, finished_at=T0, status="failing", authoritative_ok=False,
                                 eta=None, safe_after=None, checks=[], observations=[obs(1), bad])
        assert journal.rounds(D) == []
        assert journal.db.execute("SELECT COUNT(*) FROM observations").fetchone()[0] == 0


def test_tampered_observations_break_the_digest(tmp_path):
    with Journal.open(tmp_path) as journal:
        row = add(journal, 0, "verified", True)
        journal.db.execute("DROP TRIGGER observations_append_only_u")
        journal.db.execute("UPDATE observations SET answer = replace(answer, 'mx.example.net', 'evil.net')")
        assert not journal.verify_digest(row.id)
    with pytest.raises(BrokenChain, match="no longer hash to its digest"):
        dns_evidence(tmp_path, D, T0)


def test_dns_evidence_streak_held_and_safe(tmp_path):
    assert dns_evidence(tmp_path, D, T0).rounds == 0  # no journal: evidence of nothing
    assert gate(dns_evidence(tmp_path, D, T0), T0) == {"dns.verified": "unknown"}
    with Journal.open(tmp_path) as journal:
        add(journal, 0, "failing", False)
        add(journal, 10, "converging", True, safe=T0 + timedelta(minutes=70))
        add(journal, 20, "converging", True, safe=T0 + timedelta(minutes=70))
        assert journal.streak_start(D, current_ok=True, current_at=T0 + timedelta(minutes=30)) == T0 + timedelta(minutes=10)
        assert journal.streak_start(D, current_ok=False, current_at=T0) is None
        add(journal, 80, "verified", True, safe=T0 + timedelta(minutes=70))
    ev = dns_evidence(tmp_path, D, T0 + timedelta(minutes=81))
    assert ev.latest_status == "verified" and ev.rounds == 4
    assert ev.first_fully_seen == T0 + timedelta(minutes=10) == ev.first_ever_fully_seen
    assert ev.held
    assert set(gate(ev, T0 + timedelta(minutes=81)).values()) == {"pass"}
    assert gate(ev, T0 + timedelta(minutes=60))["timing.soak"] == "pending"  # before safe_after


def test_a_failing_round_after_first_seen_breaks_held_and_restarts_the_streak(tmp_path):
    with Journal.open(tmp_path) as journal:
        add(journal, 0, "converging", True)
        add(journal, 10, "failing", False)
        add(journal, 20, "verified", True, safe=T0)
    ev = dns_evidence(tmp_path, D, T0 + timedelta(hours=1))
    assert ev.held is False
    assert ev.first_fully_seen == T0 + timedelta(minutes=20)
    assert ev.first_ever_fully_seen == T0


def test_times_must_be_timezone_aware(tmp_path):
    with Journal.open(tmp_path) as journal, pytest.raises(ValueError):
        journal.record_round(domain=D, started_at=datetime(2027, 1, 1), finished_at=T0, status="failing",
                             authoritative_ok=False, eta=None, safe_after=None, checks=[], observations=[])
