"""The Pulumi programs (under Pulumi's mocks) on zones with TXT strings of every shape,
DNSSEC records and other people's zone files: what they declare is dnspython's
reading of the input, record for record; what the host cannot hold stops the run."""

from __future__ import annotations

import base64
import secrets

import pulumi
import pytest

from migrate.zone import HOST_MANAGED
from tests.helpers.pulumi_mocks import run_program
from tests.helpers.zone_files import (
    STRINGS, STRINGS_DOMAIN, STRINGS_UNHELD, ZONES, dnspython_example, reference, spec_for, wire, written_by_the_move,
)

DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"


def held_by_cloudflare(text: str) -> str:
    unheld = {rdtype for _, rdtype in STRINGS_UNHELD}
    return "\n".join(line for line in text.splitlines() if not unheld & set(line.split()))


@pytest.mark.parametrize(("text", "domain"), [(held_by_cloudflare(STRINGS), STRINGS_DOMAIN), ((ZONES / "nsd-dnssec_rrsig_ds.zone").read_text(), "example.com.")])
def test_cloudflare_gets_each_txt_record_with_its_strings(event_loop_for_pulumi, tmp_path, text, domain):
    spec = spec_for(tmp_path, text, domain.rstrip("."))
    mocks = run_program({"m365-exit:spec": str(spec.path), "m365-exit:zoneId": "zone-123"}, event_loop_for_pulumi)
    declared = [r for r in mocks.resources.values() if r["resource_type"] == DNS_RECORD]
    moved = written_by_the_move(domain)
    for (name, rdtype), (ttl, data) in reference(text, domain).items():
        if rdtype != "TXT" or (name, rdtype) in moved:
            continue
        records = [r for r in declared if (r["name"] + ".", r["type"]) == (name, rdtype)]
        # one Cloudflare record per rdata, its content the quoted strings ("a" "b"), as Cloudflare's API takes them
        assert wire(rdtype, [r["content"] for r in records]) == data and len(records) == len(data), name
        assert {r["ttl"] for r in records} == {ttl}
    assert not [r for r in declared if r["type"] in HOST_MANAGED]


def test_cloudflare_run_stops_on_records_it_cannot_hold(event_loop_for_pulumi, tmp_path):
    spec = spec_for(tmp_path, STRINGS, "example.dk")
    with pytest.raises(pulumi.RunError) as info:
        run_program({"m365-exit:spec": str(spec.path), "m365-exit:zoneId": "zone-123"}, event_loop_for_pulumi)
    for name, rdtype in STRINGS_UNHELD:
        assert f"{name} {rdtype}" in str(info.value)
    assert "host.unsupported-type" in str(info.value)


@pytest.mark.parametrize(("text", "domain"), [(STRINGS, STRINGS_DOMAIN), (dnspython_example(), "example.test.")])
def test_rfc2136_gets_every_carried_set_as_dnspython_read_it(event_loop_for_pulumi, tmp_path, monkeypatch, text, domain):
    monkeypatch.setenv("M365_EXIT_TSIG_SECRET", base64.b64encode(secrets.token_bytes(32)).decode())
    spec = spec_for(tmp_path, text, domain.rstrip("."), "rfc2136")
    mocks = run_program({"m365-exit:spec": str(spec.path)}, event_loop_for_pulumi)
    declared = {(r["name"], r["type"]): r for r in mocks.resources.values()}
    moved = written_by_the_move(domain)
    for (name, rdtype), (ttl, data) in reference(text, domain).items():
        if rdtype in HOST_MANAGED:
            assert (name, rdtype) not in declared
            continue
        if (name, rdtype) in moved:
            continue
        resource = declared[(name, rdtype)]
        assert wire(rdtype, resource["rdatas"]) == data and resource["ttl"] == ttl, (name, rdtype)
