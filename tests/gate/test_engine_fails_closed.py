"""Review: the gate fails closed on evidence that is there but cannot mean what it says.

Facts dated in the future, attestations made before mail stopped reaching
Microsoft 365 or dated in the future, a missing or corrupt gate.sqlite.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from migrate.errors import EnvironmentProblem
from migrate.gate import engine, store
from tests.helpers.gate import CUTOVER, NOW, dns_holding, load, sources_for, write_spec

FACTS = {
    "version": 1,
    "as_of": NOW.isoformat(),
    "subscriptions": [{"product": "Microsoft 365 Business Standard", "licences": 18, "status": "Enabled"}],
    "domain_removed": True,
}


def decide(spec, state, now=NOW, dns=None):
    return engine.decide(spec, sources_for(spec, state, dns=dns if dns is not None else dns_holding(now)), state, now)


def test_facts_dated_in_the_future_are_unknown(tmp_path):
    state = tmp_path / "state"
    spec = load(write_spec(tmp_path, require=["licences", "domain_removed"], facts={**FACTS, "as_of": (NOW + timedelta(days=3)).isoformat()}))
    verdict, _ = decide(spec, state)
    assert verdict.status == "locked"
    assert verdict.requirements == {"licences": "unknown", "domain_removed": "unknown"}
    assert all("future" in c.observed for c in verdict.checks)
    # read at that moment or before, the same facts pass
    spec = load(write_spec(tmp_path, require=["licences", "domain_removed"], facts=FACTS))
    assert decide(spec, state)[0].status == "unlocked"


def test_an_attestation_made_before_the_mail_stopped_reaching_microsoft_is_not_enough(tmp_path):
    state = tmp_path / "state"
    spec = load(write_spec(tmp_path, require=["dns", "data_saved"]))
    dns = dns_holding()
    store.attest(state, "data-saved", "nordlys-tekstil.dk", "Mette", dns.safe_after - timedelta(hours=1))
    verdict, _ = decide(spec, state, dns=dns)
    assert verdict.status == "locked" and verdict.requirements["data_saved"] == "pending"
    (check,) = [c for c in verdict.checks if c.id == "attest.data-saved"]
    assert "before mail stopped reaching Microsoft 365" in check.detail and "again" in check.fix
    assert check.eta is None  # the safe time has passed: only attesting again helps
    # seen before the safe time, that time is when a new attestation can count
    early = dns.safe_after - timedelta(minutes=30)
    verdict, _ = decide(spec, state, now=early, dns=dns_holding(early))
    assert next(c for c in verdict.checks if c.id == "attest.data-saved").eta == dns.safe_after
    # attesting again after the safe time unlocks it
    store.attest(state, "data-saved", "nordlys-tekstil.dk", "Mette", dns.safe_after + timedelta(minutes=5))
    assert decide(spec, state, dns=dns)[0].status == "unlocked"


def test_an_attestation_from_the_future_is_unknown(tmp_path):
    state = tmp_path / "state"
    spec = load(write_spec(tmp_path, require=["data_saved"]))
    store.attest(state, "data-saved", "nordlys-tekstil.dk", "Mette", NOW + timedelta(days=2))
    verdict, _ = decide(spec, state)
    assert verdict.requirements["data_saved"] == "unknown"


def test_without_a_journal_an_attestation_is_pending(tmp_path):
    # It passed: nothing showed when mail stopped reaching Microsoft 365, so nothing was compared.
    state = tmp_path / "state"
    spec = load(write_spec(tmp_path, require=["data_saved"]))
    store.attest(state, "data-saved", "nordlys-tekstil.dk", "Mette", CUTOVER - timedelta(days=3))
    verdict, _ = engine.decide(spec, sources_for(spec, state, dns=None), state, NOW)
    assert verdict.status == "locked" and verdict.requirements["data_saved"] == "pending"
    (check,) = [c for c in verdict.checks if c.id == "attest.data-saved"]
    assert "no verify round has seen the new state" in check.detail and "migrate verify SPEC" in check.fix


@pytest.mark.parametrize("damage", ["garbage", "empty-dir"])
def test_a_corrupt_gate_store_keeps_the_gate_locked(tmp_path, damage):
    state = tmp_path / "state"
    state.mkdir()
    if damage == "garbage":
        (state / "gate.sqlite").write_bytes(b"not sqlite at all " * 200)
    else:
        (state / "gate.sqlite").mkdir()
    spec = load(write_spec(tmp_path, require=["data_saved"]))
    # the attestations cannot be read: unknown; the decision cannot be recorded: an error, never "unlocked"
    verdict, _ = engine.evaluate(spec, sources_for(spec, state, dns=dns_holding()), NOW)
    assert verdict.status == "locked" and verdict.requirements["data_saved"] == "unknown"
    with pytest.raises(EnvironmentProblem, match="gate.sqlite"):
        decide(spec, state)
