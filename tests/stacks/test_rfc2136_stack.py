"""The RFC 2136 provider: its methods against a real Knot taking TSIG-signed
updates, the provider pickled and run in another process as Pulumi's provider
host runs it, and the program under Pulumi's mocks with `dns.host: rfc2136`.

Lab tests FAIL (never skip) when the lab cannot start; the message names the fix.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import dns.rdatatype
import pytest
import yaml

from migrate import footprint, importer, plan, spec as spec_module
from migrate.endpoint import Endpoint
from migrate.errors import BadInput, MigrateError
from migrate.lab import LabZone, Server, TsigKey, WorldSpec
from migrate.verify.query import Querier
from migrate.zone import RRset, Zone, txt_rdata_text
from tests.helpers.examples import ROOT, STACKS
from tests.helpers.pulumi_mocks import run_program
from tests.helpers.zone_files import STRINGS, as_reference, reference, spec_for, written_by_the_move

sys.path.insert(0, str(STACKS))
import rfc2136_stack  # noqa: E402
from pulumi.dynamic.dynamic import serialize_provider  # noqa: E402

ZONE = "example.dk."
KEY = "m365-exit-update."
SECRET_ENV = "M365_EXIT_TEST_TSIG_SECRET"


# -- helpers -------------------------------------------------------------------------------


def start_zone(lab_world, content: Zone | None = None):
    """One Knot server serving example.dk. with a TSIG key allowed to update it."""
    key = TsigKey.generate(KEY)
    zone = content or Zone(
        ZONE,
        [
            RRset.build("www." + ZONE, "A", 60, ["192.0.2.1"]),
            RRset.build(ZONE, "MX", 60, ["0 example-dk.mail.protection.outlook.com."]),
        ],
    )
    spec = WorldSpec(
        servers=[Server("host", hostnames=("ns1." + ZONE,))],
        zones=[LabZone(ZONE, ["host"], content=zone, tsig=key, delegated=False)],
    )
    return lab_world(spec), key


def served(world, name: str, rdtype: str) -> tuple[int | None, set[str]]:
    """(TTL, rdata texts) the server answers, asked over TCP without recursion."""
    response = world.query("host", name, rdtype, tcp=True)
    wanted = dns.rdatatype.from_text(rdtype)
    for rrset in response.answer:
        if rrset.rdtype == wanted and rrset.name.to_text().lower() == name:
            return rrset.ttl, {rdata.to_text() for rdata in rrset}
    return None, set()


def props(world, name: str, rdtype: str, ttl: int, rdatas: list[str], **overrides) -> dict:
    base = {
        "server": world.address("host"),
        "zone": ZONE,
        "key_name": KEY,
        "key_algorithm": "hmac-sha256",
        "secret_env": SECRET_ENV,
        "timeout": 5.0,
        "name": name,
        "type": rdtype,
        "ttl": ttl,
        "rdatas": rdatas,
    }
    base.update(overrides)
    return base


@pytest.fixture
def provider():
    return rfc2136_stack.Rfc2136Provider()


@pytest.fixture
def secret_env(monkeypatch):
    """Put a key's secret in the environment variable the inputs name."""

    def put(key: TsigKey) -> None:
        monkeypatch.setenv(SECRET_ENV, key.secret)

    return put


def checked(provider, raw: dict) -> dict:
    result = provider.check({}, raw)
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def assert_one_line(exc: MigrateError, *parts: str) -> str:
    text = str(exc)
    assert "\n" not in text and text.strip() == text
    for part in parts:
        assert part in text, (part, text)
    return text


# -- the provider against Knot ---------------------------------------------------------------


def test_create_serves_the_rrset_and_replaces_what_was_there(lab_world, provider, secret_env):
    world, key = start_zone(lab_world)
    secret_env(key)
    inputs = checked(provider, props(world, "WWW.example.dk", "A", 120, ["192.0.2.8", "192.0.2.7"]))
    assert inputs["name"] == "www.example.dk." and inputs["rdatas"] == ["192.0.2.7", "192.0.2.8"]

    created = provider.create(inputs)

    assert served(world, "www." + ZONE, "A") == (120, {"192.0.2.7", "192.0.2.8"})  # the old 192.0.2.1 is gone
    assert created.outs == inputs
    assert created.id == f"{world.address('host')}/{ZONE}/www.{ZONE}/A"
    # a new name, and a TXT longer than one 255-byte string, read back whole over TCP
    long_value = txt_rdata_text("v=DKIM1; k=rsa; p=" + "A" * 400)
    dkim = checked(provider, props(world, "sel._domainkey." + ZONE, "TXT", 60, [long_value]))
    provider.create(dkim)
    read = provider.read("", dkim)
    assert read.id == f"{world.address('host')}/{ZONE}/sel._domainkey.{ZONE}/TXT"
    assert read.outs["rdatas"] == [long_value] and read.outs["ttl"] == 60


def test_update_replaces_the_whole_rrset_in_one_message(lab_world, provider, secret_env):
    world, key = start_zone(lab_world)
    secret_env(key)
    old = checked(provider, props(world, ZONE, "MX", 60, ["0 example-dk.mail.protection.outlook.com."]))
    new = checked(provider, props(world, ZONE, "MX", 300, ["1 smtp.google.com.", "5 alt1.aspmx.l.google.com."]))
    before = world.served(world.spec.zones[0].key)
    diff = provider.diff("id", old, new)
    assert diff.changes is True and diff.replaces == []

    provider.update("id", old, new)

    assert served(world, ZONE, "MX") == (300, {"1 smtp.google.com.", "5 alt1.aspmx.l.google.com."})
    after = world.served(world.spec.zones[0].key)
    # nothing else in the zone moved
    assert [r for r in after if r.key != (ZONE, "MX") and r.rdtype != "SOA"] == [
        r for r in before if r.key != (ZONE, "MX") and r.rdtype != "SOA"
    ]
    assert provider.diff("id", provider.read("id", new).outs, new).changes is False


def test_apex_name_servers_are_replaced_not_added_to(lab_world, provider, secret_env):
    # A server ignores "delete the apex NS set" (RFC 2136 3.4.2.4): the old names must go one by one.
    world, key = start_zone(lab_world)
    secret_env(key)
    _, lab_ns = served(world, ZONE, "NS")
    assert lab_ns == {"ns1." + ZONE}
    inputs = checked(provider, props(world, ZONE, "NS", 60, ["ns1.newhost.net.", "ns2.newhost.net."]))
    provider.create(inputs)
    assert served(world, ZONE, "NS") == (60, {"ns1.newhost.net.", "ns2.newhost.net."})

    moved = checked(provider, props(world, ZONE, "NS", 60, ["ns2.newhost.net.", "ns3.newhost.net."]))
    provider.update("id", inputs, moved)
    assert served(world, ZONE, "NS") == (60, {"ns2.newhost.net.", "ns3.newhost.net."})

    # The same names with another TTL: duplicates alone would keep the old TTL.
    longer = checked(provider, props(world, ZONE, "NS", 300, ["ns2.newhost.net.", "ns3.newhost.net."]))
    provider.update("id", moved, longer)
    assert served(world, ZONE, "NS") == (300, {"ns2.newhost.net.", "ns3.newhost.net."})


def test_delete_removes_the_rrset_and_read_then_reports_it_gone(lab_world, provider, secret_env):
    world, key = start_zone(lab_world)
    secret_env(key)
    inputs = checked(provider, props(world, "www." + ZONE, "A", 60, ["192.0.2.1"]))
    assert provider.read("id", inputs).outs["rdatas"] == ["192.0.2.1"]

    provider.delete("id", inputs)

    assert served(world, "www." + ZONE, "A") == (None, set())
    gone = provider.read("id", inputs)
    assert gone.id == "" and gone.outs == {}
    provider.delete("id", inputs)  # already gone: the outcome is the same, no error
    assert served(world, ZONE, "MX")[1] == {"0 example-dk.mail.protection.outlook.com."}


def test_an_update_the_server_accepts_but_does_not_apply_is_an_error(lab_world, provider, secret_env):
    # www has an A record; a CNAME beside it is silently skipped by the server (RFC 2136 3.4.2.2)
    world, key = start_zone(lab_world)
    secret_env(key)
    inputs = checked(provider, props(world, "www." + ZONE, "CNAME", 60, ["example.dk."]))
    with pytest.raises(MigrateError) as caught:
        provider.create(inputs)
    assert_one_line(caught.value, world.address("host"), "www." + ZONE, "CNAME", "serves nothing")
    assert served(world, "www." + ZONE, "A")[1] == {"192.0.2.1"}


def test_read_finds_out_of_band_drift_and_diff_reports_it(lab_world, provider, secret_env):
    world, key = start_zone(lab_world)
    secret_env(key)
    desired = checked(provider, props(world, "www." + ZONE, "A", 60, ["192.0.2.7"]))
    created = provider.create(desired)
    state = created.outs
    assert provider.diff(created.id, provider.read(created.id, state).outs, desired).changes is False

    # someone edits the zone at the server, behind Pulumi's back
    zone_key = world.spec.zones[0].key
    assert world.update(zone_key, replace=[RRset.build("www." + ZONE, "A", 30, ["198.51.100.9"])]) == "NOERROR"

    refreshed = provider.read(created.id, state)
    assert refreshed.id == created.id
    assert refreshed.outs["rdatas"] == ["198.51.100.9"] and refreshed.outs["ttl"] == 30
    drift = provider.diff(created.id, refreshed.outs, desired)
    assert drift.changes is True and drift.replaces == []

    # `pulumi up` then puts it back
    provider.update(created.id, refreshed.outs, desired)
    assert served(world, "www." + ZONE, "A") == (60, {"192.0.2.7"})

    # deleted out of band: read says the resource is gone
    assert world.update(zone_key, delete=[("www." + ZONE, "A")]) == "NOERROR"
    assert provider.read(created.id, state).id == ""


def test_a_wrong_tsig_secret_is_one_line_without_the_secret(lab_world, provider, monkeypatch):
    world, key = start_zone(lab_world)
    wrong = base64.b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv(SECRET_ENV, wrong)
    inputs = checked(provider, props(world, "www." + ZONE, "A", 60, ["203.0.113.66"]))

    with pytest.raises(MigrateError) as caught:
        provider.create(inputs)

    text = assert_one_line(caught.value, world.address("host"), ZONE, "www." + ZONE, "A", KEY, SECRET_ENV)
    assert wrong not in text and key.secret not in text
    assert "TSIG" in text
    assert served(world, "www." + ZONE, "A")[1] == {"192.0.2.1"}  # nothing changed

    with pytest.raises(MigrateError) as caught:
        provider.delete("id", inputs)
    assert wrong not in assert_one_line(caught.value, "www." + ZONE)
    assert served(world, "www." + ZONE, "A")[1] == {"192.0.2.1"}


def test_a_missing_or_malformed_secret_names_the_variable_only(lab_world, provider, monkeypatch):
    world, _ = start_zone(lab_world)
    inputs = checked(provider, props(world, "www." + ZONE, "A", 60, ["203.0.113.66"]))
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(MigrateError) as caught:
        provider.update("id", inputs, inputs)
    assert_one_line(caught.value, SECRET_ENV, KEY, "www." + ZONE)

    malformed = "not base64 at all: s3cr3t!"
    monkeypatch.setenv(SECRET_ENV, malformed)
    with pytest.raises(MigrateError) as caught:
        provider.create(inputs)
    text = assert_one_line(caught.value, SECRET_ENV, "www." + ZONE)
    assert "s3cr3t" not in text
    assert served(world, "www." + ZONE, "A")[1] == {"192.0.2.1"}


def test_a_key_the_server_does_not_know_is_refused_in_one_line(lab_world, provider, secret_env):
    world, key = start_zone(lab_world)
    secret_env(key)
    inputs = checked(provider, props(world, "www." + ZONE, "A", 60, ["203.0.113.66"], key_name="someone-else."))
    with pytest.raises(MigrateError) as caught:
        provider.create(inputs)
    text = assert_one_line(caught.value, world.address("host"), ZONE, "www." + ZONE, "someone-else.")
    assert key.secret not in text
    assert served(world, "www." + ZONE, "A")[1] == {"192.0.2.1"}


def test_a_server_that_refuses_the_zone_is_one_line(lab_world, provider, secret_env):
    world, key = start_zone(lab_world)
    secret_env(key)
    other = checked(provider, props(world, "www.other.dk.", "A", 60, ["192.0.2.9"], zone="other.dk."))
    with pytest.raises(MigrateError) as caught:
        provider.read("id", other)
    assert_one_line(caught.value, world.address("host"), "other.dk.", "www.other.dk.", "REFUSED")
    with pytest.raises(MigrateError) as caught:
        provider.update("id", other, other)
    text = assert_one_line(caught.value, world.address("host"), "other.dk.", "www.other.dk.", "UPDATE answered")
    assert key.secret not in text


def test_a_stopped_or_silent_server_is_one_line(lab_world, provider, secret_env):
    world, key = start_zone(lab_world)
    secret_env(key)
    inputs = checked(provider, props(world, "www." + ZONE, "A", 60, ["192.0.2.7"], timeout=0.5))

    world.mute("host")  # the address stays, nothing answers
    try:
        with pytest.raises(MigrateError) as caught:
            provider.create(inputs)
        assert_one_line(caught.value, world.address("host"), ZONE, "www." + ZONE, "no answer", "0.5 s")
    finally:
        world.unmute("host")

    world.stop_server("host")  # nothing listens any more
    with pytest.raises(MigrateError) as caught:
        provider.update("id", inputs, inputs)
    assert_one_line(caught.value, world.address("host"), ZONE, "www." + ZONE, "refused")
    with pytest.raises(MigrateError) as caught:
        provider.read("id", inputs)
    assert_one_line(caught.value, world.address("host"), "www." + ZONE)


# -- the provider pickled as Pulumi pickles it -------------------------------------------------------

HOST_SCRIPT = """
import base64, json, sys
import dill
blob, props = sys.stdin.read().split("\\n", 1)
assert not any(p.rstrip("/").endswith("stacks") for p in sys.path), sys.path
try:
    import rfc2136_stack
except ImportError:
    pass
else:
    raise SystemExit("rfc2136_stack is importable here; the test would prove nothing")
provider = dill.loads(base64.b64decode(blob))
result = provider.create(json.loads(props))
print(json.dumps({"id": result.id, "outs": result.outs}))
"""


def test_the_pickled_provider_works_in_a_process_without_stacks_on_its_path(lab_world, provider, tmp_path):
    world, key = start_zone(lab_world)
    blob = serialize_provider(provider)  # exactly what Pulumi stores in __provider
    assert key.secret.encode() not in base64.b64decode(blob)
    inputs = checked(provider, props(world, "pickled." + ZONE, "TXT", 60, ['"carried by dill"']))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env[SECRET_ENV] = key.secret  # the provider host sees the deployment's environment

    done = subprocess.run(
        [sys.executable, "-c", HOST_SCRIPT],
        input=blob + "\n" + json.dumps(inputs),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["outs"] == inputs
    assert served(world, "pickled." + ZONE, "TXT") == (60, {'"carried by dill"'})


def test_check_normalises_inputs_and_names_what_is_wrong(provider):
    base = {
        "server": "127.0.0.1:5353",
        "zone": "Example.DK",
        "key_name": "Update-Key",
        "name": "_dmarc.example.dk",
        "type": "txt",
        "ttl": 300.0,  # Pulumi passes numbers as floats
        "rdatas": ['"v=DMARC1;" " p=none"'],
    }
    inputs = checked(provider, base)
    assert inputs == {
        "server": "127.0.0.1:5353",
        "zone": "example.dk.",
        "key_name": "update-key.",
        "key_algorithm": "hmac-sha256",
        "secret_env": "M365_EXIT_TSIG_SECRET",
        "timeout": 10.0,
        "name": "_dmarc.example.dk.",
        "type": "TXT",
        "ttl": 300,
        "rdatas": ['"v=DMARC1;" " p=none"'],  # the strings as they are: never joined
    }
    bad = {
        "outside the zone": {**base, "name": "www.example.com"},
        "not an IP address": {**base, "server": "dns.example.dk"},
        "maintained by the server": {**base, "type": "SOA", "rdatas": ["a. b. 1 2 3 4 5"]},
        "not valid": {**base, "type": "A", "rdatas": ["not-an-address"]},
        "key_algorithm": {**base, "key_algorithm": "hmac-sha999"},
        "rdatas is required": {**base, "rdatas": []},
    }
    for expected, raw in bad.items():
        failures = provider.check({}, raw).failures
        assert failures and expected in failures[0].reason, (expected, [f.reason for f in failures])


def test_diff_replaces_on_a_new_identity_and_deletes_first(provider):
    old = checked(provider, {"server": "127.0.0.1", "zone": ZONE, "key_name": KEY, "name": "www." + ZONE, "type": "A", "ttl": 60, "rdatas": ["192.0.2.1", "192.0.2.2"]})
    same = {**old, "rdatas": ["192.0.2.2", "192.0.2.1"], "ttl": 60.0, "__provider": "other-code"}
    assert provider.diff("id", old, same).changes is False
    for key, value in {"server": "127.0.0.2", "zone": "www.example.dk.", "name": "web." + ZONE, "type": "AAAA"}.items():
        diff = provider.diff("id", old, {**old, key: value})
        assert diff.changes is True and diff.replaces == [key] and diff.delete_before_replace is True
    for key, value in {"ttl": 61, "rdatas": ["192.0.2.1"], "key_name": "other.", "timeout": 3.0}.items():
        diff = provider.diff("id", old, {**old, key: value})
        assert diff.changes is True and diff.replaces == [], key


# -- the program under Pulumi's mocks -----------------------------------------------------------------


def rfc2136_spec(tmp_path: Path) -> Path:
    example = ROOT / "examples" / "migration.yaml"
    data = yaml.safe_load(example.read_text())
    data["dns"]["host"] = "rfc2136"
    data["dns"]["zone_file"] = str(example.parent / data["dns"]["zone_file"])
    data["dns"]["rfc2136"] = {"server": "192.0.2.53:5353", "key_name": "m365-exit-update", "timeout": 7}
    for key in ("recipients",):
        data["notify"][key] = str(example.parent / data["notify"][key])
    data["gate"]["facts"] = str(example.parent / data["gate"]["facts"])
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_program_declares_one_rfc2136_resource_per_desired_rrset(event_loop_for_pulumi, tmp_path, monkeypatch):
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv("M365_EXIT_TSIG_SECRET", secret)
    path = rfc2136_spec(tmp_path)

    mocks = run_program({"m365-exit:spec": str(path)}, event_loop_for_pulumi)

    spec = spec_module.load(path)
    desired = plan.desired_zone(spec)
    declared = list(mocks.resources.values())
    assert {r["resource_type"] for r in declared} == {rfc2136_stack.RESOURCE_TYPE}  # no Cloudflare record
    expected = [r for r in desired if r.rdtype != "SOA"]
    assert expected and len(declared) == len(expected)
    for rrset in expected:
        (match,) = [r for r in declared if (r["name"], r["type"]) == rrset.key]
        assert match["rdatas"] == rrset.sorted_rdatas() and match["ttl"] == rrset.ttl
        assert (match["server"], match["zone"], match["key_name"]) == ("192.0.2.53:5353", spec.domain, "m365-exit-update.")
        assert (match["key_algorithm"], match["secret_env"], match["timeout"]) == ("hmac-sha256", "M365_EXIT_TSIG_SECRET", 7)
    apex_ns = next(r for r in declared if (r["name"], r["type"]) == (spec.domain, "NS"))
    assert set(apex_ns["rdatas"]) == set(spec.dns.nameservers)
    for record in declared:
        rrset = RRset.build(record["name"], record["type"], int(record["ttl"]), record["rdatas"])
        assert footprint.classify(rrset, spec.domain).removed is None, record
        # no secret in any input, the pickled provider included
        for value in record.values():
            assert secret not in json.dumps(value)
        assert secret.encode() not in base64.b64decode(record["__provider"])
    assert "autodiscover.nordlys-tekstil.dk." not in {r["name"] for r in declared}


def test_resource_inputs_skip_the_soa_and_dnssec_records():
    spec = spec_module.parse(_spec_data(), Path("migration.yaml"))
    zone = Zone(
        "nordlys-tekstil.dk.",
        [
            RRset.build("nordlys-tekstil.dk.", "SOA", 3600, ["ns1.x.dk. h.x.dk. 1 7200 3600 1209600 300"]),
            RRset.build("nordlys-tekstil.dk.", "DNSKEY", 3600, ["257 3 13 " + base64.b64encode(b"k" * 64).decode()]),
            RRset.build("nordlys-tekstil.dk.", "MX", 3600, ["1 smtp.google.com."]),
            RRset.build("www.nordlys-tekstil.dk.", "A", 300, ["192.0.2.80"]),
        ],
    )
    inputs = rfc2136_stack.resource_inputs(spec, zone)
    assert sorted((i["name"], i["type"]) for _, i in inputs) == [("nordlys-tekstil.dk.", "MX"), ("www.nordlys-tekstil.dk.", "A")]
    assert len({logical for logical, _ in inputs}) == 2
    assert {i["zone"] for _, i in inputs} == {"nordlys-tekstil.dk."}


def _spec_data() -> dict:
    data = yaml.safe_load((ROOT / "examples" / "migration.yaml").read_text())
    data = copy.deepcopy(data)
    data["dns"]["host"] = "rfc2136"
    data["dns"].pop("zone_file")
    data["dns"]["rfc2136"] = {"server": "192.0.2.53", "key_name": "k."}
    return data


def test_the_spec_requires_rfc2136_settings_for_that_host():
    data = _spec_data()
    del data["dns"]["rfc2136"]
    with pytest.raises(BadInput) as caught:
        spec_module.parse(data, Path("migration.yaml"))
    assert str(caught.value) == "migration.yaml: dns.rfc2136: required when host is rfc2136 (at least server and key_name)"

    data["dns"]["rfc2136"] = {"server": "ns1.example.dk", "key_name": "k."}
    with pytest.raises(BadInput) as caught:
        spec_module.parse(data, Path("migration.yaml"))
    assert "dns.rfc2136.server" in str(caught.value) and "\n" not in str(caught.value)

    data["dns"]["rfc2136"] = {"server": "[2001:db8::53]:5353", "key_name": "Update.Key", "zone": "nordlys-tekstil.dk"}
    settings = spec_module.parse(data, Path("migration.yaml")).dns.rfc2136
    assert (settings.key_name, settings.zone, settings.secret_env, settings.key_algorithm) == (
        "update.key.",
        "nordlys-tekstil.dk.",
        "M365_EXIT_TSIG_SECRET",
        "hmac-sha256",
    )


def test_every_string_of_txt_like_records_reaches_the_server(lab_world, provider, secret_env, tmp_path):
    # TXT in every shape, RESINFO, WALLET and AVC, as the plan carries them, created by the provider
    world, key = start_zone(lab_world)
    secret_env(key)
    result = plan.build(spec_for(tmp_path, STRINGS, ZONE, "rfc2136"))
    for rrset in result.desired:
        if rrset.key != (ZONE, "NS"):
            provider.create(checked(provider, props(world, rrset.name, rrset.rdtype, rrset.ttl, rrset.sorted_rdatas())))

    served = world.served(world.spec.zones[0].key)
    for key, want in reference(STRINGS, ZONE).items():
        if key[1] not in ("SOA", "NS") and key not in written_by_the_move(ZONE):
            assert as_reference(served.get(*key)) == want, key
    # asked one set at a time over UDP, as verify and `import --from live` ask, and by AXFR, as `import --from axfr`
    server = Endpoint(world.address("host"), 53)
    answer = asyncio.run(Querier().ask(server, "pair." + ZONE, "TXT"))
    assert answer.rrset().rdatas == {'"ab" "c"', '"a" "bc"'}
    assert importer.from_axfr(ZONE, server) == served
