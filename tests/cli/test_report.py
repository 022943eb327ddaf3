"""`migrate report` as a user runs it (a subprocess): where the page goes, and the state it refuses to draw from."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from migrate.gate import run as gate_run
from migrate.journal import Journal
from migrate.state import location
from tests.helpers.gate import load, write_spec
from tests.helpers.report import KNOWN, Page, write_history
from tests.helpers.state import migrate, one_line
from tests.helpers.tamper import tamper

NOW = datetime.now(timezone.utc)


def history(tmp_path: Path, state: str | None = None) -> tuple[Path, str]:
    spec_path = write_spec(tmp_path, require=["dns"])
    state = state or str(tmp_path / "state")
    write_history(location.parse(state), load(spec_path))
    return spec_path, state


def test_the_page_goes_next_to_the_state_by_default_to_out_or_to_stdout(tmp_path):
    spec, state = history(tmp_path)
    done = migrate("report", str(spec), "--state", state)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr.strip() == f"wrote {Path(state) / 'report.html'}"
    assert len(Page((Path(state) / "report.html").read_text(encoding="utf-8")).rows) == sum(map(len, KNOWN.rows.values()))

    out = tmp_path / "site" / "exit.html"
    done = migrate("report", str(spec), "--state", state, "--out", str(out))
    assert done.returncode == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    printed = migrate("report", str(spec), "--state", state, "--out", "-")
    assert printed.returncode == 0 and printed.stderr == ""
    assert Page(printed.stdout).rows == Page(out.read_text(encoding="utf-8")).rows


def test_a_folder_as_out_or_a_broken_spec_is_one_line_exit_2(tmp_path):
    spec, state = history(tmp_path)
    done = migrate("report", str(spec), "--state", state, "--out", str(tmp_path))
    assert done.returncode == 2 and one_line(done) == f"error: --out {tmp_path}: is a folder; give a file name, e.g. {tmp_path / 'report.html'}"
    spec.write_text(spec.read_text() + "colour: blue\n")
    done = migrate("report", str(spec), "--state", state)
    assert done.returncode == 2 and "colour" in one_line(done)


def test_an_edited_journal_is_refused_and_the_last_page_stays(tmp_path):
    spec, state = history(tmp_path)
    assert migrate("report", str(spec), "--state", state).returncode == 0
    page = Path(state) / "report.html"
    before = page.read_bytes()
    tamper(Path(state) / "journal.sqlite", "UPDATE rounds SET status = 'verified' WHERE id = 1")
    done = migrate("report", str(spec), "--state", state)
    assert done.returncode == 2, done.stderr
    line = one_line(done)
    assert "journal.sqlite: verify rounds for nordlys-tekstil.dk, entry 1 of 3" in line
    assert page.read_bytes() == before


def test_a_journal_put_back_behind_the_gates_last_decision_is_refused(tmp_path):
    spec_path = write_spec(tmp_path, require=["dns"])
    spec, state = load(spec_path), tmp_path / "state"
    write_history(state, spec)
    older = tmp_path / "older.sqlite"
    with sqlite3.connect(state / "journal.sqlite") as source, sqlite3.connect(older) as copy:
        source.backup(copy)
    with Journal.open(state) as journal:  # one more round, and a decision that saw all four
        latest = journal.latest(spec.domain)
        journal.record_round(domain=spec.domain, started_at=latest.finished_at, finished_at=NOW, status="verified",
                             authoritative_ok=True, eta=None, safe_after=latest.safe_after, checks=latest.checks, observations=[])
    gate_run.run(spec, state, now=NOW)
    with sqlite3.connect(older) as copy, sqlite3.connect(state / "journal.sqlite") as target:
        copy.backup(target)
    done = migrate("report", str(spec_path), "--state", str(state))
    assert done.returncode == 2, done.stderr
    assert "not what gate decision #2 saw" in one_line(done)
    assert not (state / "report.html").exists()


def test_a_shared_state_draws_the_same_page(tmp_path, shared_state):
    spec, state = history(tmp_path, shared_state)
    done = migrate("report", str(spec), "--state", state)
    assert done.returncode == 0, done.stderr
    written = Path(state) / "report.html" if "://" not in state else tmp_path / ".migrate" / "report.html"
    rows = Page(written.read_text(encoding="utf-8")).rows
    assert [(row["group"], row["name"]) for row in rows] == [(g, n) for g, names in KNOWN.rows.items() for n in names]
    assert "password" not in written.read_text(encoding="utf-8")
