"""Twenty domains verified together against real servers: the caps hold by the servers' own counts, and a
settled fleet is asked again for little (behaviour, not timing: the counts come from Knot and Unbound)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from migrate import plan, spec as spec_module
from migrate.journal import Journal
from migrate.lab import counters, tenant
from migrate.state.location import Folder
from migrate.verify import batch, processes
from migrate.verify.budget import burst_of
from migrate.verify.round import Settings

TTL = 300
RATES = {"server_rate": 60.0, "parent_rate": 20.0, "resolver_rate": 20.0}
SERVERS = ("root", "tld-dk", "gtld", "new1", "new2", "services", "resolver1")


def fleet(tmp_path: Path, lab_world, count: int = 20):
    specs = []
    for domain in tenant.numbered(count):
        data = tenant.spec_data(domain, TTL)
        data["verify"].update(RATES)
        specs.append(spec_module.parse(data, tmp_path / f"{domain}.yaml"))
    world = lab_world(tenant.world_spec(specs, TTL, name="batch"), timeout=60)
    members = []
    for spec in specs:
        built = plan.build(spec)
        settings = Settings.from_spec(spec, world.resolver_addresses, world.root_addresses)
        members.append(batch.Member(spec, settings, built.desired, built.current, Folder(tmp_path / "state")))
    (tmp_path / "state").mkdir()
    return world, members


def cap(world, name: str) -> float:
    if world.spec.server(name).role == "resolver":
        return RATES["resolver_rate"]
    return RATES["server_rate"] if name.startswith("new") else RATES["parent_rate"]


def counted_pass(world, members, **kwargs):
    with counters.Sampler(world, SERVERS, period=0.5) as sampler:
        outcome = asyncio.run(processes.verify_set(members, **kwargs))
    return outcome, sampler.samples


def assert_within_caps(world, samples) -> None:
    for name in SERVERS:
        over = counters.over(samples, name, cap(world, name), burst_of(cap(world, name)))
        assert not over, (name, over)


def test_the_caps_hold_at_every_server_and_a_settled_rerun_asks_a_fraction(tmp_path, lab_world):
    world, members = fleet(tmp_path, lab_world)
    first, samples = counted_pass(world, members)
    assert first.summary["converging"] == 20, [(r.domain, r.status) for r in first.results]
    assert_within_caps(world, samples)
    # the caps held the verifier back (else this would prove nothing): the new host's servers ran near theirs
    for name in ("new1", "new2"):
        assert counters.peak(samples, name) >= 0.6 * RATES["server_rate"], (name, counters.windows(samples, name))
    got = sum(samples[-1].counts[n] - samples[0].counts[n] for n in ("new1", "new2"))
    assert got >= sum(r.queries for r in first.results) * 0.8  # the servers saw (nearly) all of what was sent

    second, samples = counted_pass(world, members)
    assert_within_caps(world, samples)
    assert [r.domain for r in second.results] == [m.spec.domain for m in members]
    assert second.queries <= first.queries / 5, (second.queries, first.queries)
    assert second.carried > 0
    for before, after in zip(first.results, second.results):
        assert {(c.id, c.subject, c.server, c.status) for c in before.checks} == \
            {(c.id, c.subject, c.server, c.status) for c in after.checks}
    new_host = sum(samples[-1].counts[n] - samples[0].counts[n] for n in ("new1", "new2"))
    assert new_host <= 2 * len(members) + 4  # the SOA at each server, asked afresh; the rest was settled


def test_a_set_split_between_processes_keeps_the_caps_and_the_order(tmp_path, lab_world, monkeypatch):
    world, members = fleet(tmp_path, lab_world, count=12)
    monkeypatch.setattr(processes, "DOMAINS_PER_PROCESS", 4)
    tally = processes.Tally()
    outcome, samples = counted_pass(world, members, cpus=3, tally=tally)
    assert_within_caps(world, samples)
    assert [r.domain for r in outcome.results] == [m.spec.domain for m in members]
    assert all(r.status == "converging" for r in outcome.results), [(r.domain, r.status) for r in outcome.results]
    assert (tally.finished, tally.sent) == (12, outcome.queries)
    with Journal.open(tmp_path / "state") as journal:
        assert all(len(journal.rounds(m.spec.domain)) == 1 for m in members)
        assert [journal.latest(r.domain).digest for r in outcome.results] == [r.digest for r in outcome.results]
