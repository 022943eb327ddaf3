"""The Graph client against the loopback Graph server: auth, paging, throttling, errors."""

from __future__ import annotations

import httpx
import pytest
from tests.helpers.graph_client import client_for
from tests.helpers.graph_server import (
    CLIENT_SECRET,
    closed_port_url,
    company_subscription,
    group_reference,
    user_reference,
)

from migrate.graph import GraphClient, GraphError, GraphUnreachable
from migrate.graph.auth import SignInFailed, TokenSource
from migrate.graph.budget import Budget, GraphLimit
from migrate.graph.client import bounded_http


def test_subscriptions_are_read_across_pages_with_one_token(graph):
    graph.subscriptions = [company_subscription("O365_BUSINESS_PREMIUM", n) for n in (1, 2, 3, 4, 5)]
    graph.page_size = 2
    with client_for(graph) as client:
        subs = client.subscriptions()
        skus = client.subscribed_skus()
    assert [s.total_licenses for s in subs] == [1, 2, 3, 4, 5]
    assert graph.token_requests == 1
    pages = [p for m, p in graph.requests if p == "/v1.0/directory/subscriptions"]
    assert len(pages) == 3
    assert len(skus) == 1 and skus[0].prepaid_enabled == 15 and len(skus[0].subscription_ids) == 5


def test_subscription_fields_follow_the_documented_shape(graph):
    graph.subscriptions = [company_subscription("SPB", 12, owner_tenant_id="331af819-4e0b-49f7-a6bf-14e1165ad3a0", is_trial=True, status="Warning")]
    graph.consumed = {"SPB": 9}
    with client_for(graph) as client:
        (sub,) = client.subscriptions()
        (sku,) = client.subscribed_skus()
    assert (sub.sku_part_number, sub.total_licenses, sub.status, sub.is_trial) == ("SPB", 12, "Warning", True)
    assert sub.is_partner(graph.tenant_id) and not sub.is_partner("331af819-4e0b-49f7-a6bf-14e1165ad3a0")
    assert sub.next_lifecycle is not None and sub.next_lifecycle.year == 2027
    assert (sku.consumed_units, sku.prepaid_warning, sku.subscription_ids) == (9, 12, (sub.id,))


def test_domain_lookup_references_and_404(graph):
    graph.add_domain("nordlys-tekstil.dk", [user_reference("anne@nordlys-tekstil.dk", "Anne"), group_reference("salg@nordlys-tekstil.dk", "Salg")])
    with client_for(graph) as client:
        assert client.get_domain("nordlys-tekstil.dk.").id == "nordlys-tekstil.dk"
        refs = client.domain_name_references("nordlys-tekstil.dk.")
        assert client.get_domain("other.dk.") is None
    assert [(r.kind, r.name) for r in refs] == [("user", "anne@nordlys-tekstil.dk"), ("group", "salg@nordlys-tekstil.dk")]


def test_delete_is_refused_while_referenced_then_succeeds(graph):
    graph.add_domain("nordlys-tekstil.dk", [user_reference("anne@nordlys-tekstil.dk", "Anne")])
    with client_for(graph) as client:
        with pytest.raises(GraphError) as refused:
            client.delete_domain("nordlys-tekstil.dk.")
        assert refused.value.status == 400 and "Request_BadRequest" in str(refused.value)
        graph.references["nordlys-tekstil.dk"] = []
        client.delete_domain("nordlys-tekstil.dk.")
        assert client.get_domain("nordlys-tekstil.dk.") is None


@pytest.mark.parametrize("disable", [True, False])
def test_force_delete_sends_the_flag_explicitly(graph, disable):
    graph.add_domain("nordlys-tekstil.dk", [user_reference("anne@nordlys-tekstil.dk", "Anne")])
    with client_for(graph) as client:
        client.force_delete_domain("nordlys-tekstil.dk.", disable_user_accounts=disable)
        assert client.get_domain("nordlys-tekstil.dk.") is None
    assert graph.force_deleted == {"nordlys-tekstil.dk": disable}


def test_429_then_success_honours_retry_after(graph):
    graph.subscriptions = [company_subscription("SPB", 3)]
    graph.throttle("/v1.0/directory/subscriptions", times=2, retry_after="7")
    sleeps: list[float] = []
    with client_for(graph, sleeps) as client:
        (sub,) = client.subscriptions()
    assert sub.total_licenses == 3
    assert sleeps == [7.0, 7.0]


def test_503_without_retry_after_backs_off_exponentially(graph):
    graph.throttle("/v1.0/subscribedSkus", times=3, retry_after=None, status=503)
    sleeps: list[float] = []
    with client_for(graph, sleeps) as client:
        assert client.subscribed_skus() == []
    assert sleeps == [1.0, 2.0, 4.0]


def test_throttling_is_bounded(graph):
    graph.throttle("/v1.0/subscribedSkus", times=10, retry_after="1")
    sleeps: list[float] = []
    with client_for(graph, sleeps, budget=Budget(180, retries=3)) as client, pytest.raises(GraphLimit) as exc:
        client.subscribed_skus()
    assert sleeps == [1.0, 1.0, 1.0]
    assert "HTTP 429 TooManyRequests" in str(exc.value) and "after 3 retries" in str(exc.value)


def test_a_retry_after_beyond_the_deadline_fails_at_once(graph):
    graph.throttle("/v1.0/subscribedSkus", times=1, retry_after="3600")
    sleeps: list[float] = []
    with client_for(graph, sleeps) as client, pytest.raises(GraphLimit) as exc:
        client.subscribed_skus()
    assert sleeps == [] and "a retry in 3600 s would pass the 180 s deadline of source.graph.deadline" in str(exc.value)


def test_wrong_secret_is_a_one_line_sign_in_failure_without_the_secret(graph):
    wrong = "wrong-secret-value-0123456789"
    with client_for(graph, secret=wrong) as client, pytest.raises(SignInFailed) as exc:
        client.subscriptions()
    message = str(exc.value)
    assert "AADSTS7000215" in message and "invalid_client" in message
    assert "\n" not in message and wrong not in message and CLIENT_SECRET not in message


def test_expired_token_is_renewed_once(graph):
    graph.subscriptions = [company_subscription("SPB", 3)]
    with client_for(graph) as client:
        client.subscriptions()
        graph.tokens.clear()  # the server forgets every token it issued
        assert len(client.subscriptions()) == 1
    assert graph.token_requests == 2


def test_server_down_is_unreachable(graph):
    with client_for(graph, base=closed_port_url()) as client, pytest.raises(SignInFailed) as exc:
        client.subscriptions()
    assert "cannot reach" in str(exc.value)


def test_graph_down_after_sign_in_is_unreachable(graph):
    down = closed_port_url()
    budget = Budget(180)
    http = bounded_http(budget, timeout=5)
    tokens = TokenSource(http, authority=graph.base, tenant_id=graph.tenant_id, client_id=graph.client_id, secret=CLIENT_SECRET, endpoint=f"{graph.base}/v1.0")
    client = GraphClient(f"{down}/v1.0", tokens, http, budget=budget, sleep=lambda s: None)
    with client, pytest.raises(GraphUnreachable) as exc:
        client.subscribed_skus()
    assert "cannot reach 127.0.0.1" in str(exc.value) and CLIENT_SECRET not in str(exc.value)


def test_next_link_to_another_host_is_refused(graph):
    graph.skus = [{"skuId": "x", "skuPartNumber": "X", "consumedUnits": 0, "prepaidUnits": {"enabled": 1}}] * 3
    graph.page_size = 1
    # The same server under another name: a token sent there would reach it, so only the refusal protects it.
    graph.next_link_base = graph.base.replace("127.0.0.1", "localhost")
    with client_for(graph) as client, pytest.raises(GraphError) as exc:
        client.subscribed_skus()
    assert "refusing @odata.nextLink outside" in str(exc.value) and "localhost" in str(exc.value)
    assert [p for m, p in graph.requests if p == "/v1.0/subscribedSkus"] == ["/v1.0/subscribedSkus"]


def test_the_loopback_server_demands_a_token_it_issued(graph):
    with httpx.Client(timeout=5) as http:
        bare = http.get(f"{graph.base}/v1.0/subscribedSkus")
        forged = http.get(f"{graph.base}/v1.0/subscribedSkus", headers={"Authorization": "Bearer forged"})
    assert bare.status_code == 401 and bare.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert forged.status_code == 401
