"""Sending ends in bounded time, stops at a failed login, and never shows SMTP_PASSWORD.

Real servers on loopback: aiosmtpd with STARTTLS and AUTH, and a raw relay
that drips a reply a byte at a time for ever. Bounds are asserted with a
generous slack for a loaded machine; the servers would hold a client far
longer.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.smtp import MISSING, AuthResult
from typer.testing import CliRunner

from migrate.cli import app
from migrate.notify import ledger
from migrate.notify.ledger import Ledger
from migrate.notify.send import MESSAGE_STEPS, SETUP_STEPS
from tests.helpers.notify import ADDRESSES, USERS_CSV, Recorder, SmtpServer, write_spec
from tests.helpers.secret_forms import ASCII_SECRET, encodings
from tests.helpers.notify import certificate

runner = CliRunner()
SLACK = 20.0
USER = "it-robot"
ONE_USER = "\n".join(USERS_CSV.splitlines()[:2]) + "\r\n"


def notify(path: Path, state: Path, password: str = "s3cret-pw"):
    start = time.monotonic()
    result = runner.invoke(
        app, ["notify", str(path), "--wave", "announce", "--state", str(state), "--send"], env={"SMTP_USERNAME": USER, "SMTP_PASSWORD": password}
    )
    return result, time.monotonic() - start


class Relay(Recorder):
    """aiosmtpd's handler: counts logins (connections that sent AUTH, each trying one
    mechanism after another); with `hold`, never answers an AUTH."""

    def __init__(self, hold: bool = False) -> None:
        super().__init__()
        self.hold = hold
        self.sessions: list = []  # the objects, not their ids: an id may be reused

    @property
    def auths(self) -> int:
        return len(self.sessions)

    async def handle_AUTH(self, server, session, envelope, *args):
        if not any(seen is session for seen in self.sessions):
            self.sessions.append(session)
        if self.hold:
            await self._hold()
        return MISSING  # then the authenticator decides, as without this hook


@pytest.fixture
def tls(tmp_path):
    cert, key = certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def relay(handler, tls, authenticator):
    cert, context = tls
    return SmtpServer(handler, server_hostname="localhost", tls_context=context, require_starttls=True, authenticator=authenticator, auth_required=True)


def smtp_settings(server, cert, **extra) -> dict:
    return {"host": "localhost", "port": server.port, "starttls": True, "ca_file": str(cert), **extra}


def one_error_line(result) -> str:
    (line,) = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert "Traceback" not in result.output
    return line


def test_a_refused_login_stops_the_send_and_a_rerun_sends_everyone(tmp_path, tls):
    handler = Relay()

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.password == b"s3cret-pw", handled=False)

    with relay(handler, tls, authenticator) as server:
        path = write_spec(tmp_path, smtp=smtp_settings(server, tls[0]))
        state = tmp_path / "state"
        wrong, _ = notify(path, state, password="wrong-pw")
        assert wrong.exit_code == 1
        line = one_error_line(wrong)
        assert "refused the login of SMTP_USERNAME (535" in line and "stopped" in line
        assert handler.auths == 1 and handler.arrivals == []
        assert ledger.delivered(state, "announce") == {}

        right, _ = notify(path, state)
        assert right.exit_code == 0, right.output
        assert sorted(a.rcpt_tos[0] for a in handler.arrivals) == sorted(ADDRESSES)


def test_a_relay_that_never_answers_auth_gets_one_attempt(tmp_path, tls):
    handler = Relay(hold=True)
    with relay(handler, tls, lambda *a: AuthResult(success=True)) as server:
        path = write_spec(tmp_path, smtp=smtp_settings(server, tls[0], timeout=1))
        state = tmp_path / "state"
        result, elapsed = notify(path, state)
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "the login of SMTP_USERNAME" in line and "failed" in line and "stopped" in line
    assert handler.auths == 1 and handler.arrivals == []
    assert elapsed < SETUP_STEPS * 1 + SLACK
    with Ledger.open(state) as book:
        rows = book.entries("announce")
    # The recipient being connected for is failed (a re-run sends it); nobody else was tried.
    assert [(e.status, e.attempts) for e in rows] == [("failed", 1)]


class DripRelay:
    """A raw SMTP relay that answers well, except one reply (`greeting` or `data`) it
    drips a byte every `every` seconds as an endless multi-line reply."""

    def __init__(self, drip: str, every: float = 0.2) -> None:
        self.drip, self.every = drip, every
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _dribble(self, conn: socket.socket, code: bytes) -> None:
        try:
            while True:
                for byte in code + b"-still thinking\r\n":
                    conn.sendall(bytes([byte]))
                    time.sleep(self.every)
        except OSError:
            return

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as lines:
            if self.drip == "greeting":
                return self._dribble(conn, b"220")
            conn.sendall(b"220 relay ready\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    for body in lines:
                        if body == b".\r\n":
                            break
                    return self._dribble(conn, b"250")
                if verb == b"QUIT":
                    return conn.sendall(b"221 bye\r\n")
                conn.sendall(b"250 ok\r\n")


@pytest.mark.parametrize("drip, steps, status", [("greeting", SETUP_STEPS, "failed"), ("data", MESSAGE_STEPS, "uncertain")])
def test_a_dripping_relay_is_cut_off_by_the_step_bound(tmp_path, drip, steps, status):
    server = DripRelay(drip)
    try:
        path = write_spec(tmp_path, users=ONE_USER, smtp={"port": server.port, "timeout": 1, "retries": 0})
        start = time.monotonic()
        result = runner.invoke(app, ["notify", str(path), "--wave", "announce", "--state", str(tmp_path / "state"), "--send"])
        elapsed = time.monotonic() - start
    finally:
        server.close()
    assert result.exit_code == 1, result.output
    assert f"{status}\t" in result.output and f"no complete answer within {steps} s" in result.output
    assert "Traceback" not in result.output
    assert elapsed < steps + SLACK


@pytest.mark.parametrize("form", list(encodings(ASCII_SECRET)) + ["auth plain"])
def test_smtp_password_echoed_in_any_form_is_never_shown_nor_stored(tmp_path, tls, form):
    echo = encodings(ASCII_SECRET).get(form) or base64.b64encode(f"\0{USER}\0{ASCII_SECRET}".encode()).decode()

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 no such login: {echo}")

    with relay(Relay(), tls, authenticator) as server:
        path = write_spec(tmp_path, smtp=smtp_settings(server, tls[0]))
        state = tmp_path / "state"
        result, _ = notify(path, state, password=ASCII_SECRET)
    assert result.exit_code == 1
    assert "no such login: ***" in one_error_line(result)
    stored = b"".join(p.read_bytes() for p in state.rglob("*") if p.is_file())
    for value in {*encodings(ASCII_SECRET).values(), echo}:
        assert value not in result.output
        assert value.encode() not in stored
