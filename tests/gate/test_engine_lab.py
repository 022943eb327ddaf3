"""The gate's dns requirement end to end: real verify rounds against the lab, then the gate.

Knot and Unbound on loopback serve the migration; `verify.round` writes each
round to the journal under --state with an injected clock, and the gate's
engine (gate.require: [dns]) reads that journal at the same clock. The soak
(min_soak 2h here) is advanced with the clock, never slept through. When the
lab cannot start this fails (never skips).
"""

from __future__ import annotations

from datetime import timedelta

from migrate import localtime
from migrate.gate import engine, sources, store
from migrate.journal import Journal
from tests.helpers.verify_lab import DOMAIN, TTL, Clock, load, problems, rounds_until, run, write_spec

MIN_SOAK = timedelta(hours=2)


def check(verdict, check_id):
    (found,) = [c for c in verdict.checks if c.id == check_id]
    return found


def test_gate_unlocks_from_real_verify_rounds_only_after_safe_after_plus_min_soak(tmp_path, lab_migration):
    spec, current, desired = load(write_spec(tmp_path, extra={"gate": {"min_soak": "2h", "require": ["dns"]}}))
    world = lab_migration(DOMAIN, current, desired, ttl=TTL)
    clock, state = Clock(), tmp_path / "state"

    def verify(wanted: str | None = None):
        """One scheduled round; with `wanted`, rounds a second apart (caches expire in real time) until it is reached."""
        if wanted is None:
            return run(spec, desired, world, state, clock)
        result = rounds_until(spec, desired, world, state, clock, wanted)
        assert result.status == wanted, problems(result)
        return result

    def gate(at=None):
        now = at or clock()
        return engine.decide(spec, sources.default(spec, state, now=now), state, now)[0]

    def advance_to(moment):
        clock.advance((moment - clock()).total_seconds())

    assert gate().requirements == {"dns": "unknown"}  # no journal yet: evidence of nothing
    assert verify().status == "failing"  # the parent still delegates to the old host
    assert gate().requirements == {"dns": "fail"}

    world.move_delegation()
    first = verify()
    assert first.authoritative_ok and first.status == "converging", problems(first)
    assert first.safe_after == first.first_fully_seen + timedelta(seconds=TTL)  # the verifier's TTL-derived time
    earliest = first.safe_after + MIN_SOAK

    clock.advance(600)  # the next scheduled round, past every old TTL
    verified = verify("verified")
    soaking = gate()
    assert soaking.status == "locked" and soaking.requirements == {"dns": "pending"}
    assert soaking.earliest_unlock == earliest
    assert check(soaking, "dns.held").observed.startswith(f"held since {localtime.format(first.finished_at, spec.tz)}")

    advance_to(earliest - timedelta(minutes=30))
    last = verify("verified")
    assert gate(earliest - timedelta(seconds=1)).status == "locked"
    unlocked = gate(earliest)
    assert unlocked.status == "unlocked", [c for c in unlocked.checks if c.status != "pass"]
    assert unlocked.evidence["dns.journal"] == f"sha256:{last.digest}"
    assert store.decisions(state, DOMAIN.rstrip("."))[-1].evidence["dns.journal"] == f"sha256:{last.digest}"
    assert verified.round_id < last.round_id

    # A flap: the registrar rolls the delegation back, then forward again.
    clock.advance(600)
    world.move_back()
    assert verify().status == "failing"
    relocked = gate()
    assert relocked.status == "locked" and check(relocked, "dns.held").status == "fail"
    world.move_delegation()
    clock.advance(600)
    again = verify()
    assert again.authoritative_ok, problems(again)
    restarted = gate()
    assert restarted.status == "locked"
    assert restarted.earliest_unlock == again.safe_after + MIN_SOAK == again.finished_at + timedelta(seconds=TTL) + MIN_SOAK
    assert "lost once since first seen" in check(restarted, "dns.held").detail
    advance_to(again.safe_after + MIN_SOAK - timedelta(minutes=30))
    verify("verified")
    assert gate(again.safe_after + MIN_SOAK).status == "unlocked"
    with Journal.open(state) as journal:
        assert [r.authoritative_ok for r in journal.rounds(DOMAIN)].count(False) == 2  # before the move, and the flap
