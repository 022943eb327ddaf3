"""The lab's own zone signer: dnspython signs, with validity windows chosen per zone.

Knot signs as a live signer does (fresh signatures, re-signed in time), so it
cannot make the broken cases a verifier must catch: signatures that expired
because nobody re-signs, or that are not valid yet. Here the lab signs a
rendered zone once, with `Signatures` saying when the DNSKEY set's signature
and every other one are valid, and Knot serves the result as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import dns.dnssec
import dns.name
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import dns.rrset
import dns.transaction
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

from migrate.lab.model import Signatures
from migrate.zone import Zone

_ALGORITHM = dns.dnssec.Algorithm.ECDSAP256SHA256


@dataclass(frozen=True)
class ZoneKeys:
    """A KSK (it signs the DNSKEY set; the parent's DS names it) and a ZSK (it signs the rest)."""

    ksk: tuple[ec.EllipticCurvePrivateKey, dns.rdtypes.ANY.DNSKEY.DNSKEY]
    zsk: tuple[ec.EllipticCurvePrivateKey, dns.rdtypes.ANY.DNSKEY.DNSKEY]

    @classmethod
    def generate(cls) -> ZoneKeys:
        def pair(flags: int) -> tuple[ec.EllipticCurvePrivateKey, dns.rdtypes.ANY.DNSKEY.DNSKEY]:
            private = ec.generate_private_key(ec.SECP256R1())
            return private, dns.dnssec.make_dnskey(private.public_key(), _ALGORITHM, flags=flags)

        return cls(ksk=pair(257), zsk=pair(256))


def sign(zone: Zone, keys: ZoneKeys, signatures: Signatures, now: datetime) -> Zone:
    """The zone with DNSKEYs, an NSEC chain and RRSIGs whose windows are `signatures`' from `now`."""
    origin = dns.name.from_text(zone.origin)
    parsed = dns.zone.from_text(zone.to_text(), origin, relativize=False)

    def signer(txn: dns.transaction.Transaction, rrset: dns.rrset.RRset) -> None:
        window = signatures.keys if rrset.rdtype == dns.rdatatype.DNSKEY else signatures.records
        dns.dnssec.default_rrset_signer(
            txn, rrset, signer=origin, ksks=[keys.ksk], zsks=[keys.zsk],
            inception=now + window.inception, expiration=now + window.expiration, origin=origin,
        )

    soa = zone.get(zone.origin, "SOA")
    dns.dnssec.sign_zone(parsed, keys=[keys.ksk, keys.zsk], dnskey_ttl=soa.ttl if soa else None, rrset_signer=signer)
    return Zone.from_dnspython(parsed)
