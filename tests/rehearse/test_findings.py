"""The rehearsal's rules: what the real parts answered, as findings in the user's terms."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from migrate import lint, plan
from migrate.report import Check
from migrate.rehearse import findings as F
from migrate.zone import RRset
from tests.helpers.examples import EXAMPLE_ZONE, spec_with_zone

CPH = ZoneInfo("Europe/Copenhagen")
T = datetime(2027, 1, 15, 6, 0, tzinfo=timezone.utc)
DOMAIN = "nordlys-tekstil.dk."


def test_only_lint_errors_are_findings(tmp_path):
    text = EXAMPLE_ZONE.read_text().replace("_dmarc ", "; _dmarc ") + '@ IN TXT "v=spf1 a -all"\n'
    built = plan.build(spec_with_zone(tmp_path, text, lambda d: d["mail"].pop("dmarc")))
    found = lint.lint(built)
    assert {(f.level, f.rule) for f in found} >= {("error", "spf.count"), ("warning", "dmarc.missing")}
    out = F.lint_errors(found)
    assert out and {f.id for f in out} == {F.LINT}
    assert {f.subject.split()[0] for f in out} == {f.rule for f in found if f.level == "error"}


def test_a_type_the_host_cannot_hold_is_a_record_the_new_host_lacks(tmp_path):
    text = EXAMPLE_ZONE.read_text() + 'office IN HINFO "PC" "Windows"\n'
    cloudflare = plan.build(spec_with_zone(tmp_path, text))
    (found,) = F.dropped(cloudflare)
    assert (found.id, found.subject) == (F.LACKS, "office HINFO") and "cloudflare cannot hold HINFO" in found.message
    rfc2136 = plan.build(spec_with_zone(tmp_path, text, lambda d: d["dns"].update(
        host="rfc2136", rfc2136={"server": "192.0.2.53", "key_name": "k"})))
    assert F.dropped(rfc2136) == []  # the server takes any type


def test_verify_failures_are_grouped_by_check_and_name_with_where():
    checks = [
        Check("m365.residue", "fail", f"autodiscover.{DOMAIN} CNAME", "ada.ns.cloudflare.com (127.0.0.1)", detail="Autodiscover"),
        Check("m365.residue", "fail", f"autodiscover.{DOMAIN} CNAME", "bob.ns.cloudflare.com (127.0.0.2)", detail="Autodiscover"),
        Check("record.missing", "fail", f"shop.{DOMAIN} A", "ada", detail="the name does not exist"),
        Check("mail.mx-target", "unknown", "smtp.google.com.", None, detail="no answer"),
        Check("resolver.stale", "pending", f"{DOMAIN} MX", "127.0.0.9", detail="old", eta=T),
        Check("record.match", "pass", f"www.{DOMAIN} A", "ada"),
    ]
    out = {(f.id, f.subject): f for f in F.from_verify(checks, DOMAIN)}
    assert set(out) == {(F.RESIDUE, "autodiscover CNAME"), (F.LACKS, "shop A"), (F.VERIFY, "mail.mx-target smtp.google.com.")}
    assert "and 1 more" in out[(F.RESIDUE, "autodiscover CNAME")].message  # both servers, one finding
    assert "no answer" in out[(F.VERIFY, "mail.mx-target smtp.google.com.")].message


def test_the_ttl_wait_counts_against_the_end_of_the_data_deadline():
    ends = datetime(2027, 1, 19, tzinfo=CPH)
    assert F.ttl_wait(T, ends - timedelta(seconds=1), ends, "the spec", "MX 2d", timedelta(hours=48), CPH) == []
    assert F.ttl_wait(T, ends, ends, "the spec", "MX 2d", timedelta(hours=48), CPH) == []
    (late,) = F.ttl_wait(T, ends + timedelta(hours=7), ends, "the spec's notify.data_deadline", "the old MX TTL, 2d",
                         timedelta(hours=48), CPH)
    assert late.id == F.TTL_WAIT
    assert "2027-01-19 07:00 CET" in late.message and "2027-01-19 00:00 CET" in late.message and "2d" in late.message
    assert "2027-01-19 or later" in late.fix
    assert F.ttl_wait(T, None, ends, "", "", timedelta(0), CPH) == []  # the gate's dns never passed: verify says why
    assert F.ttl_wait(T, ends + timedelta(days=9), None, "", "", timedelta(0), CPH) == []  # no deadline given


def test_a_gate_that_unlocks_after_the_planned_cancellation_is_late():
    ends = datetime(2027, 3, 2, tzinfo=CPH)
    assert F.cancel_late(ends, ends, "notify.cancel_date 2027-03-01", CPH) == []
    (late,) = F.cancel_late(ends + timedelta(hours=1), ends, "notify.cancel_date 2027-03-01", CPH)
    assert late.id == F.CANCEL_DATE and "2027-03-02 01:00 CET" in late.message


def test_notice_names_the_earliest_cutover_an_announcement_today_allows():
    today = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    assert F.notice(None, today, today + timedelta(days=20), 14, CPH) == []
    (short,) = F.notice("the announce wave goes out ...; it closed ...", today, today + timedelta(days=10), 14, CPH)
    assert short.id == F.NOTICE and "10d" in short.message and "14 days" in short.message
    assert "2026-12-14 09:00 CET" in short.fix


def test_a_pointer_into_the_zone_without_an_address_is_named_in_people_s_spelling():
    www = RRset.build(f"www.{DOMAIN}", "CNAME", 300, [DOMAIN])
    found = F.dangling(www, DOMAIN, DOMAIN)
    assert (found.id, found.subject) == (F.LACKS, "@ A/AAAA")
    assert "www CNAME points at nordlys-tekstil.dk," in found.message


def test_the_gate_s_blocking_checks_are_findings_unless_another_finding_explains_them():
    checks = [
        Check("notice.delivered", "fail", "wave announce", observed="0 of 8 on time", requirement="notice"),
        Check("licences.seats", "fail", "Microsoft 365 Business Premium", observed="30 licences", fix="remove licences"),
        Check("timing.soak", "pending", "soak", eta=T),  # only waits
        Check("dns.verified", "fail", "verify journal", observed="round 2 failing"),
        Check("dns.fresh", "pass", "verify journal"),
    ]
    notice = F.notice("closed", T - timedelta(days=10), T, 14, CPH)
    out = F.gate_locked(checks, notice)
    assert [f.subject.split()[0] for f in out] == ["licences.seats", "dns.verified"]
    assert out[0].fix == "remove licences"
    # with verify's own finding, the gate's dns check says nothing new
    assert [f.subject.split()[0] for f in F.gate_locked(checks, notice + [F.Finding(F.VERIFY, "x", "y")])] == ["licences.seats"]


def test_the_gate_stopping_on_bad_input_is_said_once():
    why = "migration.yaml: notify.recipients: no recipients file"
    nobody = F.nobody("notify.recipients", why)
    assert F.gate_input(why, nobody) == []
    (stop,) = F.gate_input("facts.yaml: as_of: required key is missing", nobody)
    assert stop.id == F.LOCKED and "facts.yaml: as_of" in stop.message


def test_a_wait_longer_than_the_rehearsal_runs_is_said_not_waited_for():
    found = F.incomplete(T + timedelta(days=900), 3601, 2000, timedelta(hours=6), CPH)
    assert found.id == F.INCOMPLETE and "3601 verify rounds" in found.message and "2000" in found.message
    assert "2029-07-03" in found.message
