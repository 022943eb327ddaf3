"""The phase rules on evidence records (`migrate.fleet.phase`): each rule, and what overrules it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from migrate.fleet import phase
from migrate.fleet.evidence import Decision, Evidence, Round

T0 = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)
PARENT_OLD = {"id": "delegation.parent-ns", "status": "fail", "observed": ["ns1.bdm.microsoftonline.com."]}
PARENT_NEW = {"id": "delegation.parent-ns", "status": "pass", "observed": ["ns1.newhost.net."]}
SERVED = {"id": "record.match", "status": "pass", "subject": "example.dk. MX"}
MISSING = {"id": "record.missing", "status": "fail", "subject": "www.example.dk. A"}
LAME = {"id": "auth.lame", "status": "fail"}


def round_(status: str, *checks: dict, minutes: int = 0) -> Round:
    return Round(1, status, T0 + timedelta(minutes=minutes), tuple(checks), None)


def decision(status: str, minutes: int, dns: str = "pass") -> Decision:
    return Decision(1, T0 + timedelta(minutes=minutes), status, {"dns": dns, "data_saved": "pending"}, None)


def test_nothing_recorded_is_planned_and_a_delivered_announcement_is_announced():
    assert phase.of(Evidence()) == "planned"
    assert phase.of(Evidence(delivered={"reminder": T0})) == "planned"  # only the announcement announces
    assert phase.of(Evidence(delivered={"announce": T0})) == "announced"


def test_staged_needs_every_desired_record_served_while_the_parent_delegates_elsewhere():
    assert phase.of(Evidence(latest=round_("failing", PARENT_OLD, SERVED, SERVED))) == "staged"
    # one record set missing at one address: the new host does not serve the desired zone yet
    assert phase.of(Evidence(latest=round_("failing", PARENT_OLD, SERVED, MISSING), delivered={"announce": T0})) == "announced"
    # no record compared at all (the new servers were never reached) is not "served"
    assert phase.of(Evidence(latest=round_("unknown", PARENT_OLD))) == "planned"


def test_switched_needs_every_parent_server_to_delegate_to_the_new_host():
    assert phase.of(Evidence(latest=round_("failing", PARENT_NEW, PARENT_NEW, SERVED, LAME))) == "switched"
    half = round_("failing", PARENT_NEW, PARENT_OLD, SERVED)  # the registry has not finished publishing
    assert phase.of(Evidence(latest=half)) == "staged"


def test_converging_and_verified_are_the_newest_rounds_status():
    assert phase.of(Evidence(latest=round_("converging", PARENT_NEW, SERVED))) == "converging"
    assert phase.of(Evidence(latest=round_("verified", PARENT_NEW, SERVED))) == "verified"


def test_soaked_is_a_gate_decision_that_passed_dns_on_the_run_still_going():
    verified = round_("verified", PARENT_NEW, SERVED, minutes=10)
    assert phase.of(Evidence(latest=verified, run_since=T0, decision=decision("locked", 20))) == "soaked"
    assert phase.of(Evidence(latest=verified, run_since=T0, decision=decision("locked", 20, dns="pending"))) == "verified"
    # verify ran on after the decision, the same run of good rounds: the soak it judged has gone on
    later = round_("verified", PARENT_NEW, SERVED, minutes=90)
    assert phase.of(Evidence(latest=later, run_since=T0, decision=decision("locked", 20))) == "soaked"
    # the run restarted after the decision (a flap): its soak is not the one the gate judged
    assert phase.of(Evidence(latest=later, run_since=T0 + timedelta(minutes=60), decision=decision("locked", 20))) == "verified"


def test_unlocked_stands_until_a_newer_round_says_otherwise():
    verified = round_("verified", PARENT_NEW, SERVED, minutes=10)
    assert phase.of(Evidence(latest=verified, run_since=T0, decision=decision("unlocked", 20))) == "unlocked"
    failing = round_("failing", PARENT_NEW, SERVED, LAME, minutes=30)
    assert phase.of(Evidence(latest=failing, decision=decision("unlocked", 20))) == "switched"
    # a gate that does not require dns may unlock with no round at all
    assert phase.of(Evidence(decision=decision("unlocked", 20, dns="pending"))) == "unlocked"


def test_a_recorded_cancellation_is_the_last_phase_whatever_came_after():
    failing = round_("failing", PARENT_OLD, minutes=30)
    assert phase.of(Evidence(latest=failing, attested={"cancelled": T0})) == "cancelled"
    assert phase.of(Evidence(attested={"data-saved": T0})) == "planned"
