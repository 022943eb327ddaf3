"""The verifier against real servers: one lab world per scenario (issue 3, "Done when").

Every world is real Knot and Unbound on loopback. TTLs are 2 s, and the
soak is advanced with an injected clock rather than slept through. When the
lab cannot start these tests fail (never skip).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from migrate import journal as journal_module
from migrate.gate import checks as gate_checks
from migrate.journal import Journal
from migrate.lab.scenario import m365_zone
from migrate.verify.evidence import ANSWER
from migrate.zone import RRset, txt_rdata_text
from tests.helpers.verify_lab import DOMAIN, TTL, Clock, by_id, load, problems, rounds_until, run, write_spec


@pytest.fixture
def migration(tmp_path, lab_migration):
    """Spec, desired zone and a started world serving it at the new host (delegation still at the old)."""

    def start(*, old_zone=None, new_zone=None, records=None, **world_kwargs):
        path = write_spec(tmp_path, old_zone=old_zone, records=records)
        spec, current, desired = load(path)
        world = lab_migration(DOMAIN, current, new_zone if new_zone is not None else desired, ttl=TTL, **world_kwargs)
        return spec, desired, world

    return start


def test_happy_path_is_verified_only_once_the_old_ttls_have_run_out(migration, tmp_path):
    spec, desired, world = migration()
    clock, state = Clock(), tmp_path / "state"

    before = run(spec, desired, world, state, clock)
    assert before.status == "failing"
    assert by_id(before, "delegation.parent-ns", "fail")
    # the old host answered, so its TTLs were measured rather than defaulted
    with Journal.open(state) as journal:
        measured = journal.old_ttls(DOMAIN)
    assert any(m.subject == f"{DOMAIN} MX" and m.kind == "record" and m.ttl == TTL for m in measured)

    world.move_delegation()
    after = run(spec, desired, world, state, clock)
    assert after.authoritative_ok, problems(after)
    assert after.status == "converging", problems(after)
    (soak,) = by_id(after, "timing.old-ttls")
    assert soak.status == "pending"
    assert after.safe_after == after.first_fully_seen + timedelta(seconds=TTL)
    assert after.eta is not None and after.eta >= after.safe_after
    assert all(t.measured for t in after.old_ttls), after.old_ttls

    clock.advance(3600)  # well past the safe time without sleeping through it
    done = rounds_until(spec, desired, world, state, clock, "verified")
    assert done.status == "verified", problems(done)
    assert not [c for c in done.checks if c.status != "pass"]

    evidence = journal_module.dns_evidence(state, DOMAIN, clock())
    assert evidence.latest_status == "verified"
    assert evidence.first_fully_seen == after.finished_at
    assert evidence.held
    gate = gate_checks.dns(evidence, min_soak=timedelta(0), max_age=spec.gate.max_age, now=clock())
    assert {c.status for c in gate} == {"pass"}, gate
    assert evidence.digest == done.digest


def test_a_carried_over_record_missing_at_the_new_host_fails(migration, tmp_path):
    path = write_spec(tmp_path)
    spec, current, desired = load(path)
    served = desired.copy()
    served.discard(f"www.{DOMAIN}", "A")
    spec, _, world = migration(new_zone=served)
    world.move_delegation()
    result = run(spec, desired, world, tmp_path / "state")
    missing = by_id(result, "record.missing", "fail")
    assert {c.subject for c in missing} == {f"www.{DOMAIN} A"}
    assert len(missing) == len(world.new_addresses)  # every server address is its own cell
    assert result.status == "failing"


def test_microsoft_365_residue_at_the_new_host_is_found(migration, tmp_path):
    path = write_spec(tmp_path)
    spec, _, desired = load(path)
    served = desired.copy()
    apex_txt = served.get(DOMAIN, "TXT")
    served.put(apex_txt.with_rdatas({txt_rdata_text("v=spf1 include:spf.protection.outlook.com include:_spf.example.dk -all"),
                                      txt_rdata_text("MS=ms12345678")}))
    served.put(RRset.build(f"autodiscover.{DOMAIN}", "CNAME", TTL, ["autodiscover.outlook.com."]))
    served.put(RRset.build(f"selector1._domainkey.{DOMAIN}", "CNAME", TTL,
                           ["selector1-example-dk._domainkey.contoso.onmicrosoft.com."]))
    spec, _, world = migration(new_zone=served)
    world.move_delegation()
    result = run(spec, desired, world, tmp_path / "state")
    residue = by_id(result, "m365.residue", "fail")
    subjects = {c.subject for c in residue}
    assert {f"{DOMAIN} TXT", f"autodiscover.{DOMAIN} CNAME", f"selector1._domainkey.{DOMAIN} CNAME"} <= subjects
    apex = [c for c in residue if c.subject == f"{DOMAIN} TXT"][0]
    assert "MS=ms12345678" in apex.observed
    assert any("spf.protection.outlook.com" in v for v in apex.observed)
    assert result.status == "failing"


def test_one_new_name_server_refusing_the_zone_is_lame(migration, tmp_path):
    spec, desired, world = migration()
    world.move_delegation()
    world.refuse("new2", "new")
    result = run(spec, desired, world, tmp_path / "state")
    lame = by_id(result, "auth.lame", "fail")
    assert [c.server for c in lame] == [f"ns2.newhost.net ({world.address('new2')})"]
    assert by_id(result, "auth.soa", "pass")  # the other server is still judged
    assert result.status == "failing"


def test_servers_with_different_serials_and_identical_data_verify(migration, tmp_path):
    """Providers that number each node, or a zone served by two providers: the serial is a note, the data decides."""
    spec, desired, world = migration()
    world.move_delegation()
    own_serial = world.serve_stale("new2", "new", desired)
    clock, state = Clock(), tmp_path / "state"
    first = run(spec, desired, world, state, clock)
    (serial,) = by_id(first, "auth.soa-serial")
    assert serial.status == "pass" and serial.detail.startswith("note: the SOA serials differ")
    assert own_serial in serial.observed.values() and len(set(serial.observed.values())) == 2
    assert first.authoritative_ok, problems(first)

    clock.advance(3600)
    done = rounds_until(spec, desired, world, state, clock, "verified")
    assert done.status == "verified", problems(done)


def test_a_server_whose_data_differs_fails_naming_it(migration, tmp_path):
    spec, desired, world = migration()
    world.move_delegation()
    stale = desired.copy()
    stale.put(RRset.build(f"www.{DOMAIN}", "A", TTL, ["192.0.2.99"]))
    world.serve_stale("new2", "new", stale)
    result = run(spec, desired, world, tmp_path / "state")
    cells = by_id(result, "record.mismatch", "fail")
    assert {(c.subject, c.server) for c in cells} == {(f"www.{DOMAIN} A", f"ns2.newhost.net ({world.address('new2')})")}
    assert result.status == "failing"


def test_the_parent_still_delegating_to_the_old_host_fails(migration, tmp_path):
    spec, desired, world = migration()
    result = run(spec, desired, world, tmp_path / "state")
    cells = by_id(result, "delegation.parent-ns", "fail")
    assert cells and all("old host" in c.detail for c in cells)
    assert len(cells) == len(world.tld_addresses)
    assert result.status == "failing"
    # resolvers are not asked while the delegation is wrong (no negative caches seeded)
    assert not by_id(result, "resolver.fresh") and not by_id(result, "resolver.stale")
    assert by_id(result, "resolver.deferred", "pending")


def test_parent_and_child_ns_sets_that_disagree_fail(migration, tmp_path):
    spec, desired, world = migration()
    world.delegate(DOMAIN, ["ns1.newhost.net."])  # the registrar got only one of the two
    result = run(spec, desired, world, tmp_path / "state")
    parent = by_id(result, "delegation.parent-ns", "fail")
    assert parent and all(c.observed == ["ns1.newhost.net."] for c in parent)
    child = by_id(result, "delegation.child-ns", "fail")
    assert child and all(c.observed == sorted(spec.dns.nameservers) for c in child)
    assert result.status == "failing"


def test_a_stale_ds_at_the_parent_fails(migration, tmp_path):
    spec, desired, world = migration(sign_old=True)
    world.add_ds(DOMAIN, key="old")
    world.move_delegation()  # the registrar moved the NS and kept the old host's DS
    result = run(spec, desired, world, tmp_path / "state")
    stale = by_id(result, "dnssec.ds-stale", "fail")
    assert len(stale) == len(world.new_addresses)
    assert result.status == "failing"


CACHED_TTL = 8  # longer than a round takes, even on a busy machine


def test_a_resolver_still_serving_the_old_mx_converges_then_verifies(migration, tmp_path):
    # The old MX is cached for CACHED_TTL seconds, not the lab's 2: the round after the
    # move must find it still in the caches however long the steps before it took.
    old = m365_zone(DOMAIN, TTL)
    old.put(old.get(DOMAIN, "MX").with_ttl(CACHED_TTL))
    spec, desired, world = migration(old_zone=old)
    clock, state = Clock(), tmp_path / "state"
    run(spec, desired, world, state, clock)  # measures the old TTLs
    for resolver in world.resolvers:
        world.query(resolver, DOMAIN, "MX")  # a user's lookup caches the old MX
    world.move_delegation()
    result = run(spec, desired, world, state, clock)
    stale = [c for c in by_id(result, "resolver.stale") if c.subject == f"{DOMAIN} MX"]
    assert stale, problems(result)
    assert all(c.status == "pending" and c.eta is not None for c in stale)
    assert all("mail.protection.outlook.com" in " ".join(c.observed["values"]) for c in stale)
    assert result.status == "converging"
    assert result.eta is not None and result.eta >= max(c.eta for c in stale)
    clock.advance(3600)
    done = rounds_until(spec, desired, world, state, clock, "verified")
    assert done.status == "verified", problems(done)


def test_a_resolver_that_times_out_is_unknown_and_never_verified(migration, tmp_path):
    spec, desired, world = migration()
    clock, state = Clock(), tmp_path / "state"
    world.move_delegation()
    world.mute("resolver2")
    try:
        first = run(spec, desired, world, state, clock)
        clock.advance(3600)
        later = run(spec, desired, world, state, clock)
    finally:
        world.unmute("resolver2")
    for result in (first, later):
        unreachable = by_id(result, "resolver.unreachable", "unknown")
        assert unreachable and {c.server for c in unreachable} == {world.address("resolver2")}
        assert result.status == "unknown"
    assert by_id(later, "timing.old-ttls", "pass")  # everything else is done: the resolver alone holds it back


def test_an_answer_truncated_over_udp_is_fetched_over_tcp(migration, tmp_path):
    big = [("x" * 60 + str(i)) * 4 for i in range(8)]  # ~2 KB of TXT: more than a 1232-byte UDP answer
    records = [{"name": "big", "type": "TXT", "value": big, "ttl": TTL}]
    spec, desired, world = migration(records=records)
    world.move_delegation()
    result = run(spec, desired, world, tmp_path / "state")
    cells = [c for c in by_id(result, "record.match") if c.subject == f"big.{DOMAIN} TXT"]
    assert len(cells) == len(world.new_addresses)
    assert all("TCP" in c.detail for c in cells)
    answers = [v.records[(f"big.{DOMAIN}", "TXT")] for v in result.evidence.servers]
    assert all(a.truncated and a.tcp and a.outcome == ANSWER for a in answers)
