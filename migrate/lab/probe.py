"""Small dnspython helpers the lab uses to see whether its servers are ready."""

from __future__ import annotations

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype


def ask(
    address: str,
    name: str,
    rdtype: str = "SOA",
    *,
    tcp: bool = False,
    recurse: bool = False,
    dnssec: bool = False,
    timeout: float = 1.0,
    port: int = 53,
) -> dns.message.Message:
    """One query to one server; raises dns.exception.Timeout or OSError."""
    query = dns.message.make_query(name, rdtype, want_dnssec=dnssec, use_edns=0, payload=1232)
    if not recurse:
        query.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(query, address, timeout=timeout, port=port)
    return dns.query.udp(query, address, timeout=timeout, port=port, ignore_trailing=True)


def serial(address: str, origin: str, timeout: float = 0.3) -> int | None:
    """The SOA serial `address` serves with authority for `origin`, or None."""
    try:
        response = ask(address, origin, "SOA", timeout=timeout)
    except (dns.exception.DNSException, OSError):
        return None
    if response.rcode() != dns.rcode.NOERROR or not response.flags & dns.flags.AA:
        return None
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name == dns.name.from_text(origin):
            return rrset[0].serial
    return None


def answers(address: str, timeout: float = 0.2) -> bool:
    """Does anything answer DNS at `address` (any rcode counts)?"""
    try:
        ask(address, "localhost.", "A", timeout=timeout, recurse=True)
    except (dns.exception.DNSException, OSError):
        return False
    return True


def rcode(address: str, origin: str, timeout: float = 0.3) -> str | None:
    try:
        return dns.rcode.to_text(ask(address, origin, "SOA", timeout=timeout).rcode())
    except (dns.exception.DNSException, OSError):
        return None
