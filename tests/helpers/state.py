"""Helpers for the state tests: every store written through its own writer, read back through its readers, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from migrate import journal
from migrate.gate import store
from migrate.journal import Journal, Observation
from migrate.notify import ledger
from migrate.notify.ledger import Ledger
from migrate.state import location
from tests.helpers.examples import ROOT
from tests.helpers.postgres import ADMIN_PASSWORD, RUNNER

D = "example.dk."
T0 = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)


def migrate(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def one_line(result: subprocess.CompletedProcess) -> str:
    """The one error line (notes a command printed before it, such as skipped recipients, aside)."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in result.stderr and "unexpected" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture(params=["sqlite", "postgres"])
def shared_state(request, tmp_path) -> str:
    """A state that separate processes share, as `--state` names it: a folder, or a database the runner role writes."""
    if request.param == "sqlite":
        return str(tmp_path / "state")
    postgres = request.getfixturevalue("postgres")
    init(postgres)
    return postgres.runner_url


def init(postgres, *extra: str) -> None:
    done = migrate("state", "init", postgres.url, "--runner", RUNNER, *extra)
    assert done.returncode == 0, done.stderr
    assert ADMIN_PASSWORD not in done.stderr + done.stdout


def write_all(state, n: int = 1) -> None:
    """One row or more in every store, through the stores' own writers; `n` makes each call's rows its own."""
    answer = {"server": "192.0.2.1", "qname": D, "qtype": "MX", "rd": False, "outcome": "answer", "rcode": "NOERROR",
              "aa": True, "truncated": False, "tcp": False, "at": T0.isoformat(),
              "answer": [{"name": D, "type": "MX", "ttl": 300, "values": ["10 mx.example.net."]}]}
    with Journal.open(state) as book:
        book.record_round(domain=D, started_at=T0, finished_at=T0 + timedelta(minutes=n), status="converging", authoritative_ok=True, eta=None,
                          safe_after=T0 + timedelta(hours=1), checks=[{"id": "x", "status": "pass"}],
                          observations=[Observation("auth", answer)], old_ttls=[("record", f"{D} MX", 3600, "198.51.100.1")],
                          old_servers=["ns1.old.example.", "ns2.old.example."])
    store.attest(state, "data-saved", "example.dk", f"Mette {n}", T0, "copied to the new drive")
    store.record(state, T0, "example.dk", "locked", {"dns": "sha256:0"}, {"status": "locked"})
    with Ledger.open(state) as book:
        book.begin("announce", data_deadline="2027-02-22", forced=None)
        assert book.claim("announce", f"user{n}@example.dk", f"<{n}@example.dk>")
        book.sent("announce", f"user{n}@example.dk", at=T0)


def read_all(state) -> tuple:
    """What the stores' readers return: equal for equal states."""
    with Journal(location.of(state), create=False) as book:
        rounds = [(r.id, r.status, r.digest) for r in book.rounds(D)]
        old = (book.old_servers(D), [(t.subject, t.ttl) for t in book.old_ttls(D)])
    return (rounds, old, [(a.by, a.at, a.note) for a in store.attestations(state, "example.dk")],
            [(d.id, d.status) for d in store.decisions(state, "example.dk")], ledger.delivered(state, "announce"),
            [(r.at, r.wave, r.data_deadline) for r in ledger.sends(state)],
            journal.dns_evidence(state, D, T0 + timedelta(days=1)).digest)


def append_many(state: str, writer: int, count: int, start: float) -> None:
    """Run by a separate process: from `start` (a time.time()), `count` rows into every store, as fast as it can."""
    import time

    time.sleep(max(0.0, start - time.time()))
    where = location.parse(state)
    for i in range(count):
        write_all(where, writer * 1000 + i)
