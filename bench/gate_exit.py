"""Benchmark: `migrate gate FOLDER` over an exit of many domains, one decision for the tenant.

    .venv/bin/python bench/gate_exit.py [--domains 100]

Writes DOMAINS specs side by side with one facts file listing the tenant's
domains (every one still held, plus the initial one), then runs the real
command twice on a fresh state: the first decision, and the next one, which
checks every domain's stores against the heads the first recorded. Each run
reads a journal, the ledger and the attestations per domain and appends a
decision per domain and one for the tenant. Prints the wall time of each run
and the command's peak memory. No verify round is recorded, so the gate is
locked (dns unknown): what is measured is the decision's cost, not its outcome.
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

import yaml

ROOT = Path(__file__).resolve().parent.parent


def write_exit(folder: Path, count: int) -> list[str]:
    domains = [f"firma-{i:04d}.dk" for i in range(count)]
    as_of = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0).isoformat()
    (folder / "facts.yaml").write_text(yaml.safe_dump({"version": 1, "as_of": as_of, "domains": ["firma.onmicrosoft.com", *domains]}))
    for domain in domains:
        spec = {
            "version": 1, "domain": domain, "cutover": "2027-01-15T07:00:00+01:00",
            "source": {"provider": "microsoft365", "tenant": "firma"},
            "mail": {"provider": "custom", "mx": [{"priority": 10, "host": "mx1.example.net"}]},
            "dns": {"host": "cloudflare", "nameservers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]},
            "gate": {"require": ["dns", "domain_removed", "data_saved", "tenant"], "facts": "facts.yaml"},
        }
        (folder / f"{domain}.yaml").write_text(yaml.safe_dump(spec))
    return domains


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, state = Path(tmp) / "exit", Path(tmp) / "state"
        folder.mkdir()
        write_exit(folder, args.domains)
        for run in ("first decision", "next decision"):
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "migrate", "gate", str(folder), "--state", str(state), "--json"],
                                    capture_output=True, text=True, cwd=ROOT)
            wall = time.perf_counter() - started
            if result.returncode != 1:
                print(f"unexpected exit {result.returncode}: {result.stderr.strip()}")
                return 1
            print(f"{run}: {args.domains} domains in {wall:.2f} s ({args.domains / wall:.0f} domains/s)")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory of the command: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
