"""`GET /domains` against the loopback Graph: every page, the documented fields, and names that are not names."""

from __future__ import annotations

import pytest

from migrate.graph import GraphError
from tests.helpers.graph_client import client_for


def test_every_domain_of_the_tenant_is_read_across_pages(graph):
    graph.add_domain("nordlys.onmicrosoft.com", initial=True, services=["Email", "OfficeCommunicationsOnline", "Intune"])
    graph.add_domain("Nordlys-Tekstil.DK", default=True)
    graph.add_domain("kampagne.dk", verified=False, services=[])
    graph.page_size = 2
    with client_for(graph) as client:
        found = client.domains()
    assert [(d.id, d.is_initial, d.is_default, d.is_verified) for d in found] == [
        ("nordlys.onmicrosoft.com", True, False, True), ("nordlys-tekstil.dk", False, True, True), ("kampagne.dk", False, False, False),
    ]
    assert found[0].supported_services == ("Email", "OfficeCommunicationsOnline", "Intune") and found[2].supported_services == ()
    assert found[1].authentication_type == "Managed"
    assert [p for m, p in graph.requests if p == "/v1.0/domains"] == ["/v1.0/domains"] * 2


@pytest.mark.parametrize("change,why", [
    ({"id": "evil\n.dk"}, "id is not a domain name"),
    ({"id": None}, "id is not a domain name"),
    ({"supportedServices": "Email"}, "supportedServices is not a list of strings"),
    ({"isInitial": "yes"}, "isInitial: expected true or false"),
])
def test_a_domain_graph_describes_wrongly_is_an_error_not_a_guess(graph, change, why):
    graph.add_domain("nordlys-tekstil.dk")
    graph.domains["nordlys-tekstil.dk"].update(change)
    with client_for(graph) as client, pytest.raises(GraphError, match=f"Graph GET /domains: unexpected answer: .*{why}"):
        client.domains()
