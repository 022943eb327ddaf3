"""Benchmark: how long `migrate rehearse` takes on the example migration and its variants.

    sudo .venv/bin/python bench/rehearse.py [--only clean]

Each run is the real command (`python -m migrate rehearse SPEC --json`), start-up
and lab included, on a copy of the example dated from today (as the tests
make it, tests/helpers/rehearse.py): the clean example, whose gate waits 38
days for the data deadline (verify on schedule all that time), and the four
variants with one problem each. Prints, per run: wall time, CPU time (the
command's and its servers'), peak memory of the largest process, verify
rounds and gate decisions, the simulated time the clock skipped, and the
findings.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.rehearse import example_copy  # noqa: E402

AUTODISCOVER = {"name": "autodiscover", "type": "CNAME", "value": "autodiscover.outlook.com"}
RUNS = {
    "clean": {},
    "missing-record": {"zone": "missing-apex-address.zone", "deadline_after": 5, "cancel_after": 7},
    "residue": {"records": [AUTODISCOVER], "deadline_after": 5, "cancel_after": 7},
    "mx-ttl-two-days": {"zone": "mx-ttl-two-days.zone", "deadline_after": 3, "cancel_after": 10},
    "short-notice": {"cutover_in": 10},
}


def measure(name: str, variant: dict) -> None:
    with tempfile.TemporaryDirectory(prefix=f"bench-rehearse-{name}-") as folder:
        spec = example_copy(Path(folder), **variant)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "migrate", "rehearse", str(spec), "--json"], cwd=ROOT,
                              capture_output=True, text=True, timeout=900)
        wall = time.monotonic() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        print(f"{name}: exit {done.returncode}: {done.stderr.strip()[-500:]}")
        return
    report = json.loads(done.stdout)
    summary = report["summary"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    skipped = summary["clock_skipped_seconds"] / 86400
    print(f"{name:<16} exit {done.returncode}  wall {wall:5.1f} s  cpu {cpu:5.1f} s  peak {after.ru_maxrss / 1024:4.0f} MB  "
          f"{summary['verify_rounds']:4d} verify rounds ({wall / max(1, summary['verify_rounds']):.2f} s each)  "
          f"{summary['gate_decisions']} gate decisions  clock skipped {skipped:.1f} days  "
          f"findings: {', '.join(f['id'] for f in report['findings']) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(RUNS), help="run one variant")
    args = parser.parse_args()
    for name, variant in RUNS.items():
        if args.only in (None, name):
            measure(name, variant)


if __name__ == "__main__":
    main()
