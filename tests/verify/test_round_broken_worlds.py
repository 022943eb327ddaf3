"""Review: the verifier and the gate against DNS worlds the first tests did not build.

Real Knot and Unbound on loopback (TTL 2 s), an injected clock for the soak.
Each test names the defect it pins down.
"""

from __future__ import annotations

import pytest

from migrate.zone import RRset
from tests.helpers.verify_lab import DOMAIN, TTL, Clock, by_id, load, problems, run, write_spec


@pytest.fixture
def migration(tmp_path, lab_migration):
    def start(*, old_zone=None, new_zone=None, records=None, served=None, **world_kwargs):
        path = write_spec(tmp_path, old_zone=old_zone, records=records)
        spec, current, desired = load(path)
        zone = served(desired.copy()) if served else (new_zone if new_zone is not None else desired)
        world = lab_migration(DOMAIN, current, zone, ttl=TTL, **world_kwargs)
        return spec, desired, world

    return start


def test_every_server_timing_out_is_never_verified(migration, tmp_path):
    spec, desired, world = migration()
    world.move_delegation()
    clock, state = Clock(), tmp_path / "state"
    ok = run(spec, desired, world, state, clock)
    assert ok.authoritative_ok, problems(ok)
    for name in world.new_servers:
        world.mute(name)
    try:
        clock.advance(7200)
        result = run(spec, desired, world, state, clock, timeout=1.0, retries=0)
    finally:
        for name in world.new_servers:
            world.unmute(name)
    assert result.status == "unknown", problems(result)
    assert not result.authoritative_ok
    # what could not be looked up is unknown, not a "single point of failure"
    assert by_id(result, "delegation.ns-count", "unknown") and not by_id(result, "delegation.ns-count", "fail")
    assert not [c for c in result.checks if c.status == "pass" and c.id.startswith(("auth.", "record."))]


def test_glue_pointing_at_the_old_host(tmp_path, lab_migration):
    inside = ["ns1.example.dk", "ns2.example.dk"]
    path = write_spec(tmp_path, extra={"dns": {"nameservers": inside}})
    spec, current, desired = load(path)
    world = lab_migration(DOMAIN, current, desired, ttl=TTL, new_nameservers=[n + "." for n in inside])
    world.move_delegation()
    good = run(spec, desired, world, tmp_path / "good")
    assert good.authoritative_ok, problems(good)
    # the registrar's host object for ns1 still carries an old address
    world.delegate(DOMAIN, "new", glue={"ns1.example.dk.": [world.address("old1")], "ns2.example.dk.": [world.address("new2")]})
    result = run(spec, desired, world, tmp_path / "state")
    print(problems(result))
    assert result.status == "failing"
    assert by_id(result, "delegation.glue", "fail")


def test_residue_left_at_a_name_only_the_old_zone_had(migration, tmp_path):
    """A Microsoft 365 pointer at a name of the company's choosing (`mail` CNAME autodiscover.outlook.com):
    the plan removes it, so if the new host still serves it, verify must find it (it is not in the catalogue's names)."""
    from migrate.lab.scenario import m365_zone

    old = m365_zone(DOMAIN, TTL)
    old.put(RRset.build(f"mail.{DOMAIN}", "CNAME", TTL, ["autodiscover.outlook.com."]))
    old.put(RRset.build(f"owa.{DOMAIN}", "MX", TTL, ["0 example-dk.mail.protection.outlook.com."]))

    def leave_behind(zone):
        zone.put(RRset.build(f"mail.{DOMAIN}", "CNAME", TTL, ["autodiscover.outlook.com."]))
        return zone

    spec, desired, world = migration(old_zone=old, served=leave_behind)
    assert desired.get(f"mail.{DOMAIN}", "CNAME") is None  # the plan removed it
    world.move_delegation()
    result = run(spec, desired, world, tmp_path / "state")
    residue = [c for c in by_id(result, "m365.residue", "fail") if c.subject.startswith(f"mail.{DOMAIN}")]
    assert len(residue) == len(world.new_addresses), problems(result)
    assert result.status == "failing"
    # the name that is gone at the new host is clean
    assert [c for c in by_id(result, "m365.clean", "pass") if c.subject.startswith(f"owa.{DOMAIN}")]
