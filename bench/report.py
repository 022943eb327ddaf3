"""Benchmark: what `migrate report` costs on a long migration's state.

    .venv/bin/python bench/report.py [--rounds 720] [--recipients 300]

Builds, through the real writers, a journal of ROUNDS verify rounds an
hour apart (720: a month of the hourly schedule) shaped like the demo's:
two parent addresses, two new-host addresses with 30 records and 20
Microsoft 365 names each, four old-host addresses, four resolvers with
five mail records each (the resolvers forget the old MX over the first
day), about 240 answers a round; a ledger of RECIPIENTS announced users;
a gate decision. Then runs the real command (`migrate report SPEC --state
DIR --out FILE`, start-up included) and prints its wall time, its peak
memory and the page's size, and each phase in one process: reading and
verifying the stores, composing the story, rendering the page.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from migrate import spec as spec_module  # noqa: E402
from migrate.gate import store  # noqa: E402
from migrate.history import page, records, story  # noqa: E402
from migrate.journal import Journal, Observation  # noqa: E402
from migrate.notify.ledger import Ledger  # noqa: E402
from migrate.state import location  # noqa: E402

DOMAIN = "example.dk."
NEW = [f"ns{i}.newhost.net (192.0.2.{i})" for i in (1, 2)]
PARENTS = [f"{c}.nic.dk (198.51.100.{i})" for i, c in enumerate("ab", 1)]
OLD = [f"203.0.113.{i}" for i in range(1, 5)]
RESOLVERS = [f"192.0.2.{100 + i}" for i in range(4)]
MAIL = [f"{DOMAIN} MX", f"{DOMAIN} TXT", f"_dmarc.{DOMAIN} TXT", f"s1._domainkey.{DOMAIN} CNAME", f"s2._domainkey.{DOMAIN} CNAME"]


def checks(hour: int) -> list[dict]:
    out = [{"id": "delegation.parent-ns", "status": "pass", "subject": DOMAIN, "server": p, "observed": ["ns1.newhost.net."]} for p in PARENTS]
    for server in NEW:
        out += [{"id": "record.match", "status": "pass", "subject": f"r{n}.{DOMAIN} A", "server": server} for n in range(30)]
        out += [{"id": "m365.clean", "status": "pass", "subject": f"m{n}.{DOMAIN} CNAME", "server": server} for n in range(20)]
    stale = hour < 24  # the old MX lingers for a day in the resolvers' caches
    out += [{"id": "resolver.stale" if stale and subject.endswith("MX") else "resolver.fresh", "status": "pending" if stale and subject.endswith("MX") else "pass",
             "subject": subject, "server": r, "detail": "still serves the old answer"} for r in RESOLVERS for subject in MAIL]
    return out


def observations(at: datetime) -> list[Observation]:
    def answer(server: str, n: int) -> dict:
        return {"server": server, "qname": f"r{n}.{DOMAIN}", "qtype": "A", "rd": False, "outcome": "answer", "rcode": "NOERROR",
                "aa": True, "truncated": False, "tcp": False, "at": at.isoformat(), "authority": [], "additional": [],
                "answer": [{"name": f"r{n}.{DOMAIN}", "type": "A", "ttl": 3600, "values": [f"192.0.2.{n}"]}]}
    out = [Observation("old", answer(server, n)) for server in OLD for n in range(25)]
    out += [Observation("auth", answer(server.split("(")[1].rstrip(")"), n)) for server in NEW for n in range(50)]
    out += [Observation("walk", answer("198.51.100.9", n)) for n in range(20)]
    return out + [Observation("resolver", answer(r, n)) for r in RESOLVERS for n in range(5)]


def build(folder: Path, rounds: int, recipients: int) -> tuple[Path, Path]:
    data = {"version": 1, "domain": DOMAIN.rstrip("."), "cutover": "2027-01-15T07:00:00+01:00", "timezone": "Europe/Copenhagen",
            "source": {"provider": "microsoft365", "nameservers": ["ns1.bdm.microsoftonline.com"]},
            "mail": {"provider": "custom", "mx": [{"priority": 10, "host": "mx1.example.net"}]},
            "dns": {"host": "cloudflare", "nameservers": ["ns1.newhost.net", "ns2.newhost.net"]}, "gate": {"require": ["dns"]}}
    spec = folder / "migration.yaml"
    spec.write_text(yaml.safe_dump(data))
    state = folder / "state"
    start = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)
    with Journal.open(state) as book:
        book.db.execute("PRAGMA synchronous=OFF")
        for hour in range(rounds):
            at = start + timedelta(hours=hour)
            book.record_round(domain=DOMAIN, started_at=at, finished_at=at, status="converging" if hour < 24 else "verified",
                              authoritative_ok=True, eta=None, safe_after=start + timedelta(hours=24), checks=checks(hour),
                              observations=observations(at))
    with Ledger.open(state) as book:
        book.db.execute("PRAGMA synchronous=OFF")
        book.begin("announce", data_deadline="2027-02-22", forced=None)
        for n in range(recipients):
            book.claim("announce", f"user{n}@example.dk", f"<{n}@example.dk>")
            book.sent("announce", f"user{n}@example.dk", at=start - timedelta(days=20))
    store.record(state, start + timedelta(hours=rounds), "example.dk", "locked", {"dns": "sha256:0"}, {"status": "locked", "checks": []})
    return spec, state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=720)
    parser.add_argument("--recipients", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        spec_path, state = build(Path(folder), args.rounds, args.recipients)
        print(f"built {args.rounds} rounds ({len(checks(0))} checks, {len(observations(datetime.now(timezone.utc)))} answers each) "
              f"and {args.recipients} recipients in {time.perf_counter() - started:.1f}s")
        out = Path(folder) / "report.html"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "migrate", "report", str(spec_path), "--state", str(state), "--out", str(out)],
                       check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"migrate report: {wall:.2f}s wall, peak {peak:.0f} MB, page {out.stat().st_size / 1024:.0f} KiB")

        spec, where, now = spec_module.load(spec_path), location.Folder(state), datetime.now(timezone.utc)
        started = time.perf_counter()
        read = records.read(spec, where, now)
        t_read = time.perf_counter()
        told = story.build_story(spec, read, now)
        t_story = time.perf_counter()
        page.render(told)
        t_page = time.perf_counter()
        print(f"in one process: read and verify {t_read - started:.2f}s, story {t_story - t_read:.2f}s, render {t_page - t_story:.2f}s "
              f"({len(told.timeline.rows)} rows, {told.timeline.transitions} transitions)")


if __name__ == "__main__":
    main()
