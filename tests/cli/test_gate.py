"""`migrate gate`, `migrate attest` and `migrate m365 remove-domain` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers.examples import ROOT
from tests.helpers.gate import announce, mail_moved, write_spec
from tests.helpers.graph_server import CLIENT_SECRET, company_subscription, user_reference

NO_DNS = ["notice", "licences", "domain_removed", "data_saved"]


def migrate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120)


def no_secret(*results: subprocess.CompletedProcess) -> None:
    for result in results:
        assert CLIENT_SECRET not in result.stdout and CLIENT_SECRET not in result.stderr
        assert "eyJ0eXAiOiJKV1Qi." not in result.stdout + result.stderr  # no token either


def test_gate_locks_then_unlocks_after_attestation_and_prints_the_runbook(graph, tmp_path):
    graph.subscriptions = [company_subscription("O365_BUSINESS_PREMIUM", 18), company_subscription("SPB", 3, owner_tenant_id="partner-tenant-id")]
    spec = write_spec(tmp_path, graph=graph.source(), require=NO_DNS)
    state = tmp_path / "state"
    announce(state)
    mail_moved(state, datetime.now(timezone.utc) - timedelta(hours=1))  # verify's safe time: the attestation comes after it

    locked = migrate("gate", spec, "--state", state)
    assert locked.returncode == 1, locked.stderr
    assert "attest.data-saved" in locked.stdout and "LOCKED" in locked.stdout
    assert "migrate attest SPEC data-saved --by NAME" in locked.stdout

    attest = migrate("attest", spec, "data-saved", "--by", "Mette Jensen", "--state", state)
    assert attest.returncode == 0, attest.stderr
    assert "data-saved" in attest.stderr and "Mette Jensen" in attest.stderr

    unlocked = migrate("gate", spec, "--state", state, "--json")
    assert unlocked.returncode == 0, unlocked.stdout + unlocked.stderr
    report = json.loads(unlocked.stdout)
    assert report["status"] == "unlocked" and report["domain"] == "nordlys-tekstil.dk"
    assert report["generated_at"].endswith("Z")
    assert {c["id"] for c in report["checks"]} >= {"licences.seats", "licences.partner", "m365.domain-removed", "attest.data-saved", "notice.delivered"}
    for check in report["checks"]:
        assert set(check) >= {"id", "status", "subject", "server", "expected", "observed", "detail", "eta"}
    assert "Annuller abonnement" in report["runbook"] and "O365_BUSINESS_PREMIUM" in report["runbook"]
    assert "bed din partner" in report["runbook"]

    text = migrate("gate", spec, "--state", state)
    assert text.returncode == 0 and "UNLOCKED" in text.stdout and "Fakturering > Dine produkter" in text.stdout

    explain = migrate("gate", spec, "--state", state, "--explain")
    assert explain.returncode == 0
    lines = [line for line in explain.stdout.splitlines() if line.startswith("#")]
    assert [line.split()[4].rstrip(":") for line in lines] == ["LOCKED", "UNLOCKED", "UNLOCKED"]
    assert "sha256:" in explain.stdout
    no_secret(locked, attest, unlocked, text, explain)


def test_gate_with_every_requirement_is_locked_without_verify_evidence(graph, tmp_path):
    graph.subscriptions = [company_subscription("SPB", 10)]
    spec = write_spec(tmp_path, graph=graph.source())
    result = migrate("gate", spec, "--state", tmp_path / "state", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "locked" and report["requirements"]["dns"] == "unknown" and report["runbook"] is None


def test_wrong_secret_locks_and_is_never_printed(graph, tmp_path, monkeypatch):
    graph.client_secret = "server-expects-this-other-one"
    spec = write_spec(tmp_path, graph=graph.source(), require=["licences"])
    result = migrate("gate", spec, "--state", tmp_path / "s")
    assert result.returncode == 1 and "AADSTS7000215" in result.stdout
    no_secret(result)
    monkeypatch.delenv("GRAPH_CLIENT_SECRET")
    missing = migrate("gate", spec, "--state", tmp_path / "s")
    assert missing.returncode == 2 and "GRAPH_CLIENT_SECRET is not set" in missing.stderr


def test_gate_from_a_facts_file(tmp_path):
    facts = {
        "version": 1,
        "as_of": "2025-01-10T12:00:00+01:00",  # in the past: facts dated after now are unknown (tests/gate/test_engine_fails_closed.py)
        "subscriptions": [{"product": "Microsoft 365 Business Standard", "licences": 25}, {"product": "Gammelt", "licences": 90, "status": "Deleted"}],
        "domain_removed": True,
    }
    spec = write_spec(tmp_path, require=["licences", "domain_removed"], facts=facts)
    result = migrate("gate", spec, "--state", tmp_path / "s", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert [c["observed"] for c in report["checks"] if c["id"] == "licences.seats"] == ["25 licences"]


def test_a_bad_facts_file_is_one_line_naming_file_and_key(tmp_path):
    facts = {"version": 1, "as_of": "2027-01-10T12:00:00+01:00", "subscriptions": [{"product": "X", "licences": "many"}], "domain_removed": True, "colour": "blue"}
    spec = write_spec(tmp_path, require=["licences"], facts=facts)
    result = migrate("gate", spec, "--state", tmp_path / "s")
    assert result.returncode == 2
    (line,) = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert "facts.yaml" in line and "subscriptions[0].licences" in line and "colour: unknown key" in line
    assert "Traceback" not in result.stderr


def test_attest_rejects_unknown_kinds_and_empty_names(tmp_path):
    spec = write_spec(tmp_path, require=["data_saved"])
    assert migrate("attest", spec, "users-happy", "--by", "X", "--state", tmp_path / "s").returncode == 2
    assert migrate("attest", spec, "data-saved", "--by", "  ", "--state", tmp_path / "s").returncode == 2


def test_remove_domain_refuses_while_referenced(graph, tmp_path):
    graph.add_domain("nordlys-tekstil.dk", [user_reference("anne@nordlys-tekstil.dk", "Anne Holm")])
    spec = write_spec(tmp_path, graph=graph.source())
    result = migrate("m365", "remove-domain", spec)
    assert result.returncode == 1
    assert "anne@nordlys-tekstil.dk" in result.stdout and "refused: 1 objects still reference" in result.stderr
    assert "nordlys-tekstil.dk" in graph.domains and ("DELETE", "/v1.0/domains/nordlys-tekstil.dk") not in graph.requests
    no_secret(result)


@pytest.mark.parametrize("keep", [False, True])
def test_force_delete_warns_and_sends_the_flag(graph, tmp_path, keep):
    graph.add_domain("nordlys-tekstil.dk", [user_reference("anne@nordlys-tekstil.dk", "Anne Holm")])
    spec = write_spec(tmp_path, graph=graph.source())
    result = migrate("m365", "remove-domain", spec, "--force-delete", *(["--keep-accounts-enabled"] if keep else []))
    assert result.returncode == 0, result.stderr
    assert graph.force_deleted == {"nordlys-tekstil.dk": not keep}
    assert ("DISABLES" in result.stderr) == (not keep)
    assert "removed nordlys-tekstil.dk" in result.stderr


def test_remove_domain_deletes_when_nothing_references_it(graph, tmp_path):
    graph.add_domain("nordlys-tekstil.dk")
    spec = write_spec(tmp_path, graph=graph.source())
    result = migrate("m365", "remove-domain", spec)
    assert result.returncode == 0 and "removed nordlys-tekstil.dk" in result.stderr
    assert ("DELETE", "/v1.0/domains/nordlys-tekstil.dk") in graph.requests
    again = migrate("m365", "remove-domain", spec)
    assert again.returncode == 0 and "already removed" in again.stderr


def test_bad_input_is_one_line_once_and_no_report(tmp_path):
    # A broken facts file fails two requirements alike: the user sees its line once, and no report resting on it.
    facts = {"version": 1, "as_of": "2025-01-10T12:00:00+01:00", "subscriptions": [], "domain_removed": True, "bogus": 1}
    spec = write_spec(tmp_path, require=["licences", "domain_removed"], facts=facts)
    for extra in ([], ["--json"]):
        result = migrate("gate", spec, "--state", tmp_path / "s", *extra)
        assert result.returncode == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "bogus: unknown key" in lines[0]
