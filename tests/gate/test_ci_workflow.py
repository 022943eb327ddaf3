"""The example GitHub Actions workflow: parsed, and its gate step run with each exit code."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers.examples import EXAMPLES

WORKFLOW = EXAMPLES / "ci" / "github-actions.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    data["on"] = data.pop(True, data.get("on"))
    return data


def step(job: dict, name: str) -> dict:
    return next(s for s in job["steps"] if s.get("name") == name or s.get("id") == name)


def test_triggers_and_pulumi_jobs(workflow):
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    jobs = workflow["jobs"]
    preview = next(s for s in jobs["preview"]["steps"] if s.get("uses", "").startswith("pulumi/actions"))
    up = next(s for s in jobs["up"]["steps"] if s.get("uses", "").startswith("pulumi/actions"))
    assert preview["with"]["command"] == "preview" and "pull_request" in jobs["preview"]["if"]
    assert up["with"]["command"] == "up" and "refs/heads/main" in jobs["up"]["if"]


def test_verify_keeps_state_between_runs(workflow):
    verify = workflow["jobs"]["verify"]
    assert "schedule" in verify["if"]
    uses = [s.get("uses", "") for s in verify["steps"]]
    restore = uses.index("actions/cache/restore@v4")
    save = uses.index("actions/cache/save@v4")
    names = [s.get("name") for s in verify["steps"]]
    assert restore < names.index("verify") < save  # restore, verify, then save
    assert verify["steps"][restore]["with"]["path"] == verify["steps"][save]["with"]["path"] == "${{ env.STATE }}"
    assert verify["steps"][save]["if"] == "always()"
    assert '--state "$STATE"' in step(verify, "verify")["run"]


def test_cancel_runs_only_after_the_gate_unlocks_and_an_approval(workflow):
    jobs = workflow["jobs"]
    gate = jobs["gate"]
    assert gate["outputs"]["unlocked"] == "${{ steps.gate.outputs.unlocked }}"
    cancel = jobs["cancel"]
    assert cancel["needs"] == "gate"
    assert cancel["if"] == "needs.gate.outputs.unlocked == 'true'"
    assert cancel["environment"] == "cancel-microsoft-365"
    assert "migrate gate" in step(cancel, "runbook")["run"]


def run_gate_step(workflow, tmp_path: Path, code: int) -> tuple[int, dict]:
    """Run the gate step's own shell script with a `migrate` that exits `code`."""
    script = step(workflow["jobs"]["gate"], "gate")["run"]
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "migrate").write_text(f"#!/bin/sh\necho '{{}}'\nexit {code}\n")
    (fake / "migrate").chmod(0o755)
    out = tmp_path / f"output-{code}"
    out.write_text("")
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(out), "SPEC": "migration.yaml", "STATE": "state"}
    # GitHub runs `run:` with `bash -e {0}`.
    result = subprocess.run(["bash", "-e", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    return result.returncode, outputs


@pytest.mark.parametrize("code,job_ok,unlocked", [(0, True, "true"), (1, True, "false"), (2, False, "false"), (3, False, "false"), (70, False, "false")])
def test_the_gate_step_unlocks_on_exit_code_zero_only(workflow, tmp_path, code, job_ok, unlocked):
    returncode, outputs = run_gate_step(workflow, tmp_path, code)
    assert (returncode == 0) == job_ok
    assert outputs["unlocked"] == unlocked and outputs["exit_code"] == str(code)
