"""When each wave may be sent (pure rules on the spec's dates) and the promise the sent messages carry."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from migrate import spec as spec_module
from migrate.notify import promise, waves, windows
from migrate.notify.ledger import Send
from tests.helpers.notify import TZ, write_spec

# Friday 15 January 2027, 07:00 in Copenhagen (CET); users save their data by Monday 22 February.
CUTOVER = datetime(2027, 1, 15, 7, 0, tzinfo=TZ)


@pytest.fixture
def spec(tmp_path):
    return spec_module.load(write_spec(tmp_path, cutover=CUTOVER))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def inside(window: windows.Window, *moments: datetime) -> list[bool]:
    return [window.refusal(moment) is None for moment in moments]


def test_announce_closes_the_notice_period_before_the_cutover(spec):
    window = windows.window(spec, waves.ANNOUNCE)
    closes = local(2027, 1, 1, 7, 0)  # 14 days (gate.notice_days) before the cutover
    assert inside(window, local(2026, 6, 1), closes - timedelta(seconds=1), closes) == [True, True, False]
    assert window.refusal(closes) == (
        "the announce wave goes out at least 14 days before the cutover (gate.notice_days): until 2027-01-01 07:00 CET; "
        "it closed 2027-01-01 07:00 CET"
    )


def test_reminder_goes_between_the_announcement_and_the_cutover(tmp_path):
    spec = spec_module.load(write_spec(tmp_path, cutover=CUTOVER, notify={"announce_days": 21}))
    window = windows.window(spec, waves.REMINDER)
    opens = local(2026, 12, 25, 7, 0)  # notify.announce_days before the cutover
    assert inside(window, opens - timedelta(seconds=1), opens, CUTOVER - timedelta(seconds=1), CUTOVER) == [False, True, True, False]
    assert window.refusal(opens - timedelta(days=1)).endswith("; it opens 2026-12-25 07:00 CET")
    assert "between the announcement (due 2026-12-25 07:00 CET, notify.announce_days) and the cutover (2027-01-15 07:00 CET)" in window.refusal(CUTOVER)


def test_cutover_goes_on_the_day_in_the_spec_time_zone(spec):
    window = windows.window(spec, waves.CUTOVER)
    midnight, next_midnight = local(2027, 1, 15), local(2027, 1, 16)
    assert inside(window, midnight - timedelta(seconds=1), midnight, CUTOVER + timedelta(hours=10), next_midnight) == [False, True, True, False]
    # 23:30 UTC on the 14th is already the 15th in Copenhagen
    assert window.refusal(datetime(2027, 1, 14, 23, 30, tzinfo=timezone.utc)) is None
    assert window.refusal(next_midnight) == (
        "the cutover wave goes out on the cutover's day: from 2027-01-15 00:00 CET until 2027-01-16 00:00 CET; it closed 2027-01-16 00:00 CET"
    )


def test_data_deadline_goes_before_the_end_of_the_day_it_names(spec):
    window = windows.window(spec, waves.DATA_DEADLINE)
    end = local(2027, 2, 23)  # "by Monday 22 February": the whole day
    assert inside(window, CUTOVER, end - timedelta(seconds=1), end) == [True, True, False]
    assert window.refusal(end).startswith("the data-deadline wave goes out before the data deadline it names: until 2027-02-23 00:00 CET")


def test_data_deadline_as_a_moment_ends_then(tmp_path):
    spec = spec_module.load(write_spec(tmp_path, cutover=CUTOVER, notify={"data_deadline": "2027-02-22T16:00:00"}))
    window = windows.window(spec, waves.DATA_DEADLINE)
    assert window.closes == local(2027, 2, 22, 16, 0)


def test_after_cancel_waits_for_the_gate_and_the_cancellation(spec):
    both = windows.window(spec, waves.AFTER_CANCEL)
    assert both.refusal(CUTOVER) == (
        "the after-cancel wave goes out once the gate has unlocked and the cancellation is recorded "
        "(`migrate attest SPEC cancelled --by NAME`); the gate has not unlocked and no cancellation is recorded"
    )
    unlocked = local(2027, 3, 1, 9, 0)
    cancelled = unlocked + timedelta(hours=2)
    assert windows.window(spec, waves.AFTER_CANCEL, unlocked_at=unlocked).refusal(cancelled).endswith("; no cancellation is recorded")
    assert windows.window(spec, waves.AFTER_CANCEL, cancelled_at=cancelled).refusal(cancelled).endswith("; the gate has not unlocked")
    window = windows.window(spec, waves.AFTER_CANCEL, unlocked_at=unlocked, cancelled_at=cancelled)
    assert inside(window, cancelled - timedelta(seconds=1), cancelled, cancelled + timedelta(days=90)) == [False, True, True]


def test_a_fixed_offset_zone_is_named_by_its_offset(tmp_path):
    path = write_spec(tmp_path, cutover=CUTOVER)
    path.write_text(path.read_text(encoding="utf-8").replace("timezone: Europe/Copenhagen\n", ""), encoding="utf-8")
    spec = spec_module.load(path)
    assert windows.window(spec, waves.ANNOUNCE).rule.endswith("until 2027-01-01 07:00 UTC+01:00")


# -- the promise ------------------------------------------------------------------


def test_the_waves_that_name_the_deadline(spec):
    facts = waves.facts(spec)
    assert {wave: promise.named(facts, wave) for wave in waves.WAVES} == {
        "announce": date(2027, 2, 22), "reminder": None, "cutover": date(2027, 2, 22), "data-deadline": date(2027, 2, 22), "after-cancel": None,
    }


def test_a_whole_day_ends_at_the_next_local_midnight_and_a_moment_when_it_says():
    assert promise.ends(date(2027, 2, 22), TZ) == local(2027, 2, 23)
    assert promise.ends(date(2027, 3, 27), TZ) == local(2027, 3, 28)  # the night summer time starts
    moment = local(2027, 2, 22, 16, 0)
    assert promise.ends(promise.parse(promise.text(moment)), TZ) == moment
    assert promise.parse(promise.text(date(2027, 2, 22))) == date(2027, 2, 22)


def test_promised_counts_only_deadlines_someone_was_sent_and_keeps_the_latest():
    t = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    first = Send(t, "announce", "2027-02-22", None)
    nobody = Send(t + timedelta(hours=1), "announce", "2027-03-31", None)  # a re-run that found everyone already sent
    later = Send(t + timedelta(days=40), "data-deadline", "2027-02-26", None)
    sent = {"announce": [t + timedelta(minutes=1), t + timedelta(minutes=2)], "data-deadline": [t + timedelta(days=40, minutes=1)]}
    assert promise.promised([first, nobody], sent, TZ) == ("2027-02-22", "announce")
    assert promise.promised([first, nobody, later], sent, TZ) == ("2027-02-26", "data-deadline")
    # the re-run that did reach someone (a new user in the export) promised them the later date
    sent["announce"].append(t + timedelta(hours=1, minutes=1))
    assert promise.promised([first, nobody, later], sent, TZ) == ("2027-03-31", "announce")
    assert promise.promised([Send(t, "reminder", None, None)], {"reminder": [t]}, TZ) is None
    assert promise.promised([first], {}, TZ) is None  # nothing delivered: nothing promised
