"""A loopback HTTP server answering `GET /client/v4/zones/{zone_id}/dns_records` as
Cloudflare's API documents it: the `success`/`errors`/`messages`/`result` envelope,
pages described by `result_info` (page, per_page, count, total_count, total_pages),
and a Bearer token. Its pages are smaller than asked for, so a client that does not
follow `total_pages` misses records.

`mode` makes it misbehave: "forbidden" (HTTP 403 with Cloudflare's error body),
"drip" (one byte a second, never done), "huge" (a page larger than the bound),
"endless" (always one more page)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

TOKEN = "cf-test-token-0123456789abcdef"
ZONE_ID = "zone-123"


def record(ident: str, name: str, rtype: str, content: str | None, *, priority: int | None = None, data: dict | None = None,
           comment: str | None = None) -> dict:
    """One record as the list answer shows it (the fields the docs list; zone_id and meta among them)."""
    out = {
        "id": ident, "zone_id": ZONE_ID, "zone_name": "nordlys-tekstil.dk", "name": name, "type": rtype, "content": content,
        "proxiable": rtype in ("A", "AAAA", "CNAME"), "proxied": False, "ttl": 1, "settings": {}, "meta": {},
        "comment": comment, "tags": [], "created_on": "2026-11-01T10:00:00.000000Z", "modified_on": "2026-11-01T10:00:00.000000Z",
    }
    if priority is not None:
        out["priority"] = priority
    if data is not None:
        out["data"] = data
    return out


class CloudflareApi:
    def __init__(self) -> None:
        self.records: list[dict] = []
        self.page_size = 2
        self.mode = "ok"
        self.requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/client/v4"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                api.requests.append({"path": url.path, "query": query, "auth": self.headers.get("Authorization")})
                if url.path != f"/client/v4/zones/{ZONE_ID}/dns_records":
                    return self._json(404, {"success": False, "errors": [{"code": 7003, "message": "Could not route"}], "messages": [], "result": None})
                if self.headers.get("Authorization") != f"Bearer {TOKEN}" or api.mode == "forbidden":
                    # Cloudflare's body for a bad token; the echo of the token is what a careless server might add.
                    said = f"Invalid access token {self.headers.get('Authorization')}"
                    return self._json(403, {"success": False, "errors": [{"code": 9109, "message": said}], "messages": [], "result": None})
                if api.mode == "drip":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    for _ in range(120):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(1)
                    return None
                if api.mode == "huge":
                    filler = [record(f"r{i}", "x.nordlys-tekstil.dk", "TXT", "x" * 4000) for i in range(2500)]
                    return self._json(200, self._envelope(filler, 1, 1))
                page = int(query.get("page", "1"))
                size = min(api.page_size, int(query.get("per_page", "100")))
                pages = max(1, -(-len(api.records) // size))
                if api.mode == "endless":
                    pages = page + 1
                chunk = api.records[(page - 1) * size: page * size]
                return self._json(200, self._envelope(chunk, page, pages, size))

            def _envelope(self, chunk, page, pages, size=100):
                info = {"page": page, "per_page": size, "count": len(chunk), "total_count": len(api.records), "total_pages": pages}
                return {"success": True, "errors": [], "messages": [], "result": chunk, "result_info": info}

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


@pytest.fixture
def cloudflare_api():
    api = CloudflareApi()
    yield api
    api.close()
