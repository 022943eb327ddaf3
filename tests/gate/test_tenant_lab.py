"""The gate over a tenant of three domains, against the lab's real name servers (issue 11).

example.dk is migrated and verified by real verify rounds; example-old.dk is parked (no mail, listed
in gate.parked) and removed from the tenant; example.com is forgotten with its MX still at Exchange
Online. The gate over the exit stays locked naming example.com, and unlocks once it is migrated
(with Graph's `GET /domains` as the tenant's list) or proven mail-free and removed (with the
facts file's `domains:`). The soak is advanced with the clock, never slept through.
"""

from __future__ import annotations

from datetime import datetime, timezone

import yaml

from migrate import specset
from migrate.gate import engine, store
from migrate.gate import run as gate_run
from migrate.lab.scenario import NEW_KEY
from tests.helpers import tenant_lab as T
from tests.helpers import verify_lab


def by_id(verdict, check_id: str) -> dict[str, object]:
    return {c.subject: c for c in verdict.checks if c.id == check_id}


def verified(spec_path, world, state, clock) -> None:
    """Real verify rounds for the spec's domain until one is verified, then one past the soak (gate.min_soak 1m)."""
    spec, _, desired = verify_lab.load(spec_path)
    first = verify_lab.run(spec, desired, world, state, clock)
    assert first.authoritative_ok, verify_lab.problems(first)
    clock.advance(600)
    result = verify_lab.rounds_until(spec, desired, world, state, clock, "verified")
    assert result.status == "verified", verify_lab.problems(result)


def facts(domains: list[str]) -> str:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return yaml.safe_dump({"version": 1, "as_of": now.isoformat(), "domains": domains})


def test_a_forgotten_domain_locks_the_gate_until_it_is_migrated_with_graph_listing_the_domains(tmp_path, lab_world, graph):
    exit_folder, state = tmp_path / "exit", tmp_path / "state"
    exit_folder.mkdir()
    world, migrated = T.start(lab_world, exit_folder, {**T.GATE, "parked": [T.PARKED]}, {"graph": graph.source()})
    graph.add_domain(T.INITIAL, initial=True, default=True)
    graph.add_domain(T.FORGOTTEN)  # example.dk and example-old.dk were removed from the tenant already
    clock = verify_lab.Clock()

    world.delegate(T.MIGRATED, NEW_KEY)
    verified(migrated, world, state, clock)
    locked = gate_run.run_exit(specset.load([exit_folder]), state, now=clock()).verdict
    assert locked.status == "locked"
    assert locked.requirements == {"dns": "pass", "domain_removed": "pass", "tenant": "fail"}
    (forgotten,) = by_id(locked, "tenant.uncovered").values()
    assert forgotten.subject == T.FORGOTTEN and "services: Email, OfficeCommunicationsOnline" in forgotten.detail
    assert f"write a spec for {T.FORGOTTEN}" in forgotten.fix
    assert by_id(locked, "tenant.parked")[T.PARKED].status == "pass"
    assert "no MX, autodiscover or Microsoft SPF at 2 server addresses" in by_id(locked, "tenant.parked")[T.PARKED].observed
    assert by_id(locked, "tenant.initial")[T.INITIAL].status == "pass"
    assert [p.domain for p in locked.parts] == [T.MIGRATED] and locked.parts[0].status == "locked"

    # Migrating it: its spec joins the exit, the registrar moves it, verify proves it, it leaves the tenant.
    T.write_forgotten(exit_folder, T.GATE, {"graph": graph.source()})
    exit_specs = specset.load([exit_folder])
    covered = gate_run.run_exit(exit_specs, state, now=clock()).verdict
    assert covered.status == "locked" and covered.requirements["tenant"] == "pass"
    assert {p.domain: p.requirements["dns"] for p in covered.parts} == {T.FORGOTTEN: "unknown", T.MIGRATED: "pass"}
    world.delegate(T.FORGOTTEN, T.FORGOTTEN_NEW)
    verified(exit_folder / "example.com.yaml", world, state, clock)
    del graph.domains[T.FORGOTTEN]
    unlocked = gate_run.run_exit(exit_specs, state, now=clock())
    assert unlocked.verdict.status == "unlocked", [c for p in unlocked.verdict.parts for c in p.checks if c.status != "pass"]
    assert unlocked.runbook.startswith(f"# Cancel Microsoft 365 for {T.FORGOTTEN}, {T.MIGRATED}")

    # One decision for the tenant: each domain's row carries its status, the tenant's every chain head.
    tenant_rows = store.decisions(state, engine.tenant_key(exit_specs))
    assert [d.status for d in tenant_rows] == ["locked", "locked", "unlocked"]
    assert {f"{T.FORGOTTEN} journal", f"{T.MIGRATED} journal"} <= set(tenant_rows[-1].heads)
    assert [d.status for d in store.decisions(state, T.MIGRATED)] == ["locked", "locked", "unlocked"]


def test_a_forgotten_domain_proven_mail_free_and_removed_unlocks_the_gate_with_a_facts_file(tmp_path, lab_world):
    exit_folder, state = tmp_path / "exit", tmp_path / "state"
    exit_folder.mkdir()
    (exit_folder / "facts.yaml").write_text(facts([T.INITIAL, T.FORGOTTEN]))
    gate = {**T.GATE, "facts": "facts.yaml", "parked": [T.PARKED]}
    world, migrated = T.start(lab_world, exit_folder, gate)
    clock = verify_lab.Clock()
    world.delegate(T.MIGRATED, NEW_KEY)
    verified(migrated, world, state, clock)

    def decide():
        return gate_run.run_exit(specset.load([exit_folder]), state, now=clock()).verdict

    locked = decide()
    assert locked.status == "locked" and locked.requirements["tenant"] == "fail"
    assert list(by_id(locked, "tenant.uncovered")) == [T.FORGOTTEN]
    assert by_id(locked, "tenant.parked")[T.PARKED].status == "pass"

    # Parked and removed while its MX still points at Exchange Online: the proof fails, naming the records.
    T.write_migrated(exit_folder, {**gate, "parked": [T.PARKED, T.FORGOTTEN]}, root_hints=world.root_addresses)
    (exit_folder / "facts.yaml").write_text(facts([T.INITIAL]))
    carries = by_id(decide(), "tenant.parked")[T.FORGOTTEN]
    assert carries.status == "fail" and "MX 0 example-com.mail.protection.outlook.com." in carries.observed
    assert "autodiscover.example.com CNAME autodiscover.outlook.com." in carries.observed
    assert "SPF 'v=spf1 include:spf.protection.outlook.com -all' names Microsoft's senders" in carries.observed

    world.replace_zone(T.FORGOTTEN_OLD, T.stripped_zone())
    unlocked = decide()
    assert unlocked.status == "unlocked", [c for c in unlocked.checks if c.status != "pass"]
    assert "no MX, autodiscover or Microsoft SPF at 4 server addresses" in by_id(unlocked, "tenant.parked")[T.FORGOTTEN].observed
