"""Shared helpers for the verifier's lab scenarios: a spec, its desired zone served by the lab.

The desired zone comes from `plan.build(spec)` (the one place it is
computed); the lab serves it at the new host and the Microsoft 365 zone at
the old one, with TTLs of a couple of seconds so caches expire quickly.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from migrate import plan, spec as spec_module
from migrate.journal import Journal
from migrate.lab.scenario import BDM_NAMESERVERS, NEW_NAMESERVERS, m365_zone
from migrate.verify.round import RoundResult, Settings, run_round
from migrate.zone import Zone

DOMAIN = "example.dk."
TTL = 2
MX_HOST = "mx1.mailhost.net."


def write_spec(folder: Path, *, old_zone: Zone | None = None, extra: dict | None = None, records: list | None = None) -> Path:
    """A spec for example.dk: custom mail provider, new host ns1/ns2.newhost.net, TTLs of 2 s."""
    zone = old_zone or m365_zone(DOMAIN, TTL)
    zone_path = folder / "example.dk.zone"
    zone_path.write_text(zone.to_text())
    data = {
        "version": 1,
        "domain": "example.dk",
        "cutover": "2027-01-15T07:00:00+01:00",
        "source": {"provider": "microsoft365", "nameservers": [n.rstrip(".") for n in BDM_NAMESERVERS]},
        "mail": {
            "provider": "custom",
            "mx": [{"priority": 10, "host": MX_HOST.rstrip(".")}],
            "spf": "v=spf1 include:_spf.example.dk -all",
            "dmarc": "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.dk",
            "dkim": [{"name": "mail._domainkey", "type": "TXT", "value": "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEB"}],
        },
        "dns": {
            "host": "cloudflare",
            "nameservers": [n.rstrip(".") for n in NEW_NAMESERVERS],
            "zone_file": zone_path.name,
            "default_ttl": TTL,
            "records": [
                {"name": "_spf", "type": "TXT", "value": "v=spf1 ip4:192.0.2.0/24 -all", "ttl": TTL},
                *(records or []),
            ],
        },
        "verify": {"resolvers": [], "timeout": "1s", "retries": 1},
    }
    for key, value in (extra or {}).items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    path = folder / "migration.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def load(path: Path):
    spec = spec_module.load(path)
    built = plan.build(spec)
    return spec, built.current, built.desired


def settings(world, spec, *, resolvers: list[str] | None = None, **overrides) -> Settings:
    base = Settings.from_spec(
        spec,
        resolvers=world.resolver_addresses if resolvers is None else resolvers,
        root_hints=world.root_addresses,
    )
    for key, value in overrides.items():
        setattr(base, key, value)
    return base


class Clock:
    """Real time plus an offset a test can advance (no long sleeps for the soak)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def run(spec, desired, world, state: Path, clock=None, **overrides) -> RoundResult:
    import asyncio

    with Journal.open(state) as journal:
        return asyncio.run(run_round(spec, settings(world, spec, **overrides), desired=desired, journal=journal,
                                     clock=clock or Clock()))


def rounds_until(spec, desired, world, state: Path, clock, wanted: str, *, within: float = 90.0) -> RoundResult:
    """Rounds a second apart (resolver caches expire in real time) until one is `wanted`, or
    `within` seconds have passed: the last round either way. A deadline, not a count of rounds,
    so a slow or busy machine gets the same real time for the caches to expire."""
    deadline = time.monotonic() + within
    while True:
        result = run(spec, desired, world, state, clock)
        if result.status == wanted or time.monotonic() >= deadline:
            return result
        time.sleep(1)


def by_id(result: RoundResult, check_id: str, status: str | None = None) -> list:
    return [c for c in result.checks if c.id == check_id and (status is None or c.status == status)]


def problems(result: RoundResult) -> list:
    return [(c.id, c.status, c.subject, c.server, c.detail) for c in result.checks if c.status != "pass"]
