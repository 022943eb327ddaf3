"""The gate keeps the data deadline users were given, holds early attestations, and speaks the spec's time zone.

The deadline comes from the messages really sent (notify through aiosmtpd on
loopback into the real ledger); the gate then runs on a clock the test moves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from typer.testing import CliRunner

from migrate import localtime
from migrate import spec as spec_module
from migrate.cli import app
from migrate.gate import run as gate_run
from migrate.gate import store
from migrate.notify import dates
from tests.helpers.examples import ROOT
from tests.helpers.gate import mail_moved
from tests.helpers.notify import SOON, TZ, Recorder, SmtpServer, write_spec

runner = CliRunner()
PROMISED = (SOON + timedelta(days=38)).date()  # the data deadline the helper's spec names
PROMISE_ENDS = datetime(PROMISED.year, PROMISED.month, PROMISED.day, tzinfo=TZ) + timedelta(days=1)  # the whole day


def gated(path: Path, **notify) -> Path:
    """The spec with the gate requiring data_saved alone, and `notify` keys changed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["gate"] = {"require": ["data_saved"]}
    data["notify"].update(notify)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def saved_after_the_cutover(state: Path) -> None:
    """Mail stopped reaching Microsoft 365 an hour after the cutover; users' data was attested saved an hour later."""
    moved = SOON + timedelta(hours=1)
    mail_moved(state, moved)
    store.attest(state, "data-saved", "nordlys-tekstil.dk", "Mette Jensen", moved + timedelta(hours=1))


def check(verdict, check_id):
    (found,) = [c for c in verdict.checks if c.id == check_id]
    return found


def test_the_gate_stays_locked_until_the_deadline_the_sent_emails_named(tmp_path):
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        path = gated(write_spec(tmp_path, smtp={"port": server.port}))
        state = tmp_path / "state"
        sent = runner.invoke(app, ["notify", str(path), "--wave", "announce", "--state", str(state), "--send"])
        assert sent.exit_code == 0, sent.output
    assert dates.day(PROMISED, "da") in recorder.arrivals[0].message.get_body(("plain",)).get_content()
    saved_after_the_cutover(state)
    # After the emails went out, the spec's deadline is moved earlier: the users were not told, so it does not count.
    spec = spec_module.load(gated(path, data_deadline=SOON.date() + timedelta(days=10)))

    def gate(now):
        return gate_run.run(spec, state, now=now)

    before = gate(PROMISE_ENDS - timedelta(seconds=1))
    assert before.verdict.status == "locked" and before.verdict.requirements == {"data_saved": "pending"}
    deadline = check(before.verdict, "timing.data-deadline")
    assert deadline.status == "pending" and deadline.eta == PROMISE_ENDS == before.verdict.earliest_unlock
    assert f"now ≥ {localtime.format(PROMISE_ENDS, TZ)}" in deadline.expected
    assert f"({PROMISED.isoformat()}, from the announce wave, as the ledger records it)" in deadline.expected
    assert deadline.fix.startswith(f"wait until {localtime.format(PROMISE_ENDS, TZ)}: users were told")
    assert check(before.verdict, "attest.data-saved").status == "pass"
    after = gate(PROMISE_ENDS)
    assert after.verdict.status == "unlocked", [c for c in after.verdict.checks if c.status != "pass"]
    # the runbook tells the admin the date the users were given, not the spec's new one
    assert f"senest: {dates.day(PROMISED, 'da')}" in after.runbook


def test_a_later_deadline_sent_to_nobody_new_changes_nothing_and_one_sent_to_someone_holds(tmp_path):
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        path = gated(write_spec(tmp_path, smtp={"port": server.port}))
        state = tmp_path / "state"

        def send(wave: str):
            result = runner.invoke(app, ["notify", str(path), "--wave", wave, "--state", str(state), "--send"])
            assert result.exit_code == 0, result.output

        send("announce")
        later = PROMISED + timedelta(days=3)
        gated(path, data_deadline=later)
        send("announce")  # everyone has it already: nobody was told the later date
        saved_after_the_cutover(state)
        spec = spec_module.load(path)
        assert gate_run.run(spec, state, now=PROMISE_ENDS).verdict.status == "unlocked"
        send("data-deadline")  # in its window (before the deadline it names): everyone is told the later date
    assert check(gate_run.run(spec, state, now=PROMISE_ENDS).verdict, "timing.data-deadline").eta == PROMISE_ENDS + timedelta(days=3)


def test_without_a_sent_deadline_the_spec_one_holds_and_without_any_there_is_nothing_to_wait_for(tmp_path):
    path = gated(write_spec(tmp_path))
    state = tmp_path / "state"
    saved_after_the_cutover(state)
    pending = check(gate_run.run(spec_module.load(path), state, now=PROMISE_ENDS - timedelta(hours=1)).verdict, "timing.data-deadline")
    assert pending.status == "pending" and "the spec's notify.data_deadline" in pending.expected
    moment = gated(path, data_deadline=None, cancel_date=datetime(2027, 6, 1, 12, 0, tzinfo=TZ).isoformat())
    cancel = check(gate_run.run(spec_module.load(moment), state, now=PROMISE_ENDS).verdict, "timing.data-deadline")
    assert cancel.eta == datetime(2027, 6, 1, 12, 0, tzinfo=TZ) and "the spec's notify.cancel_date" in cancel.expected
    bare = gated(path, data_deadline=None, cancel_date=None)
    verdict = gate_run.run(spec_module.load(bare), state, now=SOON + timedelta(hours=3)).verdict
    assert verdict.status == "unlocked" and check(verdict, "timing.data-deadline").observed.startswith("no deadline given")


# -- through the commands, on the real clock -----------------------------------------


def migrate(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_an_early_attestation_is_pending_with_and_without_a_journal(tmp_path):
    path = gated(write_spec(tmp_path))
    state = tmp_path / "state"
    assert migrate("attest", path, "data-saved", "--by", "Mette Jensen", "--state", state).returncode == 0
    alone = json.loads(migrate("gate", path, "--state", state, "--json").stdout)
    attested = next(c for c in alone["checks"] if c["id"] == "attest.data-saved")
    assert attested["status"] == "pending" and "no verify round has seen the new state" in attested["detail"]
    # verify then shows mail reaching Microsoft 365 until an hour from now: the attestation came too early
    safe = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    mail_moved(state, safe)
    text = migrate("gate", path, "--state", state)
    assert text.returncode == 1
    (line,) = [line for line in text.stdout.splitlines() if "attest.data-saved" in line]
    assert line.startswith("pending") and "nordlys-tekstil.dk: attested by Mette Jensen at " in line
    assert "made before mail stopped reaching Microsoft 365" in text.stdout
    assert f"earliest: {localtime.format(safe, TZ)}" in text.stdout
    report = json.loads(migrate("gate", path, "--state", state, "--json").stdout)
    early = next(c for c in report["checks"] if c["id"] == "attest.data-saved")
    assert early["status"] == "pending" and early["eta"] == safe.isoformat().replace("+00:00", "Z")


def test_the_gate_shows_times_in_the_spec_zone_and_json_keeps_utc(tmp_path):
    path = gated(write_spec(tmp_path))
    state = tmp_path / "state"
    text = migrate("gate", path, "--state", state)
    assert text.returncode == 1
    assert f"earliest: {localtime.format(PROMISE_ENDS, TZ)}" in text.stdout
    assert localtime.format(PROMISE_ENDS, TZ).endswith((" CET", " CEST"))
    report = json.loads(migrate("gate", path, "--state", state, "--json").stdout)
    deadline = next(c for c in report["checks"] if c["id"] == "timing.data-deadline")
    assert deadline["eta"] == PROMISE_ENDS.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    assert report["generated_at"].endswith("Z")
    explain = migrate("gate", path, "--state", state, "--explain").stdout.splitlines()
    assert explain[0].split()[3] in ("CET", "CEST")
