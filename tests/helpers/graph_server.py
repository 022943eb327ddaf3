"""A loopback Microsoft Graph for tests: a real HTTP server on 127.0.0.1.

It answers as the Graph v1.0 reference (microsoft-graph-docs-contrib) and the
identity platform's client-credentials documentation show:

- POST /{tenant}/oauth2/v2.0/token -> {"token_type": "Bearer", "expires_in": 3599,
  "access_token": ...}; a wrong secret -> 401 {"error": "invalid_client",
  "error_description": "AADSTS7000215: Invalid client secret provided. ..."}.
- Graph calls demand `Authorization: Bearer <a token it issued>`, else 401
  InvalidAuthenticationToken; errors are {"error": {"code", "message", "innerError"}}.
- Collections carry @odata.context and are paged with @odata.nextLink
  ($skiptoken) when longer than `page_size`.
- GET /domains lists the tenant's domains (the domain resource: id, isVerified,
  isDefault, isInitial, supportedServices, authenticationType, ...), paged;
  GET /domains/{id} -> 404 Request_ResourceNotFound once the domain is gone.
- Throttling on demand: 429 TooManyRequests with a Retry-After header.

And the hostile servers the client must survive within its budget: answers
that drip a byte at a time, a Retry-After on every call, an @odata.nextLink
that loops or leads to another host, errors that echo what was posted.

Use the `graph` fixture (a GraphWorld) and `graph.source()` for the spec's
source.graph block.
"""

from __future__ import annotations

import json
import secrets as _secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

TENANT_ID = "5f1c3b7e-8f6a-4d2e-9b1a-2c3d4e5f6a7b"
CLIENT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CLIENT_SECRET = "Zq8~sEcReT.vAlUe-never-print-me-42"


def company_subscription(
    sku: str,
    total: int,
    *,
    status: str = "Enabled",
    owner_tenant_id: str | None = None,
    is_trial: bool = False,
    sku_id: str | None = None,
    ident: str | None = None,
) -> dict:
    """A companySubscription as `GET /directory/subscriptions` returns it."""
    return {
        "createdDateTime": "2024-03-01T00:00:00Z",
        "commerceSubscriptionId": str(uuid.uuid4()),
        "id": ident or str(uuid.uuid4()),
        "isTrial": is_trial,
        "nextLifecycleDateTime": "2027-03-01T00:00:00Z",
        "serviceStatus": [
            {"appliesTo": "User", "provisioningStatus": "Success", "servicePlanId": str(uuid.uuid4()), "servicePlanName": "EXCHANGE_S_STANDARD"}
        ],
        "skuId": sku_id or str(uuid.uuid5(uuid.NAMESPACE_DNS, sku)),
        "skuPartNumber": sku,
        "status": status,
        "totalLicenses": total,
        "ownerId": str(uuid.uuid4()),
        "ownerTenantId": owner_tenant_id,
        "ownerType": "User",
    }


def skus_for(subscriptions: list[dict], consumed: dict[str, int] | None = None) -> list[dict]:
    """The subscribedSku list Graph derives from the subscriptions: one entry per SKU."""
    consumed = consumed or {}
    by_sku: dict[str, list[dict]] = {}
    for sub in subscriptions:
        if sub["status"] != "Deleted":
            by_sku.setdefault(sub["skuPartNumber"], []).append(sub)
    out = []
    for part, subs in by_sku.items():
        out.append(
            {
                "accountName": "Nordlys Tekstil ApS",
                "accountId": str(uuid.uuid5(uuid.NAMESPACE_DNS, "account")),
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "consumedUnits": consumed.get(part, 0),
                "id": f"{TENANT_ID}_{subs[0]['skuId']}",
                "prepaidUnits": {
                    "enabled": sum(s["totalLicenses"] for s in subs if s["status"] == "Enabled"),
                    "lockedOut": sum(s["totalLicenses"] for s in subs if s["status"] == "LockedOut"),
                    "suspended": sum(s["totalLicenses"] for s in subs if s["status"] == "Suspended"),
                    "warning": sum(s["totalLicenses"] for s in subs if s["status"] == "Warning"),
                },
                "servicePlans": [
                    {"servicePlanId": str(uuid.uuid4()), "servicePlanName": "EXCHANGE_S_STANDARD", "provisioningStatus": "Success", "appliesTo": "User"}
                ],
                "skuId": subs[0]["skuId"],
                "skuPartNumber": part,
                "subscriptionIds": [s["id"] for s in subs],
            }
        )
    return out


def user_reference(upn: str, display: str) -> dict:
    """A directoryObject as the documented domainNameReferences example shows it."""
    return {
        "odata.type": "Microsoft.DirectoryServices.User",
        "objectType": "User",
        "objectId": str(uuid.uuid5(uuid.NAMESPACE_DNS, upn)),
        "accountEnabled": True,
        "displayName": display,
        "facsimileTelephoneNumber": None,
        "mailNickname": upn.split("@")[0],
        "mobile": None,
        "userPrincipalName": upn,
    }


def group_reference(mail: str, display: str) -> dict:
    return {"@odata.type": "#microsoft.graph.group", "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, mail)), "displayName": display, "mail": mail}


@dataclass
class Throttle:
    times: int
    retry_after: str | None
    status: int = 429


@dataclass
class GraphWorld:
    """The tenant the server plays; tests change it between calls."""

    tenant_id: str = TENANT_ID
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    domains: dict[str, dict] = field(default_factory=dict)
    references: dict[str, list[dict]] = field(default_factory=dict)
    subscriptions: list[dict] = field(default_factory=list)
    skus: list[dict] | None = None  # None: derived from subscriptions
    consumed: dict[str, int] = field(default_factory=dict)
    page_size: int = 100
    throttles: dict[str, Throttle] = field(default_factory=dict)
    force_deleted: dict[str, bool] = field(default_factory=dict)
    # Hostile modes. drips: path -> seconds between the bytes of its answers (headers
    # included with drip_headers); "*" stands for every Graph call in throttles and drips.
    drips: dict[str, float] = field(default_factory=dict)
    drip_headers: bool = False
    loop_next_link: bool = False  # every page's nextLink is the page itself
    endless_next_link: bool = False  # every page has a nextLink to a new, empty page
    next_link_base: str | None = None  # nextLinks lead to this base (another host) instead
    sign_in_echo: Callable[[bytes], str] | None = None  # appended to a failed sign-in's description, from the posted body
    token_echo: Callable[[str], str] | None = None  # every Graph call is denied (403), echoing this of the bearer token
    requests: list[tuple[str, str]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what tests call --------------------------------------------------------

    def source(self) -> dict:
        """The spec's source.graph block pointing at this server."""
        return {"tenant_id": self.tenant_id, "client_id": self.client_id, "endpoint": f"{self.base}/v1.0", "authority": self.base}

    def add_domain(self, name: str, references: list[dict] | None = None, *, initial: bool = False, default: bool = False,
                   verified: bool = True, services: list[str] | None = None) -> None:
        """A domain of the tenant, as the domain resource documents it (`initial`: companyname.onmicrosoft.com)."""
        self.domains[name] = {
            "authenticationType": "Managed",
            "availabilityStatus": None,
            "id": name,
            "isAdminManaged": True,
            "isDefault": default,
            "isInitial": initial,
            "isRoot": True,
            "isVerified": verified,
            "supportedServices": ["Email", "OfficeCommunicationsOnline"] if services is None else services,
            "passwordValidityPeriodInDays": None,
            "passwordNotificationWindowInDays": None,
            "state": None,
        }
        self.references[name] = list(references or [])

    def throttle(self, path: str, times: int = 1, retry_after: str | None = "7", status: int = 429) -> None:
        """The next `times` requests to `path` (e.g. /v1.0/subscribedSkus, or "*": any Graph call) are throttled."""
        self.throttles[path] = Throttle(times, retry_after, status)

    def drip(self, path: str = "*", every: float = 0.5, *, headers: bool = False) -> None:
        """Answers to `path` (e.g. /v1.0/subscribedSkus, the token path, or "*": any Graph call)
        arrive one byte every `every` seconds: never slow enough for a per-read timeout."""
        self.drips[path] = every
        self.drip_headers = headers

    def all_skus(self) -> list[dict]:
        return self.skus if self.skus is not None else skus_for(self.subscriptions, self.consumed)


def _error(code: str, message: str) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }


class _Handler(BaseHTTPRequestHandler):
    world: GraphWorld  # set on the subclass per server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: pytest captures nothing useful from it
        pass

    # -- plumbing ---------------------------------------------------------------

    def _send(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        every = self._drip()
        if every is not None:
            data += b" " * 4096  # whitespace after the JSON: a long answer, still valid once whole
        fields = dict(headers or {})
        if body is not None:
            fields["Content-Type"] = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
        fields["Content-Length"] = str(len(data))
        if every is None:
            self.send_response(status)
            for key, value in fields.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
            return
        head = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        head = f"HTTP/1.1 {status} {self.responses[status][0]}\r\n{head}\r\n".encode()
        if self.world.drip_headers:
            data = head + data
        else:
            self.wfile.write(head)
        self.close_connection = True
        try:
            for i in range(len(data)):
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
                time.sleep(every)
        except OSError:
            pass  # the client gave up, as a bounded client does

    def _drip(self) -> float | None:
        drips = self.world.drips
        path = urlsplit(self.path).path
        if path in drips:
            return drips[path]
        return drips.get("*") if path.startswith("/v1.0/") else None

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header:
            self._send(401, _error("InvalidAuthenticationToken", "Access token is empty."))
            return False
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or token not in self.world.tokens:
            self._send(401, _error("InvalidAuthenticationToken", "Access token validation failure. Invalid audience."))
            return False
        if self.world.token_echo:
            self._send(403, _error("Authorization_RequestDenied", f"Insufficient privileges for token {self.world.token_echo(token)}."))
            return False
        return True

    def _throttled(self, path: str) -> bool:
        with self.world.lock:
            throttle = self.world.throttles.get(path) or self.world.throttles.get("*")
            if not throttle or throttle.times <= 0:
                return False
            throttle.times -= 1
        headers = {"Retry-After": throttle.retry_after} if throttle.retry_after is not None else {}
        if throttle.status == 429:
            self._send(429, _error("TooManyRequests", "Too many requests."), headers)
        else:
            self._send(throttle.status, _error("serviceNotAvailable", "Service unavailable."), headers)
        return True

    def _collection(self, path: str, context: str, items: list[dict], query: dict) -> None:
        world = self.world
        skip = int(query.get("$skiptoken", ["0"])[0])
        page = items[skip : skip + world.page_size]
        body: dict = {"@odata.context": f"{world.base}/v1.0/$metadata#{context}", "value": page}
        if skip + world.page_size < len(items) or world.endless_next_link:
            body["@odata.nextLink"] = f"{world.next_link_base or world.base}{path}?$skiptoken={skip + world.page_size}"
        if world.loop_next_link:
            body["@odata.nextLink"] = f"{world.base}{self.path}"
        self._send(200, body)

    # -- routes -----------------------------------------------------------------

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        self.world.requests.append((method, path))
        if method == "POST" and path == f"/{self.world.tenant_id}/oauth2/v2.0/token":
            return self._token()
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            tenant = path.split("/")[1]
            return self._send(400, {"error": "invalid_request", "error_description": f"AADSTS90002: Tenant '{tenant}' not found.", "error_codes": [90002]})
        if not path.startswith("/v1.0/"):
            return self._send(404, _error("BadRequest", "Invalid version."))
        if not self._authorised() or self._throttled(path):
            return None
        segments = path[len("/v1.0/"):].split("/")
        world = self.world
        if method == "GET" and segments == ["directory", "subscriptions"]:
            return self._collection(path, "directory/subscriptions", world.subscriptions, query)
        if method == "GET" and segments == ["subscribedSkus"]:
            return self._collection(path, "subscribedSkus", world.all_skus(), query)
        if method == "GET" and segments == ["domains"]:
            return self._collection(path, "domains", list(world.domains.values()), query)
        if segments[0] == "domains" and len(segments) >= 2:
            name = segments[1]
            if name not in world.domains:
                return self._send(404, _error("Request_ResourceNotFound", f"Resource '{name}' does not exist or one of its queried reference-property objects are not present."))
            rest = segments[2:]
            if method == "GET" and not rest:
                return self._send(200, {"@odata.context": f"{world.base}/v1.0/$metadata#domains/$entity", **world.domains[name]})
            if method == "GET" and rest == ["domainNameReferences"]:
                return self._collection(path, "directoryObjects", world.references.get(name, []), query)
            if method == "GET" and rest == ["serviceConfigurationRecords"]:
                return self._collection(path, f"domains('{name}')/serviceConfigurationRecords", [], query)
            if method == "DELETE" and not rest:
                if world.references.get(name):
                    return self._send(400, _error("Request_BadRequest", f"Domain '{name}' cannot be deleted because it is referenced by {len(world.references[name])} objects."))
                del world.domains[name]
                return self._send(204)
            if method == "POST" and rest == ["forceDelete"]:
                try:
                    body = json.loads(self._body() or b"{}")
                except ValueError:
                    return self._send(400, _error("BadRequest", "Invalid JSON."))
                world.force_deleted[name] = bool(body.get("disableUserAccounts", True))
                del world.domains[name]
                world.references.pop(name, None)
                return self._send(204)
        return self._send(400, _error("Request_BadRequest", f"Unsupported request {method} {path}."))

    def _token(self) -> None:
        raw = self._body()
        form = parse_qs(raw.decode())
        get = lambda key: (form.get(key) or [""])[0]  # noqa: E731
        world = self.world
        world.token_requests += 1
        if get("grant_type") != "client_credentials":
            return self._send(400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003: The app requested an unsupported grant type."})
        if get("client_id") != world.client_id:
            return self._send(400, {"error": "unauthorized_client", "error_description": f"AADSTS700016: Application with identifier '{get('client_id')}' was not found in the directory.", "error_codes": [700016]})
        if get("client_secret") != world.client_secret:
            echo = f" {world.sign_in_echo(raw)}" if world.sign_in_echo else ""
            return self._send(
                401,
                {
                    "error": "invalid_client",
                    "error_description": f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{world.client_id}'.{echo}\r\nTrace ID: {uuid.uuid4()}\r\nCorrelation ID: {uuid.uuid4()}",
                    "error_codes": [7000215],
                    "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
                    "trace_id": str(uuid.uuid4()),
                    "correlation_id": str(uuid.uuid4()),
                },
            )
        if get("scope") != f"{world.base}/.default":
            return self._send(400, {"error": "invalid_scope", "error_description": f"AADSTS1002012: The provided value for scope {get('scope')} is not valid."})
        token = "eyJ0eXAiOiJKV1Qi." + _secrets.token_urlsafe(24)
        world.tokens.add(token)
        self._send(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")


class GraphServer:
    def __init__(self, world: GraphWorld) -> None:
        handler = type("Handler", (_Handler,), {"world": world})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        world.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.world = world
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="graph-loopback", daemon=True)

    def __enter__(self) -> GraphWorld:
        self.thread.start()
        return self.world

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def graph(monkeypatch):
    """A running loopback Graph with the secret exported as GRAPH_CLIENT_SECRET."""
    monkeypatch.setenv("GRAPH_CLIENT_SECRET", CLIENT_SECRET)
    with GraphServer(GraphWorld()) as world:
        yield world


def closed_port_url() -> str:
    """A loopback URL where nothing listens (nor will, while the tests run): for 'server down' tests."""
    from tests.helpers.ports import closed_port

    return f"http://127.0.0.1:{closed_port()}"
