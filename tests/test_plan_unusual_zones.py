"""The plan and its lint on zones the authors had not seen.

The desired zone must never lose a non-Microsoft record silently: a record is
either carried, or removed with a rule id, or the input is refused with one
line naming it.
"""

from __future__ import annotations

from migrate import lint, plan
from tests.helpers.examples import EXAMPLE_ZONE as ZONE, spec_with_zone


def desired_of(tmp_path, text, mutate=None):
    return plan.build(spec_with_zone(tmp_path, ZONE.read_text() + text, mutate))


def test_dnssec_records_are_not_carried_but_a_child_ds_is(tmp_path):
    text = (
        "@ 3600 IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n"
        "@ 3600 IN NSEC www.nordlys-tekstil.dk. A NS SOA RRSIG NSEC DNSKEY\n"
        "@ 0 IN NSEC3PARAM 1 0 0 -\n"
        "@ 3600 IN CDS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
        "sub 3600 IN NS ns1.sub.nordlys-tekstil.dk.\n"
        "sub 3600 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
        "ns1.sub 3600 IN A 192.0.2.53\n"
    )
    result = desired_of(tmp_path, text)
    types = {r.rdtype for r in result.desired}
    assert not types & {"DNSKEY", "NSEC", "NSEC3PARAM", "CDS", "RRSIG", "SOA"}
    # The delegation below the apex, its glue and its DS survive.
    assert result.desired.get("sub.nordlys-tekstil.dk.", "NS") is not None
    assert result.desired.get("sub.nordlys-tekstil.dk.", "DS") is not None
    assert result.desired.get("ns1.sub.nordlys-tekstil.dk.", "A") is not None


def test_a_wildcard_mx_of_the_company_is_kept_and_one_of_microsoft_removed(tmp_path):
    result = desired_of(tmp_path, "* 3600 IN MX 10 mail.nordlys-tekstil.dk.\n*.eu 3600 IN MX 0 x.mail.protection.outlook.com.\n")
    assert result.desired.get("*.nordlys-tekstil.dk.", "MX").rdatas == {"10 mail.nordlys-tekstil.dk."}
    assert result.desired.get("*.eu.nordlys-tekstil.dk.", "MX") is None
    assert any(r.rrset.name == "*.eu.nordlys-tekstil.dk." for r in result.microsoft365)


def test_no_record_is_lost_without_a_reason(tmp_path):
    result = desired_of(tmp_path, "geo 3600 IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m\n")
    assert result.desired.get("geo.nordlys-tekstil.dk.", "LOC") is not None  # an unusual type is carried
    explained = {r.rrset.key for r in result.microsoft365}
    removed = result.diff().removed
    assert removed  # the example's Microsoft 365 records: the check below is not vacuous
    for rrset in removed:
        assert rrset.key in explained, f"{rrset.name} {rrset.rdtype} removed without a rule"


def test_mx_and_ns_targets_that_are_addresses_are_lint_errors(tmp_path):
    result = desired_of(tmp_path, "old 3600 IN MX 10 192.0.2.25\nlab 3600 IN NS 192.0.2.53.\n")
    findings = {(f.rule, f.subject) for f in lint.lint(result)}
    assert ("mx.target-address", "old.nordlys-tekstil.dk.") in findings
    assert ("ns.target-address", "lab.nordlys-tekstil.dk.") in findings
