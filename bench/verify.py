"""Benchmark: verify many domains in one lab, beside the server's capacity measured by dnsperf.

    sudo .venv/bin/python bench/verify.py [--domains 100] [--dnsperf-seconds 5] [--signed]

One lab world: a root, the dk./net. TLDs, a new host (two Knot servers)
serving N domains, a services server for the MX host, one Unbound
resolver. Every domain is verified by a full round (walk from the root,
every parent address, every authoritative address, residue probes, mail
checks, the resolver), all rounds concurrently, each written to one journal.
With --signed, Knot signs every domain and the TLD holds their DS, so every
round also validates every signature and denial.
Prints the verifier's wall time and queries a second, then dnsperf's
queries a second against the same Knot server in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from migrate import plan  # noqa: E402
from migrate import spec as spec_module  # noqa: E402
from migrate.endpoint import parse  # noqa: E402
from migrate.journal import Journal  # noqa: E402
from migrate.lab import LabZone, Server, World, WorldSpec  # noqa: E402
from migrate.verify.round import Settings, run_round  # noqa: E402
from migrate.zone import RRset, Zone  # noqa: E402

NEW = ["ns1.newhost.net", "ns2.newhost.net"]


def domain_spec(name: str):
    data = {
        "version": 1,
        "domain": name,
        "cutover": "2027-01-15T07:00:00+01:00",
        "source": {"provider": "microsoft365", "nameservers": NEW},
        "mail": {
            "provider": "custom",
            "mx": [{"priority": 10, "host": "mx1.mailhost.net"}],
            "spf": "v=spf1 ip4:192.0.2.0/24 -all",
            "dmarc": f"v=DMARC1; p=reject; rua=mailto:dmarc@{name}",
        },
        "dns": {"host": "cloudflare", "nameservers": NEW, "default_ttl": 300,
                "records": [{"name": "www", "type": "A", "value": "192.0.2.80"}]},
    }
    return spec_module.parse(data, Path(f"{name}.yaml"))


def world_spec(specs, signed: bool) -> WorldSpec:
    mailhost = Zone("mailhost.net.", [RRset.build("mx1.mailhost.net.", "A", 300, ["192.0.2.25"])])
    servers = [
        Server("root", hostnames=("a.root-servers.net.",)),
        Server("gtld", hostnames=("a.gtld-servers.net.",)),
        Server("tld-dk", hostnames=("a.nic.dk.",)),
        Server("new1", hostnames=("ns1.newhost.net.",)),
        Server("new2", hostnames=("ns2.newhost.net.",)),
        Server("services", hostnames=("ns1.lab-services.net.",)),
        Server("resolver1", role="resolver"),
    ]
    zones = [
        LabZone(".", ["root"]),
        LabZone("net.", ["gtld"]),
        LabZone("dk.", ["tld-dk"]),
        LabZone("newhost.net.", ["new1", "new2"]),
        LabZone("lab-services.net.", ["services"]),
        LabZone("mailhost.net.", ["services"], content=mailhost),
    ]
    zones += [LabZone(s.domain, ["new1", "new2"], content=plan.desired_zone(s), signed=signed) for s in specs]
    return WorldSpec(servers=servers, zones=zones, ttl=300, name="bench-verify")


async def verify_all(specs, settings, journal):
    return await asyncio.gather(*(run_round(s, settings, journal=journal) for s in specs))


def dnsperf(address: str, names: list[str], seconds: int, folder: Path) -> str:
    if shutil.which("dnsperf") is None:
        return "dnsperf not installed (apt-get install dnsperf)"
    queries = folder / "queries.txt"
    queries.write_text("".join(f"{n} {t}\n" for n in names for t in ("MX", "TXT", "SOA", "NS")))
    out = subprocess.run(["dnsperf", "-s", address, "-d", str(queries), "-l", str(seconds), "-c", "8", "-q", "500"],
                         capture_output=True, text=True, timeout=seconds + 30)
    match = re.search(r"Queries per second:\s+([\d.]+)", out.stdout)
    return f"{float(match.group(1)):,.0f} queries/s" if match else f"no figure ({out.stderr.strip() or out.stdout[-300:]})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--dnsperf-seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64, help="questions in flight per round")
    parser.add_argument("--signed", action="store_true", help="Knot signs every domain; the TLD publishes their DS")
    args = parser.parse_args()

    specs = [domain_spec(f"bench-{i:04d}.dk") for i in range(args.domains)]
    started = time.monotonic()
    world = World.start(world_spec(specs, args.signed), timeout=300)
    print(f"lab with {args.domains} {'signed ' if args.signed else ''}domains started in {time.monotonic() - started:.1f}s")
    try:
        settings = Settings(resolvers=[parse(a) for a in world.resolver_addresses],
                            root_hints=[parse(a) for a in world.root_addresses],
                            timeout=2.0, retries=1, concurrency=args.concurrency, server_rate=10_000, resolver_rate=10_000,
                            parent_rate=10_000)
        with tempfile.TemporaryDirectory() as tmp, Journal.open(Path(tmp)) as journal:
            t0 = time.monotonic()
            results = asyncio.run(verify_all(specs, settings, journal))
            wall = time.monotonic() - t0
            statuses = {}
            for r in results:
                statuses[r.status] = statuses.get(r.status, 0) + 1
            sent = sum(r.queries for r in results)
            checks = sum(len(r.checks) for r in results)
            print(f"verifier: {args.domains} domains, {checks} checks, {sent} queries in {wall:.2f}s wall "
                  f"= {sent / wall:,.0f} queries/s, {args.domains / wall:.1f} domains/s; statuses {statuses}")
            bad = [(r.domain, c.id, c.subject, c.detail) for r in results for c in r.checks if c.status in ("fail", "unknown")]
            if bad:
                print(f"unexpected problems (first 5 of {len(bad)}): {bad[:5]}")
            print(f"dnsperf against the same Knot server ({world.address('new1')}): "
                  f"{dnsperf(world.address('new1'), [s.domain for s in specs], args.dnsperf_seconds, Path(tmp))}")
    finally:
        world.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
