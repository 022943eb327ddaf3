"""Microsoft Graph, app-only: the few calls an exit needs, nothing more.

`auth` gets a token with the client-credentials flow; `client` makes the calls
(paging, throttling, one-line errors); `models` turns Graph JSON into small
typed records the gate reasons about. No msgraph-sdk: eight endpoints do not
justify it, and a plain HTTP client is what the loopback tests talk to.
"""

from migrate.graph.client import GraphClient, GraphError, GraphUnreachable
from migrate.graph.models import Domain, Reference, Sku, Subscription

__all__ = ["Domain", "GraphClient", "GraphError", "GraphUnreachable", "Reference", "Sku", "Subscription"]
