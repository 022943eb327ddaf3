"""The lab's port-53 interceptor: real Unbound at a server's address, answering for it without authority."""

from __future__ import annotations

import dns.flags
import dns.rcode

from migrate.lab import probe

DOMAIN = "example.dk."


def test_an_interceptor_answers_nxdomain_without_aa_in_place_of_the_tld(lab_migration):
    world = lab_migration(resolvers=0)
    address = world.address("tld-dk")
    assert probe.ask(address, DOMAIN, "NS").rcode() == dns.rcode.NOERROR  # the TLD refers the domain

    world.intercept("tld-dk")
    for recurse in (False, True):
        reply = probe.ask(address, DOMAIN, "NS", recurse=recurse)
        assert reply.rcode() == dns.rcode.NXDOMAIN and not reply.flags & dns.flags.AA
    assert any("tld-dk" in line and "(intercepted)" in line for line in world.describe())

    world.stop_intercepting("tld-dk")
    reply = probe.ask(address, DOMAIN, "NS")
    assert reply.rcode() == dns.rcode.NOERROR and reply.authority
    assert probe.serial(address, "dk.") is not None
