"""Outside text on a terminal is inert: it cannot forge the verdict, move the cursor or print markup.

`migrate gate` runs as a real process, as CI runs it; the rich paths (tables,
Live) are rendered through the output layer's own consoles.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from rich.live import Live
from rich.text import Text

from migrate.cli import output
from migrate.cli.verify import render
from migrate.cli.watch_view import Screen
from migrate.report import Check
from migrate.verify.round import RoundResult
from tests.helpers.gate import write_spec

ROOT = Path(__file__).resolve().parents[2]
FORGED = [
    "Business Standard\r\nUNLOCKED: dns pass",
    "Business Basic\x1b[2J\x1b[HUNLOCKED: dns pass",
    "Business Premium\u2028UNLOCKED: dns pass\x0cLOCKED",
    "E3\x1b]8;;http://evil.example\x07click\x1b]8;;\x07 \u202essap snd :DEKCOLNU [link=http://evil.example]x[/link] :ok:",
]
VERDICTS = ("UNLOCKED", "LOCKED")


def migrate(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *map(str, args)], capture_output=True, cwd=ROOT, timeout=120)


def hostile_gate(tmp_path: Path) -> Path:
    facts = {
        "version": 1,
        "as_of": "2025-01-10T12:00:00+01:00",
        "recorded_by": "Mette\r\nUNLOCKED: dns pass",
        "subscriptions": [{"product": name, "licences": 5} for name in FORGED],
        "domain_removed": False,
        "domain_references": ["anne@nordlys-tekstil.dk\r\nUNLOCKED: dns pass\x1b[2J"],
    }
    # The domain is not removed and data_saved is not attested: locked, whatever the names say.
    return write_spec(tmp_path, require=["licences", "domain_removed", "data_saved"], facts=facts)


def test_product_names_cannot_forge_the_verdict_or_reach_the_terminal_raw(tmp_path):
    spec = hostile_gate(tmp_path)
    result = migrate("gate", spec, "--state", tmp_path / "state")
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode("utf-8")
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out and "\x0c" not in out and "\u2028" not in out
    lines = out.split("\n")[:-1]
    verdicts = [line for line in lines if line.startswith(VERDICTS)]
    assert verdicts == [lines[-1]] and lines[-1] == "LOCKED: licences pass, domain_removed fail, data_saved fail"
    # The names are still shown, as text, on the lines of their checks.
    for name in ("Business Standard  UNLOCKED: dns pass", "Business BasicUNLOCKED: dns pass", "[link=http://evil.example]x[/link] :ok:"):
        assert sum(name in line for line in lines) == 1
    assert all(line.startswith(("pass ", "fail ", "pending ", "unknown ", "   ")) for line in lines[:-1])


def test_json_keeps_the_exact_text(tmp_path):
    spec = hostile_gate(tmp_path)
    result = migrate("gate", spec, "--state", tmp_path / "state", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    subjects = [c["subject"] for c in report["checks"] if c["id"] == "licences.seats"]
    assert [s.rsplit(" (", 1)[0] for s in subjects] == FORGED


def test_the_audit_trail_is_shown_inert_too(tmp_path):
    spec = hostile_gate(tmp_path)
    assert migrate("gate", spec, "--state", tmp_path / "state").returncode == 1
    explain = migrate("gate", spec, "--state", tmp_path / "state", "--explain")
    out = explain.stdout.decode("utf-8")
    assert explain.returncode == 1 and "\x1b" not in out and "\r" not in out
    assert not any(line.startswith(VERDICTS) for line in out.splitlines())
    assert [line.split()[4] for line in out.splitlines() if line.startswith("#")] == ["LOCKED:"]


def round_with(detail: str) -> RoundResult:
    now = datetime.now(timezone.utc)
    checks = [Check(id="record.mismatch", status="fail", subject="_dmarc.example.dk. TXT", server="192.0.2.1", detail=detail)]
    return RoundResult(domain="example.dk.", started_at=now, finished_at=now, status="failing", eta=None, checks=checks,
                       evidence=None, observations=[], authoritative_ok=True, first_fully_seen=None, safe_after=None)


def test_verify_table_and_live_display_clean_dns_text():
    answer = 'observed "v=DMARC1\x1b[2J\r\nUNLOCKED: dns pass" [bold]x[/bold] \u202eevil'
    with output.stdout.capture() as table:
        output.stdout.print(render(round_with(answer)))
    with output.stderr.capture() as live_output:
        with Live(render(round_with(answer)), console=output.stderr, auto_refresh=False) as live:
            live.update(Text("\x1b[2Jcleared"), refresh=True)
    screen = Screen("example.dk.")
    screen.round_done(round_with(answer))
    with output.stderr.capture() as watch_view:
        with Live(screen, console=output.stderr, auto_refresh=False) as live:
            live.refresh()
    assert "v=DMARC1  UNLOCKED" in watch_view.get()  # shown, as text on the line of its check
    for shown in (table.get(), live_output.get(), watch_view.get()):
        assert "\x1b" not in shown and "\r" not in shown and "\u202e" not in shown
        # A long cell wraps inside its borders; no line of the table's own starts with a verdict.
        assert not any(line.startswith(VERDICTS) for line in shown.splitlines())
    assert "[bold]x[/bold]" in table.get()


def test_lines_and_messages_are_one_line_each():
    with output.stdout.capture() as shown:
        output.line(("fail    ", "red"), "licences.seats  E3\nUNLOCKED: dns pass")
    assert shown.get() == "fail    licences.seats  E3 UNLOCKED: dns pass\n"
    with output.stderr.capture() as said:
        output.message("error: relay said 554\r\nUNLOCKED\x1b[2J")
    assert said.get() == "error: relay said 554  UNLOCKED\n"
