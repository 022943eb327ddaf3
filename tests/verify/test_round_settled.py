"""Settled answers reused, against real servers: what is re-asked, what is carried, and what a change undoes.

The world's TTLs are 300 s except the spec's `_spf` record (2 s), so one
record's TTL runs out between two rounds while the rest stay settled.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from migrate import journal as journal_module
from migrate.gate import checks as gate_checks
from migrate.journal import Journal
from migrate.lab.scenario import NEW_KEY, m365_zone
from migrate.verify.round import run_round
from migrate.zone import RRset
from tests.helpers.verify_lab import DOMAIN, Clock, by_id, load, problems, run, settings, write_spec

LONG = 300
SPF = f"_spf.{DOMAIN}"


def _cells(result) -> dict[tuple, str]:
    return {(c.id, c.subject, c.server): c.status for c in result.checks}


def _asked(state, round_id) -> list[dict]:
    with Journal.open(state) as journal:
        return journal.observations(round_id)


def test_a_settled_round_asks_again_only_what_may_have_changed_and_reports_every_check(tmp_path, lab_migration):
    path = write_spec(tmp_path, old_zone=m365_zone(DOMAIN, LONG), extra={"dns": {"default_ttl": LONG}})
    spec, current, desired = load(path)
    world = lab_migration(DOMAIN, current, desired, ttl=LONG)
    world.move_delegation()
    clock, state = Clock(), tmp_path / "state"

    first = run(spec, desired, world, state, clock)
    assert first.authoritative_ok, problems(first)
    assert first.carried == 0 and first.oldest_evidence is None
    time.sleep(2.5)  # the _spf record's TTL of 2 s runs out; the others have 300 s
    second = run(spec, desired, world, state, clock)

    # every cell of the matrix is still there, with the same verdict
    assert _cells(second) == _cells(first)
    assert second.status == first.status == "converging", problems(second)
    assert second.carried > 0
    assert second.queries < first.queries / 3, (second.queries, first.queries)

    observed = _asked(state, second.round_id)
    auth = {a.split(" ")[0] for a in [c.server for c in by_id(second, "auth.soa")]}
    carried = {(o["server"], o["qname"], o["qtype"]) for o in observed if o["carried"]}
    fresh = {(o["server"], o["qname"], o["qtype"]) for o in observed if not o["carried"]}
    addresses = {c.server.split("(")[1].rstrip(")") for c in by_id(second, "auth.soa")}
    assert len(addresses) == len(auth) == 2
    for address in addresses:
        assert (address, DOMAIN, "SOA") in fresh  # the zone's SOA is always asked afresh
        assert (address, SPF, "TXT") in fresh  # its TTL ran out
        assert (address, DOMAIN, "MX") in carried  # settled for 300 s
    # the carried answers keep the time they were seen, and the checks on them say so
    first_seen = {(o["server"], o["qname"], o["qtype"]): o["at"] for o in _asked(state, first.round_id)}
    assert all(o["at"] == first_seen[(o["server"], o["qname"], o["qtype"])] for o in observed if o["carried"])
    mx = [c for c in by_id(second, "record.match") if c.subject == f"{DOMAIN} MX"]
    assert len(mx) == 2 and all(c.seen_at is not None and c.seen_at < second.started_at for c in mx)
    spf = [c for c in by_id(second, "record.match") if c.subject == f"{SPF} TXT"]
    assert len(spf) == 2 and all(c.seen_at is None for c in spf)

    # the gate counts the round as old as its oldest answer: a recent round repeating old answers is not fresh
    evidence = journal_module.dns_evidence(state, DOMAIN, clock())
    assert evidence.latest_round == second.round_id
    assert evidence.latest_at == second.oldest_evidence < second.finished_at
    now = second.finished_at + timedelta(seconds=1)
    max_age = now - second.oldest_evidence - timedelta(seconds=0.5)
    assert now - second.finished_at < max_age
    (fresh,) = [c for c in gate_checks.dns(evidence, min_soak=timedelta(0), max_age=max_age, now=now) if c.id == "dns.fresh"]
    assert fresh.status == "fail"

    # a change at the new host bumps its serial: nothing of it is reused, and the change is seen at once
    world.update(NEW_KEY, replace=[RRset.build(DOMAIN, "MX", LONG, ["10 mx9.mailhost.net."])])
    changed = run(spec, desired, world, state, clock)
    mismatch = [c for c in by_id(changed, "record.mismatch", "fail") if c.subject == f"{DOMAIN} MX"]
    assert len(mismatch) == 2, problems(changed)
    assert all(c.seen_at is None for c in mismatch)

    # after a failing round nothing is reused; and --fresh asks everything anyway
    world.update(NEW_KEY, replace=[desired.get(DOMAIN, "MX")])
    again = run(spec, desired, world, state, clock)
    assert again.carried == 0 and again.authoritative_ok, problems(again)
    with Journal.open(state) as journal:
        fresh_round = asyncio.run(run_round(spec, settings(world, spec), desired=desired, journal=journal, clock=clock,
                                            fresh=True))
    assert fresh_round.carried == 0 and fresh_round.queries >= first.queries * 0.9


def test_settled_answers_are_not_reused_when_the_spec_says_so(tmp_path, lab_migration):
    path = write_spec(tmp_path, old_zone=m365_zone(DOMAIN, LONG),
                      extra={"dns": {"default_ttl": LONG}, "verify": {"reuse_settled": False}})
    spec, current, desired = load(path)
    world = lab_migration(DOMAIN, current, desired, ttl=LONG)
    world.move_delegation()
    clock, state = Clock(), tmp_path / "state"
    first = run(spec, desired, world, state, clock)
    second = run(spec, desired, world, state, clock)
    assert first.authoritative_ok and second.authoritative_ok, problems(second)
    assert second.carried == 0
    assert not [o for o in _asked(state, second.round_id) if o["carried"]]
