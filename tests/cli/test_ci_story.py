"""The CI story: two runners and an admin, each in a folder of its own, sharing one state.

As a pipeline runs it: the admin creates the state once (`migrate state
init`), runners find it through M365_EXIT_STATE and run `migrate verify`
against the lab (two at once), the admin sends the announcement through a
real SMTP server (aiosmtpd) and attests, a runner's attempt to send again
finds every message sent, and the gate, run by a runner, stays locked until
its conditions hold and then unlocks. Every step is the real command in a
process of its own. Once with PostgreSQL (runners as the runner role, the
admin as the owner) and once with a SQLite folder on one machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from migrate.gate import store
from migrate.journal import Journal
from migrate.notify import ledger
from migrate.state import location
from migrate.state.access import reading, verify
from migrate.stores import SCHEMAS
from tests.helpers.notify import Recorder, SmtpServer
from tests.helpers.verify_lab import DOMAIN, TTL, load, write_spec

USERS = (
    "\ufeffBlock credential,Display name,First name,Last name,Licenses,Preferred language,User principal name\r\n"
    "False,Anne Holm,Anne,Holm,Microsoft 365 Business Standard,da-DK,anne@example.dk\r\n"
    "False,Bo Ravn,Bo,Ravn,Microsoft 365 Business Basic,,bo@example.dk\r\n"
    "False,Emma Clarke,Emma,Clarke,Microsoft 365 Business Standard,en-GB,emma@example.dk\r\n"
)
ADDRESSES = ["anne@example.dk", "bo@example.dk", "emma@example.dk"]
MIN_SOAK = 3  # seconds


def checkout(folder: Path, smtp_port: int) -> Path:
    """One machine's working copy: the spec (announcement 30 days ahead of the cutover), its zone, the users export."""
    folder.mkdir()
    (folder / "users.csv").write_text(USERS, encoding="utf-8", newline="")
    cutover = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)
    return write_spec(folder, extra={
        "cutover": cutover.isoformat(),
        "mail": {"name": "Nyt Mail", "sign_in_url": "https://mail.example.net"},
        "notify": {"language": "da", "from": "IT <it@example.dk>", "recipients": "users.csv",
                   "smtp": {"host": "127.0.0.1", "port": smtp_port, "starttls": False, "rate_per_minute": 600000,
                            "retry_delay": 0, "timeout": 10}},
        "gate": {"min_soak": f"{MIN_SOAK}s", "require": ["dns", "notice", "data_saved"]},
    })


@pytest.fixture(params=["postgres", "sqlite"])
def states(request, tmp_path) -> tuple[str, str]:
    """(the admin's state, the runners' state): one state, named as each would name it; created by the admin."""
    if request.param == "sqlite":
        shared = str(tmp_path / "shared-state")
        return shared, shared
    postgres = request.getfixturevalue("postgres")
    return postgres.url, postgres.runner_url


class Machine:
    """A runner or the admin: its own folder, the state from the environment, each command a process of its own."""

    def __init__(self, folder: Path, state: str, flags: list[str]) -> None:
        self.folder, self.state, self.flags = folder, state, flags
        self.spec = str(folder / "migration.yaml")

    def start(self, *args: str) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "M365_EXIT_STATE"))}
        return subprocess.Popen([sys.executable, "-m", "migrate", *args], cwd=self.folder, text=True,
                                env={**env, location.ENV: self.state}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def run(self, *args: str) -> subprocess.CompletedProcess:
        proc = self.start(*args)
        out, err = proc.communicate(timeout=180)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def verify(self) -> subprocess.Popen:
        return self.start("verify", self.spec, "--json", *self.flags)

    def gate(self) -> subprocess.CompletedProcess:
        return self.run("gate", self.spec, "--json")


def finished(*procs: subprocess.Popen) -> list[dict]:
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode in (0, 1, 3), err
        reports.append(json.loads(out))
    return reports


def test_two_runners_and_an_admin_share_one_state(tmp_path, lab_migration, states):
    admin_state, runner_state = states
    recorder = Recorder()
    with SmtpServer(recorder) as smtp:
        admin_spec = checkout(tmp_path / "admin", smtp.port)
        for name in ("runner-a", "runner-b"):
            shutil.copytree(tmp_path / "admin", tmp_path / name)
        spec, current, desired = load(admin_spec)
        world = lab_migration(DOMAIN, current, desired, ttl=TTL)
        flags = [*(f"--root-hint={a}" for a in world.root_addresses), *(f"--resolver={a}" for a in world.resolver_addresses)]
        admin = Machine(tmp_path / "admin", admin_state, flags)
        a, b = (Machine(tmp_path / name, runner_state, flags) for name in ("runner-a", "runner-b"))

        # Nothing runs on a state nobody created: bad input, not a fresh start.
        missing = a.gate()
        assert missing.returncode == 2 and "state init" in missing.stderr
        created = admin.run("state", "init", admin_state, *(["--runner", "runner"] if admin_state != runner_state else []))
        assert created.returncode == 0, created.stderr

        world.move_delegation()
        rounds = finished(a.verify(), b.verify())  # two runners at once
        assert {r["domain"] for r in rounds} == {DOMAIN}

        announced = admin.run("notify", admin.spec, "--wave", "announce", "--send")
        assert announced.returncode == 0, announced.stderr
        again = a.run("notify", a.spec, "--wave", "announce", "--send")  # a runner re-runs the job: nothing goes out twice
        assert again.returncode == 0 and again.stdout.count("already-sent") == len(ADDRESSES), again.stdout
        assert [recorder.count(address) for address in ADDRESSES] == [1, 1, 1]

        locked = b.gate()
        assert locked.returncode == 1, locked.stderr
        verdict = json.loads(locked.stdout)
        assert verdict["status"] == "locked" and verdict["requirements"]["notice"] == "pass"
        assert verdict["requirements"]["data_saved"] == "fail"

        # Rounds from both runners until both see it verified; then one runner's rounds until past the safe
        # time they report and the soak. The safe time is read from the rounds, not estimated here: two
        # runners' rounds may be recorded out of the order they finished in, which restarts the run the
        # safe time counts from (later, never earlier).
        deadline, count = time.monotonic() + 120, 2
        while not all(r["status"] == "verified" for r in finished(a.verify(), b.verify())):
            count += 2
            assert time.monotonic() < deadline
            time.sleep(1)
        count += 2
        while True:
            report = finished(a.verify())[0]
            count += 1
            safe = report.get("safe_after")
            if report["status"] == "verified" and safe:
                soaked = datetime.fromisoformat(safe.replace("Z", "+00:00")) + timedelta(seconds=MIN_SOAK + 1)
                if datetime.now(timezone.utc) > soaked:
                    break
            assert time.monotonic() < deadline, report["checks"][:3]
            time.sleep(1)
        attested = admin.run("attest", admin.spec, "data-saved", "--by", "Mette Højgaard")
        assert attested.returncode == 0, attested.stderr
        finished(a.verify())
        count += 1

        unlocked = b.gate()
        verdict = json.loads(unlocked.stdout)
        assert unlocked.returncode == 0, [c for c in verdict["checks"] if c["status"] != "pass"]
        assert verdict["status"] == "unlocked"

    # What the state holds: every round once, the announcement once per user, every chain whole.
    state = location.parse(admin_state)
    with Journal(state, create=False) as journal:
        assert len(journal.rounds(DOMAIN)) == count
    assert sorted(ledger.delivered(state, "announce")) == ADDRESSES
    assert [d.status for d in store.decisions(state, DOMAIN.rstrip("."))] == ["locked", "unlocked"]
    assert [x.by for x in store.attestations(state, DOMAIN.rstrip("."))] == ["Mette Højgaard"]
    for schema in SCHEMAS:
        with reading(state, schema) as db:
            assert verify(db, schema, None)
