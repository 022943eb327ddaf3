"""Graph goes through the proxy the environment names, as any httpx program does."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from tests.helpers.graph_client import client_for
from tests.helpers.graph_server import company_subscription


class _Forwarder(BaseHTTPRequestHandler):
    """A plain-http forward proxy: records each absolute URL it is asked for, then fetches it."""

    def _forward(self) -> None:
        self.server.seen.append(self.path)
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        upstream.request(self.command, target.path + (f"?{target.query}" if target.query else ""), body or None, headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = _forward

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def proxy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forwarder)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _read(graph) -> list[int]:
    graph.subscriptions = [company_subscription("O365_BUSINESS_PREMIUM", 3)]
    with client_for(graph) as client:
        return [s.total_licenses for s in client.subscriptions()]


def test_requests_go_through_the_proxy_the_environment_names(graph, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert _read(graph) == [3]
    assert any(url.endswith("/oauth2/v2.0/token") for url in proxy.seen)
    assert any(url.endswith("/v1.0/directory/subscriptions") for url in proxy.seen)


def test_no_proxy_sends_them_directly(graph, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert _read(graph) == [3]
    assert proxy.seen == []
