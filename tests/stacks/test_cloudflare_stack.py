"""The Pulumi program under Pulumi's mock runtime (the CLI cannot run here).

The program is run as the language host runs it (runpy on stacks/__main__.py)
with the spec path in stack config; the mocks record every resource.
"""

from __future__ import annotations

from migrate import footprint, plan, spec as spec_module
from tests.helpers.examples import EXAMPLE
from tests.helpers.pulumi_mocks import run_program

DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"


def expected_records():
    spec = spec_module.load(EXAMPLE)
    desired = plan.desired_zone(spec)
    expected = []
    for rrset in desired:
        if rrset.rdtype == "NS" and rrset.name == desired.origin:
            continue
        expected += [(rrset.name.rstrip("."), rrset.rdtype, rdata, rrset.ttl) for rdata in rrset.sorted_rdatas()]
    return spec, desired, expected


def test_every_desired_record_is_declared_exactly_once(event_loop_for_pulumi):
    mocks = run_program({"m365-exit:spec": str(EXAMPLE), "m365-exit:zoneId": "zone-123"}, event_loop_for_pulumi)
    records = [r for r in mocks.resources.values() if r["resource_type"] == DNS_RECORD]
    _, _, expected = expected_records()
    assert len(records) == len(expected)
    seen = {}
    for name, rdtype, rdata, ttl in expected:
        matches = [r for r in records if r["name"] == name and r["type"] == rdtype and _content_matches(r, rdtype, rdata)]
        assert len(matches) == 1, (name, rdtype, rdata)
        record = matches[0]
        assert record["zoneId"] == "zone-123"
        assert record["ttl"] == (1 if record["proxied"] else ttl)
        seen[(name, rdtype, rdata)] = record
    mx = seen[("nordlys-tekstil.dk", "MX", "1 smtp.google.com.")]
    assert mx["content"] == "smtp.google.com" and mx["priority"] == 1
    srv = seen[("_sip._udp.nordlys-tekstil.dk", "SRV", "10 60 5060 voip.telefoni-partner.dk.")]
    assert srv["data"] == {"priority": 10, "weight": 60, "port": 5060, "target": "voip.telefoni-partner.dk"}
    caa = seen[("nordlys-tekstil.dk", "CAA", '0 issue "letsencrypt.org"')]
    assert caa["data"] == {"flags": 0, "tag": "issue", "value": "letsencrypt.org"}
    spf = [r for r in records if r["type"] == "TXT" and "v=spf1" in r["content"]]
    assert [r["content"] for r in spf] == ['"v=spf1 include:servers.mcsv.net include:_spf.google.com -all"']
    www = seen[("www.nordlys-tekstil.dk", "CNAME", "nordlys-tekstil.dk.")]
    assert www["proxied"] is True and www["ttl"] == 1


def test_no_microsoft_365_record_is_declared(event_loop_for_pulumi):
    mocks = run_program({"m365-exit:spec": str(EXAMPLE), "m365-exit:zoneId": "zone-123"}, event_loop_for_pulumi)
    spec = spec_module.load(EXAMPLE)
    records = [r for r in mocks.resources.values() if r["resource_type"] == DNS_RECORD]
    assert records
    for record in records:
        rrset = _as_rrset(record)
        assert footprint.classify(rrset, spec.domain).removed is None, record
    names = {r["name"] for r in records}
    assert "autodiscover.nordlys-tekstil.dk" not in names
    assert "selector1._domainkey.nordlys-tekstil.dk" not in names


def test_zone_is_looked_up_by_name_without_an_id(event_loop_for_pulumi):
    mocks = run_program({"m365-exit:spec": str(EXAMPLE)}, event_loop_for_pulumi)
    lookups = [args for token, args in mocks.calls if token == "cloudflare:index/getZone:getZone"]
    assert lookups == [{"filter": {"name": "nordlys-tekstil.dk", "match": "all"}}]
    records = [r for r in mocks.resources.values() if r["resource_type"] == DNS_RECORD]
    assert {r["zoneId"] for r in records} == {"zone-123"}


def test_mail_names_are_never_proxied(event_loop_for_pulumi, tmp_path):
    text = EXAMPLE.read_text().replace(
        "    - {name: www, type: CNAME, value: nordlys-tekstil.dk, ttl: 300, proxied: true}",
        "    - {name: www, type: CNAME, value: nordlys-tekstil.dk, ttl: 300, proxied: true}\n"
        "    - {name: autodiscover, type: CNAME, value: mail.example.net, proxied: true}",
    ).replace("zones/", str(EXAMPLE.parent / "zones") + "/")
    spec_path = tmp_path / "migration.yaml"
    spec_path.write_text(text)
    mocks = run_program({"m365-exit:spec": str(spec_path), "m365-exit:zoneId": "zone-123"}, event_loop_for_pulumi)
    auto = [r for r in mocks.resources.values() if r.get("name") == "autodiscover.nordlys-tekstil.dk"]
    assert len(auto) == 1 and auto[0]["proxied"] is False and auto[0]["ttl"] == 3600


def _content_matches(record: dict, rdtype: str, rdata: str) -> bool:
    return _as_rrset(record).rdatas == {rdata}


def _as_rrset(record: dict):
    """Turn a declared Cloudflare record back into an RRset, independently of the stack code."""
    from migrate.zone import RRset

    rdtype, data = record["type"], record.get("data")
    if rdtype == "MX":
        value = f"{int(record['priority'])} {record['content']}."
    elif rdtype == "SRV":
        value = f"{int(data['priority'])} {int(data['weight'])} {int(data['port'])} {data['target']}."
    elif rdtype == "CAA":
        value = f'{int(data["flags"])} {data["tag"]} "{data["value"]}"'
    elif rdtype in ("CNAME", "NS", "PTR"):
        value = record["content"] + "."
    else:
        value = record["content"]
    return RRset.build(record["name"] + ".", rdtype, int(record["ttl"]), [value])
