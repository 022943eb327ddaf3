"""An RFC 2136 client for one zone at one server: read, replace and delete RRsets.

Used by the Pulumi dynamic provider (stacks/rfc2136_stack.py) and by anything
else that writes a zone to BIND, Knot or PowerDNS. No Pulumi here. (Windows
DNS signs updates with GSS-TSIG only, not the HMAC TSIG keys used here.)

- Reads are plain queries over TCP with recursion off: the answer is the
  authoritative data, whole (no UDP truncation for a long TXT set).
- A replace is ONE UPDATE message (delete the RRset, add every rdata), which
  the server applies atomically: nobody ever sees half an RRset.
- Every UPDATE is TSIG-signed. The secret is read from the environment at the
  moment of the call and never kept on the object, so a pickled client (the
  provider is pickled into Pulumi's state) carries no secret, and no error
  message ever contains it.
- Every failure is one MigrateError line naming server, zone and record.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from migrate import endpoint
from migrate.errors import BadInput, MigrateError
from migrate.zone import HOST_MANAGED, RRset, canonical

DEFAULT_SECRET_ENV = "M365_EXIT_TSIG_SECRET"
ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5")
# Types a signing server maintains itself: never read back as managed data, never written.
# TSIG too: it signs a message, it is never zone data.
SERVER_MANAGED = HOST_MANAGED | {"TSIG"}


@dataclass(frozen=True)
class Client:
    """One zone at one server. Holds the NAME of the secret's variable, never the secret."""

    server: str  # "IP", "IP:PORT" or "[IPv6]:PORT"
    zone: str
    key_name: str
    key_algorithm: str = "hmac-sha256"
    secret_env: str = DEFAULT_SECRET_ENV
    timeout: float = 10.0

    def __post_init__(self) -> None:
        try:
            endpoint.parse(self.server)
        except ValueError as exc:
            raise BadInput(f"RFC 2136 server: {exc}") from None
        object.__setattr__(self, "zone", _absolute(self.zone, "zone"))
        object.__setattr__(self, "key_name", _absolute(self.key_name, "key_name"))
        if self.key_algorithm not in ALGORITHMS:
            raise BadInput(f"RFC 2136 key_algorithm {self.key_algorithm!r} is not one of {', '.join(ALGORITHMS)}")

    # -- public ---------------------------------------------------------------

    def read(self, name: str, rdtype: str) -> RRset | None:
        """The RRset the server serves now, or None when it has none."""
        name, rdtype = self.record_key(name, rdtype)
        query = dns.message.make_query(name, rdtype)
        query.flags &= ~dns.flags.RD
        response = self._send(query, name, rdtype, "query")
        rcode = response.rcode()
        where = self.where(name, rdtype)
        if rcode == dns.rcode.NXDOMAIN:
            return None
        if rcode != dns.rcode.NOERROR:
            raise MigrateError(f"{where}: the query was answered {dns.rcode.to_text(rcode)}")
        wanted = dns.rdatatype.from_text(rdtype)
        owner = dns.name.from_text(name)
        sections = response.answer
        if not response.flags & dns.flags.AA:
            # A delegation inside the zone: its NS set comes back as a referral.
            referral = [r for r in response.authority if r.rdtype == dns.rdatatype.NS and r.name == owner]
            if rdtype != "NS" or not referral:
                raise MigrateError(f"{where}: the answer is not authoritative; the server does not serve the zone")
            sections = referral
        for rrset in sections:
            if rrset.rdtype == wanted and rrset.name == owner:
                return RRset(name, rdtype, rrset.ttl, frozenset(canonical(rdtype, rdata) for rdata in rrset))
        return None

    def replace(self, rrset: RRset, previous: RRset | None = None) -> None:
        """Make the server's RRset exactly `rrset` (data and TTL), in one atomic UPDATE.

        The message deletes the RRset and adds every rdata. The apex NS needs
        more, because a server ignores "delete the whole RRset" there and any
        delete that would remove its last NS (RFC 2136 3.4.2.4): the names no
        longer wanted (served now, or known from `previous`) are deleted one by
        one after the new ones are added, and names that stay are deleted and
        added again so that they take the new TTL.
        """
        name, rdtype = self.record_key(rrset.name, rrset.rdtype)
        if rdtype in SERVER_MANAGED:
            raise BadInput(f"{self.where(name, rdtype)}: {rdtype} is maintained by the server, not by updates")
        message = self._update(name, rdtype)
        message.delete(name, rdtype)
        message.add(name, rrset.ttl, rdtype, *rrset.sorted_rdatas())
        if (name, rdtype) == (self.zone, "NS"):
            served = self.read(name, rdtype)
            old = (served.rdatas if served is not None else frozenset()) | (previous.rdatas if previous is not None else frozenset())
            for rdata in sorted(old - rrset.rdatas):
                message.delete(name, rdtype, rdata)
            for rdata in sorted(old & rrset.rdatas):
                message.delete(name, rdtype, rdata)
                message.add(name, rrset.ttl, rdtype, rdata)
        self._check(self._send(message, name, rdtype, "update"), name, rdtype)
        # A server answers NOERROR yet skips an add that breaks a rule (a CNAME
        # beside other data, RFC 2136 3.4.2.2): only the served data tells.
        served = self.read(name, rdtype)
        if served is None or not served.same_as(rrset):
            now = "nothing" if served is None else f"TTL {served.ttl} " + ", ".join(served.sorted_rdatas())
            raise MigrateError(
                f"{self.where(name, rdtype)}: the server answered NOERROR but serves {now}"
                f" instead of TTL {rrset.ttl} " + ", ".join(rrset.sorted_rdatas())
            )

    def delete(self, name: str, rdtype: str) -> None:
        """Remove the RRset (absent already is fine: the outcome is the same).

        The apex NS set cannot be deleted by an update; the server keeps it."""
        name, rdtype = self.record_key(name, rdtype)
        message = self._update(name, rdtype)
        message.delete(name, rdtype)
        self._check(self._send(message, name, rdtype, "update"), name, rdtype)
        if (name, rdtype) == (self.zone, "NS"):
            return  # servers keep the apex NS whatever the update says (RFC 2136 3.4.2.4)
        if self.read(name, rdtype) is not None:
            raise MigrateError(f"{self.where(name, rdtype)}: the server answered NOERROR but still serves the RRset")

    # -- names in messages, and checked record keys ---------------------------------

    def where(self, name: str, rdtype: str) -> str:
        return f"RFC 2136 server {self.server} zone {self.zone}: {name} {rdtype}"

    def record_key(self, name: str, rdtype: str) -> tuple[str, str]:
        absolute = _absolute(name, "record name")
        rdtype = str(rdtype).upper()
        try:
            dns.rdatatype.from_text(rdtype)
        except dns.rdatatype.UnknownRdatatype:
            raise BadInput(f"{self.where(absolute, rdtype)}: {rdtype!r} is not a DNS record type") from None
        if not dns.name.from_text(absolute).is_subdomain(dns.name.from_text(self.zone)):
            raise BadInput(f"{self.where(absolute, rdtype)}: the name is outside the zone")
        return absolute, rdtype

    # -- internals ---------------------------------------------------------------

    def _keyring(self, name: str, rdtype: str) -> dict:
        secret = os.environ.get(self.secret_env)
        if not secret:
            raise MigrateError(
                f"{self.where(name, rdtype)}: no TSIG secret: set {self.secret_env} to the base64 secret of key {self.key_name}"
            )
        try:
            return dns.tsigkeyring.from_text({self.key_name: (self.key_algorithm, secret)})
        except Exception:  # the parser's message could quote the secret: say only where it came from
            raise MigrateError(f"{self.where(name, rdtype)}: {self.secret_env} is not a base64 TSIG secret") from None

    def _update(self, name: str, rdtype: str) -> dns.update.UpdateMessage:
        keyring = self._keyring(name, rdtype)
        return dns.update.UpdateMessage(
            self.zone, keyring=keyring, keyname=dns.name.from_text(self.key_name), keyalgorithm=self.key_algorithm
        )

    def _send(self, message: dns.message.Message, name: str, rdtype: str, what: str) -> dns.message.Message:
        target = endpoint.parse(self.server)
        where = self.where(name, rdtype)
        try:
            response = self._exchange(message, target.host, target.port)
        except dns.tsig.PeerBadKey:
            raise MigrateError(f"{where}: the server does not know TSIG key {self.key_name} ({self.key_algorithm})") from None
        except (dns.tsig.PeerBadSignature, dns.tsig.PeerBadTime, dns.tsig.PeerBadTruncation, dns.tsig.PeerError):
            raise MigrateError(f"{where}: the server rejected the TSIG signature of key {self.key_name}: wrong secret in {self.secret_env}?") from None
        except dns.tsig.BadSignature:
            raise MigrateError(f"{where}: the {what} answer's TSIG signature does not verify with key {self.key_name}") from None
        except (dns.exception.Timeout, TimeoutError):
            raise MigrateError(f"{where}: no answer to the {what} within {self.timeout:g} s") from None
        except ConnectionRefusedError:
            raise MigrateError(f"{where}: connection refused (no DNS server on TCP port {target.port})") from None
        except (OSError, EOFError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise MigrateError(f"{where}: the {what} failed: {reason}") from None
        except dns.exception.DNSException as exc:
            raise MigrateError(f"{where}: the {what} failed: {type(exc).__name__}") from None
        if not message.is_response(response):
            raise MigrateError(f"{where}: the server's answer does not match the {what}")
        return response

    def _exchange(self, message: dns.message.Message, host: str, port: int) -> dns.message.Message:
        """One message over TCP. Unlike dns.query.tcp, an error answer the server
        did not sign (Knot answers NOTAUTH unsigned for a zone it does not serve)
        is returned with its rcode instead of a bare "requires a TSIG" error."""
        wire = message.to_wire()  # signs the message and sets message.mac
        # The timeout bounds the whole exchange, as dnspython's does, not each read: a
        # server dripping its answer a byte at a time must not hold `pulumi up` for ever.
        deadline = time.monotonic() + self.timeout
        with socket.create_connection((host, port), timeout=self.timeout) as sock:
            sock.sendall(struct.pack("!H", len(wire)) + wire)
            (length,) = struct.unpack("!H", _read_exactly(sock, 2, deadline))
            answer = _read_exactly(sock, length, deadline)
        keyring = getattr(message, "keyring", None)
        try:
            return dns.message.from_wire(answer, keyring=keyring, request_mac=message.mac or b"")
        except dns.exception.FormError:
            if not keyring:
                raise
            unsigned = dns.message.from_wire(answer, keyring=False)
            if unsigned.rcode() == dns.rcode.NOERROR:
                raise dns.tsig.BadSignature("a NOERROR answer without a TSIG signature") from None
            return unsigned

    def _check(self, response: dns.message.Message, name: str, rdtype: str) -> None:
        rcode = response.rcode()
        if rcode == dns.rcode.NOERROR:
            return
        text = dns.rcode.to_text(rcode)
        hint = {
            "REFUSED": f"the server refused it: does key {self.key_name} have an update ACL for {self.zone}?",
            "NOTAUTH": f"the server is not authoritative for {self.zone} or rejected key {self.key_name}",
            "NOTZONE": f"the name is not in zone {self.zone}",
            "SERVFAIL": "the server failed to apply it",
        }.get(text, "the update was rejected")
        raise MigrateError(f"{self.where(name, rdtype)}: UPDATE answered {text}: {hint}")


def _read_exactly(sock: socket.socket, count: int, deadline: float) -> bytes:
    data = b""
    while len(data) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("the server closed the connection")
        data += chunk
    return data


def _absolute(text: str, what: str) -> str:
    try:
        name = dns.name.from_text(str(text))
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        raise BadInput(f"RFC 2136 {what} {text!r} is not a DNS name ({exc})") from None
    return name.to_text().lower()
