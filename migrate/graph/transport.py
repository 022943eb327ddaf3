"""An httpx transport whose every exchange, body included, ends by the budget's deadline.

httpx bounds each read, not the exchange: a server that sends a byte every
few seconds, in its headers or its body, never trips a read timeout and
holds the caller for as long as it likes. So each exchange (name lookup,
connect, TLS, request, the whole answer) runs in a worker thread and the
caller waits no longer than the time left. When the time is up the pool is
closed, which ends the worker's socket, and the caller gets GraphLimit; the
worker, a daemon, is left to finish its last read.

The exchange itself goes through an ordinary httpx client, so the proxy
settings of the environment (`HTTPS_PROXY`, `NO_PROXY`, ...) apply as they
would to any httpx program.
"""

from __future__ import annotations

import threading

import httpx

from migrate.graph.budget import Budget, GraphLimit

# Graph's largest page (999 objects) is a few MB; anything far beyond is not an answer.
MAX_BODY = 64 * 1024 * 1024


class BoundedTransport(httpx.BaseTransport):
    def __init__(self, budget: Budget) -> None:
        self._budget = budget
        self._inner = httpx.Client()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        what = f"Graph {request.method} {request.url.path}"
        left = self._budget.left(what)
        outcome: dict[str, object] = {}
        worker = threading.Thread(target=self._exchange, args=(request, what, outcome), name="graph-exchange", daemon=True)
        worker.start()
        worker.join(left)
        if worker.is_alive():
            self._inner.close()
            raise self._budget.out_of_time(what)
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["response"]  # type: ignore[return-value]

    def _exchange(self, request: httpx.Request, what: str, outcome: dict) -> None:
        try:
            response = self._inner.send(request, stream=True, follow_redirects=False)
            try:
                body = bytearray()
                for chunk in response.iter_raw():
                    body += chunk
                    if len(body) > MAX_BODY:
                        raise GraphLimit(f"{what}: the answer is larger than {MAX_BODY // 2**20} MiB; giving up")
            finally:
                response.close()
            outcome["response"] = httpx.Response(
                response.status_code, headers=response.headers, stream=httpx.ByteStream(bytes(body)), extensions=response.extensions
            )
        except Exception as exc:  # noqa: BLE001 - handed to the caller's thread as is
            outcome["error"] = exc

    def close(self) -> None:
        self._inner.close()
