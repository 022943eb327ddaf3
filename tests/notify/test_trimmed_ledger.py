"""A ledger trimmed, emptied or edited behind the sender's back stops `migrate notify --send` (a real SMTP server listens).

Each case first sends the wave, so that a sender trusting what is left of
the ledger would send every recipient the same message again.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.errors import BrokenChain
from migrate.notify import ledger
from tests.helpers.notify import ADDRESSES, Recorder, SmtpServer, write_spec
from tests.helpers.tamper import tamper

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def notify(spec: Path, state: Path):
    return runner.invoke(app, ["notify", str(spec), "--wave", "announce", "--state", str(state), "--send"])


@pytest.fixture
def sent(tmp_path):
    """(spec, state, recorder): the announce wave delivered to everyone once, the server still listening."""
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        spec = write_spec(tmp_path, smtp={"port": server.port})
        state = tmp_path / "state"
        assert notify(spec, state).exit_code == 0
        assert len(recorder.arrivals) == len(ADDRESSES)
        yield spec, state, recorder


def refused(result, recorder, *words: str) -> None:
    """Exit 2, one line naming the ledger file and what is wrong, and not one message more."""
    assert result.exit_code == 2, result.output
    assert len(recorder.arrivals) == len(ADDRESSES)
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    for word in ("notify.sqlite", *words):
        assert word in line, result.stderr
    assert "Traceback" not in result.output


def newest_event(state: Path) -> int:
    with sqlite3.connect(state / ledger.FILENAME) as db:
        return db.execute("SELECT max(id) FROM events").fetchone()[0]


def test_the_newest_event_deleted(sent):
    spec, state, recorder = sent
    tamper(state / ledger.FILENAME, f"DELETE FROM events WHERE id = {newest_event(state)}")
    refused(notify(spec, state), recorder, "head says")


def test_the_messages_emptied(sent):
    spec, state, recorder = sent
    tamper(state / ledger.FILENAME, "DELETE FROM messages")
    refused(notify(spec, state), recorder, "its row is gone")


def test_a_sent_message_made_failed(sent):
    spec, state, recorder = sent
    tamper(state / ledger.FILENAME, "UPDATE messages SET status = 'failed' WHERE address = 'anne@nordlys-tekstil.dk'")
    refused(notify(spec, state), recorder, "anne@nordlys-tekstil.dk", "its row says failed")


def test_the_whole_ledger_emptied_after_a_gate_saw_it(sent):
    """Rows and heads all gone verify as a new ledger: the newest gate decision still remembers it."""
    spec, state, recorder = sent
    gate = subprocess.run([sys.executable, "-m", "migrate", "gate", str(spec), "--state", str(state)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert gate.returncode == 2  # no facts file: bad input, but the decision, with the ledger's head, is recorded
    tamper(state / ledger.FILENAME, "DELETE FROM events", "DELETE FROM messages", "DELETE FROM chain_heads")
    refused(notify(spec, state), recorder, "not what gate decision #1 saw", "0 entries now")
    (state / ledger.FILENAME).unlink()
    refused(notify(spec, state), recorder, "0 entries now")


def test_a_deleted_sending_run_is_found_not_forgotten(tmp_path):
    """The runs (and the data deadline their messages named, and any --force) are a chain like the events."""
    with ledger.Ledger.open(tmp_path) as book:
        book.begin("announce", data_deadline="2027-02-22", forced=None)
        book.begin("cutover", data_deadline=None, forced="outside its window")
    assert [s.wave for s in ledger.sends(tmp_path)] == ["announce", "cutover"]
    tamper(tmp_path / ledger.FILENAME, "DELETE FROM sends WHERE wave = 'cutover'")
    with pytest.raises(BrokenChain, match="sending runs"):
        ledger.sends(tmp_path)
