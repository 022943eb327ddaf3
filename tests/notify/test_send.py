"""Sending through a real SMTP server (aiosmtpd on loopback) with the ledger."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

from aiosmtpd.smtp import AuthResult
from typer.testing import CliRunner

from migrate.cli import app
from migrate.notify import ledger
from migrate.notify.ledger import Ledger
from migrate.notify.send import Pacer
from tests.helpers.notify import ADDRESSES, Recorder, Script, SmtpServer, certificate, write_spec

runner = CliRunner()


def notify(path: Path, state: Path, *args: str, env: dict | None = None):
    return runner.invoke(app, ["notify", str(path), "--wave", "announce", "--state", str(state), "--send", *args], env=env)


def test_sends_each_recipient_once_and_records_it(tmp_path):
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port})
        state = tmp_path / "state"
        result = notify(path, state)
        assert result.exit_code == 0, result.output
        assert sorted(a.rcpt_tos[0] for a in recorder.arrivals) == sorted(ADDRESSES)
        for arrival in recorder.arrivals:
            assert arrival.mail_from == "it@nordlys-tekstil.dk"
            msg = arrival.message
            assert [a.addr_spec for a in msg["To"].addresses] == arrival.rcpt_tos
            assert msg.get_body(("html",)) is not None and msg.get_body(("plain",)) is not None
        emma = next(a.message for a in recorder.arrivals if a.rcpt_tos == ["emma@nordlys-tekstil.dk"])
        assert str(emma["Subject"]).strip().startswith("Your email moves to Google Workspace")
        anne = next(a.message for a in recorder.arrivals if a.rcpt_tos == ["anne@nordlys-tekstil.dk"])
        assert str(anne["Subject"]).strip().startswith("Din mail flytter til Google Workspace")

        # The ledger says the same, and is what the gate reads.
        sent = ledger.delivered(state, "announce")
        assert sorted(sent) == sorted(ADDRESSES)
        assert all(t.tzinfo is not None and t.utcoffset() == dt.timedelta(0) for t in sent.values())
        with Ledger.open(state) as book:
            ids = {e.address: e.message_id for e in book.entries("announce")}
        assert ids == {a.rcpt_tos[0]: a.message["Message-ID"] for a in recorder.arrivals}
        assert ledger.delivered(state, "reminder") == {}

        # A second run sends nothing.
        again = notify(path, state)
        assert again.exit_code == 0, again.output
        assert len(recorder.arrivals) == len(ADDRESSES)
        assert again.stdout.count("already-sent") == len(ADDRESSES)


def test_delivered_without_a_ledger_is_empty(tmp_path):
    assert ledger.delivered(tmp_path / "nothing-here", "announce") == {}


def test_temporary_failures_are_retried_then_delivered(tmp_path):
    recorder = Recorder(Script(
        rcpt={"soren@nordlys-tekstil.dk": ["451 4.3.0 greylisted", "452 4.2.2 try later"]},
        data={"emma@nordlys-tekstil.dk": ["451 4.3.0 queue busy"]},
    ))
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port, "retries": 2})
        result = notify(path, tmp_path / "state")
        assert result.exit_code == 0, result.output
    assert recorder.rcpt_attempts["soren@nordlys-tekstil.dk"] == 3
    assert all(recorder.count(a) == 1 for a in ADDRESSES)


def test_temporary_failure_beyond_retries_fails_then_a_rerun_sends_it(tmp_path):
    recorder = Recorder(Script(rcpt={"jens@nordlys-tekstil.dk": ["421 4.7.0 closing", "450 4.2.1 mailbox busy"]}))
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port, "retries": 1})
        state = tmp_path / "state"
        first = notify(path, state)
        assert first.exit_code == 1
        assert "failed\tjens@nordlys-tekstil.dk" in first.stdout
        assert "gave up after 2 attempts" in first.stdout
        assert recorder.count("jens@nordlys-tekstil.dk") == 0
        second = notify(path, state)
        assert second.exit_code == 0, second.output
    assert all(recorder.count(a) == 1 for a in ADDRESSES)


def test_permanent_failure_is_reported_per_recipient(tmp_path):
    recorder = Recorder(Script(rcpt={"mette@nordlys-tekstil.dk": ["550 5.1.1 no such user"]}))
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port})
        state = tmp_path / "state"
        result = notify(path, state)
    assert result.exit_code == 1
    assert "failed\tmette@nordlys-tekstil.dk\tRCPT TO: 550 5.1.1 no such user" in result.stdout
    assert recorder.rcpt_attempts["mette@nordlys-tekstil.dk"] == 1  # never retried
    assert sorted(ledger.delivered(state, "announce")) == sorted(set(ADDRESSES) - {"mette@nordlys-tekstil.dk"})
    with Ledger.open(state) as book:
        entry = book.get("announce", "mette@nordlys-tekstil.dk")
    assert entry.status == "failed" and entry.permanent and "550" in entry.error


def test_only_sends_to_one(tmp_path):
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port})
        result = notify(path, tmp_path / "state", "--only", "Emma@nordlys-tekstil.dk")
    assert result.exit_code == 0, result.output
    assert [a.rcpt_tos for a in recorder.arrivals] == [["emma@nordlys-tekstil.dk"]]


def test_no_server_fails_each_message_without_uncertainty(tmp_path):
    from tests.helpers.ports import closed_port

    path = write_spec(tmp_path, smtp={"port": closed_port(), "retries": 1})
    state = tmp_path / "state"
    result = notify(path, state)
    assert result.exit_code == 1
    assert result.stdout.count("failed\t") == len(ADDRESSES)
    with Ledger.open(state) as book:
        assert book.uncertain("announce") == []


def test_starttls_and_login_with_credentials_from_the_environment(tmp_path):
    cert, key = certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recorder = Recorder()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"it-robot" and auth_data.password == b"s3cret-pw"
        recorder.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

    with SmtpServer(recorder, server_hostname="localhost", tls_context=context, require_starttls=True, authenticator=authenticator, auth_required=True) as server:
        path = write_spec(tmp_path, smtp={"host": "localhost", "port": server.port, "starttls": True, "ca_file": str(cert)})
        env = {"SMTP_USERNAME": "it-robot", "SMTP_PASSWORD": "s3cret-pw"}
        result = notify(path, tmp_path / "state", env=env)
        assert result.exit_code == 0, result.output
        assert sorted(a.rcpt_tos[0] for a in recorder.arrivals) == sorted(ADDRESSES)
        assert recorder.logins == ["it-robot"]

        wrong = notify(path, tmp_path / "state2", env={"SMTP_USERNAME": "it-robot", "SMTP_PASSWORD": "wrong-pw"})
        assert wrong.exit_code == 1
        assert "refused the login of SMTP_USERNAME" in wrong.output
        assert "wrong-pw" not in wrong.output


def test_refuses_to_send_a_password_in_clear(tmp_path):
    path = write_spec(tmp_path, smtp={"port": 2525, "starttls": False})
    result = notify(path, tmp_path / "state", env={"SMTP_USERNAME": "it-robot", "SMTP_PASSWORD": "s3cret-pw"})
    assert result.exit_code == 2
    assert "in clear" in result.output and "s3cret-pw" not in result.output


def test_a_second_run_on_the_same_state_is_refused(tmp_path):
    from migrate.notify.send import exclusive

    recorder = Recorder()
    with SmtpServer(recorder) as server:
        path = write_spec(tmp_path, smtp={"port": server.port})
        state = tmp_path / "state"
        with exclusive(state):
            result = notify(path, state)
    assert result.exit_code == 1
    assert "another `migrate notify --send` is running" in result.output
    assert recorder.arrivals == []


def test_pacer_spaces_transactions_by_the_rate():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(30, sleep, lambda: now[0])  # 30 a minute: 2 s apart
    pacer.wait()
    now[0] += 0.5
    pacer.wait()
    now[0] += 5
    pacer.wait()
    assert slept == [1.5]
