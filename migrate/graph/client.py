"""The Graph calls an exit needs, with paging, throttling and one-line errors.

Every failure leaves as a GraphError (Graph answered with an error), a
GraphUnreachable (no answer) or a GraphLimit (a bound of the budget was
reached); all are MigrateErrors whose message names the call and never
contains the client secret or the token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from urllib.parse import quote, unquote, urlsplit

import httpx

from migrate.errors import BadInput, MigrateError
from migrate.graph import models
from migrate.graph.auth import TokenSource
from migrate.graph.budget import Budget
from migrate.graph.transport import BoundedTransport
from migrate.secrets import scrub
from migrate.names import domain_id

SECRET_ENV = "GRAPH_CLIENT_SECRET"

# Graph asks clients to wait Retry-After seconds on 429 and 503; without the
# header we back off exponentially. The budget bounds both: a gate must answer, not hang.
RETRY_STATUSES = (429, 503, 504)


class GraphError(MigrateError):
    """Graph answered a call with an error."""

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class GraphUnreachable(MigrateError):
    """No answer from Graph (connection refused, timeout, TLS)."""


class GraphClient:
    def __init__(
        self,
        endpoint: str,
        tokens: TokenSource,
        http: httpx.Client,
        *,
        budget: Budget,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._tokens = tokens
        self._http = http
        self._budget = budget
        self._sleep = sleep

    @classmethod
    def from_spec(cls, spec, *, sleep: Callable[[float], None] = time.sleep, timeout: float = 30.0) -> GraphClient:
        """A client for the spec's tenant; BadInput when the spec or environment lacks what it needs.

        Its budget starts now: all the Graph work of this client ends by source.graph.deadline.
        """
        from migrate.spec import secret

        graph = spec.source.graph
        if graph is None:
            raise BadInput(f"{spec.path}: source.graph: required key is missing (tenant_id and client_id of the app registration)")
        client_secret = secret(SECRET_ENV)
        if not client_secret:
            raise BadInput(f"{SECRET_ENV} is not set: export the app registration's client secret to call Graph")
        budget = Budget(graph.deadline.total_seconds())
        http = bounded_http(budget, timeout)
        tokens = TokenSource(
            http,
            authority=graph.authority,
            tenant_id=graph.tenant_id,
            client_id=graph.client_id,
            secret=client_secret,
            endpoint=graph.endpoint,
        )
        return cls(graph.endpoint, tokens, http, budget=budget, sleep=sleep)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the calls ------------------------------------------------------------

    def get_domain(self, name: str) -> models.Domain | None:
        """The domain, or None when the tenant does not have it (404)."""
        try:
            path = f"/domains/{quote(domain_id(name))}"
            return self._parse(models.domain, self._json(self._request("GET", path), f"Graph GET {path}"), path)
        except GraphError as exc:
            if exc.status == 404:
                return None
            raise

    def domains(self) -> list[models.Domain]:
        """Every domain the tenant holds, its initial *.onmicrosoft.com one included (`GET /domains`, every page)."""
        return [self._parse(models.domain, i, "/domains") for i in self._pages("/domains")]

    def domain_name_references(self, name: str) -> list[models.Reference]:
        return [models.reference(i) for i in self._pages(f"/domains/{quote(domain_id(name))}/domainNameReferences")]

    def subscriptions(self) -> list[models.Subscription]:
        return [self._parse(models.subscription, i, "/directory/subscriptions") for i in self._pages("/directory/subscriptions")]

    def subscribed_skus(self) -> list[models.Sku]:
        return [self._parse(models.sku, i, "/subscribedSkus") for i in self._pages("/subscribedSkus")]

    def delete_domain(self, name: str) -> None:
        """DELETE /domains/{id}: fails (400) while anything references the domain. Irreversible."""
        self._request("DELETE", f"/domains/{quote(domain_id(name))}")

    def force_delete_domain(self, name: str, disable_user_accounts: bool) -> None:
        """POST /domains/{id}/forceDelete: renames references to the .onmicrosoft.com domain, then deletes.

        Graph's default for disableUserAccounts is true; we always send it explicitly.
        """
        self._request(
            "POST",
            f"/domains/{quote(domain_id(name))}/forceDelete",
            json={"disableUserAccounts": bool(disable_user_accounts)},
        )

    # -- plumbing -------------------------------------------------------------

    def _parse(self, parse, item, path):
        try:
            return parse(item)
        except ValueError as exc:
            raise GraphError(f"Graph GET {path}: unexpected answer: {exc}") from None

    def _pages(self, path: str) -> Iterator[dict]:
        url: str | None = self.endpoint + path
        what = f"Graph GET {path}"
        seen: set[str] = set()
        while url:
            seen.add(url)
            self._budget.page(what)
            body = self._json(self._request("GET", url), what)
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise GraphError(f"{what}: unexpected answer (no value list)")
            yield from (item for item in body["value"] if isinstance(item, dict))
            url = body.get("@odata.nextLink")
            if url is None:
                return
            if not isinstance(url, str) or not self._inside(url):
                # Never send our token anywhere but the configured Graph endpoint.
                where = urlsplit(url).netloc if isinstance(url, str) else type(url).__name__
                raise GraphError(self._scrub(f"{what}: refusing @odata.nextLink outside {self.endpoint} ({where})"))
            if url in seen:
                raise GraphError(f"{what}: @odata.nextLink points back to a page already read (a loop); giving up")

    def _inside(self, url: str) -> bool:
        """Same scheme and host as the endpoint, and a path under its path (no dot segments)."""
        link, base = urlsplit(url), urlsplit(self.endpoint)
        segments = unquote(link.path).split("/")
        return (
            (link.scheme, link.netloc.lower()) == (base.scheme, base.netloc.lower())
            and link.path.startswith(base.path.rstrip("/") + "/")
            and "." not in segments
            and ".." not in segments
        )

    def _json(self, response: httpx.Response, what: str):
        try:
            return response.json()
        except ValueError:
            raise GraphError(f"{what}: unexpected answer (not JSON)") from None

    def _request(self, method: str, url: str, json: dict | None = None) -> httpx.Response:
        if url.startswith("/"):
            url = self.endpoint + url
        shown = url[len(self.endpoint):] if url.startswith(self.endpoint) else url
        shown = shown.split("?")[0]
        refreshed = False
        attempt = 0
        while True:
            token = self._tokens.token()
            try:
                response = self._http.request(
                    method, url, json=json, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
                )
            except httpx.HTTPError as exc:
                reason = self._scrub(str(exc) or type(exc).__name__)
                failure = f"Graph {method} {shown}: cannot reach {urlsplit(url).netloc}: {reason}"
                if not isinstance(exc, (httpx.TimeoutException, httpx.RemoteProtocolError)):
                    raise GraphUnreachable(failure) from None
                self._budget.retry(failure, 2.0**attempt)
                self._sleep(2.0**attempt)
                attempt += 1
                continue
            if response.status_code == 401 and not refreshed:
                # An expired or revoked token: sign in again once.
                refreshed = True
                self._tokens.invalidate()
                continue
            if response.status_code in RETRY_STATUSES:
                wait = _retry_after(response, attempt)
                self._budget.retry(str(self._error(method, shown, response)), wait)
                self._sleep(wait)
                attempt += 1
                continue
            if response.status_code >= 400:
                raise self._error(method, shown, response)
            return response

    def _scrub(self, text: str) -> str:
        return scrub(text, *self._tokens.secrets())

    def _error(self, method: str, shown: str, response: httpx.Response) -> GraphError:
        code, message = "", ""
        try:
            error = response.json().get("error", {})
            if isinstance(error, dict):
                code, message = str(error.get("code", "")), str(error.get("message", ""))
        except (ValueError, AttributeError):
            pass
        what = f"{code}: {message}" if code or message else response.reason_phrase
        text = f"Graph {method} {shown}: HTTP {response.status_code} {what}"
        return GraphError(self._scrub(" ".join(text.split())), status=response.status_code, code=code)


def _retry_after(response: httpx.Response, attempt: int) -> float:
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    return float(2**attempt)


def bounded_http(budget: Budget, timeout: float = 30.0) -> httpx.Client:
    """The HTTP client of one budget: `timeout` bounds each read, the budget every whole exchange."""
    return httpx.Client(transport=BoundedTransport(budget), timeout=timeout, headers={"User-Agent": "m365-exit"}, follow_redirects=False)
