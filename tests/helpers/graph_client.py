"""A Graph client of the loopback Graph server, with recorded waits instead of sleeps."""

from __future__ import annotations

from collections.abc import Callable

from migrate.graph import GraphClient
from migrate.graph.auth import TokenSource
from migrate.graph.budget import Budget
from migrate.graph.client import bounded_http
from tests.helpers.graph_server import CLIENT_SECRET


def client_for(world, sleeps: list | None = None, *, secret: str = CLIENT_SECRET, base: str | None = None, budget: Budget | None = None,
               sleep: Callable[[float], None] | None = None) -> GraphClient:
    """A client of the loopback Graph; its waits are recorded in `sleeps` instead of slept, unless `sleep` is given."""
    base = base or world.base
    budget = budget or Budget(180)
    http = bounded_http(budget, timeout=5)
    tokens = TokenSource(http, authority=base, tenant_id=world.tenant_id, client_id=world.client_id, secret=secret, endpoint=f"{base}/v1.0")
    return GraphClient(f"{base}/v1.0", tokens, http, budget=budget, sleep=sleep or (sleeps if sleeps is not None else []).append)
