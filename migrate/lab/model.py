"""A lab world as plain data: which servers exist and which zones each serves.

Nothing here touches the network or the disk. `migrate.lab.layout` derives
everything a real DNS hierarchy needs (SOA, apex NS, the addresses of name
server host names, the parent's NS + glue + DS) from this description, and
`migrate.lab.world` runs it on real Knot and Unbound processes.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import dns.name
import dns.tsig
import dns.tsigkeyring

from migrate.errors import BadInput
from migrate.zone import Zone

Role = Literal["authoritative", "resolver"]


@dataclass(frozen=True)
class TsigKey:
    """A TSIG key that may send RFC 2136 updates to a zone."""

    name: str
    secret: str  # base64, as Knot's config and knsupdate expect it
    algorithm: str = "hmac-sha256"

    @classmethod
    def generate(cls, name: str) -> TsigKey:
        return cls(name=_absolute(name), secret=base64.b64encode(secrets.token_bytes(32)).decode("ascii"))

    @property
    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        """The dnspython keyring for `dns.update.UpdateMessage(..., keyring=...)`."""
        return dns.tsigkeyring.from_text({self.name: (self.algorithm, self.secret)})

    @property
    def keyname(self) -> dns.name.Name:
        return dns.name.from_text(self.name)

    def __repr__(self) -> str:  # never print the secret
        return f"TsigKey(name={self.name!r}, algorithm={self.algorithm!r}, secret=<hidden>)"


@dataclass(frozen=True)
class Server:
    """One process on its own loopback address, port 53.

    `hostnames` are the names other records use for it (NS targets, root
    hints); the lab publishes their A records in the deepest zone of the
    world that encloses them, and as glue at parents that need it.
    `address` None means: the next free address of the world's /24.
    `validate` (resolvers only) turns DNSSEC validation on, anchored at the
    lab root's key.
    """

    name: str
    role: Role = "authoritative"
    hostnames: tuple[str, ...] = ()
    address: str | None = None
    validate: bool = False

    def __post_init__(self) -> None:
        if self.role not in ("authoritative", "resolver"):
            raise BadInput(f"lab server {self.name!r}: role {self.role!r} is not authoritative or resolver")
        object.__setattr__(self, "hostnames", tuple(_absolute(h) for h in self.hostnames))


@dataclass(frozen=True)
class Window:
    """When a signature is valid, relative to the moment the lab signs the zone."""

    inception: timedelta
    expiration: timedelta


VALID = Window(-timedelta(hours=1), timedelta(days=14))
EXPIRED = Window(-timedelta(days=8), -timedelta(days=1))  # expired yesterday
FUTURE = Window(timedelta(days=1), timedelta(days=15))  # valid from tomorrow


@dataclass(frozen=True)
class Signatures:
    """A zone the lab signs itself (dnspython) and Knot serves as it is, never re-signing:
    the validity of every signature is chosen, expired or not yet valid included.
    `keys` is the DNSKEY set's own signature, `records` every other one (NSEC too)."""

    records: Window = VALID
    keys: Window = VALID


@dataclass
class LabZone:
    """One copy of a zone and the servers that serve it.

    The first server is the primary (it signs, takes RFC 2136 updates and
    notifies the others). `signed` has Knot sign the zone as a live signer
    does; `signatures` has the lab sign it once, with chosen validity, and
    Knot serve it pre-signed (see `Signatures`); with `replicate` the others are real secondaries
    that transfer from it, otherwise each serves its own copy of `content`.
    Two LabZones may share an origin (the old and the new host of one domain):
    `key` tells them apart and `delegated` says which one the parent points
    at when the world starts.
    """

    origin: str
    servers: list[str]
    content: Zone | str | None = None
    key: str = ""
    delegated: bool = True
    signed: bool = False
    signatures: Signatures | None = None
    tsig: TsigKey | None = None
    replicate: bool = True

    def __post_init__(self) -> None:
        self.origin = _absolute(self.origin)
        if not self.key:
            self.key = self.origin
        if not self.servers:
            raise BadInput(f"lab zone {self.key}: no server serves it")
        if self.signed and self.signatures is not None:
            raise BadInput(f"lab zone {self.key}: either Knot signs it (signed) or the lab does (signatures), not both")

    @property
    def dnssec(self) -> bool:
        """Signed one way or the other: it publishes DNSKEYs and a DS can point at them."""
        return self.signed or self.signatures is not None


@dataclass
class WorldSpec:
    """Servers and zones; `ttl` is the TTL of every record the lab derives
    (SOA, apex NS, host addresses, delegation NS, glue, DS), kept to seconds
    so that caches expire during a test."""

    servers: list[Server]
    zones: list[LabZone]
    ttl: int = 2
    name: str = "lab"

    def server(self, name: str) -> Server:
        for server in self.servers:
            if server.name == name:
                return server
        raise BadInput(f"lab: no server named {name!r}")

    def zone(self, key: str) -> LabZone:
        for zone in self.zones:
            if zone.key == key:
                return zone
        raise BadInput(f"lab: no zone {key!r}")

    @property
    def resolvers(self) -> list[Server]:
        return [s for s in self.servers if s.role == "resolver"]

    @property
    def authoritative(self) -> list[Server]:
        return [s for s in self.servers if s.role == "authoritative"]


@dataclass
class Delegation:
    """What a parent zone publishes for one child: NS names, DS rdata, glue.

    `glue` None derives glue from the servers' host names; a dict overrides it
    (name -> addresses), for scenarios with out-of-date glue.
    """

    ns: tuple[str, ...]
    ds: tuple[str, ...] = ()
    glue: dict[str, tuple[str, ...]] | None = None
    ttl: int | None = None

    def __post_init__(self) -> None:
        self.ns = tuple(_absolute(n) for n in self.ns)


def _absolute(name: str) -> str:
    try:
        return dns.name.from_text(name).to_text().lower()
    except Exception as exc:  # dnspython raises several kinds
        raise BadInput(f"lab: {name!r} is not a DNS name ({exc})") from None


__all__ = ["EXPIRED", "FUTURE", "VALID", "Delegation", "LabZone", "Role", "Server", "Signatures", "TsigKey", "Window", "WorldSpec"]
