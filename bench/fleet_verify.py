"""Benchmark: `migrate verify` over a folder of many domains, politely, against the lab.

    sudo .venv/bin/python bench/fleet_verify.py [--domains 1000] [--ttl 3600] [--server-rate 1500]
        [--parent-rate 250] [--resolver-rate 200] [--dnsperf-seconds 5]

The lab (`migrate.lab.tenant`): a root, the .dk and .net TLD servers, the
new host's two Knot servers serving every domain, a services server, one
Unbound resolver; every domain already delegated to the new host. One spec
per domain in one folder, with the rates given (`verify.server_rate` for the
new host's servers, `parent_rate` for the root and TLD servers,
`resolver_rate` for the resolver): high for servers on loopback, and low
enough that the verifier would go faster without them, so that the caps are
tested, not idle.

It runs the real command twice, `migrate verify DIR --json` with one state:
the first round of every domain, then at once a second, on the settled
fleet (every TTL still running). While each runs, every server's own
query counter (`knotc stats`, `unbound-control stats_noreset`) is read
every second. Then, in the same run, a bare dnspython loop sends the
questions the first round sent to the first new-host server, to that
server, one after the other; and dnsperf sends them as fast as the server
answers. It prints wall time, queries, peak memory, each server's highest
rate beside its cap, the second run's queries as a share of the first's,
the verifier's throughput beside the bare loop's and dnsperf's, and the
three targets with PASS or FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dns.edns  # noqa: E402
import dns.message  # noqa: E402
import dns.query  # noqa: E402

from migrate import spec as spec_module  # noqa: E402
from migrate.journal import Journal  # noqa: E402
from migrate.lab import World, counters, tenant  # noqa: E402
from migrate.verify.budget import burst_of  # noqa: E402

TARGET_THROUGHPUT = 0.70  # of the bare dnspython loop
TARGET_RERUN = 0.20  # of the first round's queries


def write_specs(folder: Path, count: int, ttl: int, rates: dict) -> list:
    specs = []
    for domain in tenant.numbered(count):
        data = tenant.spec_data(domain, ttl)
        data["verify"].update(rates)
        path = folder / f"{domain}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        specs.append(spec_module.parse(data, path))
    return specs


def run_verify(folder: Path, state: Path, world: World, servers: list[str], out: Path) -> dict:
    """`migrate verify FOLDER --json` in a process of its own, the servers' counters sampled meanwhile."""
    argv = [sys.executable, "-m", "migrate", "verify", str(folder), "--json", "--state", str(state),
            *(f"--root-hint={a}" for a in world.root_addresses), *(f"--resolver={a}" for a in world.resolver_addresses)]
    with counters.Sampler(world, servers) as sampler, open(out, "w") as stdout, open(out.with_suffix(".err"), "w") as stderr:
        began = time.monotonic()
        proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1, 3):
        raise SystemExit(f"migrate verify exited {proc.returncode}: {out.with_suffix('.err').read_text()[-2000:]}")
    report = json.loads(out.read_text())
    received = {s: sampler.samples[-1].counts[s] - sampler.samples[0].counts[s] for s in servers}
    return {"wall": wall, "code": proc.returncode, "report": report, "peak_rss_mb": usage.ru_maxrss / 1024,
            "cpu": usage.ru_utime + usage.ru_stime, "samples": sampler.samples, "received": received}


def questions_to(state: Path, address: str, specs) -> list[tuple[str, str, bool, bool]]:
    """The questions the first round sent to `address` (qname, qtype, DO, TCP from the start), from the journal."""
    out = []
    with Journal.open(state) as journal:
        for spec in specs:
            first = journal.rounds(spec.domain)[0]
            for o in journal.observations(first.id):
                if o["server"] == address and not o["carried"]:
                    out.append((o["qname"], o["qtype"], o["do"], o["tcp_only"]))
    return out


def bare_loop(address: str, asked: list[tuple[str, str, bool, bool]]) -> tuple[int, float]:
    """The same questions, one after the other, with nothing but dnspython: queries and seconds."""
    began = time.monotonic()
    for qname, qtype, do, tcp in asked:
        query = dns.message.make_query(qname, qtype, use_edns=0, payload=1232, want_dnssec=do,
                                       options=[dns.edns.NSIDOption(b"")])
        (dns.query.tcp if tcp else dns.query.udp)(query, address, timeout=2)
    return len(asked), time.monotonic() - began


def dnsperf(address: str, asked: list[tuple[str, str, bool, bool]], seconds: int, folder: Path) -> float | None:
    if shutil.which("dnsperf") is None:
        return None
    data = folder / "queries.txt"
    data.write_text("".join(f"{qname} {qtype}\n" for qname, qtype, _, _ in asked))
    done = subprocess.run(["dnsperf", "-s", address, "-d", str(data), "-l", str(seconds), "-c", "8", "-q", "500"],
                          capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"Queries per second:\s+([\d.]+)", done.stdout)
    return float(match.group(1)) if match else None


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--ttl", type=int, default=3600, help="TTL of every record (the settled re-run runs within it)")
    parser.add_argument("--server-rate", type=float, default=1500, help="verify.server_rate: each new-host server")
    parser.add_argument("--parent-rate", type=float, default=250, help="verify.parent_rate: root, TLD, services")
    parser.add_argument("--resolver-rate", type=float, default=200, help="verify.resolver_rate")
    parser.add_argument("--dnsperf-seconds", type=int, default=5)
    args = parser.parse_args()
    rates = {"server_rate": args.server_rate, "parent_rate": args.parent_rate, "resolver_rate": args.resolver_rate}

    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    folder, state = work / "specs", work / "state"
    folder.mkdir()
    specs = write_specs(folder, args.domains, args.ttl, rates)
    began = time.monotonic()
    world = World.start(tenant.world_spec(specs, args.ttl, name="bench-fleet"), timeout=900)
    print(f"lab: {args.domains} domains on two new-host servers, started in {time.monotonic() - began:.1f}s "
          f"({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    try:
        servers = [s.name for s in world.spec.servers]
        kinds = {name: ("resolver" if world.spec.server(name).role == "resolver" else
                        "host" if name.startswith("new") else "parent") for name in servers}
        cap = {name: {"host": args.server_rate, "parent": args.parent_rate, "resolver": args.resolver_rate}[kinds[name]]
               for name in servers}
        first = run_verify(folder, state, world, servers, work / "first.json")
        second = run_verify(folder, state, world, servers, work / "second.json")
        new1 = world.address("new1")
        asked = questions_to(state, new1, specs)
        bare_n, bare_s = bare_loop(new1, asked)
        perf = dnsperf(new1, asked, args.dnsperf_seconds, work)

        print()
        for label, run in (("first round", first), ("settled re-run", second)):
            report = run["report"]
            sent = sum(run["received"].values())
            print(f"{label}: {run['wall']:.1f}s wall, {run['cpu']:.1f}s CPU, peak memory {run['peak_rss_mb']:.0f} MB "
                  f"(largest process); "
                  f"{report['queries']:,} queries sent (the servers counted {sent:,}), {report['carried']:,} answers reused; "
                  f"domains {report['summary']}, exit {run['code']}")
        print()
        print(f"{'server':<10} {'kind':<9} {'cap q/s':>8} {'burst':>6} {'received':>9} {'peak q/s':>9} {'windows over cap':>17}")
        over_any = 0
        for name in servers:
            over = [w for run in (first, second) for w in counters.over(run["samples"], name, cap[name], burst_of(cap[name]))]
            over_any += len(over)
            peak = max(counters.peak(run["samples"], name) for run in (first, second))
            got = first["received"][name] + second["received"][name]
            print(f"{name:<10} {kinds[name]:<9} {cap[name]:>8.0f} {burst_of(cap[name]):>6.0f} {got:>9,} {peak:>9.0f} {len(over):>17}")
        print()
        first_sent, second_sent = first["report"]["queries"], second["report"]["queries"]
        throughput = first_sent / first["wall"]
        bare = bare_n / bare_s
        print(f"verifier: {throughput:,.0f} queries/s ({first_sent:,} sent in {first['wall']:.1f}s: its whole first run, start-up, "
              "plans, checks and journal included)")
        print(f"bare dnspython loop: {bare:,.0f} queries/s ({bare_n:,} of the first round's questions to {new1}, one at a time)")
        print(f"dnsperf against {new1}: " + (f"{perf:,.0f} queries/s" if perf else "no figure"))
        print()
        rerun = second_sent / first_sent
        print(f"target: throughput >= {TARGET_THROUGHPUT:.0%} of the bare loop: {throughput / bare:.0%}  {verdict(throughput / bare >= TARGET_THROUGHPUT)}")
        print(f"target: settled re-run <= {TARGET_RERUN:.0%} of the first round's queries: {rerun:.1%}  {verdict(rerun <= TARGET_RERUN)}")
        print(f"target: no server got more than its cap (rate x seconds + burst, every 1 s sample): "
              f"{over_any} windows over  {verdict(over_any == 0)}")
    finally:
        world.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
