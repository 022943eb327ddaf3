"""A set's verdict from its domains' rounds, and how a large set is dealt out to processes (pure)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from migrate import plan, spec as spec_module
from migrate.errors import MigrateError
from migrate.journal import Journal
from migrate.lab import tenant
from migrate.state.location import Folder
from migrate.verify import processes, report
from migrate.verify.batch import Member, SetResult
from migrate.verify.budget import Rates
from migrate.verify.round import RoundResult, Settings
from tests.helpers.tamper import tamper

NOW = datetime(2027, 1, 15, 6, 0, tzinfo=timezone.utc)


def a_round(domain: str, status: str, eta: datetime | None = None, queries: int = 10, carried: int = 0) -> RoundResult:
    return RoundResult(domain=domain, started_at=NOW, finished_at=NOW, status=status, eta=eta, checks=[], evidence=None,
                       observations=[], authoritative_ok=status in ("verified", "converging"), first_fully_seen=None,
                       safe_after=None, queries=queries, carried=carried)


def test_the_set_is_as_good_as_its_worst_domain_and_exits_so():
    later = NOW + timedelta(hours=2)
    cases = [
        (["verified", "verified"], "verified", 0),
        (["verified", "converging"], "converging", 3),
        (["converging", "unknown", "verified"], "unknown", 1),
        (["unknown", "failing", "converging"], "failing", 1),
    ]
    for statuses, status, code in cases:
        outcome = SetResult(tuple(a_round(f"d{i}.dk.", s, later if s == "converging" else None) for i, s in enumerate(statuses)))
        assert outcome.status == status, statuses
        assert report.exit_code(outcome.status) == code
    assert SetResult(()).status == "failing"  # nothing verified is not verified


def test_a_converging_set_is_due_when_its_last_domain_is():
    soon, later = NOW + timedelta(minutes=5), NOW + timedelta(hours=1)
    outcome = SetResult((a_round("a.dk.", "converging", soon), a_round("b.dk.", "converging", later), a_round("c.dk.", "verified")))
    assert outcome.eta == later
    assert SetResult((a_round("a.dk.", "converging", soon), a_round("b.dk.", "converging", None))).eta is None
    assert SetResult((a_round("a.dk.", "failing"), a_round("b.dk.", "converging", soon))).eta is None


def test_the_set_report_holds_every_domain_report_and_the_totals():
    outcome = SetResult((a_round("a.dk.", "verified", queries=7, carried=50), a_round("b.dk.", "failing", queries=60)))
    built = report.build_set(outcome, NOW)
    assert built["status"] == "failing" and built["generated_at"] == NOW
    assert built["summary"] == {"verified": 1, "converging": 0, "failing": 1, "unknown": 0}
    assert (built["queries"], built["carried"]) == (67, 50)
    assert [r["domain"] for r in built["reports"]] == ["a.dk.", "b.dk."]
    assert built["reports"][0] == report.build(outcome.results[0], NOW)


def test_a_large_set_is_dealt_out_to_a_process_per_cpu_each_with_its_share_of_the_budget():
    assert processes.shares(1, 8) == 1
    assert processes.shares(processes.DOMAINS_PER_PROCESS, 8) == 1
    assert processes.shares(processes.DOMAINS_PER_PROCESS + 1, 8) == 2
    assert processes.shares(10_000, 2) == 2
    assert processes.shares(10_000, 1) == 1
    dealt = processes.deal(list(range(7)), 3)
    assert dealt == [[0, 3, 6], [1, 4], [2, 5]]
    assert sorted(i for part in dealt for i in part) == list(range(7))
    assert Rates(server=50, parent=10, resolver=5).share(2) == Rates(25, 5, 2.5)


def test_a_failure_in_a_process_is_raised_here_with_its_line_and_exit_code(tmp_path, monkeypatch):
    """Every domain's journal altered after verify wrote it: the processes stop at once, and the run says why (exit 2)."""
    state = tmp_path / "state"
    members = []
    with Journal.open(state) as journal:
        for domain in tenant.numbered(4):
            spec = spec_module.parse(tenant.spec_data(domain, 300), tmp_path / f"{domain}.yaml")
            built = plan.build(spec)
            settings = Settings.from_spec(spec, ["127.0.0.1:9"], ["127.0.0.1:9"])
            members.append(Member(spec, settings, built.desired, built.current, Folder(state)))
            journal.record_round(domain=spec.domain, started_at=NOW, finished_at=NOW, status="converging",
                                 authoritative_ok=True, eta=None, safe_after=None, checks=[], observations=[])
    tamper(state / "journal.sqlite", "UPDATE rounds SET status = 'verified'")
    monkeypatch.setattr(processes, "DOMAINS_PER_PROCESS", 2)
    with pytest.raises(MigrateError) as raised:
        asyncio.run(processes.verify_set(members, cpus=2))
    assert raised.value.exit_code == 2
    assert "journal" in str(raised.value) and "fleet-000" in str(raised.value)
