"""Record types beyond the common ones, through the whole pipeline: spec or zone file → plan → lint → Cloudflare records.

A type the DNS host cannot hold must show up in `migrate plan` (lint error),
not first as a failure in `pulumi up`; a type it can hold must be converted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from migrate import lint, plan, spec as spec_module
from migrate.errors import BadInput
from migrate.zone import Zone

from tests.helpers.examples import EXAMPLE, EXAMPLE_ZONE as ZONE, STACKS

sys.path.insert(0, str(STACKS))
import cloudflare_records  # noqa: E402

EXTRA = """\
geo 3600 IN LOC 52 22 23.500 N 4 53 32.000 W -2.00m 1m 10000m 10m
_443._tcp.www 3600 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
@ 3600 IN SSHFP 1 1 0123456789abcdef0123456789abcdef01234567
sub 3600 IN NS ns.elsewhere.net.
sub 3600 IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
voip 3600 IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp.nordlys-tekstil.dk.
_ftp._tcp 3600 IN URI 10 1 "ftp://ftp.nordlys-tekstil.dk/public"
"""


def planned(tmp_path: Path, extra: str, host: str = "cloudflare"):
    data = yaml.safe_load(EXAMPLE.read_text())
    (tmp_path / "current.zone").write_text(ZONE.read_text() + extra)
    data["dns"]["zone_file"] = "current.zone"
    if host == "rfc2136":
        data["dns"]["host"] = "rfc2136"
        data["dns"]["rfc2136"] = {"server": "192.0.2.53", "key_name": "m365-exit-update"}
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return plan.build(spec_module.load(path))


def by_type(records, rtype):
    return [r for r in records if r.type == rtype]


def test_types_cloudflare_holds_are_converted(tmp_path):
    # LOC, TLSA, SSHFP, DS, NAPTR and URI raised BadInput in `pulumi up`.
    result = planned(tmp_path, EXTRA)
    assert not [f for f in lint.lint(result) if f.rule == "host.unsupported-type"]
    records = cloudflare_records.records(result.desired)
    (loc,) = by_type(records, "LOC")
    assert loc.data == {
        "lat_degrees": 52, "lat_minutes": 22, "lat_seconds": 23.5, "lat_direction": "N",
        "long_degrees": 4, "long_minutes": 53, "long_seconds": 32.0, "long_direction": "W",
        "altitude": -2.0, "size": 1.0, "precision_horz": 10000.0, "precision_vert": 10.0,
    }
    (tlsa,) = by_type(records, "TLSA")
    assert tlsa.name == "_443._tcp.www.nordlys-tekstil.dk"
    assert tlsa.data == {"usage": 3, "selector": 1, "matching_type": 1, "certificate": "0123456789abcdef" * 4}
    (sshfp,) = by_type(records, "SSHFP")
    assert sshfp.data == {"algorithm": 1, "type": 1, "fingerprint": "0123456789abcdef0123456789abcdef01234567"}
    (ds,) = by_type(records, "DS")
    assert ds.data == {"key_tag": 12345, "algorithm": 13, "digest_type": 2, "digest": "0123456789abcdef" * 4}
    (naptr,) = by_type(records, "NAPTR")
    assert naptr.data == {"order": 100, "preference": 10, "flags": "S", "service": "SIP+D2U", "regex": "", "replacement": "_sip._udp.nordlys-tekstil.dk"}
    (uri,) = by_type(records, "URI")
    assert uri.priority == 10 and uri.data == {"weight": 1, "target": "ftp://ftp.nordlys-tekstil.dk/public"}


@pytest.mark.parametrize(
    "line",
    ['@ 3600 IN SPF "v=spf1 mx -all"', '@ 3600 IN HINFO "PC" "Linux"', "odd 3600 IN TYPE65400 \\# 3 010203", "rp 3600 IN RP mbox.nordlys-tekstil.dk. ."],
)
def test_a_type_cloudflare_cannot_hold_is_a_lint_error_in_plan(tmp_path, line):
    result = planned(tmp_path, line + "\n")
    findings = [f for f in lint.lint(result) if f.rule == "host.unsupported-type"]
    assert len(findings) == 1 and findings[0].level == "error"
    assert "cloudflare" in findings[0].message
    # the plan does not carry it, and says why
    (dropped,) = [d for d in result.dropped if d.rule == "host.unsupported-type"]
    assert result.desired.get(*dropped.rrset.key) is None
    assert dropped.reason == f"the DNS host cloudflare cannot hold {dropped.rrset.rdtype} records"
    # and the records it is given are refused with the same words rather than something obscure
    with pytest.raises(BadInput, match="Cloudflare"):
        cloudflare_records.records(Zone(result.desired.origin, [dropped.rrset]))


def test_rfc2136_hosts_take_any_type(tmp_path):
    result = planned(tmp_path, '@ 3600 IN HINFO "PC" "Linux"\n', host="rfc2136")
    assert not [f for f in lint.lint(result) if f.rule == "host.unsupported-type"]
