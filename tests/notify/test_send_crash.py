"""Kill -9 the sender in the middle of a batch, re-run it: nothing twice, nothing skipped.

The sender runs as a real subprocess against a real SMTP server (aiosmtpd).
The server holds one transaction open at a chosen point, the test kills the
sender there, and a re-run has to sort out what the dead run left behind.
Each test runs with the state in a folder (SQLite) and in PostgreSQL (as the
runner role), where the one-sender lock is the database's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app
from migrate.notify import ledger
from migrate.notify.ledger import Ledger
from tests.helpers.examples import ROOT
from tests.helpers.notify import ADDRESSES, Recorder, Script, SmtpServer, write_spec

runner = CliRunner()
THIRD = ADDRESSES[2]


def start_sender(path: Path, state: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
    return subprocess.Popen(
        [sys.executable, "-m", "migrate", "notify", str(path), "--wave", "announce", "--state", str(state), "--send"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def kill_when_held(proc: subprocess.Popen, recorder: Recorder) -> None:
    held = recorder.holding.wait(timeout=60)
    if not held:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"the sender never reached the held transaction: {err.decode()}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    recorder.release.set()


def rerun(path: Path, state: str, *args: str):
    return runner.invoke(app, ["notify", str(path), "--wave", "announce", "--state", str(state), "--send", *args])


def test_killed_before_the_body_is_resent_automatically(tmp_path, shared_state):
    # Held at RCPT of the third message: its claim is on disk, its body never left.
    recorder = Recorder(Script(hold_rcpt=THIRD))
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port})
        state = shared_state
        kill_when_held(start_sender(path, state), recorder)
        assert [a.rcpt_tos[0] for a in recorder.arrivals] == ADDRESSES[:2]
        with Ledger.open(state) as book:
            third = book.get("announce", THIRD)
        assert third.status == "sending" and third.phase == "envelope"
        assert sorted(ledger.delivered(state, "announce")) == sorted(ADDRESSES[:2])

        recorder.script.hold_rcpt = None
        result = rerun(path, state)
        assert result.exit_code == 0, result.output
    assert [recorder.count(a) for a in ADDRESSES] == [1, 1, 1, 1, 1]
    assert sorted(ledger.delivered(state, "announce")) == sorted(ADDRESSES)


def test_killed_after_the_body_is_uncertain_until_confirmed(tmp_path, shared_state):
    # Held after the third body arrived and was stored: the server has it, the
    # sender never heard the 250.
    recorder = Recorder(Script(hold_data=THIRD, after_hold="250 OK queued"))
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port})
        state = shared_state
        kill_when_held(start_sender(path, state), recorder)
        assert [a.rcpt_tos[0] for a in recorder.arrivals] == ADDRESSES[:3]

        recorder.script.hold_data = None
        second = rerun(path, state)
        # The rest went out; the uncertain one was listed, not resent, and the run says so.
        assert second.exit_code == 1, second.output
        assert f"uncertain\t{THIRD}" in second.stdout
        assert "--confirm-uncertain" in second.output
        assert [recorder.count(a) for a in ADDRESSES] == [1, 1, 1, 1, 1]
        assert THIRD not in ledger.delivered(state, "announce")

        # Running again changes nothing until someone decides.
        third = rerun(path, state)
        assert third.exit_code == 1
        assert [recorder.count(a) for a in ADDRESSES] == [1, 1, 1, 1, 1]

        # The relay's log shows it accepted: confirm.
        confirmed = rerun(path, state, "--confirm-uncertain")
        assert confirmed.exit_code == 0, confirmed.output
    assert [recorder.count(a) for a in ADDRESSES] == [1, 1, 1, 1, 1]
    sent = ledger.delivered(state, "announce")
    assert sorted(sent) == sorted(ADDRESSES)


def test_killed_after_the_body_the_server_refused_so_resend(tmp_path, shared_state):
    # This time the server would have refused the held message (451): it never got it.
    recorder = Recorder(Script(hold_data=THIRD, after_hold="451 4.3.0 try again"))
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port})
        state = shared_state
        kill_when_held(start_sender(path, state), recorder)
        assert recorder.count(THIRD) == 0

        recorder.script.hold_data = None
        second = rerun(path, state)
        assert second.exit_code == 1
        assert recorder.count(THIRD) == 0  # uncertain is never resent on its own

        resent = rerun(path, state, "--resend-uncertain")
        assert resent.exit_code == 0, resent.output
    assert [recorder.count(a) for a in ADDRESSES] == [1, 1, 1, 1, 1]
    third = next(a.message for a in recorder.arrivals if a.rcpt_tos == [THIRD])
    with Ledger.open(state) as book:
        assert book.get("announce", THIRD).message_id == third["Message-ID"]
        assert book.get("announce", THIRD).attempts == 2


def test_a_second_sender_is_refused_while_the_first_runs_and_not_after_it_died(tmp_path, shared_state):
    recorder = Recorder(Script(hold_rcpt=THIRD))
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port})
        first = start_sender(path, shared_state)
        assert recorder.holding.wait(timeout=60), first.communicate()[1]
        second = start_sender(path, shared_state)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1 and "another `migrate notify --send` is running" in err.decode()
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        recorder.script.hold_rcpt = None
        recorder.release.set()
        third = start_sender(path, shared_state)  # the dead sender's lock went with it
        out, err = third.communicate(timeout=60)
        assert third.returncode == 0, err.decode()
    assert [recorder.count(a) for a in ADDRESSES] == [1, 1, 1, 1, 1]
