"""Every Graph operation ends by its deadline, whatever the (loopback) server does.

Dripping answers, a Retry-After on every call, a looping or endless or
foreign @odata.nextLink: the client, `migrate gate` and `migrate m365
remove-domain` each end within the configured deadline (plus a generous
slack for a loaded machine), with one line, and the gate stays locked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrate.graph import GraphError
from migrate.graph.budget import Budget, GraphLimit
from tests.helpers.gate import write_spec
from tests.helpers.graph_server import company_subscription
from tests.helpers.graph_client import client_for as graph_client_for

ROOT = Path(__file__).resolve().parent.parent
# Time a loaded two-core machine may add to a deadline (interpreter start included): the
# servers below would hold a client for tens of minutes, so the bound is still proven.
SLACK = 20.0


def client_for(world, budget: Budget):
    return graph_client_for(world, budget=budget, sleep=time.sleep)


def timed(call):
    start = time.monotonic()
    with pytest.raises((GraphLimit, GraphError)) as exc:
        call()
    return exc.value, time.monotonic() - start


@pytest.mark.parametrize(
    "path, headers",
    [("/v1.0/subscribedSkus", False), ("/v1.0/subscribedSkus", True), ("token", False)],
    ids=["body", "headers", "sign-in"],
)
def test_a_dripping_answer_ends_at_the_deadline(graph, path, headers):
    graph.drip(f"/{graph.tenant_id}/oauth2/v2.0/token" if path == "token" else path, every=0.2, headers=headers)
    with client_for(graph, Budget(2)) as client:
        error, elapsed = timed(client.subscribed_skus)
    assert isinstance(error, GraphLimit)
    assert "no complete answer within the 2 s deadline of source.graph.deadline" in str(error)
    assert elapsed < 2 + SLACK


def test_a_retry_after_storm_spends_the_time_budget_not_more(graph):
    graph.throttle("*", times=10**6, retry_after="1")
    with client_for(graph, Budget(3)) as client:
        error, elapsed = timed(client.subscriptions)
    assert isinstance(error, GraphLimit) and "HTTP 429 TooManyRequests" in str(error)
    assert "would pass the 3 s deadline" in str(error)
    assert elapsed < 3 + SLACK
    assert 1 <= len([p for m, p in graph.requests if p == "/v1.0/directory/subscriptions"]) <= 4


def test_a_retry_after_longer_than_the_time_left_fails_now(graph):
    graph.throttle("*", times=10**6, retry_after="120")
    with client_for(graph, Budget(60)) as client:
        error, elapsed = timed(client.subscriptions)
    assert "a retry in 120 s would pass the 60 s deadline" in str(error)
    assert elapsed < SLACK  # no sleep at all
    assert len(graph.requests) == 2  # the token, one call


def test_the_retry_count_is_a_budget_of_the_whole_operation(graph):
    graph.throttle("*", times=3, retry_after="0")
    with client_for(graph, Budget(60, retries=2)) as client:
        error, _ = timed(client.subscriptions)
    assert "still failing after 2 retries" in str(error)


def test_a_looping_next_link_is_refused_at_once(graph):
    graph.subscriptions = [company_subscription("SPB", 3)]
    graph.loop_next_link = True
    with client_for(graph, Budget(60)) as client:
        error, _ = timed(client.subscriptions)
    assert "@odata.nextLink points back to a page already read" in str(error)
    assert len([p for m, p in graph.requests if p == "/v1.0/directory/subscriptions"]) == 1


def test_an_endless_next_link_stops_at_the_page_cap(graph):
    graph.endless_next_link = True
    with client_for(graph, Budget(60, pages=5)) as client:
        error, _ = timed(client.subscriptions)
    assert isinstance(error, GraphLimit) and "more than 5 pages" in str(error)
    assert len([p for m, p in graph.requests if p == "/v1.0/directory/subscriptions"]) == 5


@pytest.mark.parametrize("base", ["http://localhost:{port}", "https://127.0.0.1:{port}", "{base}/beta", "{base}/v1.0/.."])
def test_a_next_link_outside_the_endpoint_is_refused(graph, base):
    graph.subscriptions = [company_subscription("SPB", n) for n in (1, 2)]
    graph.page_size = 1
    graph.next_link_base = base.format(port=graph.base.rsplit(":", 1)[1], base=graph.base)
    with client_for(graph, Budget(60)) as client:
        error, _ = timed(client.subscriptions)
    assert isinstance(error, GraphError) and "refusing @odata.nextLink outside" in str(error)
    assert len([p for m, p in graph.requests if "subscriptions" in p]) == 1


# -- the commands ---------------------------------------------------------------


def migrate(*args) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "migrate", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    return result, time.monotonic() - start


def spec_with_deadline(tmp_path, graph, deadline: str) -> Path:
    return write_spec(tmp_path, graph={**graph.source(), "deadline": deadline}, require=["licences", "domain_removed"])


def locked_by(result: subprocess.CompletedProcess) -> list[str]:
    """The gate's report says locked, each Graph requirement unknown; returns the reasons."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "locked"
    assert report["requirements"] == {"licences": "unknown", "domain_removed": "unknown"}
    reasons = [c["detail"] for c in report["checks"]]
    assert all("\n" not in r for r in reasons)
    return reasons


def test_gate_with_a_dripping_graph_is_locked_within_the_deadline(graph, tmp_path):
    graph.drip("*", every=0.3)
    spec = spec_with_deadline(tmp_path, graph, "3s")
    result, elapsed = migrate("gate", spec, "--state", tmp_path / "s", "--json")
    reasons = locked_by(result)
    assert elapsed < 3 + SLACK
    assert all("within the 3 s deadline of source.graph.deadline" in r for r in reasons), reasons
    history, _ = migrate("gate", spec, "--state", tmp_path / "s", "--explain", "--json")
    assert [d["status"] for d in json.loads(history.stdout)["decisions"]] == ["locked"]


def test_gate_in_a_retry_after_storm_is_locked_without_waiting(graph, tmp_path):
    graph.throttle("*", times=10**6, retry_after="120")
    spec = spec_with_deadline(tmp_path, graph, "60s")
    result, elapsed = migrate("gate", spec, "--state", tmp_path / "s", "--json")
    reasons = locked_by(result)
    assert elapsed < SLACK
    assert all("a retry in 120 s would pass the 60 s deadline" in r for r in reasons), reasons


def test_gate_with_a_looping_next_link_is_locked(graph, tmp_path):
    graph.subscriptions = [company_subscription("SPB", 3)]
    graph.add_domain("nordlys-tekstil.dk")
    graph.loop_next_link = True
    spec = spec_with_deadline(tmp_path, graph, "60s")
    result, elapsed = migrate("gate", spec, "--state", tmp_path / "s", "--json")
    reasons = locked_by(result)
    assert all("points back to a page already read" in r for r in reasons), reasons
    assert len(graph.requests) < 10


def test_remove_domain_against_a_dripping_graph_ends_with_one_line(graph, tmp_path):
    graph.add_domain("nordlys-tekstil.dk")
    graph.drip("*", every=0.3)
    spec = spec_with_deadline(tmp_path, graph, "3s")
    result, elapsed = migrate("m365", "remove-domain", spec)
    assert result.returncode == 1 and elapsed < 3 + SLACK
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and "source.graph.deadline" in result.stderr
    assert "nordlys-tekstil.dk" in graph.domains and not any(m == "DELETE" for m, p in graph.requests)
