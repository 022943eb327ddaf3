"""The gate's pure checks, with a clock the tests control."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from migrate.gate import checks
from migrate.gate.evidence import Attestation, DnsEvidence, DomainEvidence, LicenceEvidence, NoticeEvidence, digest
from migrate.graph.models import Reference, Sku, Subscription
from tests.helpers.gate import CUTOVER, NOW, dns_evidence, dns_holding

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
    moved = at - timedelta(hours=1)
    (result,) = checks.data_saved([Attestation("data-saved", "nordlys-tekstil.dk", "Mette Jensen", at)], "nordlys-tekstil.dk", mail_moved=moved)
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


# -- dns (journal evidence built by hand; tests/gate/test_engine.py writes real journals) --


def statuses(results):
    return {r.id: r.status for r in results}


def by_id(results, check_id):
    (result,) = [r for r in results if r.id == check_id]
    return result


def test_dns_passes_when_verified_fresh_held_and_soaked():
    results = checks.dns(dns_holding(), min_soak=SOAK, max_age=AGE, now=NOW)
    assert statuses(results) == {"dns.verified": "pass", "dns.fresh": "pass", "dns.held": "pass", "timing.soak": "pass"}
    assert "observations sha256:" + "0" * 64 in by_id(results, "dns.verified").detail
    assert "largest gap 1h" in by_id(results, "dns.held").observed


def test_dns_soak_is_pending_until_safe_after_plus_min_soak():
    first = NOW - timedelta(hours=10)
    ev = dns_evidence(first, NOW - timedelta(minutes=5), ttl=timedelta(hours=1))
    soak = by_id(checks.dns(ev, min_soak=SOAK, max_age=AGE, now=NOW), "timing.soak")
    assert soak.status == "pending" and soak.eta == ev.safe_after + SOAK == first + timedelta(hours=49)
    assert soak.observed == "1d15h to go" and "gate.min_soak 2d" in soak.detail


def test_dns_soak_boundary_with_fresh_rounds():
    first = NOW - timedelta(hours=49)
    for now, expected in ((first + timedelta(hours=49) - timedelta(seconds=1), "pending"), (first + timedelta(hours=49), "pass")):
        ev = dns_evidence(first, now - timedelta(minutes=1), now=now)
        assert statuses(checks.dns(ev, min_soak=SOAK, max_age=AGE, now=now))["timing.soak"] == expected


def test_dns_converging_is_pending_with_the_verifiers_eta():
    eta = NOW + timedelta(minutes=20)
    ev = dns_evidence(NOW - timedelta(hours=60), NOW - timedelta(minutes=5), status="converging", eta=eta,
                      problems=("resolver.stale (pending)",))
    verified = by_id(checks.dns(ev, min_soak=SOAK, max_age=AGE, now=NOW), "dns.verified")
    assert (verified.status, verified.eta) == ("pending", eta)
    assert "resolver.stale (pending)" in verified.detail


@pytest.mark.parametrize("status,expected", [("failing", "fail"), ("unknown", "unknown")])
def test_dns_failing_fails_and_unknown_is_unknown(status, expected):
    ev = dns_evidence(NOW - timedelta(hours=60), NOW - timedelta(minutes=5), status=status)
    verified = by_id(checks.dns(ev, min_soak=SOAK, max_age=AGE, now=NOW), "dns.verified")
    assert verified.status == expected and verified.fix and verified.eta is None


def test_dns_not_fully_seen_in_the_newest_round_fails_held():
    first = NOW - timedelta(hours=60)
    ev = dns_evidence(first, NOW - timedelta(minutes=5), status="failing", first_fully_seen=None, streak=(), held=False, lost=1,
                      safe_after=None)
    results = checks.dns(ev, min_soak=SOAK, max_age=AGE, now=NOW)
    assert statuses(results) == {"dns.verified": "fail", "dns.fresh": "pass", "dns.held": "fail"}
    held = by_id(results, "dns.held")
    assert "first fully seen at" in held.detail and "soak starts again" in held.fix


@pytest.mark.parametrize("latest,status", [(NOW - timedelta(hours=7), "fail"), (NOW + timedelta(hours=1), "unknown")])
def test_dns_stale_or_future_round_is_not_fresh(latest, status):
    ev = dns_evidence(NOW - timedelta(hours=60), latest)
    assert statuses(checks.dns(ev, min_soak=SOAK, max_age=AGE, now=NOW))["dns.fresh"] == status


def test_dns_flap_restarts_the_soak_and_is_reported_not_fatal():
    first_ever, restart = NOW - timedelta(hours=100), NOW - timedelta(hours=30)
    ev = dns_evidence(restart, NOW - timedelta(minutes=5), first_ever_fully_seen=first_ever, held=False, lost=1)
    results = checks.dns(ev, min_soak=SOAK, max_age=AGE, now=NOW)
    held, soak = by_id(results, "dns.held"), by_id(results, "timing.soak")
    assert held.status == "pass"
    assert f"lost once since first seen at {first_ever:%Y-%m-%d %H:%M} UTC" in held.detail
    assert soak.status == "pending" and soak.eta == restart + timedelta(hours=1) + SOAK
    later = NOW + timedelta(hours=20)
    ev = dns_evidence(restart, later - timedelta(minutes=5), first_ever_fully_seen=first_ever, held=False, lost=1, now=later)
    assert set(statuses(checks.dns(ev, min_soak=SOAK, max_age=AGE, now=later)).values()) == {"pass"}


def test_dns_gap_longer_than_max_age_restarts_continuity():
    first = NOW - timedelta(hours=80)
    before = dns_evidence(first, NOW - timedelta(hours=20)).streak
    after = dns_evidence(NOW - timedelta(hours=12), NOW - timedelta(minutes=5)).streak  # 8 h nobody looked
    ev = dns_evidence(first, NOW - timedelta(minutes=5), streak=before + after)
    assert ev.largest_gap == timedelta(hours=8) and ev.continuous_since(AGE) == after[0]
    results = checks.dns(ev, min_soak=SOAK, max_age=AGE, now=NOW)
    held, soak = by_id(results, "dns.held"), by_id(results, "timing.soak")
    assert held.status == "pass" and "largest gap 8h" in held.observed and "continuity counts from" in held.detail
    assert soak.status == "pending" and soak.eta == after[0] + timedelta(hours=1) + SOAK
    # with a max_age that tolerates the gap the soak counts from the first round
    assert statuses(checks.dns(ev, min_soak=SOAK, max_age=timedelta(hours=9), now=NOW))["timing.soak"] == "pass"


@pytest.mark.parametrize("safe_after", [None, CUTOVER])
def test_dns_without_a_consistent_safe_time_is_unknown(safe_after):
    ev = replace(dns_holding(), safe_after=safe_after)
    assert statuses(checks.dns(ev, min_soak=SOAK, max_age=AGE, now=NOW))["timing.soak"] == "unknown"


def test_no_dns_evidence_is_unknown():
    assert checks.dns(None, min_soak=SOAK, max_age=AGE, now=NOW)[0].status == "unknown"
    (result,) = checks.dns(DnsEvidence.nothing("nordlys-tekstil.dk.", NOW), min_soak=SOAK, max_age=AGE, now=NOW)
    assert result.status == "unknown" and "migrate verify" in result.fix


def test_evidence_digest_is_stable_and_sensitive():
    assert digest(dns_holding()) == digest(dns_holding())
    assert digest(dns_holding()) != digest(replace(dns_holding(), rounds=121))
