"""Benchmark: what verifying the hash chains costs the readers that verify them whole on every read.

    .venv/bin/python bench/chain.py [--rounds 10000] [--observations 10] [--checks 20] [--recipients 100000]

Builds, through the real writers, a journal of ROUNDS verify rounds for one
domain (each with OBSERVATIONS answers and CHECKS checks) and a notify ledger
of RECIPIENTS messages (claim, body, sent: three events each), then times
what a gate run and a sending run read: `journal.dns_evidence` (the rounds'
chain and every round's observation digest) and the ledger's events chain
with its messages. Each is timed unkeyed and with M365_EXIT_STATE_KEY set.
Building commits with synchronous=OFF: durability is not what is measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from migrate import journal  # noqa: E402
from migrate.journal import Journal, Observation  # noqa: E402
from migrate.notify import ledger  # noqa: E402
from migrate.notify.ledger import Ledger  # noqa: E402
from migrate.state.keys import ENV  # noqa: E402

DOMAIN = "example.dk."
T0 = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)


def observation(i: int) -> Observation:
    return Observation("auth", {"server": f"192.0.2.{i % 250}", "qname": DOMAIN, "qtype": "MX", "rd": False,
                                "outcome": "answer", "rcode": "NOERROR", "aa": True, "truncated": False, "tcp": False,
                                "at": T0.isoformat(), "authority": [], "additional": [],
                                "answer": [{"name": DOMAIN, "type": "MX", "ttl": 300, "values": [f"{i % 50} mx.example.net."]}]})


def build_journal(state: Path, rounds: int, observations: int, checks: int) -> float:
    started = time.perf_counter()
    with Journal.open(state) as book:
        book.db.execute("PRAGMA synchronous=OFF")
        for n in range(rounds):
            at = T0 + timedelta(hours=n)
            book.record_round(domain=DOMAIN, started_at=at, finished_at=at, status="verified", authoritative_ok=True,
                              eta=None, safe_after=T0, observations=[observation(n + k) for k in range(observations)],
                              checks=[{"id": f"auth.check-{c}", "status": "pass", "subject": DOMAIN, "observed": "as desired"}
                                      for c in range(checks)])
    return time.perf_counter() - started


def build_ledger(state: Path, recipients: int) -> float:
    started = time.perf_counter()
    with Ledger.open(state) as book:
        book.db.execute("PRAGMA synchronous=OFF")
        for n in range(recipients):
            address = f"user{n}@example.dk"
            book.claim("announce", address, f"<{n}@example.dk>")
            book.body("announce", address)
            book.sent("announce", address, at=T0)
    return time.perf_counter() - started


def timed(action) -> float:
    """The best of three runs, in seconds."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10_000)
    parser.add_argument("--observations", type=int, default=10)
    parser.add_argument("--checks", type=int, default=20)
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    for keyed in (False, True):
        if keyed:
            os.environ[ENV] = "bench-key-" + "0" * 32
        else:
            os.environ.pop(ENV, None)
        label = "HMAC-SHA256" if keyed else "sha256"
        with tempfile.TemporaryDirectory() as folder:
            state = Path(folder)
            built = build_journal(state, args.rounds, args.observations, args.checks)
            seconds = timed(lambda: journal.dns_evidence(state, DOMAIN, T0))
            print(f"{label:12} journal: {args.rounds:,} rounds x {args.observations} observations, {args.checks} checks: "
                  f"written in {built:.1f} s ({built / args.rounds * 1000:.2f} ms a round); "
                  f"verified whole (links + every round's digest) in {seconds:.2f} s ({seconds / args.rounds * 1e6:.0f} us a round)")
            built = build_ledger(state, args.recipients)
            seconds = timed(lambda: ledger.events_chain(state))
            print(f"{label:12} ledger: {args.recipients:,} recipients, {3 * args.recipients:,} events: written in {built:.1f} s; "
                  f"verified whole (events chain + messages) in {seconds:.2f} s ({seconds / (3 * args.recipients) * 1e6:.1f} us an event)")


if __name__ == "__main__":
    main()
