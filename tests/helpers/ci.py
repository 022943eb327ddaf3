"""Helpers for the CI tests: a gate that is locked or unlocked by the facts file alone,
and the step files a GitHub Actions runner hands a step."""

from __future__ import annotations

from pathlib import Path

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
