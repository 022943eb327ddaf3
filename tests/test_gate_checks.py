"""The gate's pure checks, with a clock the tests control."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from migrate.gate import checks
from migrate.gate.evidence import Attestation, DomainEvidence, LicenceEvidence, NoticeEvidence, digest
from migrate.graph.models import Reference, Sku, Subscription
from tests.gate_helpers import CUTOVER, NOW, dns_holding

SOAK = timedelta(hours=48)
AGE = timedelta(hours=6)


def sub(total, sid="s1", sku="SPB", **kw):
    return Subscription(id=sid, sku_part_number=sku, total_licenses=total, status=kw.pop("status", "Enabled"), **kw)


# -- licences -----------------------------------------------------------------------


@pytest.mark.parametrize("total,status", [(1, "pass"), (25, "pass"), (26, "fail"), (300, "fail")])
def test_licence_limit_is_25_per_subscription(total, status):
    (result,) = checks.licences(LicenceEvidence(subscriptions=(sub(total),)))
    assert (result.id, result.status, result.observed) == ("licences.seats", status, f"{total} licences")
    assert bool(result.fix) == (status == "fail")


def test_several_subscriptions_of_one_sku_are_judged_one_by_one():
    subs = (sub(20, "a"), sub(20, "b"), sub(30, "c"))
    sku = Sku(sku_id="x", sku_part_number="SPB", capability_status="Enabled", consumed_units=55, prepaid_enabled=70, subscription_ids=("a", "b", "c"))
    results = checks.licences(LicenceEvidence(subscriptions=subs, skus=(sku,)))
    assert [(r.subject, r.status) for r in results] == [("SPB (a)", "pass"), ("SPB (b)", "pass"), ("SPB (c)", "fail")]
    assert all("across 3 subscriptions: 55 assigned, 70 enabled" in r.detail for r in results)


def test_partner_subscription_is_flagged_and_not_held_to_the_limit():
    (result,) = checks.licences(LicenceEvidence(subscriptions=(sub(40, owner_tenant_id="partner-tenant"),), own_tenant_id="mine"))
    assert result.id == "licences.partner" and result.status == "pass"
    assert "cancel through your partner" in result.detail


def test_own_tenant_as_owner_is_not_a_partner():
    (result,) = checks.licences(LicenceEvidence(subscriptions=(sub(40, owner_tenant_id="MINE"),), own_tenant_id="mine"))
    assert result.id == "licences.seats" and result.status == "fail"


def test_deleted_subscriptions_are_ignored_and_none_active_is_unknown():
    results = checks.licences(LicenceEvidence(subscriptions=(sub(100, "old", status="Deleted"), sub(5, "new"))))
    assert [(r.subject, r.status) for r in results] == [("SPB (new)", "pass")]
    (only_deleted,) = checks.licences(LicenceEvidence(subscriptions=(sub(100, status="Deleted"),)))
    assert only_deleted.status == "unknown"


def test_trial_and_product_key_are_noted():
    (result,) = checks.licences(LicenceEvidence(subscriptions=(sub(25, is_trial=True),), product_keys=frozenset({"s1"})))
    assert "trial" in result.detail and "not refunded" in result.detail


# -- domain_removed -------------------------------------------------------------------


def test_domain_gone_passes_and_present_lists_references():
    assert checks.domain_removed(DomainEvidence("nordlys-tekstil.dk", exists=False))[0].status == "pass"
    refs = tuple(Reference("user", str(i), f"u{i}@nordlys-tekstil.dk") for i in range(25))
    (result,) = checks.domain_removed(DomainEvidence("nordlys-tekstil.dk", exists=True, references=refs))
    assert result.status == "fail" and "25 objects reference it" in result.observed
    assert "user u0@nordlys-tekstil.dk" in result.detail and "and 5 more" in result.detail
    (bare,) = checks.domain_removed(DomainEvidence("nordlys-tekstil.dk", exists=True))
    assert bare.status == "fail" and "remove-domain" in bare.fix


# -- data_saved -----------------------------------------------------------------------


def test_data_saved_needs_an_attestation_and_shows_who_and_when():
    assert checks.data_saved([], "nordlys-tekstil.dk")[0].status == "fail"
    at = datetime(2027, 1, 18, 9, 30, tzinfo=timezone.utc)
    (result,) = checks.data_saved([Attestation("data-saved", "nordlys-tekstil.dk", "Mette Jensen", at)], "nordlys-tekstil.dk")
    assert result.status == "pass" and result.observed == "attested by Mette Jensen at 2027-01-18 09:30 UTC"


# -- notice ---------------------------------------------------------------------------

DEADLINE = CUTOVER - timedelta(days=14)


def test_notice_passes_when_everyone_was_reached_in_time():
    ev = NoticeEvidence("announce", ("a@x.dk", "b@x.dk"), {"a@x.dk": DEADLINE, "b@x.dk": DEADLINE - timedelta(days=3)})
    assert checks.notice(ev, CUTOVER, 14, NOW)[0].status == "pass"


def test_notice_fails_for_a_missing_recipient_with_the_deadline_in_the_fix():
    ev = NoticeEvidence("announce", ("a@x.dk", "b@x.dk"), {"a@x.dk": DEADLINE})
    (result,) = checks.notice(ev, CUTOVER, 14, DEADLINE - timedelta(days=1))
    assert result.status == "fail" and "b@x.dk" in result.detail and "before 2027-01-01 06:00 UTC" in result.fix


def test_notice_fails_for_a_late_recipient_and_names_a_new_cutover():
    late = DEADLINE + timedelta(days=2)
    ev = NoticeEvidence("announce", ("a@x.dk",), {"a@x.dk": late})
    (result,) = checks.notice(ev, CUTOVER, 14, NOW)
    assert result.status == "fail" and "late" in result.observed
    assert "2027-01-17 06:00 UTC" in result.fix


def test_notice_without_recipients_is_unknown():
    assert checks.notice(NoticeEvidence("announce", ()), CUTOVER, 14, NOW)[0].status == "unknown"


# -- dns ------------------------------------------------------------------------------


def statuses(results):
    return {r.id: r.status for r in results}


def test_dns_passes_when_verified_fresh_held_and_soaked():
    assert set(statuses(checks.dns(dns_holding(), min_soak=SOAK, max_age=AGE, now=NOW)).values()) == {"pass"}


def test_dns_soak_is_pending_with_the_earliest_time():
    ev = replace(dns_holding(), first_fully_seen_at=NOW - timedelta(hours=10))
    results = checks.dns(ev, min_soak=SOAK, max_age=AGE, now=NOW)
    soak = next(r for r in results if r.id == "timing.soak")
    assert soak.status == "pending" and soak.eta == NOW - timedelta(hours=10) + timedelta(hours=1) + SOAK


def test_dns_soak_boundary_with_fresh_rounds():
    first = NOW - timedelta(hours=49)
    for now, expected in ((first + timedelta(hours=49) - timedelta(seconds=1), "pending"), (first + timedelta(hours=49), "pass")):
        ev = replace(dns_holding(now), first_fully_seen_at=first)
        assert statuses(checks.dns(ev, min_soak=SOAK, max_age=AGE, now=now))["timing.soak"] == expected


@pytest.mark.parametrize(
    "change,check_id,status",
    [
        ({"latest_round_status": "failing", "first_fully_seen_at": None}, "dns.verified", "fail"),
        ({"latest_round_status": "converging", "first_fully_seen_at": None}, "dns.verified", "pending"),
        ({"latest_round_at": NOW - timedelta(hours=7)}, "dns.fresh", "fail"),
        ({"latest_round_at": NOW + timedelta(hours=1)}, "dns.fresh", "unknown"),
        ({"held_continuously": False}, "dns.held", "fail"),
    ],
)
def test_dns_locks_on_each_broken_condition(change, check_id, status):
    results = checks.dns(replace(dns_holding(), **change), min_soak=SOAK, max_age=AGE, now=NOW)
    assert statuses(results)[check_id] == status


def test_no_dns_evidence_is_unknown():
    assert checks.dns(None, min_soak=SOAK, max_age=AGE, now=NOW)[0].status == "unknown"


def test_evidence_digest_is_stable_and_sensitive():
    assert digest(dns_holding()) == digest(dns_holding())
    assert digest(dns_holding()) != digest(replace(dns_holding(), rounds=121))
