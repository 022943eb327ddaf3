"""The spec: validated shape, one-line errors naming file and key, names resolved."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migrate import spec as spec_module
from migrate.errors import BadInput

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "migration.yaml"


@pytest.fixture
def data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def parse(data: dict, name: str = "migration.yaml"):
    return spec_module.parse(data, Path(name))


def error_of(data: dict) -> str:
    with pytest.raises(BadInput) as info:
        parse(data)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("migration.yaml: ")
    return message


def test_example_loads():
    spec = spec_module.load(EXAMPLE)
    assert spec.domain == "nordlys-tekstil.dk."
    assert spec.dns.nameservers == ["ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."]
    assert spec.resolve_path(spec.dns.zone_file) == EXAMPLE.parent / "zones" / "nordlys-tekstil.dk.zone"
    assert spec.default_state() == EXAMPLE.parent / ".migrate"


def test_unknown_key_names_the_key(data):
    data["dns"]["recrods"] = []
    assert error_of(data) == "migration.yaml: dns.recrods: unknown key"


def test_wrong_type_names_the_key(data):
    data["dns"]["default_ttl"] = "an hour"
    assert "dns.default_ttl:" in error_of(data)


def test_invalid_domain(data):
    data["domain"] = "not a domain"
    assert "domain: 'not a domain' is not a domain name" in error_of(data)


def test_unknown_preset(data):
    data["mail"]["provider"] = "hotmail"
    message = error_of(data)
    assert "mail.provider: unknown preset 'hotmail'" in message and "google-workspace" in message


def test_custom_provider_without_mx(data):
    data["mail"] = {"provider": "custom", "spf": "v=spf1 include:_spf.example.net -all"}
    assert "mail.mx: a custom provider needs at least one MX record" in error_of(data)


def test_preset_lacking_a_tenant_value(data):
    del data["mail"]["verification"]
    assert "mail.verification: google-workspace needs" in error_of(data)
    data = yaml.safe_load(EXAMPLE.read_text())
    data["mail"] = {"provider": "proton", "verification": "abc"}
    assert "mail.dkim_id: proton needs" in error_of(data)


def test_cutover_without_time_zone(data):
    data["cutover"] = "2027-01-15T07:00:00"
    assert "cutover: needs a time zone offset" in error_of(data)


def test_bad_record_value_names_its_index(data):
    data["dns"]["records"].append({"name": "mail", "type": "MX", "value": "ten mx.example.net"})
    assert "dns.records[1]: MX value 'ten mx.example.net' is not valid" in error_of(data)


def test_record_outside_the_domain(data):
    data["dns"]["records"].append({"name": "www.example.com.", "type": "A", "value": "192.0.2.1"})
    assert "dns.records[1]: 'www.example.com.' is outside the zone" in error_of(data)


def test_several_problems_are_reported_together(data):
    data["bogus"] = 1
    data["mail"]["provider"] = "nope"
    message = error_of(data)
    assert "bogus: unknown key" in message and "mail.provider" in message


def test_idn_domain_is_used_as_a_labels(data):
    data["domain"] = "blåbær.dk"
    data["dns"]["zone_file"] = None
    data["mail"]["dmarc"] = "v=DMARC1; p=none"
    spec = parse(data)
    assert spec.domain == "xn--blbr-roah.dk."
    record = spec.dns.records[0].rrset(spec.domain, 3600)
    assert record.name == "www.xn--blbr-roah.dk."


def test_relative_names_resolve(data):
    spec = parse(data)
    assert spec.dns.records[0].rrset(spec.domain, 3600).name == "www.nordlys-tekstil.dk."
    dkim = spec.mail.dkim[0].rrset(spec.domain, 3600)
    assert dkim.name == "google._domainkey.nordlys-tekstil.dk."


def test_unquoted_txt_value_is_one_string(data):
    spec = parse(data)
    dkim = spec.mail.dkim[0].rrset(spec.domain, 3600)
    from migrate.zone import txt_value

    (rdata,) = dkim.rdatas
    assert txt_value(rdata) == data["mail"]["dkim"][0]["value"]


def test_durations_and_endpoints(data):
    data["gate"]["min_soak"] = "2d12h"
    data["verify"]["resolvers"] = ["127.0.0.1:5353", "[2001:db8::1]:53"]
    spec = parse(data)
    assert spec.gate.min_soak.total_seconds() == 60 * 3600
    data["verify"]["resolvers"] = ["dns.google"]
    assert "verify.resolvers[0]" in error_of(data)
    data = yaml.safe_load(EXAMPLE.read_text())
    data["gate"]["min_soak"] = "soon"
    assert "gate.min_soak" in error_of(data)


def test_file_level_errors(tmp_path):
    with pytest.raises(BadInput, match="spec file not found"):
        spec_module.load(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ndomain: [unclosed\n")
    with pytest.raises(BadInput, match=r"broken.yaml: not valid YAML at line \d+"):
        spec_module.load(broken)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string\n")
    with pytest.raises(BadInput, match="must be a mapping"):
        spec_module.load(scalar)


def test_wrong_version(data):
    data["version"] = 2
    assert "version:" in error_of(data)


def test_time_zone_name(data):
    data["timezone"] = "Mars/Olympus"
    assert "timezone: 'Mars/Olympus' is not an IANA time zone" in error_of(data)


def test_local_keeps_dates_and_moves_moments_to_the_display_zone(data):
    from datetime import date, datetime, timezone

    spec = parse(data)
    assert spec.local(date(2027, 3, 1)) == date(2027, 3, 1)
    moved = spec.local(datetime(2027, 1, 15, 6, 0, tzinfo=timezone.utc))
    assert moved.utcoffset().total_seconds() == 3600 and moved.hour == 7
    assert spec.local(datetime(2027, 7, 1, 9, 0)).utcoffset().total_seconds() == 7200


def test_sender_on_an_idn_domain_is_written_as_its_a_label(data):
    data["notify"]["from"] = "IT Blåbær <it@blåbær.dk>"
    assert parse(data).notify.from_ == "IT Blåbær <it@xn--blbr-roah.dk>"
    data["notify"]["from"] = "it@blå bær.dk"
    assert "notify.from: 'it@blå bær.dk' is not an address" in error_of(data)
