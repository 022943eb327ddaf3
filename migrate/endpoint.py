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


# IANA's root servers (a to m), IPv4: the default root hints when the spec names none.
ROOT_SERVERS = (
    "198.41.0.4", "170.247.170.2", "192.33.4.12", "199.7.91.13", "192.203.230.10", "192.5.5.241", "192.112.36.4",
    "198.97.190.53", "192.36.148.17", "192.58.128.30", "193.0.14.129", "199.7.83.42", "202.12.27.33",
)


def root_hints(configured: list[str]) -> list[Endpoint]:
    """The configured root hints, or the real root servers."""
    return [parse(text) for text in configured] if configured else [Endpoint(ip, 53) for ip in ROOT_SERVERS]
