"""One gate run (`migrate gate`, the demo): decision, audit, runbook, and input the user must fix."""

from __future__ import annotations

import pytest

from migrate.errors import BadInput
from migrate.gate import run as gate_run
from migrate.gate import store
from tests.helpers.gate import DOMAIN, NOW, dns_evidence, dns_holding, load, sources_for, write_spec


def test_a_broken_facts_file_is_bad_input_and_the_locked_decision_is_still_audited(tmp_path):
    facts = {"version": 1, "as_of": "2025-01-10T12:00:00+01:00", "subscriptions": [], "domain_removed": True, "bogus": 1}
    spec = load(write_spec(tmp_path, require=["licences", "domain_removed"], facts=facts))
    state = tmp_path / "state"
    with pytest.raises(BadInput) as raised:
        gate_run.run(spec, state, now=NOW)
    assert "bogus: unknown key" in str(raised.value)
    assert str(raised.value).count("bogus") == 1  # two requirements failed on it: one line
    (decision,) = store.decisions(state, DOMAIN)
    assert decision.status == "locked"


def test_locked_has_no_runbook(tmp_path):
    spec = load(write_spec(tmp_path, require=["dns"]))
    state = tmp_path / "state"
    not_soaked = dns_evidence(NOW, NOW)
    outcome = gate_run.run(spec, state, now=NOW, sources=sources_for(spec, state, dns=not_soaked))
    assert not outcome.verdict.unlocked and outcome.runbook is None
    assert outcome.to_dict()["runbook"] is None and outcome.to_dict()["status"] == "locked"
    assert [d.status for d in store.decisions(state, DOMAIN)] == ["locked"]


def test_unlocked_brings_the_runbook_in_the_spec_language_or_the_one_asked_for(tmp_path):
    spec = load(write_spec(tmp_path, require=["dns"], language="da"))
    state = tmp_path / "state"
    danish = gate_run.run(spec, state, now=NOW, sources=sources_for(spec, state, dns=dns_holding()))
    english = gate_run.run(spec, state, now=NOW, sources=sources_for(spec, state, dns=dns_holding()), lang="en")
    assert danish.verdict.unlocked and english.verdict.unlocked
    assert danish.runbook.startswith("# ") and danish.runbook != english.runbook
    assert english.runbook.startswith(f"# Cancel Microsoft 365 for {DOMAIN}")
    assert english.to_dict()["runbook"] == english.runbook
    # the users export's mailbox that nobody signs in to, in the runbook the gate prints
    assert "- printer@nordlys-tekstil.dk (Printer): uden licens" in danish.runbook
    assert "- printer@nordlys-tekstil.dk (Printer): no licence" in english.runbook
    assert [d.status for d in store.decisions(state, DOMAIN)] == ["unlocked", "unlocked"]


def test_an_unlocked_gate_whose_users_export_is_gone_is_bad_input_naming_it(tmp_path):
    # The runbook lists the export's mailboxes nobody was told about: a spec that names a missing export is fixed first.
    spec = load(write_spec(tmp_path, require=["dns"]))
    (tmp_path / "users.csv").unlink()
    state = tmp_path / "state"
    with pytest.raises(BadInput, match=r"users\.csv: recipients file not found"):
        gate_run.run(spec, state, now=NOW, sources=sources_for(spec, state, dns=dns_holding()))
