"""Zone files as BIND loads them: the TTL of a record that states none, and one line
for a record dnspython refuses (migrate/zone_reader.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from migrate import plan
from migrate.errors import BadInput
from migrate.zone import Zone
from tests.helpers.examples import EXAMPLE, ROOT
from tests.helpers.zone_files import ZONES, as_reference, reference, spec_for

ORIGIN = "example.org."


def ttls(text: str) -> dict[str, int]:
    return {f"{r.name} {r.rdtype}": r.ttl for r in Zone.from_text(text, ORIGIN)}


# BIND's loader (lib/dns/master.c), case by case; the same cases as the ISC
# loader tests ttlFromSOA, ttlFromPrevious and ttlFromPreviousSOA.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # no $TTL, an SOA without TTL: its minimum is the SOA's TTL and the default
        ("example.org. IN SOA . . 0 0 0 0 1800\na.example.org. IN A 192.0.2.1\n",
         {"example.org. SOA": 1800, "a.example.org. A": 1800}),
        # ... and the default wins over a TTL stated later (dnspython alone would take 7200)
        ("example.org. IN SOA . . 0 0 0 0 1800\nb.example.org. 7200 IN A 192.0.2.2\na.example.org. IN A 192.0.2.1\n",
         {"example.org. SOA": 1800, "b.example.org. A": 7200, "a.example.org. A": 1800}),
        # an SOA with a TTL: no default; the last stated TTL (RFC 1035) (dnspython alone would take 1800)
        ("example.org. 100 IN SOA . . 0 0 0 0 1800\na.example.org. IN A 192.0.2.1\n",
         {"example.org. SOA": 100, "a.example.org. A": 100}),
        # a TTL stated before an SOA without one: RFC 1035 for the SOA and after it
        ("example.org. 3600 IN NS ns.example.net.\nexample.org. IN SOA . . 0 0 0 0 1800\na.example.org. IN A 192.0.2.1\n",
         {"example.org. NS": 3600, "example.org. SOA": 3600, "a.example.org. A": 3600}),
        # no SOA at all: the last stated TTL
        ("a.example.org. 1800 IN A 192.0.2.1\nb.example.org. IN A 192.0.2.2\n",
         {"a.example.org. A": 1800, "b.example.org. A": 1800}),
        # $TTL, wherever it is, wins over the SOA minimum
        ("$TTL 600\nexample.org. IN SOA . . 0 0 0 0 1800\nb.example.org. 7200 IN A 192.0.2.2\na.example.org. IN A 192.0.2.1\n",
         {"example.org. SOA": 600, "b.example.org. A": 7200, "a.example.org. A": 600}),
    ],
)
def test_a_record_without_ttl_gets_the_one_bind_gives_it(text, expected):
    assert ttls(text) == expected


def test_no_ttl_at_all_is_refused_as_bind_refuses_it():
    with pytest.raises(BadInput) as info:
        Zone.from_text("$ORIGIN example.org.\nwww IN A 192.0.2.1\n", ORIGIN, source="export.zone")
    assert str(info.value).startswith("export.zone:2: dnspython cannot read the record 'www IN A 192.0.2.1': no TTL")


def test_a_signed_zone_without_ttl_directive_reads_as_dnspython_reads_it(tmp_path):
    # NSD's test zone: no $TTL, a TTL on every line, DNSSEC below the apex.
    text = (ZONES / "nsd-dnssec_rrsig_ds.zone").read_text()
    zone = Zone.from_text(text, "example.com.")
    assert {r.key: as_reference(r) for r in zone} == reference(text, "example.com.")
    result = plan.build(spec_for(tmp_path, text, "example.com"))
    for rrset in result.desired:
        if (old := zone.get(*rrset.key)) is not None and rrset.key != ("example.com.", "NS"):
            assert rrset.ttl == old.ttl, rrset.key  # the plan changes no TTL the spec did not ask for


ECH = "x 300 IN HTTPS 1 . alpn=h2 ech=AEX+DQBB"  # base64, but not an ECHConfigList: BIND loads it, dnspython does not


def test_a_record_dnspython_refuses_is_one_line_naming_file_line_and_record():
    text = f"$TTL 300\n@ IN SOA ns.example.org. h.example.org. 1 2 3 4 5\n@ IN NS ns.example.org.\n{ECH}\nwww IN A 192.0.2.1\n"
    with pytest.raises(BadInput) as info:
        Zone.from_text(text, ORIGIN, source="export.zone")
    message = str(info.value)
    assert message.startswith(f"export.zone:4: dnspython cannot read the record {ECH!r}: invalid ECHConfigList")
    assert "\n" not in message and "README" in message


def test_a_multi_line_record_is_named_by_its_first_line():
    text = "$TTL 300\nx IN HTTPS 1 . (\n    alpn=h2\n    ech=AEX+DQBB )\nwww IN A 192.0.2.1\n"
    with pytest.raises(BadInput, match=r"^export\.zone:2: dnspython cannot read the record 'x IN HTTPS 1 \. \(': invalid ECHConfigList"):
        Zone.from_text(text, ORIGIN, source="export.zone")


def test_import_exits_2_with_that_line(tmp_path):
    zone = tmp_path / "export.zone"
    zone.write_text(f"$ORIGIN nordlys-tekstil.dk.\n$TTL 300\n@ IN A 192.0.2.1\n{ECH}\n")
    result = subprocess.run([sys.executable, "-m", "migrate", "import", str(EXAMPLE), "--from", "zonefile", str(zone)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"{zone}:4: dnspython cannot read the record" in line and "ech=AEX+DQBB" in line
