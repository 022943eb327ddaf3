"""App-only sign-in: OAuth 2.0 client credentials against the Microsoft identity platform.

POST {authority}/{tenant_id}/oauth2/v2.0/token with grant_type=client_credentials
and scope {graph root}/.default (https://graph.microsoft.com/.default for the
global cloud; the root follows the configured endpoint, so sovereign clouds
and the loopback test server work the same way). The secret and the token live
only in this object's attributes: never in a message, log line or report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from migrate.errors import MigrateError
from migrate.secrets import scrub


class SignInFailed(MigrateError):
    """The identity platform refused us or could not be reached (exit 1)."""


def graph_root(endpoint: str) -> str:
    """https://graph.microsoft.com/v1.0 -> https://graph.microsoft.com (the resource the scope names)."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class TokenSource:
    """Fetches and caches one bearer token; refreshes a minute before it expires."""

    # Refresh early: a token that expires mid-request costs a 401 and a retry.
    MARGIN = 60.0

    def __init__(
        self,
        http: httpx.Client,
        *,
        authority: str,
        tenant_id: str,
        client_id: str,
        secret: str,
        endpoint: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self.url = f"{authority.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self.client_id = client_id
        self.scope = f"{graph_root(endpoint)}/.default"
        self._secret = secret
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0

    def secrets(self) -> tuple[str | None, str | None]:
        """What must never be printed: for the client's scrubbing only."""
        return self._secret, self._token

    def invalidate(self) -> None:
        self._token = None

    def token(self) -> str:
        if self._token and self._clock() < self._expires - self.MARGIN:
            return self._token
        try:
            response = self._http.post(
                self.url,
                data={
                    "client_id": self.client_id,
                    "client_secret": self._secret,
                    "scope": self.scope,
                    "grant_type": "client_credentials",
                },
            )
        except httpx.HTTPError as exc:
            reason = scrub(str(exc) or type(exc).__name__, self._secret)
            raise SignInFailed(f"Graph sign-in: cannot reach {self.url}: {reason}") from None
        body = _json(response)
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            error = body.get("error") or f"HTTP {response.status_code}"
            # error_description starts with the AADSTS code and its sentence; the
            # trace and correlation ids after it only add noise to one line.
            description = str(body.get("error_description") or "").split("\r\n")[0].split("\n")[0]
            detail = f"{error}: {description}" if description else str(error)
            raise SignInFailed(
                scrub(f"Graph sign-in failed for client {self.client_id} at {self.url}: {detail}", self._secret)
            )
        self._token = body["access_token"]
        expires_in = body.get("expires_in", 3599)
        try:
            expires_in = float(expires_in)
        except (TypeError, ValueError):
            expires_in = 3599.0
        self._expires = self._clock() + expires_in
        return self._token


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
