"""The gate end to end (engine + real sources) against the loopback Graph server,
the notify ledger in SQLite and gate.sqlite; DNS evidence supplied directly, and
then read from real journals written round by round with a clock the tests control."""

from __future__ import annotations

from datetime import timedelta

import pytest

from migrate import localtime
from migrate.gate import engine, sources, store
from migrate.journal import Journal, Observation
from tests.helpers.gate import ALL, CUTOVER, NOW, TZ, announce, dns_evidence, dns_holding, load, sources_for, write_spec
from tests.helpers.graph_server import CLIENT_SECRET, closed_port_url, company_subscription, user_reference

@pytest.fixture
def world(graph, tmp_path):
    """A tenant ready to cancel: 18 licences, domain removed, users told, data attested."""
    graph.subscriptions = [company_subscription("O365_BUSINESS_PREMIUM", 18)]
    graph.consumed = {"O365_BUSINESS_PREMIUM": 12}
    state = tmp_path / "state"
    announce(state)
    store.attest(state, "data-saved", "nordlys-tekstil.dk", "Mette Jensen", NOW - timedelta(days=1))
    spec = load(write_spec(tmp_path, graph=graph.source()))
    return graph, spec, state


def run(spec, state, dns=None, sleeps=None, now=NOW):
    return engine.decide(spec, sources_for(spec, state, dns=dns if dns is not None else dns_holding(now), sleeps=sleeps), state, now)


def test_unlocked_only_when_everything_holds(world):
    graph, spec, state = world
    verdict, gathered = run(spec, state)
    assert verdict.status == "unlocked", [c for c in verdict.checks if c.status != "pass"]
    assert verdict.requirements == {name: "pass" for name in ALL}
    assert set(verdict.evidence) == {*ALL, "dns.journal"} and all(v.startswith("sha256:") for v in verdict.evidence.values())
    assert verdict.evidence["dns.journal"] == "sha256:" + dns_holding().digest
    assert gathered["licences"].subscriptions[0].total_licenses == 18


def test_each_missing_requirement_locks_the_gate(world, tmp_path):
    graph, spec, state = world
    # dns: not yet soaked, and the day-old attestation predates the verifier's safe time: attest again
    verdict, _ = run(spec, state, dns=dns_evidence(NOW - timedelta(hours=2), NOW - timedelta(minutes=10)))
    assert verdict.status == "locked" and verdict.requirements["dns"] == "pending" and verdict.requirements["data_saved"] == "pending"
    assert verdict.earliest_unlock is None
    # attested after it: only the soak is left
    store.attest(state, "data-saved", "nordlys-tekstil.dk", "Mette Jensen", NOW - timedelta(minutes=5))
    verdict, _ = run(spec, state, dns=dns_evidence(NOW - timedelta(hours=2), NOW - timedelta(minutes=10)))
    assert {k for k, v in verdict.requirements.items() if v != "pass"} == {"dns"}
    assert verdict.earliest_unlock == NOW - timedelta(hours=2) + timedelta(hours=49)
    # licences: 26 in one subscription
    graph.subscriptions = [company_subscription("O365_BUSINESS_PREMIUM", 26)]
    verdict, _ = run(spec, state)
    assert verdict.status == "locked" and verdict.requirements["licences"] == "fail"
    assert verdict.earliest_unlock is None
    graph.subscriptions = [company_subscription("O365_BUSINESS_PREMIUM", 25)]
    # domain_removed: still there, referenced
    graph.add_domain("nordlys-tekstil.dk", [user_reference("anne@nordlys-tekstil.dk", "Anne Holm")])
    verdict, _ = run(spec, state)
    assert verdict.requirements["domain_removed"] == "fail" and verdict.status == "locked"
    check = next(c for c in verdict.checks if c.id == "m365.domain-removed")
    assert "user anne@nordlys-tekstil.dk" in check.detail
    del graph.domains["nordlys-tekstil.dk"]
    assert run(spec, state)[0].status == "unlocked"
    # notice: a fresh state without the ledger, but with the attestation
    bare = tmp_path / "bare"
    store.attest(bare, "data-saved", "nordlys-tekstil.dk", "Mette", NOW)
    verdict, _ = run(spec, bare)
    assert verdict.status == "locked" and verdict.requirements["notice"] == "fail"
    assert {k for k, v in verdict.requirements.items() if v != "pass"} == {"notice"}
    # data_saved: ledger but no attestation
    other = tmp_path / "other"
    announce(other)
    verdict, _ = run(spec, other)
    assert {k for k, v in verdict.requirements.items() if v != "pass"} == {"data_saved"}


def test_late_announcement_locks(world, tmp_path):
    graph, spec, _ = world
    state = tmp_path / "late"
    announce(state, at=CUTOVER - timedelta(days=3))
    store.attest(state, "data-saved", "nordlys-tekstil.dk", "Mette", NOW)
    verdict, _ = run(spec, state)
    assert verdict.requirements["notice"] == "fail"


def test_several_subscriptions_of_one_sku(world):
    graph, spec, state = world
    graph.subscriptions = [company_subscription("SPB", 20), company_subscription("SPB", 20), company_subscription("SPB", 5, status="Deleted")]
    verdict, _ = run(spec, state)
    seats = [c for c in verdict.checks if c.id == "licences.seats"]
    assert [c.status for c in seats] == ["pass", "pass"]  # the deleted one is not judged
    assert all("across 2 subscriptions" in c.detail for c in seats)
    assert verdict.status == "unlocked"


def test_csp_subscription_is_flagged(world):
    graph, spec, state = world
    graph.subscriptions = [company_subscription("SPB", 40, owner_tenant_id="331af819-4e0b-49f7-a6bf-14e1165ad3a0")]
    verdict, _ = run(spec, state)
    (check,) = [c for c in verdict.checks if c.requirement == "licences"]
    assert check.id == "licences.partner" and "cancel through your partner" in check.detail


def test_throttled_graph_is_retried_after_retry_after(world):
    graph, spec, state = world
    graph.throttle("/v1.0/directory/subscriptions", times=1, retry_after="5")
    sleeps: list[float] = []
    verdict, _ = run(spec, state, sleeps=sleeps)
    assert verdict.status == "unlocked" and sleeps == [5.0]


def test_token_failure_locks_without_leaking_the_secret(world, monkeypatch):
    graph, spec, state = world
    graph.client_secret = "the-server-now-expects-another"
    verdict, _ = run(spec, state)
    assert verdict.status == "locked"
    assert verdict.requirements["licences"] == "unknown" and verdict.requirements["domain_removed"] == "unknown"
    check = next(c for c in verdict.checks if c.requirement == "licences")
    assert "AADSTS7000215" in check.detail
    assert CLIENT_SECRET not in repr(verdict.to_dict())


def test_graph_down_locks(world, tmp_path):
    graph, _, state = world
    source = {**graph.source(), "endpoint": closed_port_url() + "/v1.0", "authority": closed_port_url()}
    spec = load(write_spec(tmp_path, graph=source))
    verdict, _ = run(spec, state)
    assert verdict.status == "locked"
    assert "cannot reach" in next(c for c in verdict.checks if c.requirement == "licences").detail


def test_missing_secret_is_bad_input_and_locked(world, monkeypatch):
    graph, spec, state = world
    monkeypatch.delenv("GRAPH_CLIENT_SECRET")
    verdict, _ = run(spec, state)
    assert verdict.status == "locked" and any("GRAPH_CLIENT_SECRET is not set" in m for m in verdict.bad_input)


def test_any_exception_in_a_source_is_unknown(world):
    graph, spec, state = world
    src = sources_for(spec, state, dns=dns_holding())

    def boom():
        raise RuntimeError("disk on fire")

    src.attestations = boom
    verdict, _ = engine.evaluate(spec, src, NOW)
    assert verdict.status == "locked" and verdict.requirements["data_saved"] == "unknown"
    assert "RuntimeError: disk on fire" in next(c for c in verdict.checks if c.requirement == "data_saved").detail


def test_no_dns_evidence_locks(world):
    graph, spec, state = world
    src = sources_for(spec, state)
    src.dns = lambda: None
    verdict, _ = engine.evaluate(spec, src, NOW)
    assert verdict.requirements["dns"] == "unknown" and verdict.status == "locked"


def test_default_dns_source_fails_closed_until_the_journal_exists(world):
    graph, spec, state = world
    verdict, _ = engine.evaluate(spec, sources.default(spec, state, now=NOW), NOW)
    assert verdict.requirements["dns"] == "unknown" and verdict.status == "locked"
    assert "dns.journal" not in verdict.evidence


def test_empty_require_is_locked(graph, tmp_path):
    spec = load(write_spec(tmp_path, graph=graph.source(), require=[]))
    verdict, _ = engine.evaluate(spec, sources_for(spec, tmp_path / "s", dns=dns_holding()), NOW)
    assert verdict.status == "locked"


def test_decisions_are_audited_with_evidence_digests(world):
    graph, spec, state = world
    first, _ = run(spec, state)
    graph.subscriptions = [company_subscription("SPB", 26)]
    second, _ = run(spec, state, now=NOW + timedelta(minutes=5))
    history = store.decisions(state, "nordlys-tekstil.dk")
    assert [d.status for d in history] == ["unlocked", "locked"]
    assert history[0].evidence == first.evidence and history[1].evidence == second.evidence
    assert history[0].evidence["licences"] != history[1].evidence["licences"]
    assert history[0].evidence["notice"] == history[1].evidence["notice"]  # the same ledger, the same digest
    assert history[1].report["requirements"]["licences"] == "fail"


# -- dns from a real journal: rounds written with a clock the test controls ----------------

T0 = NOW - timedelta(days=10)  # the first round, before the delegation moved
TTL = timedelta(hours=2)  # the old state's largest TTL, as the verifier would compute it
SOAK = timedelta(hours=48)  # write_spec's gate.min_soak; gate.max_age is the default 6h


def observation(at):
    return Observation("auth", {"server": "192.0.2.1", "qname": "nordlys-tekstil.dk.", "qtype": "MX", "rd": False,
                                "outcome": "answer", "rcode": "NOERROR", "aa": True, "truncated": False, "tcp": False,
                                "answer": [{"name": "nordlys-tekstil.dk.", "type": "MX", "ttl": 300,
                                            "values": ["10 mx1.example.net."]}],
                                "authority": [], "additional": [], "at": at.isoformat()})


class Rounds:
    """Writes verify rounds into the journal under `state` as the verifier would: the
    streak start and its safe time (start + TTL) are tracked like `verify.round` does."""

    def __init__(self, state):
        self.state, self.start = state, None

    def add(self, at, ok=True, status=None):
        self.start = (self.start or at) if ok else None
        safe = self.start + TTL if ok else None
        status = status or ("failing" if not ok else "verified" if at >= safe else "converging")
        with Journal.open(self.state) as journal:
            return journal.record_round(
                domain="nordlys-tekstil.dk.", started_at=at, finished_at=at, status=status, authoritative_ok=ok,
                eta=safe if status == "converging" else None, safe_after=safe,
                checks=[{"id": "timing.soak", "status": "pass" if status == "verified" else "pending"}],
                observations=[observation(at)],
            )

    def hourly(self, start, end, **kw):
        at = start
        while at <= end:
            self.add(at, **kw)
            at += timedelta(hours=1)


@pytest.fixture
def dns_only(tmp_path):
    spec = load(write_spec(tmp_path, require=["dns"]))
    state = tmp_path / "state"

    def gate(now):
        return engine.decide(spec, sources.default(spec, state, now=now), state, now)[0]

    return Rounds(state), gate, state


def dns_check(verdict, check_id):
    (check,) = [c for c in verdict.checks if c.id == check_id]
    return check


def test_journal_soak_locks_until_safe_after_plus_min_soak_then_unlocks(dns_only):
    rounds, gate, state = dns_only
    rounds.add(T0, ok=False)  # the old host still delegated
    moved = T0 + timedelta(hours=1)
    earliest = moved + TTL + SOAK
    rounds.hourly(moved, earliest - timedelta(seconds=1))  # the scheduled verify, hourly, up to now
    before = gate(earliest - timedelta(seconds=1))
    assert before.status == "locked" and before.requirements == {"dns": "pending"}
    assert before.earliest_unlock == earliest
    assert dns_check(before, "timing.soak").eta == earliest
    assert dns_check(before, "dns.held").observed.startswith(f"held since {localtime.format(moved, TZ)}")
    after = gate(earliest)
    assert after.status == "unlocked", [c for c in after.checks if c.status != "pass"]
    # the audit record names the journal round the decision rested on
    with Journal.open(state) as journal:
        latest = journal.latest("nordlys-tekstil.dk.")
    (_, unlocked) = store.decisions(state, "nordlys-tekstil.dk")
    assert unlocked.status == "unlocked" and unlocked.evidence["dns.journal"] == f"sha256:{latest.digest}"
    assert f"sha256:{latest.digest}" in dns_check(after, "dns.verified").detail


def test_journal_converging_round_is_pending_with_the_verifiers_eta(dns_only):
    rounds, gate, _ = dns_only
    row = rounds.add(T0)
    verdict = gate(T0 + timedelta(minutes=5))
    verified = dns_check(verdict, "dns.verified")
    assert verified.status == "pending" and verified.eta == row.eta == T0 + TTL
    assert verdict.earliest_unlock == T0 + TTL + SOAK  # the soak is the later of the two


def test_journal_failing_round_in_the_middle_restarts_the_soak(dns_only):
    rounds, gate, _ = dns_only
    rounds.hourly(T0, T0 + timedelta(hours=30))
    flap = T0 + timedelta(hours=31)
    rounds.add(flap, ok=False)  # someone edited the zone: one server served old data
    failing = gate(flap + timedelta(minutes=1))
    assert failing.requirements == {"dns": "fail"} and dns_check(failing, "dns.held").status == "fail"
    restart = flap + timedelta(hours=1)
    # when the first run would have unlocked, the restarted one is still soaking
    would_have = T0 + TTL + SOAK
    rounds.hourly(restart, would_have)
    verdict = gate(would_have)
    assert verdict.status == "locked" and verdict.earliest_unlock == restart + TTL + SOAK
    held = dns_check(verdict, "dns.held")
    assert held.status == "pass" and f"lost once since first seen at {localtime.format(T0, TZ)}" in held.detail
    rounds.hourly(would_have + timedelta(hours=1), restart + TTL + SOAK)
    assert gate(restart + TTL + SOAK).status == "unlocked"


def test_journal_gap_longer_than_max_age_locks(dns_only):
    rounds, gate, _ = dns_only
    rounds.hourly(T0, T0 + timedelta(hours=20))
    silent = gate(T0 + timedelta(hours=27))  # the scheduled verify stopped 7 h ago
    assert silent.status == "locked" and dns_check(silent, "dns.fresh").status == "fail"
    resumed = T0 + timedelta(hours=28)  # 8 h after the previous round: more than gate.max_age (6h)
    would_have = T0 + TTL + SOAK
    rounds.hourly(resumed, would_have)
    verdict = gate(would_have)
    assert verdict.status == "locked" and verdict.earliest_unlock == resumed + TTL + SOAK
    assert "largest gap 8h" in dns_check(verdict, "dns.held").observed
    rounds.hourly(would_have + timedelta(hours=1), resumed + TTL + SOAK)
    assert gate(resumed + TTL + SOAK).status == "unlocked"


def test_journal_tampered_after_the_fact_locks(dns_only):
    rounds, gate, state = dns_only
    rounds.hourly(T0, T0 + timedelta(hours=60))
    assert gate(T0 + timedelta(hours=60, minutes=5)).status == "unlocked"
    with Journal.open(state) as journal:
        journal.db.execute("DROP TRIGGER observations_append_only_u")
        journal.db.execute("UPDATE observations SET answer = replace(answer, 'mx1.example.net', 'mx.evil.example')")
    verdict = gate(T0 + timedelta(hours=60, minutes=6))
    assert verdict.status == "locked" and verdict.requirements == {"dns": "fail"}
    assert [c.id for c in verdict.checks] == ["state.journal"]
