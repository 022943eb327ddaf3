"""`migrate notify --send` holds each wave to its window, `--force` is recorded, `--out` keeps one folder per wave.

Through the real commands, a real SMTP server (aiosmtpd) on loopback and the real stores.
The spec's dates are set around today, so the windows are judged on the real clock.
"""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from migrate import localtime
from migrate.cli import app
from migrate.notify import ledger, outbox
from tests.helpers.gate import mail_moved
from tests.helpers.notify import ADDRESSES, SOON, TZ, Recorder, SmtpServer, write_spec

runner = CliRunner()


def notify(spec: Path, state: Path, wave: str, *args: str):
    return runner.invoke(app, ["notify", str(spec), "--wave", wave, "--state", str(state), *args])


def migrate(*args) -> object:
    return runner.invoke(app, [str(a) for a in args])


def errors(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


@pytest.fixture
def relay(tmp_path):
    """The SMTP server's recorder, a spec whose cutover is 30 days away and that sends through it, and a state folder."""
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        yield recorder, write_spec(tmp_path, smtp={"port": server.port}), tmp_path / "state"


def test_a_send_outside_its_window_is_refused_naming_the_window_and_sends_nothing(relay):
    recorder, spec, state = relay
    cutover = notify(spec, state, "cutover", "--send")
    after = notify(spec, state, "after-cancel", "--send")
    day = SOON.date()
    opens = localtime.format(datetime(day.year, day.month, day.day, tzinfo=TZ), TZ)
    assert cutover.exit_code == 2, cutover.output
    assert errors(cutover) == [
        f"error: the cutover wave goes out on the cutover's day: from {opens} until "
        f"{localtime.format(datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(days=1), TZ)}; it opens {opens} "
        "(--force sends it anyway and the ledger records that)"
    ]
    assert after.exit_code == 2 and errors(after) == [
        "error: the after-cancel wave goes out once the gate has unlocked and the cancellation is recorded "
        "(`migrate attest SPEC cancelled --by NAME`); the gate has not unlocked and no cancellation is recorded "
        "(--force sends it anyway and the ledger records that)"
    ]
    assert recorder.arrivals == [] and ledger.sends(state) == [] and not (state / "outbox").exists()
    # rendering (a preview, an outbox to read) is allowed at any time
    rendered = notify(spec, state, "after-cancel")
    assert rendered.exit_code == 0, rendered.output
    assert len(list((state / "outbox" / "after-cancel").glob("*.eml"))) == len(ADDRESSES)
    assert notify(spec, state, "after-cancel", "--force").exit_code == 2  # --force without --send: nothing to force


def test_inside_its_window_a_wave_is_sent_and_the_run_is_recorded_unforced(relay):
    recorder, spec, state = relay
    result = notify(spec, state, "announce", "--send")
    assert result.exit_code == 0, result.output
    assert len(recorder.arrivals) == len(ADDRESSES) and "--force" not in result.output
    (run,) = ledger.sends(state)
    # the announcement names the data deadline; the ledger keeps it as the messages named it
    assert (run.wave, run.data_deadline, run.forced) == ("announce", (SOON + timedelta(days=38)).date().isoformat(), None)


def test_force_sends_outside_the_window_and_the_ledger_and_gate_explain_show_it(relay):
    recorder, spec, state = relay
    result = notify(spec, state, "cutover", "--send", "--force")
    assert result.exit_code == 0, result.output
    assert sorted(a.rcpt_tos[0] for a in recorder.arrivals) == sorted(ADDRESSES)
    assert "--force: the cutover wave goes out on the cutover's day" in result.output
    (run,) = ledger.sends(state)
    assert run.wave == "cutover" and run.forced.startswith("the cutover wave goes out on the cutover's day: from ")
    explain = migrate("gate", spec, "--state", state, "--explain")
    (line,) = [line for line in explain.output.splitlines() if line.startswith("forced:")]
    assert line == f"forced: the cutover wave was sent {localtime.format(run.at, TZ)} with --force, outside its window ({run.forced})"
    report = json.loads(migrate("gate", spec, "--state", state, "--explain", "--json").stdout)
    assert report["forced_sends"] == [{"at": run.at.isoformat().replace("+00:00", "Z"), "wave": "cutover", "window": run.forced}]


def _past_spec(folder: Path, port: int) -> Path:
    """A migration whose dates have all passed: cut over 60 days ago, the data deadline 22 days ago; the gate needs data_saved."""
    cutover = datetime.combine(datetime.now(TZ).date() - timedelta(days=60), datetime.min.time().replace(hour=7), tzinfo=TZ)
    path = write_spec(folder, smtp={"port": port}, cutover=cutover)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["gate"] = {"require": ["data_saved"]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_after_cancel_opens_once_the_gate_unlocked_and_the_cancellation_is_recorded(tmp_path):
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        spec = _past_spec(tmp_path, server.port)
        state = tmp_path / "state"
        mail_moved(state, datetime.now(timezone.utc) - timedelta(days=50))
        assert migrate("attest", spec, "data-saved", "--by", "Mette Jensen", "--state", state).exit_code == 0
        # cancelled before the gate ever unlocked: recorded, but the wave still waits for the gate
        cancelled = migrate("attest", spec, "cancelled", "--by", "Mette Jensen", "--state", state)
        assert cancelled.exit_code == 0 and "recorded: cancelled" in cancelled.output
        waiting = notify(spec, state, "after-cancel", "--send")
        assert waiting.exit_code == 2 and errors(waiting)[0].endswith("; the gate has not unlocked (--force sends it anyway and the ledger records that)")
        gate = migrate("gate", spec, "--state", state)
        assert gate.exit_code == 0, gate.output
        sent = notify(spec, state, "after-cancel", "--send")
    assert sent.exit_code == 0, sent.output
    assert sorted(a.rcpt_tos[0] for a in recorder.arrivals) == sorted(ADDRESSES)
    assert [(run.wave, run.forced) for run in ledger.sends(state)] == [("after-cancel", None)]


def test_out_renders_each_wave_into_its_own_folder(tmp_path):
    spec = write_spec(tmp_path)
    box = tmp_path / "box"
    for wave in ("announce", "reminder", "announce"):
        result = migrate("notify", spec, "--wave", wave, "--out", box)
        assert result.exit_code == 0, result.output
    names = sorted(outbox.filename(i, a) for i, a in enumerate(ADDRESSES, 1))
    subjects = {}
    for wave in ("announce", "reminder"):
        folder = box / wave
        assert sorted(p.name for p in folder.glob("*.eml")) == names and (folder / outbox.MARKER).exists()
        subjects[wave] = str(BytesParser(policy=policy.default).parsebytes((folder / names[0]).read_bytes())["Subject"]).strip()
    assert subjects["announce"].startswith("Din mail flytter") and subjects["reminder"].startswith("Påmindelse: Din mail flytter")
    assert sorted(p.name for p in box.iterdir()) == ["announce", "reminder"]
