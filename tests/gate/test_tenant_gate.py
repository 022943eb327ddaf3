"""The gate with the tenant requirement: one spec alone, an exit of several (one decision), the facts file's
`domains:`, and input that must stop the run. DNS evidence is supplied (the lab test runs verify for real)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from migrate import specset
from migrate.errors import BadInput
from migrate.gate import engine, store
from migrate.gate import run as gate_run
from tests.helpers.gate import CUTOVER, DOMAIN, NOW, dns_evidence, dns_holding, load, sources_for, write_spec

OTHER = "nordlys.com"
INITIAL = "nordlystekstil.onmicrosoft.com"


def facts(domains: list[str], **more) -> dict:
    return {"version": 1, "as_of": (NOW - timedelta(days=1)).isoformat(), "domains": domains, **more}


def by_id(checks, check_id):
    return {c.subject: c for c in checks if c.id == check_id}


def exit_of(folder, state, *, dns=None):
    specs = specset.load([folder])
    sources = [sources_for(spec, state, dns=(dns or {}).get(spec.domain.rstrip("."), dns_holding())) for spec in specs.specs]
    return specs, gate_run.run_exit(specs, state, now=NOW, sources=sources)


def test_one_spec_gains_the_tenant_checks_and_keeps_its_report(tmp_path):
    path = write_spec(tmp_path, require=["dns", "tenant"], facts=facts([INITIAL, DOMAIN, OTHER]))
    state = tmp_path / "state"
    spec = load(path)
    locked = gate_run.run(spec, state, now=NOW, sources=sources_for(spec, state, dns=dns_holding()))
    report = locked.to_dict()
    assert list(report) == ["domain", "status", "generated_at", "requirements", "earliest_unlock", "evidence", "checks", "runbook"]
    assert report["domain"] == DOMAIN and report["requirements"] == {"dns": "pass", "tenant": "fail"}
    assert list(by_id(locked.verdict.checks, "tenant.uncovered")) == [OTHER]
    assert by_id(locked.verdict.checks, "tenant.covered")[DOMAIN].requirement == "tenant"
    assert report["evidence"]["tenant"].startswith("sha256:")

    write_spec(tmp_path, require=["dns", "tenant"], facts=facts([INITIAL, DOMAIN]))
    unlocked = gate_run.run(load(path), state, now=NOW, sources=sources_for(load(path), state, dns=dns_holding()))
    assert unlocked.verdict.status == "unlocked" and "# Opsig Microsoft 365 for nordlys-tekstil.dk" in unlocked.runbook
    assert [d.status for d in store.decisions(state, DOMAIN)] == ["locked", "unlocked"]


def test_an_exit_is_one_decision_every_domain_carries(tmp_path):
    write_spec(tmp_path, require=["dns", "tenant"], facts=facts([INITIAL, DOMAIN, OTHER]))
    write_spec(tmp_path, require=["dns", "tenant"], domain=OTHER, name="nordlys.com.yaml")
    state = tmp_path / "state"
    soaking = dns_evidence(NOW - timedelta(hours=2), NOW - timedelta(minutes=5))  # the soak ends in 47 hours
    specs, outcome = exit_of(tmp_path, state, dns={OTHER: soaking})
    verdict = outcome.verdict
    assert verdict.status == "locked" and outcome.runbook is None
    assert verdict.domain == f"{DOMAIN}, {OTHER}" and verdict.tenant == "nordlystekstil"
    assert verdict.requirements == {"dns": "pending", "tenant": "pass"}
    # nordlys-tekstil.dk's own requirements hold, but the exit is one decision: its part is locked too.
    parts = {p.domain: p for p in verdict.parts}
    assert parts[DOMAIN].requirements == {"dns": "pass", "tenant": "pass"} and parts[DOMAIN].status == "locked"
    assert parts[OTHER].requirements == {"dns": "pending", "tenant": "pass"}
    assert verdict.earliest_unlock == parts[DOMAIN].earliest_unlock == NOW - timedelta(hours=2) + timedelta(hours=1, days=2)
    assert {c.id for p in verdict.parts for c in p.checks}.isdisjoint({"tenant.covered"})  # the tenant's checks: once, at the top
    assert set(by_id(verdict.checks, "tenant.covered")) == {DOMAIN, OTHER}

    report = json.loads(json.dumps(outcome.to_dict(), default=str))
    assert [d["domain"] for d in report["domains"]] == [DOMAIN, OTHER] and report["runbook"] is None
    assert [d.status for d in store.decisions(state, DOMAIN)] == ["locked"]
    (row,) = store.decisions(state, engine.tenant_key(specs))
    assert row.domain == "tenant:nordlystekstil" and row.status == "locked"
    assert [d["domain"] for d in row.report["domains"]] == [DOMAIN, OTHER] and "checks" not in row.report["domains"][0]

    _, later = exit_of(tmp_path, state)
    assert later.verdict.status == "unlocked" and {p.status for p in later.verdict.parts} == {"unlocked"}
    assert later.runbook.startswith(f"# Opsig Microsoft 365 for {DOMAIN}, {OTHER}")
    assert f"Mailen for {OTHER} flyttede til Nyt Mail" in later.runbook
    assert [d.status for d in store.decisions(state, DOMAIN)] == ["locked", "unlocked"]


def test_a_spec_not_requiring_tenant_is_still_part_of_the_one_decision(tmp_path):
    write_spec(tmp_path, require=["dns"])
    write_spec(tmp_path, require=["dns"], domain=OTHER, name="nordlys.com.yaml")
    _, outcome = exit_of(tmp_path, tmp_path / "state", dns={OTHER: dns_evidence(CUTOVER, NOW, status="failing")})
    assert outcome.verdict.requirements == {"dns": "fail"} and outcome.verdict.checks == ()
    assert {p.domain: p.status for p in outcome.verdict.parts} == {DOMAIN: "locked", OTHER: "locked"}


def test_facts_domains_stand_for_domain_removed_and_must_agree_with_it(tmp_path):
    state = tmp_path / "state"
    path = write_spec(tmp_path, require=["domain_removed"], facts=facts([INITIAL]))
    assert gate_run.run(load(path), state, now=NOW).verdict.status == "unlocked"
    write_spec(tmp_path, require=["domain_removed"], facts=facts([INITIAL, DOMAIN]))
    assert gate_run.run(load(path), state, now=NOW).verdict.requirements == {"domain_removed": "fail"}
    write_spec(tmp_path, require=["domain_removed"], facts=facts([INITIAL, DOMAIN], domain_removed=True))
    with pytest.raises(BadInput, match=r"facts.yaml: domain_removed: says nordlys-tekstil.dk is removed, but domains: lists it"):
        gate_run.run(load(path), state, now=NOW)


@pytest.mark.parametrize("domains,why", [
    (["nordlys-tekstil.dk", "evil\n.dk"], r"domains\[1\]: 'evil\\n.dk' is not a domain name"),
    ("nordlys-tekstil.dk", r"domains: Input should be a valid list"),
    ([f"d{i}.dk" for i in range(5001)], r"domains: List should have at most 5000 items"),
])
def test_a_bad_domains_list_is_bad_input_naming_the_file_and_key(tmp_path, domains, why):
    path = write_spec(tmp_path, require=["tenant"], facts=facts(domains))
    with pytest.raises(BadInput, match=r"facts.yaml: " + why):
        gate_run.run(load(path), tmp_path / "state", now=NOW)
    assert store.last(tmp_path / "state", DOMAIN).status == "locked"  # the decision is still recorded


def test_without_graph_or_domains_the_tenant_stays_unknown_with_the_fix(tmp_path):
    path = write_spec(tmp_path, require=["tenant"], facts={"version": 1, "as_of": NOW.isoformat()})
    verdict = gate_run.run(load(path), tmp_path / "state", now=NOW).verdict
    assert verdict.status == "locked" and verdict.requirements == {"tenant": "unknown"}
    (listed,) = by_id(verdict.checks, "tenant.domains").values()
    assert "add `domains:` to the facts file" in listed.fix and "no domains: in" in listed.detail
    bare = write_spec(tmp_path, require=["tenant"], name="bare.yaml")
    assert gate_run.run(load(bare), tmp_path / "state", now=NOW).verdict.requirements == {"tenant": "unknown"}


def test_a_domain_both_migrated_and_parked_is_bad_input(tmp_path):
    write_spec(tmp_path, require=["tenant"], facts=facts([INITIAL]), parked=[OTHER])
    write_spec(tmp_path, require=["tenant"], domain=OTHER, name="nordlys.com.yaml")
    with pytest.raises(BadInput, match=r"migration.yaml: gate.parked: nordlys.com is the domain of .*nordlys.com.yaml"):
        exit_of(tmp_path, tmp_path / "state")


def test_gate_parked_takes_domain_names_only(tmp_path):
    path = write_spec(tmp_path, require=["tenant"], parked=["kampagne.dk", "not a domain"])
    with pytest.raises(BadInput, match=r"migration.yaml: gate.parked\[1\]: 'not a domain' is not a domain name"):
        load(path)
    assert load(write_spec(tmp_path, parked=["Kampagne.DK"])).gate.parked == ["kampagne.dk."]
