"""The zone model: canonical names and rdata, and round trips through zone files."""

from __future__ import annotations

import pytest

from migrate.errors import BadInput
from migrate.zone import RRset, Zone, txt_rdata_text, txt_value

ZONE = """\
$TTL 3600
@ IN SOA ns1.example.net. hostmaster.example.dk. 7 3600 600 86400 300
@ NS NS1.Example.NET.
@ NS ns2.example.net.
@ MX 10 MX1.Example.NET.
@ TXT "v=spf1 include:_spf.google.com" " ~all"
www 300 A 203.0.113.10
_sip._tcp SRV 10 60 5060 VoIP.Example.NET.
@ CAA 0 issue "letsencrypt.org"
blog CNAME Ghost.Example.ORG.
"""


def test_names_and_rdata_are_canonical():
    zone = Zone.from_text(ZONE, "Example.DK")
    assert zone.origin == "example.dk."
    assert zone.get("example.dk.", "NS").rdatas == {"ns1.example.net.", "ns2.example.net."}
    assert zone.get("example.dk.", "MX").rdatas == {"10 mx1.example.net."}
    assert zone.get("_sip._tcp.example.dk.", "SRV").rdatas == {"10 60 5060 voip.example.net."}
    assert zone.get("blog.example.dk.", "CNAME").rdatas == {"ghost.example.org."}


def test_txt_strings_keep_their_boundaries():
    zone = Zone.from_text(ZONE, "example.dk")
    (spf,) = zone.get("example.dk.", "TXT").rdatas
    assert spf == '"v=spf1 include:_spf.google.com" " ~all"'
    assert zone.get("example.dk.", "TXT").values() == ["v=spf1 include:_spf.google.com ~all"]  # as SPF readers join it
    # A value written as one string is split at 255 bytes: the one place splitting is a choice.
    long_value = "p=" + "A" * 600
    rdata = txt_rdata_text(long_value)
    assert rdata.count('"') == 6  # three strings of at most 255 bytes
    assert txt_value(rdata) == long_value
    # The same bytes split elsewhere are another record.
    split_other_way = RRset.build("x.example.dk.", "TXT", 60, ['"' + long_value[:100] + '" "' + long_value[100:255] + '" "' + long_value[255:] + '"'])
    assert split_other_way.rdatas != {rdata}
    assert split_other_way.values() == [long_value]


def test_txt_quoting_and_escapes_survive():
    value = 'say "hi" \\ ø'
    rrset = RRset.build("x.example.dk.", "TXT", 60, [txt_rdata_text(value)])
    (rdata,) = rrset.rdatas
    assert txt_value(rdata) == value


def test_round_trip_through_zone_file_changes_nothing(tmp_path):
    zone = Zone.from_text(ZONE, "example.dk")
    path = tmp_path / "example.dk.zone"
    zone.write(path)
    again = Zone.from_file(path, "example.dk")
    assert again == zone
    assert again.to_text() == zone.to_text()
    assert {r.key: r.ttl for r in again} == {r.key: r.ttl for r in zone}


def test_zones_differing_only_in_spelling_compare_equal():
    upper = Zone.from_text(ZONE.upper().replace("$TTL", "$TTL").replace("IN SOA", "IN SOA"), "example.dk")
    assert upper.get("example.dk.", "MX").rdatas == {"10 mx1.example.net."}
    # every name shouted (TXT and CAA data are case-sensitive text, left as written): the same zone
    shouted = "\n".join(line if " TXT " in line or " CAA " in line else line.upper() for line in ZONE.splitlines())
    assert shouted != ZONE
    assert Zone.from_text(shouted, "EXAMPLE.DK") == Zone.from_text(ZONE, "example.dk")


def test_ttl_differences_make_zones_unequal():
    zone = Zone.from_text(ZONE, "example.dk")
    other = zone.copy()
    other.put(zone.get("www.example.dk.", "A").with_ttl(60))
    assert other != zone


def test_broken_zone_file_names_the_file(tmp_path):
    path = tmp_path / "broken.zone"
    path.write_text("@ 3600 IN MX not-a-number mx.example.net.\n")
    with pytest.raises(BadInput, match="broken.zone"):
        Zone.from_file(path, "example.dk")


def test_missing_zone_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="cannot read zone file"):
        Zone.from_file(tmp_path / "nope.zone", "example.dk")


def test_record_outside_the_zone_is_refused():
    with pytest.raises(BadInput, match="outside the zone"):
        Zone("example.dk.", [RRset.build("www.example.com.", "A", 60, ["192.0.2.1"])])


def test_unknown_type_and_bad_rdata_are_bad_input():
    with pytest.raises(BadInput, match="not a DNS record type"):
        RRset.build("x.example.dk.", "BOGUS", 60, ["1"])
    with pytest.raises(BadInput, match="A value"):
        RRset.build("x.example.dk.", "A", 60, ["999.1.1.1"])


def test_idn_zone_uses_a_labels():
    zone = Zone.from_text("@ 300 A 192.0.2.1\n", "blåbær.dk")
    assert zone.origin == "xn--blbr-roah.dk."
    assert zone.get("xn--blbr-roah.dk.", "A")


def test_relative_names_in_values_resolve_against_the_origin():
    cname = RRset.build("www.x.dk.", "CNAME", 60, ["x.dk."], origin="x.dk.")
    assert cname.rdatas == {"x.dk."}
    mx = RRset.build("x.dk.", "MX", 60, ["10 mail"], origin="x.dk.")
    assert mx.rdatas == {"10 mail.x.dk."}
