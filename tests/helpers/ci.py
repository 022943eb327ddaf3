"""Helpers for the CI tests: a gate that is locked or unlocked by the facts file alone,
the step files a GitHub Actions runner hands a step, and the example workflow's
steps run as the runner runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers.examples import EXAMPLES, ROOT
from tests.helpers.gate import write_spec

# Read off the admin center long ago (the gate refuses facts dated in the future).
FACTS = {
    "version": 1,
    "as_of": "2025-01-10T12:00:00+01:00",
    "subscriptions": [{"product": "Microsoft 365 Business Standard", "licences": 18, "status": "Enabled"}],
}


def gate_spec(folder: Path, *, unlocked: bool, **facts) -> Path:
    """A spec whose gate needs only the facts file: unlocked exactly when the domain is removed."""
    return write_spec(folder, require=["licences", "domain_removed"], facts={**FACTS, "domain_removed": unlocked, **facts})


def step_files(folder: Path) -> dict[str, str]:
    """GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as the runner makes them: empty files, one pair a step."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"GITHUB_OUTPUT": folder / "output", "GITHUB_STEP_SUMMARY": folder / "summary.md"}
    for path in files.values():
        path.write_text("")
    return {name: str(path) for name, path in files.items()}


def outputs(env: dict[str, str]) -> dict[str, str]:
    lines = Path(env["GITHUB_OUTPUT"]).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def summary(env: dict[str, str]) -> str:
    return Path(env["GITHUB_STEP_SUMMARY"]).read_text()


# -- the example workflow ------------------------------------------------------

WORKFLOW = EXAMPLES / "ci" / "github-actions.yml"

# What GitHub runs a `run:` script with, by the `shell` the workflow names
# (docs: "Workflow syntax", jobs.<job_id>.steps[*].shell); none named is `bash -e`.
SHELLS = {None: ["bash", "-e"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], "sh": ["sh", "-e"]}


def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    data["on"] = data.pop(True, data.get("on"))
    return data


def step(job: dict, name: str) -> dict:
    return next(s for s in job["steps"] if s.get("name") == name or s.get("id") == name)


def run_steps(flow: dict):
    """(job id, job, step) for every step with a `run:` script."""
    for job_id, job in flow["jobs"].items():
        for each in job["steps"]:
            if "run" in each:
                yield job_id, job, each


def shell(flow: dict, job: dict, each: dict) -> list[str]:
    """The command GitHub runs this step's script with: the step's shell, else the job's, else the workflow's default."""
    name = each.get("shell") or job.get("defaults", {}).get("run", {}).get("shell") or flow.get("defaults", {}).get("run", {}).get("shell")
    return SHELLS[name]


def run_step(flow: dict, job_id: str, name: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run one step's script as the runner would: its shell, the workflow's, job's and step's env
    (`${{ ... }}` values are the runner's to fill: `env` gives them), and `migrate` on PATH."""
    job = flow["jobs"][job_id]
    each = step(job, name)
    declared = {**flow.get("env", {}), **job.get("env", {}), **each.get("env", {})}
    filled = {key: "" if "${{" in str(value) else str(value) for key, value in declared.items()}
    bin_dir = cwd / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "migrate"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m migrate "$@"\n')
    shim.chmod(0o755)
    script = cwd / f"{job_id}-{name}.sh"
    script.write_text(each["run"])
    full = {**os.environ, **filled, **env, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    return subprocess.run([*shell(flow, job, each), str(script)], env=full, cwd=cwd, capture_output=True, text=True, timeout=120)
