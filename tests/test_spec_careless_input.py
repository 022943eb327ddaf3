"""Hostile and careless specs (and facts files): each one line naming the file and the key, exit 2,
nothing silently guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migrate import spec as spec_module
from migrate.errors import BadInput
from migrate.gate import facts as facts_module

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "migration.yaml"
FACTS = EXAMPLE.parent / "facts.yaml"


@pytest.fixture
def data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def error_of(data: dict) -> str:
    with pytest.raises(BadInput) as info:
        spec_module.parse(data, Path("migration.yaml"))
    message = str(info.value)
    assert "\n" not in message and message.startswith("migration.yaml: ")
    return message


# -- YAML ---------------------------------------------------------------------------


def test_a_duplicate_key_is_an_error_naming_the_key_and_line(tmp_path):
    # YAML keeps the last of two equal keys: a second `domain:` pasted at the end
    # would silently move the whole migration to another domain.
    path = tmp_path / "migration.yaml"
    path.write_text(EXAMPLE.read_text() + "\ndomain: other.dk\n")
    with pytest.raises(BadInput) as info:
        spec_module.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "duplicate key 'domain'" in message and "line" in message


def test_a_duplicate_nested_key_is_an_error(tmp_path):
    path = tmp_path / "migration.yaml"
    path.write_text(EXAMPLE.read_text().replace("  host: cloudflare\n", "  host: cloudflare\n  host: rfc2136\n"))
    with pytest.raises(BadInput, match="duplicate key 'host'"):
        spec_module.load(path)


def test_a_duplicate_key_in_the_facts_file_is_an_error(tmp_path):
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS.read_text() + "\ndomain_removed: true\n")
    with pytest.raises(BadInput, match="duplicate key 'domain_removed'"):
        facts_module.load(path)


def test_anchors_and_merge_keys_still_work(tmp_path):
    path = tmp_path / "migration.yaml"
    text = EXAMPLE.read_text().replace(
        "  records:\n", "  records:\n    - &web {name: shop, type: A, value: 192.0.2.1}\n    - {<<: *web, name: shop2}\n"
    )
    path.write_text(text)
    loaded = spec_module.load(path)
    assert [r.name for r in loaded.dns.records][:2] == ["shop", "shop2"]


# -- types ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [12345, 1.5, True])
def test_cutover_must_be_a_date_and_time_not_a_number(data, value):
    # pydantic reads a number as seconds since 1970: cutover 12345 was 1970-01-01T03:25:45Z.
    data["cutover"] = value
    assert "cutover:" in error_of(data)


@pytest.mark.parametrize(
    ("where", "set_value"),
    [
        ("dns.records[0].ttl", lambda d: d["dns"].update(records=[{"name": "www2", "type": "A", "value": "192.0.2.1", "ttl": True}])),
        ("dns.default_ttl", lambda d: d["dns"].update(default_ttl=False)),
        ("mail.mx[0].priority", lambda d: d.update(mail={"provider": "custom", "mx": [{"priority": True, "host": "mx.example.net"}]})),
    ],
)
def test_true_or_false_is_not_a_number(data, where, set_value):
    # `ttl: true` silently became a TTL of 1 second.
    set_value(data)
    assert f"{where}:" in error_of(data)


# -- names in the spec (names.* itself: tests/test_names.py) ----------------------------


def test_custom_mx_pointing_at_an_address_is_rejected(data):
    data["mail"] = {"provider": "custom", "mx": [{"priority": 10, "host": "192.0.2.25"}]}
    message = error_of(data)
    assert "mail.mx[0].host:" in message and "address" in message


def test_custom_mx_with_an_empty_host_is_rejected(data):
    # "" became "." : a null MX, "this domain takes no mail".
    data["mail"] = {"provider": "custom", "mx": [{"priority": 10, "host": ""}]}
    assert "mail.mx[0].host:" in error_of(data)


def test_a_name_server_given_as_an_address_is_rejected(data):
    data["dns"]["nameservers"] = ["192.0.2.53", "ns2.example.net"]
    assert "dns.nameservers[0]:" in error_of(data)


# -- records that are not the spec's to declare -----------------------------------------


@pytest.mark.parametrize(
    ("rtype", "value"),
    [
        ("SOA", "ns.example.net. hostmaster.example.dk. 1 3600 600 86400 300"),
        ("RRSIG", "A 13 3 300 20270101000000 20260101000000 12345 example.dk. bm90IGEgc2lnbmF0dXJl"),
        ("DNSKEY", "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
        ("NSEC", "www.nordlys-tekstil.dk. A RRSIG NSEC"),
    ],
)
def test_host_managed_types_in_records_are_rejected(data, rtype, value):
    data["dns"]["records"] = [{"name": "@", "type": rtype, "value": value}]
    message = error_of(data)
    assert "dns.records[0].type:" in message and rtype in message and "DNS host" in message


def test_apex_ns_in_records_is_rejected_in_favour_of_dns_nameservers(data):
    # It silently replaced dns.nameservers, which verify and the registrar change still use.
    data["dns"]["records"] = [{"name": "@", "type": "NS", "value": "ns.elsewhere.net"}]
    message = error_of(data)
    assert "dns.records[0]:" in message and "dns.nameservers" in message


def test_a_delegation_below_the_apex_is_fine(data):
    data["dns"]["records"] = [{"name": "lab", "type": "NS", "value": "ns.elsewhere.net"}]
    loaded = spec_module.parse(data, Path("migration.yaml"))
    # accepted as written: an NS set at lab.<domain>, its target absolute
    (record,) = loaded.dns.records
    rrset = record.rrset(loaded.domain, 300)
    assert (rrset.name, rrset.rdtype, rrset.rdatas) == ("lab.nordlys-tekstil.dk.", "NS", {"ns.elsewhere.net."})


def test_a_txt_value_too_long_for_dns_is_rejected(data):
    # One rdata holds at most 65535 bytes; the split strings were accepted and failed at the host.
    data["dns"]["records"] = [{"name": "big", "type": "TXT", "value": "x" * 70000}]
    message = error_of(data)
    assert "dns.records[0]:" in message and "65535" in message


def test_a_long_txt_value_within_the_limit_is_split(data):
    data["dns"]["records"] = [{"name": "big", "type": "TXT", "value": "x" * 60000}]
    loaded = spec_module.parse(data, Path("migration.yaml"))
    rrset = loaded.dns.records[0].rrset(loaded.domain, 300)
    assert len(next(iter(rrset.rdatas))) > 60000


# -- Graph: the client secret never travels in clear --------------------------------


@pytest.mark.parametrize("key", ["endpoint", "authority"])
@pytest.mark.parametrize("url", ["http://graph.example.com/v1.0", "not a url", "ftp://graph.example.com", "https://"])
def test_graph_urls_must_be_https(data, key, url):
    data["source"]["graph"] = {"tenant_id": "t", "client_id": "c", key: url}
    message = error_of(data)
    assert f"source.graph.{key}:" in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://[::1]:8080/v1.0", "http://localhost:9/x", "https://graph.microsoft.us/v1.0"])
def test_graph_urls_may_be_loopback_http_or_https(data, url):
    data["source"]["graph"] = {"tenant_id": "t", "client_id": "c", "endpoint": url, "authority": url}
    graph = spec_module.parse(data, Path("migration.yaml")).source.graph
    # accepted and kept as written: the client signs in and calls exactly there
    assert (graph.endpoint, graph.authority) == (url, url)


def test_graph_tenant_id_cannot_change_the_sign_in_path(data):
    data["source"]["graph"] = {"tenant_id": "../../evil?x=", "client_id": "c"}
    assert "source.graph.tenant_id:" in error_of(data)
