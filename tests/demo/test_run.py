"""`migrate demo` end to end, as a user runs it: a subprocess against the real lab.

Runs once per session (about 20 s) and every assertion reads what that run
left behind: the phase headings in order, the .eml outbox, the JSON reports
of each verify round and gate decision, the journal, the runbook.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from migrate.demo import scenario
from migrate.demo.run import PHASES
from tests.helpers.examples import ROOT

LICENSED = {"karen", "mads", "sofie", "henrik", "olivia", "jonas"}  # not the shared mailbox, not the blocked user


def _migrate(*args: str, timeout: float = 150) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = _migrate("demo", "--out", str(out), "--keep")  # --keep: the lab's configs, for the secret test
    return result, out


def test_the_demo_ends_with_the_gate_unlocked(demo):
    result, _ = demo
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "Done in" in result.stdout and "the gate is unlocked" in result.stdout


def test_every_phase_heading_appears_in_order(demo):
    result, _ = demo
    positions = [result.stdout.find(f"{n}/{len(PHASES)} {title}") for n, title in enumerate(PHASES, 1)]
    assert all(p >= 0 for p in positions), list(zip(PHASES, positions))
    assert positions == sorted(positions)


def test_the_announcement_is_an_eml_per_licensed_user_and_reached_the_relay(demo):
    _, out = demo
    files = sorted((out / "outbox" / "announce").glob("*.eml"))
    parsed = [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
    assert {str(m["To"].addresses[0].username) for m in parsed} == LICENSED
    for msg in parsed:
        assert msg["Subject"] and "Simply.com" in str(msg["Subject"])
        assert msg.get_body(("plain",)).get_content().strip()
    english = [m for m in parsed if m["To"].addresses[0].username == "olivia"]
    assert english and "Your email moves" in str(english[0]["Subject"])
    relayed = sorted((out / "relay").glob("*.eml"))
    assert len(relayed) == len(files)  # what the SMTP server accepted, one per message
    # Mads has Business Basic: no .pst export, no uninstalling Office; Karen has Business Standard
    copy = (out / "outbox" / "announce" / "admin-copy.txt").read_text(encoding="utf-8")
    assert "  mads@fjordbageriet.dk  da  kun Office på nettet og mobil\n" in copy
    assert "  karen@fjordbageriet.dk  da  Office-programmer på computeren\n" in copy
    assert "bestil@fjordbageriet.dk (Bestillinger)" in copy and "lars@fjordbageriet.dk (Lars Holm)" in copy
    assert all("Dropbox, i mappen Fjordbageriet" in m.get_body(("plain",)).get_content() for m in parsed)


def test_verify_rounds_converge_before_they_verify(demo):
    _, out = demo
    reports = [json.loads(p.read_text()) for p in sorted((out / "reports").glob("verify-*.json"))]
    statuses = [r["status"] for r in reports]
    assert "verified" in statuses
    first_verified = statuses.index("verified")
    assert first_verified > 0, statuses
    before = reports[0]
    assert before["status"] == "converging" and before["eta"]
    assert any(c["id"] == "timing.old-ttls" and c["status"] == "pending" for c in before["checks"])
    assert all(c["status"] == "pass" for c in reports[first_verified]["checks"])
    assert (out / "state" / "journal.sqlite").is_file()


def test_the_gate_is_locked_first_then_unlocked(demo):
    result, out = demo
    gates = sorted((out / "reports").glob("gate-*.json"))
    assert [p.name for p in gates] == ["gate-1-locked.json", "gate-2-unlocked.json"]
    locked, unlocked = (json.loads(p.read_text()) for p in gates)
    assert locked["status"] == "locked" and locked["runbook"] is None
    why = {c["id"]: c["status"] for c in locked["checks"]}
    assert why["attest.data-saved"] == "fail" and why["m365.domain-removed"] == "fail"
    assert why["notice.delivered"] == "pass"  # the ledger's real delivery times, 14+ days before the cutover
    assert unlocked["status"] == "unlocked"
    assert set(unlocked["requirements"].values()) == {"pass"}
    # in the spec's language (Danish), with the mailboxes the export shows nobody reads
    assert unlocked["runbook"].startswith(f"# Opsig Microsoft 365 for {scenario.DOMAIN.rstrip('.')}")
    assert unlocked["runbook"].splitlines()[0] in result.stdout  # printed, not only saved
    assert "- bestil@fjordbageriet.dk (Bestillinger): uden licens" in unlocked["runbook"]
    assert "- lars@fjordbageriet.dk (Lars Holm): login blokeret" in unlocked["runbook"]


def test_it_leaves_the_report_page_of_its_state(demo):
    result, out = demo
    page = (out / "report.html").read_text()
    assert f"{scenario.DOMAIN.rstrip('.')}: leaving Microsoft 365" in page
    assert "decision #2" in page and "unlocked" in page  # the second gate decision, as the state holds it
    assert "the report page" in result.stdout


def test_the_spec_it_wrote_is_a_valid_rfc2136_spec(demo):
    from migrate import spec

    _, out = demo
    loaded = spec.load(out / "migration.yaml")
    assert loaded.dns.host == "rfc2136" and loaded.gate.min_soak.total_seconds() == 10
    # the notice deadline (cutover - 14 days) is still ahead: the gate's notice check was met honestly
    assert loaded.cutover - timedelta(days=loaded.gate.notice_days) > datetime.now(timezone.utc)


def test_the_tsig_secret_is_nowhere_but_the_servers_config(demo):
    result, out = demo
    configs = list((out / "lab").glob("*/new1/knot.conf"))
    assert len(configs) == 1
    secrets = re.findall(r"^\s*secret:\s*(\S+)", configs[0].read_text(), re.M)
    assert secrets and all(len(s) >= 40 for s in secrets)
    leaks = [str(p) for p in out.rglob("*") if p.is_file() and "lab" not in p.relative_to(out).parts
             and any(s.encode() in p.read_bytes() for s in secrets)]
    assert leaks == []
    assert not any(s in result.stdout + result.stderr for s in secrets)


def test_a_folder_that_is_not_empty_is_refused_in_one_line(tmp_path):
    (tmp_path / "old.txt").write_text("earlier run")
    result = _migrate("demo", "--out", str(tmp_path), timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not empty" in result.stderr
