"""The DNS lab against real Knot and Unbound processes on loopback, port 53.
(Its layout without servers: test_layout.py; what it needs from the machine: test_env.py.)

The lab fixtures come from tests/helpers/lab_fixture.py (conftest.py lists it).
No test here is ever skipped: without root (or a user+network
namespace) each fails with the message that names the fix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest

from migrate.lab import LabZone, Server, WorldSpec, pids_under, probe
from migrate.lab.scenario import google_zone, m365_zone
from migrate.zone import RRset, Zone, txt_rdata_text
from tests.helpers.examples import ROOT

DOMAIN = "example.dk."
OLD_MX = "0 example-dk.mail.protection.outlook.com."
NEW_MX = "1 smtp.google.com."


def answer_texts(response: dns.message.Message, rdtype: str) -> set[str]:
    wanted = dns.rdatatype.from_text(rdtype)
    return {rdata.to_text() for rrset in response.answer if rrset.rdtype == wanted for rdata in rrset}


def until(check, timeout: float = 15.0, step: float = 0.1):
    """Poll `check` until it returns a true value; fail with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


# -- a running world ------------------------------------------------------------------------


def test_delegation_chain_resolves_through_a_resolver(lab_migration):
    world = lab_migration()
    for resolver in world.resolvers:
        response = world.query(resolver, DOMAIN, "MX")
        assert response.rcode() == dns.rcode.NOERROR
        assert answer_texts(response, "MX") == {OLD_MX}
    ns1 = world.query("resolver1", "ns1.bdm.microsoftonline.com.", "A")
    assert answer_texts(ns1, "A") == {world.address("old1")}
    target = world.query("resolver1", "example-dk.mail.protection.outlook.com.", "A")
    assert answer_texts(target, "A") == {world.target_addresses["example-dk.mail.protection.outlook.com."]}
    new_ns = world.query("resolver2", "ns2.newhost.net.", "A")
    assert answer_texts(new_ns, "A") == {world.address("new2")}
    # the TLD refers the domain to Microsoft's names, without answering itself
    referral = probe.ask(world.tld_addresses[0], DOMAIN, "MX")
    assert not referral.flags & dns.flags.AA
    assert {r.to_text() for rr in referral.authority for r in rr} == set(world.old_nameservers)


def test_old_and_new_servers_answer_authoritatively(lab_migration):
    world = lab_migration(resolvers=0)
    assert len(world.old_addresses) == 4 and len(world.new_addresses) == 2
    for addresses, mx in ((world.old_addresses, OLD_MX), (world.new_addresses, NEW_MX)):
        for address in addresses:
            for tcp in (False, True):
                response = probe.ask(address, DOMAIN, "MX", tcp=tcp)
                assert response.flags & dns.flags.AA, address
                assert answer_texts(response, "MX") == {mx}
    serials = {probe.serial(a, DOMAIN) for a in world.new_addresses}
    assert len(serials) == 1 and None not in serials


def test_moving_the_delegation_reaches_a_resolver_only_after_the_cached_ttl(lab_migration):
    cached_ttl = 8  # longer than the steps between caching and asking again take, even on a busy machine
    world = lab_migration(ttl=cached_ttl)
    cached = world.query("resolver1", DOMAIN, "MX")
    assert answer_texts(cached, "MX") == {OLD_MX}
    world.query("resolver2", DOMAIN, "MX")

    world.move_delegation()
    assert world.delegated_to() == world.new_nameservers
    referral = probe.ask(world.tld_addresses[0], DOMAIN, "NS")
    assert {r.to_text() for rr in referral.authority for r in rr} == set(world.new_nameservers)

    # still the old answer from cache, with the TTL counting down
    stale = world.query("resolver1", DOMAIN, "MX")
    assert answer_texts(stale, "MX") == {OLD_MX}
    assert stale.answer[0].ttl <= cached_ttl
    # a flushed resolver sees the new host at once
    world.flush_resolvers(["resolver2"])
    assert answer_texts(world.query("resolver2", DOMAIN, "MX"), "MX") == {NEW_MX}
    # the cached one follows once the MX and NS TTLs have run out
    assert until(lambda: answer_texts(world.query("resolver1", DOMAIN, "MX"), "MX") == {NEW_MX}, timeout=4 * cached_ttl)

    world.move_back()
    world.flush_resolvers()
    assert answer_texts(world.query("resolver1", DOMAIN, "MX"), "MX") == {OLD_MX}


def test_rfc2136_update_with_tsig_is_served_by_every_new_server(lab_migration):
    world = lab_migration(resolvers=0)
    mx = RRset.build(DOMAIN, "MX", 2, ["10 mx1.example.net.", "20 mx2.example.net."])
    txt = RRset.build("_dmarc." + DOMAIN, "TXT", 2, ['"v=DMARC1; p=reject"'])
    before = probe.serial(world.primary_address("new"), DOMAIN)
    assert world.update("new", replace=[mx, txt]) == "NOERROR"
    for address in world.new_addresses:
        assert answer_texts(probe.ask(address, DOMAIN, "MX"), "MX") == mx.rdatas
        assert answer_texts(probe.ask(address, "_dmarc." + DOMAIN, "TXT"), "TXT") == txt.rdatas
        assert probe.serial(address, DOMAIN) > before
    assert world.served("new", "new2").get(DOMAIN, "MX").rdatas == mx.rdatas
    assert world.content("new").get(DOMAIN, "MX").rdatas == mx.rdatas
    # the old host is not touched
    assert answer_texts(probe.ask(world.old_addresses[0], DOMAIN, "MX"), "MX") == {OLD_MX}

    # the same update with a wrong secret is rejected and changes nothing
    bad = dns.tsigkeyring.from_text({world.new_tsig.name: ("hmac-sha256", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")})
    message = dns.update.UpdateMessage(DOMAIN, keyring=bad, keyname=world.new_tsig.keyname)
    message.replace(DOMAIN, 2, "MX", "5 evil.example.")
    try:
        rejected = dns.query.tcp(message, world.primary_address("new"), timeout=3)
        assert rejected.rcode() != dns.rcode.NOERROR
    except (dns.tsig.PeerError, dns.tsig.BadSignature):
        pass
    assert answer_texts(probe.ask(world.new_addresses[0], DOMAIN, "MX"), "MX") == mx.rdatas


def test_delete_by_rfc2136_and_full_reload(lab_migration):
    world = lab_migration(resolvers=0)
    assert world.update("new", delete=[("www." + DOMAIN, "A")]) == "NOERROR"
    assert probe.ask(world.new_addresses[1], "www." + DOMAIN, "A").rcode() == dns.rcode.NXDOMAIN

    replacement = google_zone(DOMAIN, world.new_nameservers)
    replacement.put(RRset.build("shop." + DOMAIN, "A", 2, ["192.0.2.99"]))
    world.replace_zone("new", replacement)
    for address in world.new_addresses:
        assert answer_texts(probe.ask(address, "shop." + DOMAIN, "A"), "A") == {"192.0.2.99"}
        assert answer_texts(probe.ask(address, "www." + DOMAIN, "A"), "A") == {"192.0.2.80"}


def test_ds_added_and_removed_at_the_parent(lab_migration):
    world = lab_migration(resolvers=0, sign_new=True)
    tld = world.tld_addresses[0]
    assert probe.ask(tld, DOMAIN, "DS").answer == []  # the old copy is unsigned: no DS
    new_ds = world.add_ds(DOMAIN, key="new")
    response = probe.ask(tld, DOMAIN, "DS")
    assert response.flags & dns.flags.AA
    assert answer_texts(response, "DS") == set(new_ds)
    # the DS matches the KSK every new server publishes
    for address in world.new_addresses:
        keys = probe.ask(address, DOMAIN, "DNSKEY", tcp=True, dnssec=True)
        ksks = [r for rr in keys.answer if rr.rdtype == dns.rdatatype.DNSKEY for r in rr if r.flags & 1]
        assert {dns.dnssec.make_ds(DOMAIN, k, "SHA256").to_text() for k in ksks} == set(new_ds)
    world.remove_ds(DOMAIN)
    gone = probe.ask(tld, DOMAIN, "DS")
    assert gone.rcode() == dns.rcode.NOERROR and gone.answer == []


def test_a_stale_ds_makes_a_validating_resolver_fail(lab_migration):
    world = lab_migration(sign_old=True, validate=True, resolvers=1)
    # signed chain from the lab root: the old zone validates (AD)
    query = dns.message.make_query(DOMAIN, "MX", want_dnssec=True)
    secure = dns.query.udp(query, world.resolver_addresses[0], timeout=3)
    assert secure.rcode() == dns.rcode.NOERROR and secure.flags & dns.flags.AD
    old_ds = world.delegations[DOMAIN].ds
    assert old_ds  # derived from the old copy's key at start

    # the registrar moves the NS to the unsigned new host but keeps the DS
    world.move_delegation()
    world.flush_resolvers()
    assert world.query("resolver1", DOMAIN, "MX", timeout=5).rcode() == dns.rcode.SERVFAIL
    world.remove_ds(DOMAIN)
    world.flush_resolvers()
    fixed = world.query("resolver1", DOMAIN, "MX", timeout=5)
    assert fixed.rcode() == dns.rcode.NOERROR and answer_texts(fixed, "MX") == {NEW_MX}


def test_a_muted_server_times_out_and_comes_back(lab_migration):
    world = lab_migration(resolvers=0)
    world.mute("new2")
    address = world.address("new2")
    with pytest.raises(dns.exception.Timeout):
        probe.ask(address, DOMAIN, "SOA", timeout=0.5)
    with pytest.raises(dns.exception.Timeout):
        probe.ask(address, DOMAIN, "SOA", timeout=0.5, tcp=True)
    assert probe.ask(world.address("new1"), DOMAIN, "SOA").flags & dns.flags.AA
    world.unmute("new2")
    assert probe.ask(address, DOMAIN, "SOA").flags & dns.flags.AA


def test_a_muted_resolver_times_out(lab_migration):
    world = lab_migration(resolvers=2)
    world.mute("resolver2")
    with pytest.raises(dns.exception.Timeout):
        world.query("resolver2", DOMAIN, "MX", timeout=0.5)
    assert answer_texts(world.query("resolver1", DOMAIN, "MX"), "MX") == {OLD_MX}
    assert any("resolver2" in line and "(muted)" in line for line in world.describe())
    world.unmute("resolver2")
    assert answer_texts(world.query("resolver2", DOMAIN, "MX", timeout=3), "MX") == {OLD_MX}


def test_a_stopped_server_is_gone_until_started(lab_migration):
    world = lab_migration(resolvers=0)
    pid = world.pids()["new2"]
    world.stop_server("new2")
    assert "new2" not in world.pids() and pid not in pids_under(world.dir)
    with pytest.raises((dns.exception.Timeout, ConnectionError, OSError)):
        probe.ask(world.address("new2"), DOMAIN, "SOA", timeout=0.5, tcp=True)
    world.start_server("new2")
    assert probe.ask(world.address("new2"), DOMAIN, "SOA").flags & dns.flags.AA


def test_a_refusing_server_refuses_the_zone(lab_migration):
    world = lab_migration(resolvers=0)
    world.refuse("new2", "new")
    response = probe.ask(world.address("new2"), DOMAIN, "MX")
    assert response.rcode() == dns.rcode.REFUSED and not response.answer
    # it still serves its other zone
    assert probe.ask(world.address("new2"), "newhost.net.", "SOA").flags & dns.flags.AA
    world.unrefuse("new2", "new")
    assert answer_texts(probe.ask(world.address("new2"), DOMAIN, "MX"), "MX") == {NEW_MX}


def test_one_server_serves_stale_data(lab_migration):
    world = lab_migration(resolvers=0)
    old_version = google_zone(DOMAIN, world.new_nameservers)
    old_version.put(RRset.build(DOMAIN, "MX", 2, ["10 old-mx.example.net."]))
    serial = world.serve_stale("new2", "new", old_version)
    assert probe.serial(world.address("new2"), DOMAIN) == serial < probe.serial(world.address("new1"), DOMAIN)
    assert answer_texts(probe.ask(world.address("new2"), DOMAIN, "MX"), "MX") == {"10 old-mx.example.net."}
    assert answer_texts(probe.ask(world.address("new1"), DOMAIN, "MX"), "MX") == {NEW_MX}
    # updates at the primary no longer reach it
    world.update("new", replace=[RRset.build(DOMAIN, "TXT", 2, ['"v=spf1 -all"'])])
    assert answer_texts(probe.ask(world.address("new2"), DOMAIN, "TXT"), "TXT") != {'"v=spf1 -all"'}
    world.resume("new2", "new")
    assert answer_texts(probe.ask(world.address("new2"), DOMAIN, "TXT"), "TXT") == {'"v=spf1 -all"'}
    assert probe.serial(world.address("new2"), DOMAIN) == probe.serial(world.address("new1"), DOMAIN)


def test_a_frozen_secondary_falls_behind_its_primary(lab_migration):
    world = lab_migration(resolvers=0)
    world.freeze("new2", "new")
    world.update("new", replace=[RRset.build(DOMAIN, "MX", 2, ["5 later.example.net."])])
    assert answer_texts(probe.ask(world.address("new1"), DOMAIN, "MX"), "MX") == {"5 later.example.net."}
    assert answer_texts(probe.ask(world.address("new2"), DOMAIN, "MX"), "MX") == {NEW_MX}
    assert probe.serial(world.address("new2"), DOMAIN) < probe.serial(world.address("new1"), DOMAIN)
    world.thaw("new2", "new")
    assert answer_texts(probe.ask(world.address("new2"), DOMAIN, "MX"), "MX") == {"5 later.example.net."}


def test_a_large_txt_rrset_truncates_over_udp_and_tcp_gives_it_whole(lab_world):
    big = Zone("big.com.")
    values = [txt_rdata_text(f"v=verify{i} " + "x" * 180) for i in range(12)]
    big.put(RRset.build("big.com.", "TXT", 2, values))
    spec = WorldSpec(
        servers=[
            Server("root", hostnames=("a.root.lab.",)),
            Server("com", hostnames=("a.gtld.lab.",)),
            Server("host", hostnames=("ns1.big.com.",)),
            Server("resolver", role="resolver"),
        ],
        zones=[LabZone(".", ["root"]), LabZone("com.", ["com"]), LabZone("big.com.", ["host"], content=big)],
    )
    world = lab_world(spec)
    address = world.address("host")
    over_udp = probe.ask(address, "big.com.", "TXT")
    assert over_udp.flags & dns.flags.TC and len(answer_texts(over_udp, "TXT")) < 12
    over_tcp = probe.ask(address, "big.com.", "TXT", tcp=True)
    assert not over_tcp.flags & dns.flags.TC and len(answer_texts(over_tcp, "TXT")) == 12
    query = dns.message.make_query("big.com.", "TXT", use_edns=0, payload=1232)
    query.flags &= ~dns.flags.RD
    response, used_tcp = dns.query.udp_with_fallback(query, address, timeout=2)
    assert used_tcp and len(answer_texts(response, "TXT")) == 12
    # the resolver fetched it over TCP from the server, and its own UDP answer truncates too
    resolved = world.query("resolver", "big.com.", "TXT", tcp=True, timeout=5)
    assert len(answer_texts(resolved, "TXT")) == 12
    assert world.query("resolver", "big.com.", "TXT").flags & dns.flags.TC


def test_stopping_a_world_leaves_no_process(lab_migration):
    world = lab_migration()
    running = pids_under(world.dir)
    assert len(running) == len(world.spec.servers) == len(world.pids())
    directory = world.dir
    world.stop()
    assert pids_under(directory) == []
    assert not directory.exists()
    world.stop()  # idempotent


@pytest.mark.parametrize("ending", ["exit", "SIGKILL"])
def test_a_process_that_ends_without_stopping_its_world_leaves_no_server(ending):
    # a normal exit runs the atexit hook; SIGKILL leaves it to PR_SET_PDEATHSIG
    code = (
        "import os, signal, sys\n"
        "from migrate.lab import migration_world\n"
        "world = migration_world('example.dk', resolvers=1)\n"
        "print(world.dir, len(world.pids()), flush=True)\n"
        f"if {ending!r} == 'SIGKILL':\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    directory, count = done.stdout.split()
    assert int(count) == 11  # 10 authoritative servers and one resolver
    try:
        assert until(lambda: pids_under(directory) == [], timeout=30), pids_under(directory)
        if ending == "exit":
            assert not os.path.exists(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_worlds_run_side_by_side_on_their_own_addresses(lab_migration):
    first = lab_migration(resolvers=0)
    second = lab_migration("example.com", resolvers=0)
    assert set(first.addresses.values()).isdisjoint(second.addresses.values())
    assert answer_texts(probe.ask(second.old_addresses[0], "example.com.", "MX"), "MX") == {
        "0 example-com.mail.protection.outlook.com."
    }


def test_spf_includes_of_both_zones_resolve_in_the_lab(lab_migration):
    # The verifier follows SPF includes; the lab serves a record for each one the zones name.
    old = m365_zone("example.dk")
    world = lab_migration("example.dk", old, google_zone("example.dk"))
    for include in ("spf.protection.outlook.com.", "_spf.google.com."):
        answer = world.query("resolver1", include, "TXT")
        assert [r.to_text() for rrset in answer.answer for r in rrset] == ['"v=spf1 ip4:192.0.2.0/24 -all"'], include
