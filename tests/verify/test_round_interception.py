"""A network that intercepts port 53 (real Unbound in the lab) makes the round unknown, never "not registered"."""

from __future__ import annotations

import pytest

from migrate.verify.delegation import NOT_FROM_THE_SERVERS
from tests.helpers.verify_lab import DOMAIN, TTL, by_id, load, problems, run, write_spec


@pytest.mark.parametrize("where", ["tld-dk", "root"])
def test_an_interceptor_answering_nxdomain_without_aa_gives_unknown(where, tmp_path, lab_migration):
    """At the TLD's address (the parent's referral is intercepted) or at the root hint (everything is)."""
    spec, current, desired = load(write_spec(tmp_path))
    world = lab_migration(DOMAIN, current, desired, ttl=TTL)
    world.move_delegation()
    world.intercept(where)
    result = run(spec, desired, world, tmp_path / "state")

    (parent,) = by_id(result, "delegation.parent")
    assert parent.status == "unknown" and parent.detail.startswith(NOT_FROM_THE_SERVERS)
    assert result.status == "unknown", problems(result)
    assert not [c for c in result.checks if c.status == "fail"], problems(result)
    assert not [c for c in result.checks if "not registered" in c.detail or "does not exist" in c.detail]
