"""The querier's short cut to canonical text gives exactly `zone.canonical`'s text."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from migrate.verify.query import _text
from migrate.zone import canonical

SAMPLES = [
    ("A", "192.0.2.1"), ("AAAA", "2001:DB8::1"), ("TXT", '"V=spf1 Include:X.COM -all"'), ("TXT", '"a" "b\\"c"'),
    ("TXT", '"\\195\\169t\\195\\169"'), ("SPF", '"v=spf1 -all"'),
    ("DS", "12345 13 2 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"),
    ("DNSKEY", "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
    ("CAA", '0 issue "LetsEncrypt.org"'), ("CAA", '128 Tbs "Unknown"'),
    ("TLSA", "3 1 1 ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"),
    ("SSHFP", "1 1 ABCDEF0123456789ABCDEF0123456789ABCDEF01"), ("NS", "NS1.Example.COM."), ("CNAME", "Foo.Example.Net."),
    ("MX", "10 MX1.Mail\\.Host.net."), ("MX", "10 \\065\\200b.example."), ("PTR", "Host.EXAMPLE."), ("DNAME", "Other.Example."),
    ("SOA", "NS1.Example.com. Host\\.Master.Example.com. 2024010101 7200 3600 1209600 300"),
    ("SRV", "10 20 5060 SIP.Example.COM."), ("HINFO", '"INTEL" "Linux"'), ("NAPTR", '100 10 "U" "E2U+sip" "!^.*$!sip:X@Y!" .'),
]


@pytest.mark.parametrize(("rdtype", "text"), SAMPLES)
def test_the_short_cut_is_the_canonical_text(rdtype, text):
    rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)
    assert _text(dns.rdatatype.from_text(rdtype), rdtype, rdata) == canonical(rdtype, rdata)
