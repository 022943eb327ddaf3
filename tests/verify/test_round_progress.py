"""A round's progress, as the live view hears it: counts that only grow, the waited-on server named.

Real Knot and Unbound on loopback; one new server muted, so the round waits on it.
"""

from __future__ import annotations

import asyncio

from migrate.endpoint import Endpoint
from migrate.verify.round import run_round
from tests.helpers.verify_lab import DOMAIN, TTL, load, settings, write_spec


def test_a_round_reports_its_questions_and_names_the_server_it_waits_on(tmp_path, lab_migration):
    spec, current, desired = load(write_spec(tmp_path))
    world = lab_migration(DOMAIN, current, desired, ttl=TTL)
    world.move_delegation()
    muted = "new2"
    world.mute(muted)
    seen = []
    try:
        result = asyncio.run(run_round(spec, settings(world, spec, timeout=0.3, retries=0), desired=desired, current=current,
                                       progress=seen.append))
    finally:
        world.unmute(muted)

    root = Endpoint(world.root_addresses[0], 53)
    assert (seen[0].asked, seen[0].waiting_on, seen[0].waiting_name) == (1, root, "root hint")
    assert all(a.asked <= b.asked and a.answered <= b.answered for a, b in zip(seen, seen[1:]))
    assert all(p.answered + p.outstanding <= p.asked for p in seen)
    # the muted server is waited on, by the name the parent gave it
    assert any(p.waiting_on == Endpoint(world.address(muted), 53) and p.waiting_name == "ns2.newhost.net" for p in seen)
    last = seen[-1]
    assert (last.asked, last.outstanding, last.waiting_on) == (result.questions, 0, None)
    assert last.unanswered > 0 and last.answered + last.unanswered == last.asked
