"""Benchmark: `migrate status` over a fleet, every store of every spec read and verified whole.

    .venv/bin/python bench/status.py [--specs 200] [--rounds 500] [--recipients 100]

Builds one state through the real writers (ROUNDS hourly verify rounds of
10 observations and 20 checks, an announcement to RECIPIENTS users in the
ledger, an attestation and a gate decision), copies it beside SPECS specs in
folders of their own, and times `migrate.fleet.view.build` over them (the
best of three), with the peak memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chain import DOMAIN, T0, build_journal, timed  # noqa: E402
from migrate.fleet import view  # noqa: E402
from migrate.gate import store  # noqa: E402
from migrate.notify.ledger import Ledger  # noqa: E402

SPEC = """version: 1
domain: {domain}
cutover: 2027-01-15T07:00:00+01:00
source: {{tenant: tenant{n}}}
mail: {{provider: custom, name: Nyt Mail, sign_in_url: "https://mail.example.net/", mx: [{{priority: 10, host: mx1.example.net}}]}}
dns: {{host: cloudflare, nameservers: [ada.ns.cloudflare.com, bob.ns.cloudflare.com]}}
notify: {{from: "IT <it@{domain}>", recipients: users.csv, data_deadline: 2027-02-20}}
gate: {{require: [dns, notice, data_saved]}}
"""


def build_state(state: Path, rounds: int, recipients: int) -> float:
    started = time.perf_counter()
    build_journal(state, rounds, 10, 20)
    with Ledger.open(state) as book:
        book.db.execute("PRAGMA synchronous=OFF")
        book.begin("announce", data_deadline="2027-02-20", forced=None)
        for n in range(recipients):
            address = f"user{n}@{DOMAIN.rstrip('.')}"
            book.claim("announce", address, f"<{n}@bench>")
            book.sent("announce", address, at=T0 - timedelta(days=20))
    domain = DOMAIN.rstrip(".")
    store.attest(state, "data-saved", domain, "Mette", T0 + timedelta(hours=rounds))
    store.record(state, T0 + timedelta(hours=rounds), domain, "locked", {"dns": "sha256:0"},
                 {"status": "locked", "requirements": {"dns": "pass", "data_saved": "pending"}, "earliest_unlock": None})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--recipients", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        built = build_state(base / "state", args.rounds, args.recipients)
        fleet = base / "fleet"
        for n in range(args.specs):
            home = fleet / f"tenant{n:04d}"
            home.mkdir(parents=True)
            (home / "migration.yaml").write_text(SPEC.format(domain=DOMAIN.rstrip("."), n=n))
            shutil.copytree(base / "state", home / ".migrate")
        rows = view.build(fleet).rows
        assert len(rows) == args.specs and {r.phase for r in rows} == {"soaked"}, {(r.phase, r.problem) for r in rows}
        seconds = timed(lambda: view.build(fleet))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"one state ({args.rounds:,} rounds, {args.recipients:,} recipients) written in {built:.1f} s; "
              f"{args.specs:,} specs read, every chain verified, in {seconds:.2f} s "
              f"({seconds / args.specs * 1000:.1f} ms a spec); peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
