"""Verify rounds against signed new hosts on real Knot, with a validating Unbound (issue 9, item 4).

The lab signs the new host's zone with chosen validity (`Signatures`), or
Knot signs it as a live signer does; the TLD publishes the DS.
"""

from __future__ import annotations

import pytest

from migrate.lab import EXPIRED, FUTURE, Signatures
from tests.helpers.verify_lab import DOMAIN, TTL, Clock, by_id, load, problems, rounds_until, run, write_spec


@pytest.fixture
def signed_migration(tmp_path, lab_migration):
    """Spec, desired zone and a world whose TLD delegates, with the DS, to the signed new host."""

    def start(records=None, **world_kwargs):
        spec, current, desired = load(write_spec(tmp_path, records=records))
        world = lab_migration(DOMAIN, current, desired, ttl=TTL, **world_kwargs)
        world.move_delegation(ds=world.ds_of("new"))
        return spec, desired, world

    return start


def test_expired_record_signatures_fail_until_the_zone_is_signed_again(signed_migration, tmp_path):
    spec, desired, world = signed_migration(validate=True, resolvers=1, new_signatures=Signatures(records=EXPIRED))
    clock, state = Clock(), tmp_path / "state"

    expired = run(spec, desired, world, state, clock)
    assert expired.status == "failing"
    # the key set's own signature is valid and the DS matches it ...
    assert len(by_id(expired, "dnssec.signature", "pass")) == len(world.new_addresses)
    assert len(by_id(expired, "dnssec.ds", "pass")) == len(world.new_addresses)
    # ... but every record's signature expired yesterday, named with signer, key and window
    mx = [c for c in by_id(expired, "dnssec.rrsig", "fail") if c.subject == f"{DOMAIN} MX"]
    assert len(mx) == len(world.new_addresses)
    assert "expired 1d" in mx[0].detail and f"by {DOMAIN} key {mx[0].observed['key_tag']}" in mx[0].detail
    assert mx[0].observed["expiration"] in mx[0].detail
    assert by_id(expired, "dnssec.denial", "fail")  # the removed names' NSEC signatures too
    assert not by_id(expired, "dnssec.rrsig", "pass")
    # the validating resolver's SERVFAIL is a validation failure, not an unreachable resolver
    bogus = {c.subject: c for c in by_id(expired, "resolver.bogus", "fail")}
    assert f"{DOMAIN} MX" in bogus, problems(expired)
    assert bogus[f"{DOMAIN} MX"].detail.startswith("DNSSEC validation fails")
    assert not by_id(expired, "resolver.unreachable")

    world.resign("new", Signatures())
    world.flush_resolvers()
    clock.advance(3600)  # past the old TTLs, without sleeping through them
    fresh = rounds_until(spec, desired, world, state, clock, "verified")
    assert fresh.status == "verified", problems(fresh)
    assert by_id(fresh, "dnssec.rrsig", "pass") and by_id(fresh, "dnssec.denial", "pass")
    assert len(by_id(fresh, "resolver.fresh")) == len(by_id(fresh, "resolver.fresh", "pass")) > 0


def test_signatures_not_valid_yet_fail(signed_migration, tmp_path):
    spec, desired, world = signed_migration(resolvers=0, new_signatures=Signatures(records=FUTURE))
    result = run(spec, desired, world, tmp_path / "state")
    assert result.status == "failing"
    assert all("not valid yet" in c.detail for c in by_id(result, "dnssec.rrsig"))


def test_a_zone_knot_signs_verifies_with_every_signature_and_denial_checked(signed_migration, tmp_path):
    spec, desired, world = signed_migration(validate=True, resolvers=1, sign_new=True)
    result = rounds_until(spec, desired, world, tmp_path / "state", Clock(), "converging", within=30)
    assert result.authoritative_ok, problems(result)
    assert by_id(result, "dnssec.rrsig", "pass") and not by_id(result, "dnssec.rrsig", "fail")
    assert by_id(result, "dnssec.denial", "pass") and not by_id(result, "dnssec.denial", "fail")


def test_txt_strings_keep_their_boundaries_under_the_signature(signed_migration, tmp_path):
    """A signature covers the strings as written: re-split or joined, the record would not validate."""
    service = "printer._ipp._tcp"
    spec, desired, world = signed_migration(
        records=[{"name": service, "type": "TXT", "value": '"txtvers=1" "rp=queue1" ""', "ttl": TTL}],
        resolvers=0, new_signatures=Signatures(),
    )
    result = rounds_until(spec, desired, world, tmp_path / "state", Clock(), "converging", within=30)
    assert result.authoritative_ok, problems(result)
    subject = f"{service}.{DOMAIN} TXT"
    signed = [c for c in by_id(result, "dnssec.rrsig") if c.subject == subject]
    assert signed and all(c.status == "pass" for c in signed), problems(result)
