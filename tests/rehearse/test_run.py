"""`migrate rehearse` end to end, as a user runs it: a subprocess against the real lab.

The clean example reaches an unlocked gate with nothing to report (exit 0)
and the real-clock timeline; each variant of it has one problem, which the
rehearsal reports in the user's terms (exit 1): a zone that lost a record
the spec needs, a Microsoft 365 record kept in the spec, an MX TTL of two
days three days before the data deadline, and a cutover too close for the
notice. Dates are taken from today (tests/helpers/rehearse.py).
"""

from __future__ import annotations

import json
import pwd
import shutil
import tempfile
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from migrate.notify import waves
from tests.helpers.rehearse import TZ, example_copy, rehearse
from tests.helpers.unprivileged import run_as_nobody


def _json(result) -> dict:
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return json.loads(result.stdout)


def _ids(report: dict) -> list[str]:
    return [f["id"] for f in report["findings"]]


def _at(report: dict, event: str) -> datetime | None:
    (found,) = [e for e in report["timeline"] if e["id"] == event]
    return datetime.fromisoformat(found["at"].replace("Z", "+00:00")) if found["at"] else None


def _about(span: timedelta, expected: timedelta) -> bool:
    """`span` is `expected`, give or take the minute the rounds themselves take on the compressed clock."""
    return expected <= span < expected + timedelta(minutes=1)


def test_the_clean_example_reaches_an_unlocked_gate_with_its_timeline(tmp_path):
    spec = example_copy(tmp_path)
    out = tmp_path / "rehearsal"
    result = rehearse(str(spec), "--out", str(out))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "OK: nothing to report" in result.stdout.splitlines()[-1]
    report = json.loads((out / "rehearsal.json").read_text())
    assert report["status"] == "ok" and report["findings"] == []
    cutover = _at(report, "cutover")
    assert cutover.astimezone(TZ).hour == 7
    # verify can first pass a day after the cutover: the TLD's NS TTL verify assumes (the zone's own TTLs are an hour)
    assert _about(_at(report, "verify.first-pass") - cutover, timedelta(days=1))
    assert _at(report, "dns.trusted") == _at(report, "mail-moved") + timedelta(hours=48)  # + gate.min_soak
    # the data deadline holds the gate longest: it unlocks when the deadline's day ends
    assert _at(report, "gate.first-unlock") == _at(report, "data-deadline")
    assert _at(report, "data-deadline").astimezone(TZ).date() == (cutover + timedelta(days=39)).astimezone(TZ).date()
    for line in ("verify.first-pass", "gate.first-unlock", "Timeline", "Simulated"):
        assert line in result.stdout
    assert report["summary"]["unlocked"] and report["summary"]["verify_rounds"] > 100  # verify on schedule for weeks
    # what the lab cannot know is labelled: the tenant's facts, the attestations, the TLD's TTL, the stand-in host
    labelled = " / ".join(report["simulated"])
    for made_up in ("removal from the tenant", "data-saved attestation", "cancellation, attested", "NS TTL of 86400 s",
                    "standing in for cloudflare", "licences from facts.yaml", "the tenant's other domains from facts.yaml"):
        assert made_up in labelled
    assert "Simulated (the lab cannot know these)" in result.stdout
    # every wave went to the lab's relay, one message per licensed user on the domain
    relayed = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted((out / "relay").glob("*.eml"))]
    per_wave = {wave: len(list((out / "outbox" / wave).glob("*.eml"))) for wave in waves.WAVES}
    assert set(per_wave.values()) == {8} and len(relayed) == 8 * len(waves.WAVES)
    assert (out / "state" / "journal.sqlite").is_file() and (out / "state" / "gate.sqlite").is_file()
    assert (out / "runbook.md").read_text().startswith("# ")
    page = (out / "report.html").read_text()  # what `migrate report` draws from the rehearsal's state
    assert "nordlys-tekstil.dk: leaving Microsoft 365" in page and "decision #" in page


def test_a_zone_without_the_record_the_spec_needs(tmp_path):
    report = _json(rehearse(str(example_copy(tmp_path, zone="missing-apex-address.zone", deadline_after=5, cancel_after=7)),
                            "--json"))
    assert report["status"] == "problems" and _ids(report) == ["host.lacks-record"]
    (lacks,) = report["findings"]
    assert lacks["subject"] == "@ A/AAAA" and "www CNAME points at nordlys-tekstil.dk" in lacks["message"]


def test_a_microsoft_365_record_kept_in_the_spec_is_residue(tmp_path):
    kept = {"name": "autodiscover", "type": "CNAME", "value": "autodiscover.outlook.com"}
    result = rehearse(str(example_copy(tmp_path, records=[kept], deadline_after=5, cancel_after=7)), "--json")
    assert result.returncode == 1
    report = _json(result)
    assert _ids(report) == ["m365.residue"]
    assert report["findings"][0]["subject"] == "autodiscover CNAME"
    assert _at(report, "verify.first-pass") is None and _at(report, "gate.first-unlock") is None


def test_an_old_mx_ttl_of_two_days_three_days_before_the_data_deadline(tmp_path):
    result = rehearse(str(example_copy(tmp_path, zone="mx-ttl-two-days.zone", deadline_after=3, cancel_after=10)), "--json")
    report = _json(result)
    assert result.returncode == 1 and _ids(report) == ["timing.ttl-wait"]
    # the old MX's two days, measured at the lab's copy of Microsoft's servers, set when mail stops reaching them
    assert _about(_at(report, "mail-moved") - _at(report, "cutover"), timedelta(days=2))
    assert _at(report, "dns.trusted") > _at(report, "data-deadline")
    assert "the old MX TTL of nordlys-tekstil.dk, 2d" in report["findings"][0]["message"]
    assert any(n.startswith("lint warning: ttl.high") for n in report["notes"])


def test_a_cutover_too_close_for_the_notice(tmp_path):
    result = rehearse(str(example_copy(tmp_path, cutover_in=10)), "--json")
    report = _json(result)
    assert result.returncode == 1 and _ids(report) == ["notice.too-short"]
    assert "14 days" in report["findings"][0]["message"]
    assert _at(report, "gate.first-unlock") is None  # the gate's own notice check keeps it locked


def test_an_export_without_a_licensed_user_on_the_domain_reaches_nobody(tmp_path):
    spec = example_copy(tmp_path, deadline_after=5, cancel_after=7)
    users = (tmp_path / "users.csv").read_text(encoding="utf-8-sig").splitlines()
    unlicensed = [line for line in users[1:] if ",Unlicensed," in line]
    assert unlicensed  # the export's shared mailboxes and the admin account
    (tmp_path / "users.csv").write_text("\n".join([users[0], *unlicensed]) + "\n", encoding="utf-8")
    result = rehearse(str(spec), "--json")
    report = _json(result)
    assert result.returncode == 1 and _ids(report) == ["notify.nobody"]
    assert "no licensed users" in report["findings"][0]["message"]
    assert _at(report, "gate.first-unlock") is None  # nobody was told: the gate's notice check cannot pass


def test_without_a_zone_file_it_says_what_to_run_in_one_line(tmp_path):
    spec = example_copy(tmp_path)
    spec.write_text(spec.read_text().replace("  zone_file: zones/nordlys-tekstil.dk.zone\n", ""))
    result = rehearse(str(spec))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "dns.zone_file" in result.stderr and "migrate import" in result.stderr


def test_an_out_folder_that_is_not_empty_is_refused_before_the_lab_starts(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("earlier")
    result = rehearse(str(example_copy(tmp_path)), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "not empty" in result.stderr and result.stderr.strip().count("\n") == 0


def _rehearsal_folders_of(user: str) -> set[Path]:
    """The rehearsal folders in the temp folder that `user` made (a rehearsal run as root at the same time is not ours)."""
    uid = pwd.getpwnam(user).pw_uid
    found = set()
    for path in Path(tempfile.gettempdir()).glob("m365-exit-rehearse-*"):
        try:
            if path.stat().st_uid == uid:
                found.add(path)
        except FileNotFoundError:  # removed by its own run between the listing and the look
            pass
    return found


def test_without_the_right_to_bind_port_53_it_names_the_command_that_has_it(tmp_path):
    # nobody cannot bind port 53: the rehearsal stops before it makes anything, naming how to run it
    folder = Path(tempfile.mkdtemp(prefix="rehearse-nobody-"))
    try:
        spec = example_copy(folder)
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        code = (
            "from pathlib import Path\n"
            "from migrate.errors import EnvironmentProblem\n"
            "from migrate.rehearse import run\n"
            "try:\n"
            f"    run.rehearse(Path({str(spec)!r}), None, print)\n"
            "except EnvironmentProblem as exc:\n"
            "    print('stopped:', exc)\n"
        )
        before = _rehearsal_folders_of("nobody")
        done = run_as_nobody(code, imports=("migrate.rehearse.run",))
        assert done.returncode == 0, done.stderr
        (line,) = done.stdout.splitlines()
        assert line.startswith("stopped: the DNS lab needs port 53 on loopback: run `")
        assert f"migrate rehearse {spec}`" in line and ("unshare -rn" in line or "sudo" in line)
        assert _rehearsal_folders_of("nobody") == before  # no folder left behind
    finally:
        shutil.rmtree(folder, ignore_errors=True)
