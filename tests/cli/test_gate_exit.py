"""`migrate gate FOLDER` and `migrate gate SPEC SPEC...`: one decision for the tenant, as a user and CI run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from tests.helpers.ci import outputs, step_files, summary
from tests.helpers.examples import ROOT
from tests.helpers.gate import DOMAIN, write_spec

OTHER = "nordlys.com"
INITIAL = "nordlystekstil.onmicrosoft.com"
REQUIRE = ["domain_removed", "tenant"]


def migrate(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, **(env or {})})


def exit_folder(folder, domains: list[str]):
    facts = {"version": 1, "as_of": (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0).isoformat(), "domains": domains}
    write_spec(folder, require=REQUIRE, facts=facts)
    write_spec(folder, require=REQUIRE, facts=facts, domain=OTHER, name="nordlys.com.yaml")
    return folder


def test_a_folder_is_one_decision_locked_by_a_domain_still_in_the_tenant(tmp_path):
    (tmp_path / "exit").mkdir()
    folder = exit_folder(tmp_path / "exit", [INITIAL, OTHER, "kampagne.dk"])
    state = tmp_path / "state"
    text = migrate("gate", folder, "--state", state)
    assert text.returncode == 1, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == DOMAIN and OTHER in lines and "tenant nordlystekstil" in lines
    assert any(line.startswith("fail") and "tenant.uncovered  kampagne.dk: in the tenant; no spec of this exit covers it" in line for line in lines)
    assert any(line.startswith("fail") and "m365.domain-removed  nordlys.com: still in the tenant" in line for line in lines)
    assert lines[-1] == "LOCKED: domain_removed fail, tenant fail"

    result = migrate("gate", folder, "--state", state, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["domain"] == f"{DOMAIN}, {OTHER}" and report["tenant"] == "nordlystekstil" and report["status"] == "locked"
    assert report["requirements"] == {"domain_removed": "fail", "tenant": "fail"}
    assert {c["id"] for c in report["checks"]} == {"tenant.covered", "tenant.initial", "tenant.uncovered"}
    assert [(d["domain"], d["status"], d["requirements"]) for d in report["domains"]] == [
        (DOMAIN, "locked", {"domain_removed": "pass", "tenant": "fail"}),
        (OTHER, "locked", {"domain_removed": "fail", "tenant": "fail"}),
    ]

    explain = migrate("gate", folder, "--state", state, "--explain", "--json")
    assert explain.returncode == 1
    history = json.loads(explain.stdout)
    assert history["domain"] == "tenant:nordlystekstil" and [d["status"] for d in history["decisions"]] == ["locked", "locked"]
    single = migrate("gate", folder / "nordlys.com.yaml", "--state", state, "--explain", "--json")
    assert [d["report"]["status"] for d in json.loads(single.stdout)["decisions"]] == ["locked", "locked"]  # each domain's row too


def test_every_domain_migrated_or_gone_unlocks_the_exit_with_one_runbook(tmp_path):
    (tmp_path / "exit").mkdir()
    folder = exit_folder(tmp_path / "exit", [INITIAL])
    env = step_files(tmp_path / "step")
    result = migrate("gate", folder / "migration.yaml", folder / "nordlys.com.yaml", "--state", tmp_path / "state", "--ci", "github", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "UNLOCKED: domain_removed pass, tenant pass" in result.stdout
    assert f"# Opsig Microsoft 365 for {DOMAIN}, {OTHER}" in result.stdout
    out = outputs(env)
    assert out["status"] == "unlocked" and out["domain"] == f"{DOMAIN}, {OTHER}"
    text = summary(env)
    assert f"#### {DOMAIN}\n" in text.replace("\\", "") and "#### tenant\n" in text and "#### Cancel runbook" in text


def test_specs_in_different_folders_need_one_state_named(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    write_spec(first, require=REQUIRE)
    write_spec(second, require=REQUIRE, domain=OTHER)
    result = migrate("gate", first / "migration.yaml", second / "migration.yaml", env={"M365_EXIT_STATE": ""})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "name the exit's state with --state" in result.stderr
    assert not (first / ".migrate").exists() and not (second / ".migrate").exists()
