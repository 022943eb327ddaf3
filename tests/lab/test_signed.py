"""Zones the lab signs itself, with chosen signature validity, on real Knot and a validating Unbound.

The lab signs with dnspython (`LabZone.signatures`), Knot serves the zone as
it is, and the validating resolver, anchored at the lab root, judges it.
"""

from __future__ import annotations

from datetime import datetime, timezone

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from migrate.errors import BadInput
from migrate.lab import EXPIRED, FUTURE, LabZone, Signatures, probe
from migrate.zone import RRset

DOMAIN = "example.dk."


def signatures(response: dns.message.Message, covered: str) -> list:
    wanted = dns.rdatatype.from_text(covered)
    return [r for rrset in response.answer if rrset.rdtype == dns.rdatatype.RRSIG for r in rrset if r.type_covered == wanted]


def resolve(world, rdtype: str = "MX") -> dns.message.Message:
    query = dns.message.make_query(DOMAIN, rdtype, want_dnssec=True)
    return dns.query.udp(query, world.resolver_addresses[0], timeout=5)


def test_record_signatures_expired_yesterday_beside_a_valid_key_set_signature(lab_migration):
    world = lab_migration(validate=True, resolvers=1, new_signatures=Signatures(records=EXPIRED))
    now = datetime.now(timezone.utc).timestamp()
    for address in world.new_addresses:  # the primary and its secondary serve the same signatures
        (mx,) = signatures(probe.ask(address, DOMAIN, "MX", dnssec=True), "MX")
        assert mx.expiration < now - 86000 and mx.inception < mx.expiration
        (keys,) = signatures(probe.ask(address, DOMAIN, "DNSKEY", dnssec=True, tcp=True), "DNSKEY")
        assert keys.inception < now < keys.expiration

    world.move_delegation(ds=world.ds_of("new"))
    world.flush_resolvers()
    failed = resolve(world)
    assert failed.rcode() == dns.rcode.SERVFAIL
    assert {e.code for e in failed.extended_errors()} & {6, 7}  # DNSSEC Bogus / Signature Expired

    # the same keys, fresh signatures: the DS still matches and the answer validates
    world.resign("new", Signatures())
    world.flush_resolvers()
    fixed = resolve(world)
    assert fixed.rcode() == dns.rcode.NOERROR and fixed.flags & dns.flags.AD


def test_signatures_valid_only_from_tomorrow_are_bogus(lab_migration):
    world = lab_migration(validate=True, resolvers=1, new_signatures=Signatures(records=FUTURE, keys=FUTURE))
    world.move_delegation(ds=world.ds_of("new"))
    assert resolve(world, "TXT").rcode() == dns.rcode.SERVFAIL


def test_a_lab_signed_zone_is_changed_by_replacing_it_not_by_updates(lab_migration):
    world = lab_migration(resolvers=0, new_signatures=Signatures())
    with pytest.raises(BadInput, match="replace_zone"):
        world.update("new", replace=[RRset.build(f"www.{DOMAIN}", "A", 2, ["192.0.2.99"])])
    with pytest.raises(BadInput, match="not signed by the lab"):
        world.resign("old", Signatures())


def test_a_zone_is_signed_by_knot_or_by_the_lab_not_both():
    with pytest.raises(BadInput, match="not both"):
        LabZone(DOMAIN, ["new1"], signed=True, signatures=Signatures())
    assert LabZone(DOMAIN, ["new1"], signatures=Signatures(keys=EXPIRED)).dnssec
