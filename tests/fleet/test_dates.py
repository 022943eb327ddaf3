"""The dates that matter (`migrate.fleet.dates`): which count when, and which is next."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from migrate import spec as spec_module
from migrate.fleet import dates
from migrate.fleet.evidence import Decision, Evidence, Round
from migrate.gate.evidence import Deadline
from migrate.notify import promise
from tests.helpers.fleet import TZ, spec_folder

CUTOVER = datetime(2027, 3, 1, 7, 0, tzinfo=TZ)
DEADLINE = date(2027, 3, 20)
SENT = datetime(2027, 2, 1, 9, 0, tzinfo=timezone.utc)


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2027, month, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def spec(tmp_path):
    path = spec_folder(tmp_path, "nordlys.dk", "nordlys", CUTOVER, smtp_port=2525,
                       notify={"data_deadline": DEADLINE.isoformat(), "cancel_date": "2027-03-31"})
    return spec_module.load(path)


def nxt(spec, ev: Evidence, phase: str, now: datetime) -> tuple[str, datetime] | None:
    found = dates.next_date(spec, ev, phase, now)
    return (found.what, found.at) if found else None


def test_the_announcement_then_the_reminder(spec):
    assert nxt(spec, Evidence(), "planned", at(2, 1)) == ("announce wave due", CUTOVER - timedelta(days=14))
    told = Evidence(delivered={"announce": SENT})
    assert nxt(spec, told, "announced", at(2, 1)) == ("reminder wave due", CUTOVER - timedelta(days=1))


def test_a_missed_announcement_stays_due_until_the_switch(spec):
    # its window closed on 15 February: still the next date, and overdue, while nothing has switched
    assert nxt(spec, Evidence(), "planned", at(2, 20)) == ("announce wave due", CUTOVER - timedelta(days=14))
    # once the parent delegates to the new host, sending it would tell users nothing true
    assert nxt(spec, Evidence(), "switched", at(2, 20)) == ("reminder wave due", CUTOVER - timedelta(days=1))


def test_the_cutover_matters_until_the_switch_and_closed_windows_drop_out(spec):
    told = Evidence(delivered={"announce": SENT})
    assert nxt(spec, told, "staged", at(3, 5)) == ("cutover", CUTOVER)  # overdue: the reminder's and cutover's windows closed
    # switched: the data-deadline wave is due seven days before the deadline
    assert nxt(spec, told, "switched", at(3, 5)) == ("data-deadline wave due", datetime(2027, 3, 13, tzinfo=TZ))


def test_the_data_deadline_counts_while_it_is_ahead(spec):
    deadline = Deadline(DEADLINE.isoformat(), promise.ends(DEADLINE, TZ), "the announce wave, as the ledger records it")
    sent = Evidence(delivered={w: SENT for w in ("announce", "reminder", "cutover", "data-deadline")}, deadline=deadline)
    assert nxt(spec, sent, "verified", at(3, 15)) == ("data deadline", datetime(2027, 3, 21, tzinfo=TZ))
    assert nxt(spec, sent, "verified", at(3, 22)) is None


def test_the_soak_ends_at_the_safe_time_plus_min_soak(spec):
    safe = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)
    ev = Evidence(latest=Round(3, "converging", safe - timedelta(minutes=5), (), safe),
                  delivered={w: SENT for w in ("announce", "reminder", "cutover")})
    assert nxt(spec, ev, "converging", at(3, 1)) == ("soak ends", safe + timedelta(hours=1))  # gate.min_soak: 1h
    assert ("soak ends", safe + timedelta(hours=1)) not in [(d.what, d.at) for d in dates.candidates(spec, ev, "soaked", at(3, 1))]


def test_the_earliest_unlock_of_a_locked_decision_that_still_stands(spec):
    unlock = datetime(2027, 3, 4, 8, 0, tzinfo=timezone.utc)
    decided = Decision(1, at(3, 2), "locked", {"dns": "pending"}, unlock)
    before = Round(2, "converging", at(3, 1), (), None)
    ev = Evidence(latest=before, decision=decided, delivered={w: SENT for w in ("announce", "reminder", "cutover")})
    assert nxt(spec, ev, "converging", at(3, 2)) == ("earliest unlock", unlock)
    # a round after the decision failed: the time it gave no longer holds
    failed = Evidence(latest=Round(3, "failing", at(3, 3), (), None), decision=decided, delivered=ev.delivered)
    assert nxt(spec, failed, "switched", at(3, 3)) == ("data-deadline wave due", datetime(2027, 3, 13, tzinfo=TZ))


def test_after_cancel_waits_for_the_unlock_and_the_recorded_cancellation(spec):
    sent = {w: SENT for w in ("announce", "reminder", "cutover", "data-deadline")}
    unlocked = Evidence(delivered=sent, first_unlocked=at(3, 25))
    assert nxt(spec, unlocked, "unlocked", at(3, 26)) is None
    cancelled = Evidence(delivered=sent, first_unlocked=at(3, 25), attested={"cancelled": at(3, 26)})
    assert nxt(spec, cancelled, "cancelled", at(3, 27)) == ("after-cancel wave due", datetime(2027, 3, 31, tzinfo=TZ))


def test_without_a_notify_section_only_the_cutover_is_dated(tmp_path):
    spec = spec_module.load(spec_folder(tmp_path, "fjord.dk", "fjord", CUTOVER))
    assert nxt(spec, Evidence(), "planned", at(2, 1)) == ("cutover", CUTOVER)
    assert nxt(spec, Evidence(), "switched", at(2, 1)) is None
