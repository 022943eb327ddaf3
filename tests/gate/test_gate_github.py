"""`migrate gate --ci github`: step outputs, the job summary, and the files GitHub names."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest

from migrate import github
from migrate.errors import BadInput
from migrate.gate import github as gate_github
from migrate.gate.result import Verdict
from migrate.gate.run import GateRun
from migrate.report import Check
from tests.helpers.ci import gate_spec, outputs, step_files, summary
from tests.helpers.examples import ROOT
from tests.helpers.gate import DOMAIN, NOW, load, write_spec


def gate(spec, state, *args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "migrate", "gate", str(spec), "--state", str(state), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, **(env or {})},
    )


def test_a_locked_gate_fails_and_says_why_in_outputs_and_summary(tmp_path):
    spec = gate_spec(tmp_path, unlocked=False)
    env = step_files(tmp_path / "step")
    result = gate(spec, tmp_path / "state", "--ci", "github", env=env)
    assert result.returncode == 1, result.stderr
    out = outputs(env)
    assert out["status"] == "locked" and out["unlocked"] == "false" and out["domain"] == DOMAIN
    assert json.loads(out["requirements"]) == {"licences": "pass", "domain_removed": "fail"}
    assert out["earliest_unlock"] == "" and out["generated_at"].endswith("Z")
    text = summary(env)
    assert text.startswith("### Cancel gate: LOCKED")
    assert "| fail | m365\\.domain\\-removed |" in text and "Cancel runbook" not in text
    assert "LOCKED" in result.stdout  # the terminal report as without --ci


def test_an_unlocked_gate_passes_with_the_runbook_in_the_summary(tmp_path):
    spec = gate_spec(tmp_path, unlocked=True)
    env = step_files(tmp_path / "step")
    result = gate(spec, tmp_path / "state", "--ci", "github", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "unlocked"
    assert outputs(env)["status"] == "unlocked" and outputs(env)["unlocked"] == "true"
    text = summary(env)
    assert text.startswith("### Cancel gate: UNLOCKED") and "#### Cancel runbook\n\n```text\n# Opsig Microsoft 365" in text


def test_locked_ok_keeps_a_scheduled_report_green_but_not_bad_input(tmp_path):
    spec = gate_spec(tmp_path, unlocked=False)
    env = step_files(tmp_path / "step")
    assert gate(spec, tmp_path / "state", "--ci", "github", "--locked-ok", env=env).returncode == 0
    assert outputs(env)["unlocked"] == "false"
    (tmp_path / "broken").mkdir()
    broken = gate_spec(tmp_path / "broken", unlocked=True, bogus=1)
    env = step_files(tmp_path / "step2")
    result = gate(broken, tmp_path / "state2", "--ci", "github", "--locked-ok", env=env)
    assert result.returncode == 2
    out = outputs(env)
    assert out["status"] == "error" and out["unlocked"] == "false" and "bogus: unknown key" in out["error"]
    assert summary(env).startswith("### Cancel gate: ERROR\n\n") and "bogus" in summary(env)


def test_step_files_are_checked_before_anything_is_decided(tmp_path):
    spec = gate_spec(tmp_path, unlocked=True)
    state = tmp_path / "state"
    env = step_files(tmp_path / "step")
    link = tmp_path / "link"
    link.symlink_to(env["GITHUB_OUTPUT"])
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cases = {
        "is not set": {**env, "GITHUB_OUTPUT": ""},
        "cannot be opened": {**env, "GITHUB_STEP_SUMMARY": str(tmp_path / "missing")},
        "cannot be opened to append": {**env, "GITHUB_OUTPUT": str(link)},  # a link is not followed
        "not a regular file": {**env, "GITHUB_STEP_SUMMARY": os.devnull},
    }
    for words, bad in cases.items():
        result = gate(spec, state, "--ci", "github", env=bad)
        assert result.returncode == 2 and words in result.stderr, (words, result.stderr)
    # A pipe with no reader is refused at once, never waited on.
    result = gate(spec, state, "--ci", "github", env={**env, "GITHUB_OUTPUT": str(fifo)})
    assert result.returncode == 2 and "cannot be opened to append" in result.stderr
    assert not state.exists()  # no decision was made, none audited
    assert outputs(env) == {} and summary(env) == ""


def test_unknown_ci_and_explain_are_bad_input(tmp_path):
    spec = gate_spec(tmp_path, unlocked=True)
    env = step_files(tmp_path / "step")
    unknown = gate(spec, tmp_path / "state", "--ci", "gitlab", env=env)
    assert unknown.returncode == 2 and "unknown CI system 'gitlab'" in unknown.stderr
    both = gate(spec, tmp_path / "state", "--ci", "github", "--explain", env=env)
    assert both.returncode == 2 and "choose one" in both.stderr


def setenv(monkeypatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


HOSTILE = "x | y\n### UNLOCKED <img src=https://evil.example/p.gif> [click](https://evil.example) ![i](https://evil.example/i) `code` **b** &amp; \x1b[2J\u202e"


def verdict_with(observed: str, *, status: str = "locked") -> GateRun:
    check = Check(id="licences.seats", status="fail", subject=observed, observed=observed, expected=observed, detail=observed, fix=observed,
                  eta=NOW + timedelta(hours=5))
    verdict = Verdict(DOMAIN, status, NOW, {"licences": "fail"}, (check,), earliest_unlock=NOW + timedelta(hours=5))
    return GateRun(verdict, "runbook\n```\n## not a heading of ours\n````\nend\n" if status == "unlocked" else None)


def test_outside_text_cannot_shape_the_summary(tmp_path, monkeypatch):
    spec = load(write_spec(tmp_path))
    env = step_files(tmp_path / "step")
    setenv(monkeypatch, env)
    with github.Step.open() as files:
        gate_github.report(files, spec, verdict_with(HOSTILE, status="unlocked"))
    text = summary(env)
    table = text[: text.index("#### Cancel runbook")]
    rows = [line for line in table.splitlines() if line.startswith("| fail")]
    assert len(rows) == 1  # the line break did not start a row or a heading of its own
    row = rows[0]
    # Every pipe the value brought is escaped: the row keeps its six cells.
    assert row.replace("\\|", "").count("|") == 7
    # Each mark that would make a tag, an entity, a link, an image, code or emphasis is escaped.
    for escaped in ("\\<img src\\=https\\:\\/\\/evil\\.example", "\\[click\\]\\(https", "\\!\\[i\\]", "\\`code\\`", "\\*\\*b\\*\\*", "\\&amp\\;"):
        assert escaped in row, escaped
    assert re.search(r"(?<!\\)[<>\[\]`*&|]", row.replace("| ", "").replace(" |", "")) is None
    assert "\x1b" not in row and "\u202e" not in row
    assert "earliest: 2027-01-20 18:00 CET" in row  # the spec's time zone
    assert [line for line in table.splitlines() if line.startswith("#")] == [text.splitlines()[0]]  # only our heading
    # The runbook's fence is longer than any backticks inside it, so nothing in it closes it.
    runbook = text[text.index("#### Cancel runbook"):]
    assert runbook.startswith("#### Cancel runbook\n\n`````text\nrunbook\n```\n") and runbook.endswith("\nend\n`````\n")
    assert outputs(env)["earliest_unlock"] == "2027-01-20T17:00:00Z"


def test_secrets_never_reach_outputs_or_summary(tmp_path, monkeypatch):
    spec = load(write_spec(tmp_path))
    env = step_files(tmp_path / "step")
    setenv(monkeypatch, {**env, "GRAPH_CLIENT_SECRET": "s3cr3t~value"})
    with pytest.raises(BadInput):
        with github.Step.open() as files:
            gate_github.report(files, spec, verdict_with("token s3cr3t~value in an error", status="unlocked"))
            gate_github.failed(files, BadInput("Graph said s3cr3t%7Evalue"))
            raise BadInput("stop")
    written = summary(env) + open(env["GITHUB_OUTPUT"]).read()
    assert "s3cr3t" not in written and "\\*\\*\\*" in written and "error=Graph said ***" in written


def test_the_summary_stays_within_githubs_limit(tmp_path, monkeypatch):
    spec = load(write_spec(tmp_path))
    env = step_files(tmp_path / "step")
    open(env["GITHUB_STEP_SUMMARY"], "w").write("x" * (github.SUMMARY_LIMIT - 600))
    setenv(monkeypatch, env)
    with github.Step.open() as files:
        gate_github.report(files, spec, verdict_with("y" * 400))
    text = summary(env)
    assert len(text.encode()) <= github.SUMMARY_LIMIT
    assert text.endswith(github.CUT_NOTE) and "| fail | licences" not in text  # the row did not fit: left out whole
    open(env["GITHUB_STEP_SUMMARY"], "w").write("x" * (github.SUMMARY_LIMIT - 10))
    with github.Step.open() as files:  # too full for the note: nothing more
        files.add_summary(["more\n"])
    assert summary(env) == "x" * (github.SUMMARY_LIMIT - 10)


def test_inert_cuts_long_values_and_output_values_are_one_line(tmp_path):
    assert github.inert("a" * 900) == "a" * 499 + "…"
    env = step_files(tmp_path / "step")
    with github.Step.open(env) as files:
        files.set_outputs({"one": "two\nthree=four", "long": "z" * 5000})
        with pytest.raises(ValueError):
            files.set_outputs({"bad\nname": "x"})
    out = outputs(env)
    assert out == {"one": "two three=four", "long": "z" * (github.VALUE_LIMIT - 1) + "…"}
