"""The example GitHub Actions workflow, parsed: its jobs, triggers, state, concurrency and scripts."""

from __future__ import annotations

import re

import pytest

from migrate.notify import waves
from tests.helpers.ci import run_steps, shell, step
from tests.helpers.ci import workflow as load_workflow

STATE_WRITERS = ("verify", "send-wave", "attest-data-saved")


@pytest.fixture(scope="module")
def workflow() -> dict:
    return load_workflow()


def test_triggers_and_pulumi_jobs(workflow):
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    jobs = workflow["jobs"]
    preview = next(s for s in jobs["preview"]["steps"] if s.get("uses", "").startswith("pulumi/actions"))
    up = next(s for s in jobs["up"]["steps"] if s.get("uses", "").startswith("pulumi/actions"))
    assert preview["with"]["command"] == "preview" and "pull_request" in jobs["preview"]["if"]
    assert up["with"]["command"] == "up" and "refs/heads/main" in jobs["up"]["if"]
    assert 'migrate plan "$SPEC"' in [s.get("run") for s in jobs["preview"]["steps"]]


def test_the_dispatch_offers_every_task_and_wave(workflow):
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["task"]["options"] == ["verify", "send-wave", "attest-data-saved", "cancel"]
    assert tuple(inputs["wave"]["options"]) == waves.WAVES
    jobs = workflow["jobs"]
    assert "schedule" in jobs["verify"]["if"] and "inputs.task == 'verify'" in jobs["verify"]["if"]
    assert jobs["send-wave"]["if"] == "inputs.task == 'send-wave'"
    assert jobs["attest-data-saved"]["if"] == "inputs.task == 'attest-data-saved'"
    assert '--wave "$WAVE"' in step(jobs["send-wave"], "send")["run"] and "--send" in step(jobs["send-wave"], "send")["run"]
    assert jobs["send-wave"]["env"]["WAVE"] == "${{ inputs.wave }}"
    attest = jobs["attest-data-saved"]
    assert attest["env"]["ATTESTED_BY"] == "${{ github.actor }}"
    assert 'data-saved --by "$ATTESTED_BY"' in step(attest, "attest")["run"]


def test_the_state_is_the_shared_database_never_a_cache(workflow):
    text = str(workflow)
    assert "actions/cache" not in text
    # The one artifact is the report page, never the state.
    uploads = [s for _, job in workflow["jobs"].items() for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert [u["with"]["path"] for u in uploads] == ["${{ runner.temp }}/m365-exit-report.html"]
    for job_id, job, each in run_steps(workflow):
        if "migrate" in each["run"] and "migrate plan" not in each["run"]:
            assert '--state "$M365_EXIT_STATE"' in each["run"], job_id
            assert job["env"]["M365_EXIT_STATE"] == "${{ secrets.M365_EXIT_STATE }}", job_id


def test_state_writers_take_turns_and_the_cancel_approval_blocks_none(workflow):
    jobs = workflow["jobs"]
    assert "concurrency" not in workflow  # a workflow-wide group would hold verify behind an approval
    for job_id in STATE_WRITERS:
        assert jobs[job_id]["concurrency"] == {"group": "m365-exit-state", "cancel-in-progress": False}, job_id
    cancel = jobs["cancel"]
    assert cancel["concurrency"]["group"] not in {jobs[j]["concurrency"]["group"] for j in STATE_WRITERS}
    assert "environment" not in jobs["send-wave"] and "environment" not in jobs["verify"]


def test_cancel_runs_only_when_asked_after_an_unlocked_gate_and_an_approval(workflow):
    jobs = workflow["jobs"]
    verify = jobs["verify"]
    assert verify["outputs"]["unlocked"] == "${{ steps.gate.outputs.unlocked }}"
    assert step(verify, "verify")["continue-on-error"] is True  # a round's status is the gate's to judge
    assert step(verify, "gate")["run"].endswith("--ci github --locked-ok")
    cancel = jobs["cancel"]
    assert cancel["needs"] == "verify"
    assert cancel["if"] == "inputs.task == 'cancel' && needs.verify.outputs.unlocked == 'true'"
    assert cancel["environment"] == "cancel-microsoft-365"
    runbook = step(cancel, "runbook")["run"]
    assert runbook.strip() == 'migrate gate "$SPEC" --state "$M365_EXIT_STATE" --ci github'


def test_scripts_hold_no_expressions_and_no_exit_code_logic(workflow):
    for job_id, job, each in run_steps(workflow):
        script = each["run"]
        assert "${{" not in script, (job_id, script)  # outside values come in through env only
        assert not re.search(r"\$\?|set \+e|\|\||exit ", script), (job_id, script)
        assert shell(workflow, job, each)[-1] == "pipefail", job_id  # a pipe cannot hide a failure


def test_the_scheduled_run_uploads_the_report_page_even_after_a_failed_gate(workflow):
    steps = workflow["jobs"]["verify"]["steps"]
    names = [s.get("name") or s.get("uses") for s in steps]
    assert names[-3:] == ["gate", "report", "actions/upload-artifact@v4"]
    report, upload = steps[-2:]
    assert report["run"].strip() == 'migrate report "$SPEC" --state "$M365_EXIT_STATE" --out "$RUNNER_TEMP/m365-exit-report.html"'
    assert report["if"] == upload["if"] == "${{ !cancelled() }}"
    assert upload["with"]["name"] == "m365-exit-report" and upload["with"]["if-no-files-found"] == "error"
