"""A tenant of three domains in one lab world, for the gate's `tenant` requirement.

- example.dk: the exit's spec (`verify_lab.write_spec`), delegated to the new host once the test moves it;
- example-old.dk: parked at the new host with a web site and no mail (listed in gate.parked);
- example.com: forgotten at Microsoft's name servers (MX at Exchange Online), until the test
  migrates it (its own spec, its desired zone at the new host) or strips its mail records.

Every record lives `verify_lab.TTL` seconds, so resolver caches forget the old state in a test.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from migrate import names, plan, spec as spec_module
from migrate.lab import World
from migrate.lab.model import LabZone
from migrate.lab.scenario import BDM_NAMESERVERS, NEW_KEY, NEW_NAMESERVERS, OLD_KEY, m365_zone, migration_spec
from migrate.zone import RRset, Zone
from tests.helpers import verify_lab

TENANT = "example"
INITIAL = "example.onmicrosoft.com"
MIGRATED, PARKED, FORGOTTEN = "example.dk", "example-old.dk", "example.com"
# The lab's copies of the forgotten domain: at Microsoft's name servers, and (staged) at the new host.
FORGOTTEN_OLD, FORGOTTEN_NEW, PARKED_KEY = "forgotten-old", "forgotten-new", "parked"
GATE = {"min_soak": "1m", "require": ["dns", "domain_removed", "tenant"]}


def _zone(domain: str, records: list[tuple[str, str, list[str]]]) -> Zone:
    origin = names.domain(domain)
    return Zone(origin, [RRset.build(names.owner(o, origin), t, verify_lab.TTL, v, origin=origin) for o, t, v in records])


def parked_zone() -> Zone:
    """example-old.dk at the new host: a web site, nothing of mail."""
    return _zone(PARKED, [("@", "NS", list(NEW_NAMESERVERS)), ("@", "A", ["192.0.2.80"]), ("www", "A", ["192.0.2.80"])])


def stripped_zone() -> Zone:
    """example.com at Microsoft's servers after its MX, autodiscover and Microsoft SPF were deleted: only the web and the proof."""
    return _zone(FORGOTTEN, [("@", "NS", list(BDM_NAMESERVERS)), ("@", "TXT", ['"MS=ms12345678"']), ("www", "A", ["192.0.2.80"])])


def write_migrated(folder: Path, gate: dict, source: dict | None = None, root_hints: list[str] = ()) -> Path:
    """example.dk's spec (migration.yaml) with `gate`, extra `source` keys (tenant, graph) and the lab's root hints
    (the gate walks from them to prove a parked domain mail-free)."""
    return verify_lab.write_spec(folder, extra={"source": {"tenant": TENANT, **(source or {})}, "gate": gate,
                                                "verify": {"root_hints": list(root_hints)}})


def write_forgotten(folder: Path, gate: dict, source: dict | None = None) -> Path:
    """example.com's spec, when someone writes it: custom mail at mx1.mailhost.net, DNS at the new host."""
    zone_path = folder / "example.com.zone"
    zone_path.write_text(m365_zone(FORGOTTEN, verify_lab.TTL).to_text())
    data = {
        "version": 1,
        "domain": FORGOTTEN,
        "cutover": "2027-01-15T07:00:00+01:00",
        "source": {"provider": "microsoft365", "tenant": TENANT, "nameservers": [n.rstrip(".") for n in BDM_NAMESERVERS], **(source or {})},
        "mail": {"provider": "custom", "mx": [{"priority": 10, "host": verify_lab.MX_HOST.rstrip(".")}],
                 "spf": "v=spf1 ip4:192.0.2.0/24 -all", "dmarc": "v=DMARC1; p=reject"},
        "dns": {"host": "cloudflare", "nameservers": [n.rstrip(".") for n in NEW_NAMESERVERS], "zone_file": zone_path.name,
                "default_ttl": verify_lab.TTL},
        "verify": {"resolvers": [], "timeout": "1s", "retries": 1},
        "gate": gate,
    }
    path = folder / "example.com.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def start(lab_world, folder: Path, gate: dict, source: dict | None = None) -> tuple[World, Path]:
    """The world, and example.dk's spec in `folder` naming its root hints: example.dk as the standard migration
    (still at Microsoft), example.com at Microsoft's servers with its desired zone staged at the new host,
    example-old.dk parked at the new host."""
    staging = folder.parent / "staging"
    staging.mkdir(exist_ok=True)
    _, current, desired = verify_lab.load(write_migrated(folder, gate, source))
    forgotten = plan.build(spec_module.load(write_forgotten(staging, GATE)))
    world, _ = migration_spec(MIGRATED, current, desired, ttl=verify_lab.TTL, serve_for=[forgotten.desired])
    old, new = world.zone(OLD_KEY).servers, world.zone(NEW_KEY).servers
    world.zones += [
        LabZone(FORGOTTEN, list(old), content=forgotten.current, key=FORGOTTEN_OLD),
        LabZone(FORGOTTEN, list(new), content=forgotten.desired, key=FORGOTTEN_NEW, delegated=False),
        LabZone(PARKED, list(new), content=parked_zone(), key=PARKED_KEY),
    ]
    started = lab_world(world)
    return started, write_migrated(folder, gate, source, started.root_addresses)
