"""The lab's layout: the zones, delegations, glue and addresses a world derives from its spec,
without starting a server."""

from __future__ import annotations

from migrate.lab import layout, migration_spec

DOMAIN = "example.dk."


def test_layout_derives_delegations_glue_and_host_addresses():
    spec, _ = migration_spec(DOMAIN)
    addresses = layout.assign_addresses(spec, "127.53.99.")
    delegations = layout.initial_delegations(spec)
    zones = {z.key: layout.render(z, spec, addresses, delegations, 7) for z in spec.zones}

    root, com, dk = zones["."], zones["com."], zones["dk."]
    assert root.get("dk.", "NS").rdatas == {"a.nic.dk."}
    # the root's own name lies below its cut net.: only glue can find it
    assert root.get("a.root-servers.net.", "A").rdatas == {addresses["root"]}
    assert zones["net."].get("a.root-servers.net.", "A").rdatas == {addresses["root"]}
    # microsoftonline.com. is delegated to names below itself: glue required
    assert com.get("microsoftonline.com.", "NS").rdatas == {f"ns{i}.bdm.microsoftonline.com." for i in range(1, 5)}
    assert com.get("ns1.bdm.microsoftonline.com.", "A").rdatas == {addresses["old1"]}
    assert zones["microsoftonline.com."].get("ns4.bdm.microsoftonline.com.", "A").rdatas == {addresses["old4"]}
    # the domain is delegated to the old copy; its names are out of bailiwick: no glue in dk.
    assert dk.get(DOMAIN, "NS").rdatas == {f"ns{i}.bdm.microsoftonline.com." for i in range(1, 5)}
    assert [r.name for r in dk if r.rdtype == "A"] == ["a.nic.dk."]
    # the zones that records point at exist, with addresses for the targets
    assert zones["outlook.com."].get("example-dk.mail.protection.outlook.com.", "A") is not None
    assert zones["google.com."].get("smtp.google.com.", "A") is not None
    assert layout.soa_serial(zones["new"]) == 7


def test_layout_moving_a_delegation_changes_only_the_parent_data():
    spec, _ = migration_spec(DOMAIN)
    addresses = layout.assign_addresses(spec, "127.53.99.")
    delegations = layout.initial_delegations(spec)
    delegations[DOMAIN] = layout.Delegation(ns=("ns1.newhost.net.", "ns2.newhost.net."), ds=("12345 13 2 " + "ab" * 32,))
    dk = layout.render(spec.zone("dk."), spec, addresses, delegations, 2)
    assert dk.get(DOMAIN, "NS").rdatas == {"ns1.newhost.net.", "ns2.newhost.net."}
    assert dk.get(DOMAIN, "DS") is not None
    net = layout.render(spec.zone("net."), spec, addresses, delegations, 2)
    assert net.get("ns1.newhost.net.", "A").rdatas == {addresses["new1"]}
