"""The journal and the gate's dns evidence when the journal itself is odd.

Clocks that went backwards, rounds from the future, an edited verdict, a
journal of another domain, a corrupt or locked file.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from migrate.errors import BrokenChain, EnvironmentProblem
from migrate.gate import checks
from migrate.journal import Journal, dns_evidence
from tests.helpers.journal_rounds import D, T0, add

SOAK = timedelta(hours=48)
MAX_AGE = timedelta(hours=6)


def dns_checks(state, now):
    return {c.id: c for c in checks.dns(dns_evidence(state, D, now), min_soak=SOAK, max_age=MAX_AGE, now=now)}


def test_a_clock_that_went_backwards_restarts_the_run(tmp_path):
    """Round 2 was stamped before round 1 (the clock stepped back): the run cannot be measured across it."""
    with Journal.open(tmp_path) as journal:
        add(journal, 600, "converging", True, safe=T0 + timedelta(minutes=601))  # stamped by a clock 10 h ahead
        add(journal, 0, "converging", True, safe=T0 + timedelta(minutes=1))  # the clock was corrected
        # the verifier's own streak restarts too: its safe time counts from the corrected round
        assert journal.streak_start(D, current_ok=True, current_at=T0 + timedelta(minutes=5)) == T0
    ev = dns_evidence(tmp_path, D, T0 + timedelta(minutes=10))
    assert ev.first_fully_seen == T0
    assert ev.streak == (T0,)


def test_a_round_stamped_before_the_previous_one_restarts_the_verifiers_streak(tmp_path):
    with Journal.open(tmp_path) as journal:
        add(journal, 60, "converging", True)
        assert journal.streak_start(D, current_ok=True, current_at=T0) == T0


def test_rounds_only_in_the_future_keep_the_gate_locked(tmp_path):
    with Journal.open(tmp_path) as journal:
        add(journal, 60 * 24 * 30, "verified", True, safe=T0 + timedelta(days=30))
    found = dns_checks(tmp_path, T0)
    assert found["dns.fresh"].status == "unknown"
    assert any(c.status != "pass" for c in found.values())


def test_an_edited_verdict_breaks_the_digest(tmp_path):
    """The digest covers the round's verdict, not only its observations: a failing round made 'verified' is caught."""
    with Journal.open(tmp_path) as journal:
        row = add(journal, 0, "failing", False)
        journal.db.execute("DROP TRIGGER rounds_append_only_u")
        journal.db.execute("UPDATE rounds SET status = 'verified', authoritative_ok = 1, safe_after = ? WHERE id = ?",
                           (T0.isoformat(), row.id))
        assert not journal.verify_digest(row.id)
    with pytest.raises(BrokenChain, match="no longer matches its link"):
        dns_checks(tmp_path, T0 + timedelta(days=5))


def test_a_journal_of_another_domain_is_evidence_of_nothing(tmp_path):
    with Journal.open(tmp_path) as journal:
        journal.record_round(domain="other.dk.", started_at=T0, finished_at=T0, status="verified", authoritative_ok=True,
                             eta=None, safe_after=T0, checks=[], observations=[])
    ev = dns_evidence(tmp_path, D, T0 + timedelta(days=5))
    assert ev.rounds == 0
    assert dns_checks(tmp_path, T0 + timedelta(days=5))["dns.verified"].status == "unknown"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_journal_is_one_clear_error(tmp_path, damage):
    with Journal.open(tmp_path) as journal:
        for i in range(30):
            add(journal, i, "converging", True)
    path = tmp_path / "journal.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(b"this is not a database" * 100 if damage == "garbage" else data[: len(data) // 3])
    with pytest.raises(EnvironmentProblem, match="journal"):
        dns_evidence(tmp_path, D, T0)
    with pytest.raises(EnvironmentProblem, match="journal"):
        with Journal.open(tmp_path) as journal:
            journal.record_round(domain=D, started_at=T0, finished_at=T0, status="failing", authoritative_ok=False,
                                 eta=None, safe_after=None, checks=[], observations=[])


def test_a_journal_locked_by_another_writer_is_one_clear_error(tmp_path):
    with Journal.open(tmp_path) as journal:
        add(journal, 0, "converging", True)
    other = sqlite3.connect(tmp_path / "journal.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with Journal.open(tmp_path) as journal:
            journal.db.execute("PRAGMA busy_timeout = 100")
            with pytest.raises(EnvironmentProblem, match="journal"):
                add(journal, 1, "converging", True)
            # the round that could not be written is not there, half or whole
            journal.db.execute("PRAGMA busy_timeout = 100")
        other.execute("ROLLBACK")
        with Journal.open(tmp_path) as journal:
            assert [r.finished_at for r in journal.rounds(D)] == [T0]
    finally:
        other.close()
