"""Nothing leaves the zone silently: what the plan does not carry is listed, with why,
in the plan, its JSON and its table; and what it carries keeps its TTL.

The signed zone is NSD's test zone (tests/data/zones/README.md): DNSSEC records at
the apex and at every name below it, no $TTL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from migrate import lint, plan, plan_report
from migrate.zone import DNSSEC
from tests.helpers.examples import ROOT
from tests.helpers.zone_files import ZONES, as_reference, dnspython_example, reference, spec_for

SIGNED = (ZONES / "nsd-dnssec_rrsig_ds.zone").read_text()
SIGNED_DOMAIN = "example.com."


@pytest.mark.parametrize("host", ["cloudflare", "rfc2136"])
def test_every_dnssec_record_is_listed_with_why_at_any_name(tmp_path, host):
    result = plan.build(spec_for(tmp_path, SIGNED, "example.com", host))
    ref = reference(SIGNED, SIGNED_DOMAIN)
    signed = {key for key in ref if key[1] in DNSSEC}
    assert {key[0] for key in signed} > {SIGNED_DOMAIN}  # the check covers names below the apex
    dropped = {d.rrset.key: d for d in result.dropped}
    assert set(dropped) == signed
    for key in signed:
        assert dropped[key].rule == plan.RE_SIGNED and dropped[key].reason
        assert as_reference(dropped[key].rrset) == ref[key]  # listed as it was
        assert result.desired.get(*key) is None
    assert not {r.rdtype for r in result.desired} & DNSSEC


def test_the_diff_counts_them_and_the_table_says_why(tmp_path):
    result = plan.build(spec_for(tmp_path, SIGNED, "example.com"))
    removed = {r.key for r in result.diff().removed}
    assert {d.rrset.key for d in result.dropped} <= removed
    assert (SIGNED_DOMAIN, "SOA") not in removed  # replaced by the new host's own, not lost
    why = {c.rrset.key: c.why for c in plan_report.changes(result)}
    assert why[("mail.example.com.", "RRSIG")].startswith("a signature by the old host's keys")
    assert why[(SIGNED_DOMAIN, "DNSKEY")].startswith("the old host's signing keys")
    # they are not records to lower TTLs for: the new host's own replace them
    assert not [f for f in lint.lint(result) if f.rule == "ttl.high" and f.subject.split()[1] in DNSSEC]


def test_types_the_host_cannot_hold_are_listed_not_declared(tmp_path):
    text = dnspython_example()
    for host in ("cloudflare", "rfc2136"):
        (tmp_path / host).mkdir()
    cloudflare = plan.build(spec_for(tmp_path / "cloudflare", text, "example.test"))
    rfc2136 = plan.build(spec_for(tmp_path / "rfc2136", text, "example.test", "rfc2136"))
    unheld = {d.rrset.key: d for d in cloudflare.dropped if d.rule == plan.UNSUPPORTED}
    assert {("hinfo01.example.test.", "HINFO"), ("spf.example.test.", "SPF"), ("unknown2.example.test.", "TYPE999")} <= set(unheld)
    assert unheld[("hinfo01.example.test.", "HINFO")].reason == "the DNS host cloudflare cannot hold HINFO records"
    errors = {f.subject for f in lint.lint(cloudflare) if f.rule == plan.UNSUPPORTED}
    assert errors == {f"{name} {rdtype}" for name, rdtype in unheld}
    # an RFC 2136 server takes any type: only the DNSSEC records stay behind
    assert {d.rule for d in rfc2136.dropped} == {plan.RE_SIGNED}
    for key in unheld:
        assert rfc2136.desired.get(*key) is not None


def test_json_and_text_list_what_is_dropped(tmp_path):
    spec = spec_for(tmp_path, SIGNED, "example.com")

    def migrate(*args):
        wide = {**os.environ, "COLUMNS": "400"}  # one table row per line
        return subprocess.run([sys.executable, "-m", "migrate", "plan", str(spec.path), *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=120, env=wide)

    report = json.loads(migrate("--json").stdout)
    dropped = {(d["name"], d["type"]): d for d in report["dropped"]}
    assert dropped[("www.example.com.", "NSEC")]["rule"] == "dnssec.re-signed"
    assert dropped[("www.example.com.", "NSEC")]["reason"].startswith("a proof of non-existence")
    assert ("www.example.com.", "NSEC") in {(r["name"], r["type"]) for r in report["diff"]["removed"]}
    rows = [line for line in migrate().stdout.splitlines() if " www " in line and " NSEC " in line]
    assert len(rows) == 1 and "a proof of non-existence made by the old host's signer" in rows[0]


def test_a_carried_record_keeps_its_ttl(tmp_path):
    # The provider's verification TXT joins the apex TXT set: the set keeps the TTL it had.
    text = (
        "$TTL 86400\n@ IN SOA ns.example.dk. h.example.dk. 1 7200 3600 1209600 300\n@ NS ns.example.dk.\n"
        '@ 7200 IN TXT "some-other-proof=1"\nwww 60 IN A 192.0.2.1\n'
    )
    result = plan.build(spec_for(tmp_path, text, "example.dk"))
    apex = result.desired.get("example.dk.", "TXT")
    assert apex.ttl == 7200 and '"some-other-proof=1"' in apex.rdatas
    assert any("google-site-verification" in v for v in apex.values())
    assert result.desired.get("www.example.dk.", "A").ttl == 60


def test_a_ttl_cloudflare_does_not_take_is_said_in_the_plan(tmp_path):
    text = "$TTL 3600\n@ IN SOA ns.example.dk. h.example.dk. 1 7200 3600 1209600 300\n@ NS ns.example.dk.\nfast 30 IN A 192.0.2.1\nslow 172800 IN A 192.0.2.2\n"
    for host in ("cloudflare", "rfc2136"):
        (tmp_path / host).mkdir()
        result = plan.build(spec_for(tmp_path / host, text, "example.dk", host))
        assert result.desired.get("fast.example.dk.", "A").ttl == 30  # the plan keeps it; the host changes it
        findings = {f.subject: f.message for f in lint.lint(result) if f.rule == "host.ttl-range"}
        if host == "rfc2136":
            assert findings == {}
        else:
            assert findings == {
                "fast.example.dk. A": "the DNS host cloudflare takes TTLs of 60-86400s: TTL 30 becomes 60 there",
                "slow.example.dk. A": "the DNS host cloudflare takes TTLs of 60-86400s: TTL 172800 becomes 86400 there",
            }
