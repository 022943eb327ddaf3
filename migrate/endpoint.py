"""Server endpoints written as IP, IP:PORT or [IPv6]:PORT."""

from __future__ import annotations

import ipaddress
from typing import NamedTuple


class Endpoint(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 53 else f"{host}:{self.port}"


def parse(text: str, default_port: int = 53) -> Endpoint:
    """Parse an endpoint; raises ValueError naming the text."""
    text = text.strip()
    host, port = text, default_port
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{text!r} is not IP, IP:PORT or [IPv6]:PORT")
            port = _port(rest[1:], text)
    elif text.count(":") == 1:
        host, raw = text.split(":")
        port = _port(raw, text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address (IP, IP:PORT or [IPv6]:PORT)") from None
    return Endpoint(host, port)


def _port(raw: str, text: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(f"{text!r} has an invalid port")
    return int(raw)
