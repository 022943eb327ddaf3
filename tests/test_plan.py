"""The plan: desired = current − Microsoft 365 + provider + overrides, with the new NS."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migrate import plan, spec as spec_module
from migrate.zone import Zone, txt_value

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "migration.yaml"


def load(mutate=None, zone_text: str | None = None, tmp_path: Path | None = None):
    data = yaml.safe_load(EXAMPLE.read_text())
    if zone_text is not None:
        zone_path = tmp_path / "current.zone"
        zone_path.write_text(zone_text)
        data["dns"]["zone_file"] = str(zone_path)
    if mutate:
        mutate(data)
    return spec_module.parse(data, EXAMPLE)


def apex_txt(zone: Zone) -> set[str]:
    return {txt_value(t) for t in zone.get(zone.origin, "TXT").rdatas}


def test_example_plan_removes_microsoft_and_keeps_the_rest():
    result = plan.build(spec_module.load(EXAMPLE))
    desired = result.desired
    d = "nordlys-tekstil.dk."
    assert desired.get(d, "NS").rdatas == {"ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."}
    assert desired.get(d, "MX").rdatas == {"1 smtp.google.com."}
    assert apex_txt(desired) == {
        "v=spf1 include:servers.mcsv.net include:_spf.google.com -all",
        "google-site-verification=4kTz9pQw2Lr8sVb1nXc7yHd3fJm6gKa0eUi5oPl2qRs",
    }
    for kept in [("www." + d, "CNAME"), (d, "A"), (d, "CAA"), ("_sip._udp." + d, "SRV"), ("shop." + d, "A"), ("k1._domainkey." + d, "TXT")]:
        assert desired.get(*kept), kept
    for gone in ["autodiscover", "selector1._domainkey", "selector2._domainkey", "sip", "lyncdiscover", "enterpriseregistration", "enterpriseenrollment", "_sip._tls", "_sipfederationtls._tcp"]:
        assert not desired.at(f"{gone}.{d}"), gone
    assert desired.get("google._domainkey." + d, "TXT")
    assert not desired.get(d, "SOA")
    removed = {r.rrset.key for r in result.microsoft365}
    assert ("autodiscover." + d, "CNAME") in removed and (d, "MX") in removed


def test_overrides_replace_carried_records():
    result = plan.build(load(lambda d: d["dns"]["records"].append({"name": "shop", "type": "A", "value": ["192.0.2.1", "192.0.2.2"], "ttl": 120})))
    shop = result.desired.get("shop.nordlys-tekstil.dk.", "A")
    assert shop.rdatas == {"192.0.2.1", "192.0.2.2"} and shop.ttl == 120


def test_spec_spf_overrides_everything():
    result = plan.build(load(lambda d: d["mail"].update(spf="v=spf1 include:_spf.google.com -all")))
    assert "v=spf1 include:_spf.google.com -all" in apex_txt(result.desired)
    assert not any("mcsv" in t for t in apex_txt(result.desired))


def test_new_spf_when_there_was_none(tmp_path):
    zone = "@ 3600 IN MX 0 x-dk.mail.protection.outlook.com.\n@ 3600 IN TXT \"v=spf1 include:spf.protection.outlook.com -all\"\n"
    result = plan.build(load(zone_text=zone, tmp_path=tmp_path))
    spfs = [t for t in apex_txt(result.desired) if t.startswith("v=spf1")]
    assert spfs == ["v=spf1 include:_spf.google.com ~all"]


def test_custom_provider(tmp_path):
    def custom(d):
        d["mail"] = {"provider": "custom", "mx": [{"priority": 10, "host": "mx1.example.net"}, {"priority": 20, "host": "mx2.example.net."}], "spf": "v=spf1 mx -all"}

    result = plan.build(load(custom))
    assert result.desired.get("nordlys-tekstil.dk.", "MX").rdatas == {"10 mx1.example.net.", "20 mx2.example.net."}


def test_every_preset_plans(tmp_path):
    from migrate import presets

    for preset_id, preset in presets.PRESETS.items():
        def choose(d, preset_id=preset_id, preset=preset):
            d["mail"] = {"provider": preset_id, "verification": "token123", "dkim_id": "abc123"}
            if "dkim" in preset.needs:
                d["mail"]["dkim"] = [{"name": "sel._domainkey", "type": "TXT", "value": "v=DKIM1; p=KEY"}]

        result = plan.build(load(choose))
        mx = result.desired.get("nordlys-tekstil.dk.", "MX")
        assert {r.split()[1] for r in mx.rdatas} == {h.format(domain="nordlys-tekstil.dk") + "." for _, h in preset.mx}, preset_id
        spf = [t for t in apex_txt(result.desired) if t.startswith("v=spf1")]
        assert spf and f"include:{preset.spf_include}" in spf[0], preset_id
        if preset.verification:
            owners = [r for r in result.desired if any("token123" in v for v in r.values()) or "token123" in r.name]
            assert owners, preset_id
        for template in () if "dkim" in preset.needs else preset.dkim:
            owner = template.name.lower() + ".nordlys-tekstil.dk."
            assert result.desired.get(owner, template.rdtype), (preset_id, owner)


def test_verification_prefix_is_not_doubled():
    result = plan.build(load(lambda d: d["mail"].update(verification="google-site-verification=abc")))
    assert "google-site-verification=abc" in apex_txt(result.desired)


def test_diff_lists_removed_added_changed():
    result = plan.build(spec_module.load(EXAMPLE))
    changes = result.diff()
    removed = {r.key[0] for r in changes.removed}
    added = {r.key[0] for r in changes.added}
    changed = {old.key for old, _ in changes.changed}
    assert "autodiscover.nordlys-tekstil.dk." in removed
    assert "google._domainkey.nordlys-tekstil.dk." in added
    assert ("nordlys-tekstil.dk.", "MX") in changed and ("nordlys-tekstil.dk.", "NS") in changed
    assert all(r.rdtype != "SOA" for r in changes.removed)
    assert ("vpn.nordlys-tekstil.dk.", "A") not in changed


def test_no_zone_file_means_empty_current():
    result = plan.build(load(lambda d: d["dns"].update(zone_file=None)))
    assert len(result.current) == 0
    assert result.desired.get("nordlys-tekstil.dk.", "MX")


def test_dmarc_from_spec_replaces_current(tmp_path):
    result = plan.build(load(lambda d: d["mail"].update(dmarc="v=DMARC1; p=reject")))
    dmarc = result.desired.get("_dmarc.nordlys-tekstil.dk.", "TXT")
    assert {txt_value(t) for t in dmarc.rdatas} == {"v=DMARC1; p=reject"}


@pytest.mark.parametrize("host", ["mx1.example.net", "MX1.EXAMPLE.NET."])
def test_mx_hosts_are_absolute_whatever_the_spelling(host):
    result = plan.build(load(lambda d: d.update(mail={"provider": "custom", "mx": [{"priority": 5, "host": host}]})))
    assert result.desired.get("nordlys-tekstil.dk.", "MX").rdatas == {"5 mx1.example.net."}
