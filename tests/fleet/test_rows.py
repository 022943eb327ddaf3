"""Attention and order (`migrate.fleet.rows`): broken first, then failing, overdue, upcoming, quiet."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from migrate import spec as spec_module
from migrate.fleet import rows
from migrate.fleet.evidence import Evidence, Round
from tests.helpers.fleet import spec_folder

NOW = datetime(2027, 2, 1, 12, 0, tzinfo=timezone.utc)
PARENT_NEW = {"id": "delegation.parent-ns", "status": "pass"}
PARENT_OLD = {"id": "delegation.parent-ns", "status": "fail"}
SERVED = {"id": "record.match", "status": "pass"}


@pytest.fixture
def spec_at(tmp_path):
    """A spec without a notify section whose cutover is `days` from NOW: its only date until the switch."""
    def make(name: str, days: float):
        return spec_module.load(spec_folder(tmp_path / name, f"{name}.dk", name, NOW + timedelta(days=days)))
    return make


def judged(spec, ev: Evidence) -> rows.Row:
    return rows.judged(f"{spec.source.tenant}/migration.yaml", spec, "state", ev, NOW)


def failing(*checks: dict) -> Round:
    return Round(4, "failing", NOW - timedelta(hours=1), checks, None)


def test_a_failing_round_needs_attention_once_users_get_what_fails(spec_at):
    spec = spec_at("a", 10)
    assert judged(spec, Evidence(latest=failing(PARENT_NEW, SERVED))).attention == "failing"
    # before the switch a failing round judges a cutover still to come: the cutover ranks it
    staged = judged(spec, Evidence(latest=failing(PARENT_OLD, SERVED)))
    assert (staged.phase, staged.attention, staged.next.what) == ("staged", "upcoming", "cutover")
    # ...unless the new state was seen everywhere before and has been lost (the delegation moved back)
    assert judged(spec, Evidence(latest=failing(PARENT_OLD, SERVED), seen_ever=True)).attention == "failing"


def test_rows_sort_broken_failing_overdue_upcoming_quiet_then_by_date(spec_at):
    made = [
        judged(spec_at("quiet", -5), Evidence(latest=Round(9, "verified", NOW, (PARENT_NEW,), None))),
        judged(spec_at("later", 20), Evidence()),
        judged(spec_at("sooner", 3), Evidence()),
        judged(spec_at("late", -1), Evidence()),
        judged(spec_at("later-late", -2), Evidence()),
        judged(spec_at("failing", 7), Evidence(latest=failing(PARENT_NEW))),
        rows.broken_state("broken/migration.yaml", spec_at("broken", 1), "state", "journal.sqlite: edited"),
        rows.bad_spec("bad/migration.yaml", "bad/migration.yaml: surprise: unknown key"),
    ]
    order = [(r.spec.partition("/")[0], r.attention) for r in rows.ordered(made)]
    assert order == [("bad", "bad spec"), ("broken", "broken state"), ("failing", "failing"), ("later-late", "overdue"),
                     ("late", "overdue"), ("sooner", "upcoming"), ("later", "upcoming"), ("quiet", "quiet")]
    overdue = next(r for r in made if r.spec.startswith("late/"))
    assert overdue.overdue and overdue.next.what == "cutover"


def test_a_row_as_json_carries_utc_times_and_no_phase_for_what_cannot_be_trusted(spec_at):
    spec = spec_at("a", 10)
    row = judged(spec, Evidence(latest=failing(PARENT_NEW, SERVED))).to_dict()
    assert row["phase"] == "switched" and row["verify"] == {"status": "failing", "at": NOW - timedelta(hours=1), "round": 4}
    assert row["next"] is None and row["tenant"] == "a" and row["domain"] == "a.dk"
    broken = rows.broken_state("b/migration.yaml", spec, "b/.migrate", "edited").to_dict()
    assert (broken["phase"], broken["verify"], broken["gate"], broken["problem"]) == (None, None, None, "edited")
