"""TXT-like records keep their character-strings exactly: through import, the plan (both
hosts), the zone-file writer, the diff and the verifier's comparison.

The zones: this project's STRINGS (DNS-SD, empty strings, boundaries, RESINFO,
WALLET, AVC, no $TTL) and other people's (tests/data/zones/README.md).
"""

from __future__ import annotations

import pytest

from migrate import importer, plan
from migrate.spec import Record
from migrate.verify import checks as C
from migrate.zone import RRset, Zone, is_txt_like, txt_rdata_text, txt_value
from tests.helpers import verify_evidence as V
from tests.helpers.zone_files import (
    STRINGS, STRINGS_DOMAIN, STRINGS_UNHELD, ZONES, as_reference, assert_carried, dnspython_example, reference, spec_for,
)

OTHERS = {
    "dnspython-example": (dnspython_example, "example.test."),
    "nsd-dnssec_rrsig_ds": (lambda: (ZONES / "nsd-dnssec_rrsig_ds.zone").read_text(), "example.com."),
    "nsd-bug101_spf": (lambda: (ZONES / "nsd-bug101_spf.zone").read_text(), "spf-test.nl."),
    "nsd-bug090_000_txt": (lambda: (ZONES / "nsd-bug090_000_txt.zone").read_text(), "text-test.nl."),
    "strings": (lambda: STRINGS, STRINGS_DOMAIN),
}


def test_the_txt_like_types_are_dnspythons():
    assert {t for t in ("TXT", "SPF", "AVC", "RESINFO", "WALLET", "NINFO") if is_txt_like(t)} == {"TXT", "SPF", "AVC", "RESINFO", "WALLET", "NINFO"}
    assert not any(is_txt_like(t) for t in ("HINFO", "CAA", "NAPTR", "TYPE65400", "NOT-A-TYPE"))


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_import_reads_every_record_as_dnspython_does(name):
    text, origin = OTHERS[name][0](), OTHERS[name][1]
    zone = Zone.from_text(text, origin)
    assert {r.key: as_reference(r) for r in zone} == reference(text, origin)
    # the snapshot `migrate import` writes reads back the same, and so does the zone-file writer's text
    assert Zone.from_text(importer.snapshot_text(zone, "test"), origin) == zone
    assert {r.key: as_reference(r) for r in Zone.from_text(zone.to_text(), origin)} == reference(text, origin)


@pytest.mark.parametrize("host", ["cloudflare", "rfc2136"])
@pytest.mark.parametrize("name", sorted(OTHERS))
def test_the_plan_carries_every_record_or_says_why_not(tmp_path, name, host):
    text, origin = OTHERS[name][0](), OTHERS[name][1]
    result = plan.build(spec_for(tmp_path, text, origin.rstrip("."), host))
    ref = reference(text, origin)
    assert_carried(result, ref)
    # the apex TXT the customer had are there exactly, beside what the move adds
    if (origin, "TXT") in ref:
        assert ref[(origin, "TXT")][1] <= as_reference(result.desired.get(origin, "TXT"))[1]
    # and the desired zone as a zone file is the desired zone
    assert Zone.from_text(result.desired.to_text(), origin) == result.desired


def test_the_strings_zone_in_the_plan(tmp_path):
    cloudflare = plan.build(spec_for(tmp_path, STRINGS, "example.dk"))
    pair = cloudflare.desired.get("pair.example.dk.", "TXT")
    assert pair.rdatas == {'"ab" "c"', '"a" "bc"'}  # two records, not one
    assert pair.values() == ["abc", "abc"]  # as a reader joining them sees them
    assert cloudflare.desired.get("empty.example.dk.", "TXT").rdatas == {'""'}
    assert cloudflare.desired.get("printer._ipp._tcp.example.dk.", "TXT").rdatas == {
        '"txtvers=1" "rp=queue1" "note=2nd floor" "pdl=application/pdf,image/urf"'
    }
    # The SPF the move keeps as it is keeps its two strings.
    assert '"v=spf1 include:_spf.google.com" " ip4:192.0.2.0/24 -all"' in cloudflare.desired.get(STRINGS_DOMAIN, "TXT").rdatas
    assert {d.rrset.key for d in cloudflare.dropped} == STRINGS_UNHELD
    # No $TTL: records without a TTL took the SOA minimum, and keep it.
    assert cloudflare.desired.get("printer.example.dk.", "A").ttl == 1800
    assert cloudflare.desired.get("k1._domainkey.example.dk.", "TXT").ttl == 600


def test_an_spf_the_move_rewrites_is_a_new_record_split_only_then(tmp_path):
    long_spf = "v=spf1 " + " ".join(f"ip4:198.51.100.{i}" for i in range(20)) + " include:spf.protection.outlook.com -all"
    written = '"' + '" "'.join([long_spf[:100], long_spf[100:300], long_spf[300:]]) + '"'
    text = STRINGS.replace('"v=spf1 include:_spf.google.com" " ip4:192.0.2.0/24 -all"', written)
    result = plan.build(spec_for(tmp_path, text, "example.dk"))
    (spf,) = [t for t in result.desired.get(STRINGS_DOMAIN, "TXT").rdatas if "v=spf1" in t]
    rewritten = txt_value(spf)
    assert "outlook" not in rewritten and "include:_spf.google.com" in rewritten
    assert spf == txt_rdata_text(rewritten)  # a new record: one string, split at 255 bytes


def test_spec_values_one_string_split_quoted_kept():
    long = "v=DKIM1; k=rsa; p=" + "A" * 300
    unquoted = Record(name="sel._domainkey", type="TXT", value=long).rrset(STRINGS_DOMAIN, 300)
    assert unquoted.rdatas == {txt_rdata_text(long)} and unquoted.values() == [long]
    quoted = Record(name="x", type="TXT", value='"ab" "c"').rrset(STRINGS_DOMAIN, 300)
    assert quoted.rdatas == {'"ab" "c"'}
    resinfo = Record(name="r", type="RESINFO", value="qnamemin exterr=15").rrset(STRINGS_DOMAIN, 300)
    assert resinfo.rdatas == {'"qnamemin exterr=15"'}  # unquoted: one string, as for TXT
    # a quoted string too long for DNS is split; its neighbours keep their boundaries
    fitted = Record(name="y", type="TXT", value=f'"a" "{"b" * 300}"').rrset(STRINGS_DOMAIN, 300)
    assert fitted.rdatas == {f'"a" "{"b" * 255}" "{"b" * 45}"'}


def test_the_diff_compares_the_strings_not_their_concatenation():
    old = Zone(STRINGS_DOMAIN, [RRset.build("x.example.dk.", "TXT", 300, ['"ab" "c"'])])
    new = Zone(STRINGS_DOMAIN, [RRset.build("x.example.dk.", "TXT", 300, ['"a" "bc"'])])
    changes = plan.diff(old, new)
    assert len(changes) == 1 and changes.changed[0][1].rdatas == {'"a" "bc"'}


def test_verify_compares_the_strings_not_their_concatenation():
    want = V.rr(f"_dmarc.{V.D}", "TXT", ['"v=DMARC1;" " p=quarantine"'])
    zone = V.desired()
    zone.put(want)
    ev = V.evidence(zone=zone)
    served = V.rr(want.name, "TXT", ['"v=DMARC1; p=" "quarantine"'])
    ev.servers[0].records[want.key] = V.ans(want.name, "TXT", answer=[served], server=ev.servers[0].address)
    checks = [c for c in C.record_checks(ev) if c.subject == f"{want.name} TXT"]
    assert [c.status for c in checks] == ["fail", "pass"]
    assert '"v=DMARC1;" " p=quarantine"' in checks[0].detail and '"v=DMARC1; p=" "quarantine"' in checks[0].detail
