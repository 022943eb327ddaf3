"""A fleet of migrations in every phase, made by the real code paths: lab worlds, verify rounds, SMTP, the gate.

`lifecycle` takes one domain through the whole exit against a real DNS lab
world (Knot and Unbound on loopback): the announcement sent over SMTP
(aiosmtpd) when the spec has a notify section, a verify round while the
parent still delegates to Microsoft, one with a new server refusing the
zone, rounds until converging and verified (the soak advanced with the
verifier's injected clock, not slept through), the gate deciding, the
attestations. After each step the spec's folder, with its `.migrate/`
state, is copied into the fleet: every row of the view rests on journals,
ledgers and audit trails the tools wrote themselves.
"""

from __future__ import annotations

import shutil
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from typer.testing import CliRunner

from migrate.cli import app
from migrate.gate import run as gate_run
from migrate.lab.scenario import m365_zone
from tests.helpers.notify import Recorder, SmtpServer
from tests.helpers.verify_lab import TTL, Clock, load, rounds_until, run, write_spec

TZ = ZoneInfo("Europe/Copenhagen")
MIN_SOAK = timedelta(hours=1)
_runner = CliRunner()


def day(days_ahead: int) -> datetime:
    """07:00 in Copenhagen, `days_ahead` days from today (negative: in the past)."""
    return datetime.combine(datetime.now(TZ).date() + timedelta(days=days_ahead), time(7, 0), tzinfo=TZ)


def users(domain: str) -> str:
    return ("Block credential,Display name,Licenses,User principal name\r\n"
            f"False,Anne Holm,Microsoft 365 Business Standard,anne@{domain}\r\n"
            f"False,Bo Ravn,Microsoft 365 Business Basic,bo@{domain}\r\n")


def spec_folder(folder: Path, domain: str, tenant: str, cutover: datetime, *, smtp_port: int | None = None,
                notify: dict | None = None) -> Path:
    """A spec for `domain` (custom mail provider, new host ns1/ns2.newhost.net, 2 s TTLs); with `smtp_port`, a
    notify section whose SMTP server is that port (and `notify`'s keys). The gate requires dns (a one-hour
    soak) and data_saved, and notice when users are told."""
    folder.mkdir(parents=True, exist_ok=True)
    extra: dict = {
        "domain": domain,
        "cutover": cutover.isoformat(),
        "timezone": "Europe/Copenhagen",
        "source": {"tenant": tenant},
        "mail": {"spf": f"v=spf1 include:_spf.{domain} -all", "dmarc": f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}",
                 "name": "Nyt Mail", "sign_in_url": "https://mail.example.net/"},
        "gate": {"min_soak": "1h", "require": ["dns", "data_saved"]},
    }
    if smtp_port is not None:
        (folder / "users.csv").write_text(users(domain), encoding="utf-8", newline="")
        extra["notify"] = {"language": "da", "from": f"IT <it@{domain}>", "recipients": "users.csv",
                           "smtp": {"host": "127.0.0.1", "port": smtp_port, "starttls": False, "retry_delay": 0, "timeout": 10},
                           **(notify or {})}
        extra["gate"]["require"] = ["dns", "notice", "data_saved"]
    return write_spec(folder, old_zone=m365_zone(domain, TTL), extra=extra)


def _cli(*args: str) -> None:
    result = _runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


def _snapshot(work: Path, fleet: Path, name: str) -> Path:
    target = fleet / name
    shutil.copytree(work, target)
    return target


def lifecycle(lab_migration, work: Path, fleet: Path, *, domain: str, tenant: str, cutover: datetime, notify: bool) -> Clock:
    """Take `domain` through every phase, copying its folder into `fleet` as `<tenant>-<phase>` after each step
    (planned is left to the caller: it is a spec alone). Returns the clock the rounds and the gate ran on."""
    recorder = Recorder()
    with SmtpServer(recorder) as smtp:
        path = spec_folder(work, domain, tenant, cutover, smtp_port=smtp.port if notify else None)
        state = work / ".migrate"
        if notify:
            _cli("notify", str(path), "--wave", "announce", "--send")
            assert {a.rcpt_tos[0] for a in recorder.arrivals} == {f"anne@{domain}", f"bo@{domain}"}
            _snapshot(work, fleet, f"{tenant}-announced")
    spec, current, desired = load(path)
    world = lab_migration(spec.domain, current, desired, ttl=TTL)
    clock = Clock()

    staged = run(spec, desired, world, state, clock)
    assert staged.status == "failing" and not staged.authoritative_ok
    _snapshot(work, fleet, f"{tenant}-staged")

    world.move_delegation()
    world.refuse("new2", "new")
    switched = run(spec, desired, world, state, clock)
    assert switched.status == "failing" and any(c.id == "auth.lame" for c in switched.checks)
    _snapshot(work, fleet, f"{tenant}-switched")
    world.unrefuse("new2", "new")

    converging = run(spec, desired, world, state, clock)
    assert converging.status == "converging", [(c.id, c.status, c.detail) for c in converging.checks if c.status != "pass"]
    _snapshot(work, fleet, f"{tenant}-converging")

    clock.advance(3600)  # past the old TTLs without sleeping through them
    verified = rounds_until(spec, desired, world, state, clock, "verified")
    assert verified.status == "verified", [(c.id, c.status, c.detail) for c in verified.checks if c.status != "pass"]
    _snapshot(work, fleet, f"{tenant}-verified")

    clock.advance(2 * 3600)  # the one-hour soak is over; the newest round is two hours old (fresh within 6 h)
    soaked = gate_run.run(spec, state, now=clock())
    assert soaked.verdict.requirements["dns"] == "pass" and not soaked.verdict.unlocked, soaked.verdict.requirements
    _snapshot(work, fleet, f"{tenant}-soaked")

    _cli("attest", str(path), "data-saved", "--by", "Mette Jensen")
    clock.advance(60)
    unlocked = gate_run.run(spec, state, now=clock())
    assert unlocked.verdict.unlocked, unlocked.verdict.requirements
    _snapshot(work, fleet, f"{tenant}-unlocked")

    _cli("attest", str(path), "cancelled", "--by", "Mette Jensen")
    _snapshot(work, fleet, f"{tenant}-cancelled")
    return clock


def bad_spec(folder: Path) -> Path:
    """A file that says it is a spec (top-level version and domain) but does not validate: an unknown key."""
    folder.mkdir(parents=True)
    path = folder / "migration.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "domain": "broken.dk", "cutover": "2027-01-15T07:00:00+01:00",
                                    "mail": {"provider": "custom", "mx": [{"priority": 10, "host": "mx.example.net"}]},
                                    "dns": {"host": "cloudflare", "nameservers": ["a.example.net", "b.example.net"]},
                                    "surprise": True}))
    return path
