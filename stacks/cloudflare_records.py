"""The desired zone as Cloudflare DNS records: pure data, no Pulumi, no network.

Cloudflare keeps one record per rdata (not per RRset), wants FQDN names
without the trailing dot, TXT content quoted as its API returns it, MX
priority at the top level, SRV and CAA fields in `data`, and TTLs of 60-86400
(1 = automatic). It serves the apex NS itself, so those are not declared.
Mail-related names are never proxied: a proxied CNAME hides its target and
breaks DKIM, autodiscover and MX.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

import dns.name
import dns.rdatatype

from migrate import names
from migrate.errors import BadInput
from migrate.plan import HOST_TTLS, HOST_TYPES
from migrate.zone import RRset, Zone

# The same list `migrate plan` lints against, so a type is refused there first.
SUPPORTED = HOST_TYPES["cloudflare"]
PROXIABLE = {"A", "AAAA", "CNAME"}
MIN_TTL, MAX_TTL = HOST_TTLS["cloudflare"]


@dataclass(frozen=True)
class CloudflareRecord:
    logical_name: str
    name: str
    type: str
    content: str | None
    ttl: int
    priority: int | None = None
    data: dict | None = None
    proxied: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)

    def args(self) -> dict:
        """Keyword arguments for cloudflare.DnsRecord (zone_id added by the caller)."""
        out: dict = {"name": self.name, "type": self.type, "ttl": self.ttl, "proxied": self.proxied}
        if self.content is not None:
            out["content"] = self.content
        if self.priority is not None:
            out["priority"] = self.priority
        if self.data is not None:
            out["data"] = self.data
        return out


def _bare(name: dns.name.Name) -> str:
    return name.to_text().rstrip(".").lower()


def _mail_names(zone: Zone) -> set[str]:
    """Names whose records carry mail: never proxied."""
    mail = set()
    for rrset in zone:
        if rrset.rdtype == "MX":
            mail |= {rdata.exchange.to_text().lower() for rdata in rrset.rdata_objects()}
        first = rrset.name.split(".")[0]
        if first.startswith("_") or "._domainkey." in rrset.name or first in {"autodiscover", "mail", "smtp", "imap", "pop", "mta-sts"}:
            mail.add(rrset.name)
    return mail


def _one(rrset: RRset, rdata_text: str, ttl: int, proxied: bool) -> CloudflareRecord:
    rdata = dns.rdata.from_text(dns.rdataclass.IN, rrset.rdtype, rdata_text)
    name = rrset.name.rstrip(".")
    digest = hashlib.sha256(rdata_text.encode()).hexdigest()[:10]
    logical = f"{rrset.rdtype}-{name}-{digest}"
    base = {"logical_name": logical, "name": name, "type": rrset.rdtype, "ttl": ttl}
    kind = rrset.rdtype
    if kind == "MX":
        return CloudflareRecord(**base, content=_bare(rdata.exchange), priority=rdata.preference)
    if kind == "SRV":
        return CloudflareRecord(
            **base,
            content=None,
            priority=rdata.priority,
            data={"priority": rdata.priority, "weight": rdata.weight, "port": rdata.port, "target": _bare(rdata.target)},
        )
    if kind == "CAA":
        return CloudflareRecord(
            **base, content=None, data={"flags": rdata.flags, "tag": rdata.tag.decode(), "value": rdata.value.decode()}
        )
    if kind == "TXT":
        return CloudflareRecord(**base, content=rdata_text)
    if kind in ("TLSA", "SMIMEA"):
        data = {"usage": rdata.usage, "selector": rdata.selector, "matching_type": rdata.mtype, "certificate": rdata.cert.hex()}
        return CloudflareRecord(**base, content=None, data=data)
    if kind == "SSHFP":
        return CloudflareRecord(**base, content=None, data={"algorithm": int(rdata.algorithm), "type": rdata.fp_type, "fingerprint": rdata.fingerprint.hex()})
    if kind == "DS":
        data = {"key_tag": rdata.key_tag, "algorithm": int(rdata.algorithm), "digest_type": rdata.digest_type, "digest": rdata.digest.hex()}
        return CloudflareRecord(**base, content=None, data=data)
    if kind == "NAPTR":
        data = {
            "order": rdata.order,
            "preference": rdata.preference,
            "flags": rdata.flags.decode(),
            "service": rdata.service.decode(),
            "regex": rdata.regexp.decode(),
            "replacement": _bare(rdata.replacement),
        }
        return CloudflareRecord(**base, content=None, data=data)
    if kind == "URI":
        return CloudflareRecord(**base, content=None, priority=rdata.priority, data={"weight": rdata.weight, "target": rdata.target.decode()})
    if kind in ("HTTPS", "SVCB"):
        # The key=value parameters as presentation text, after priority and target.
        params = rdata.to_text().split(None, 2)[2:]
        target = rdata.target.to_text()
        data = {"priority": rdata.priority, "target": target if target == "." else _bare(rdata.target), "value": params[0] if params else ""}
        return CloudflareRecord(**base, content=None, data=data)
    if kind == "LOC":
        return CloudflareRecord(**base, content=None, data=_loc(rdata))
    if kind == "CERT":
        data = {"type": rdata.certificate_type, "key_tag": rdata.key_tag, "algorithm": int(rdata.algorithm), "certificate": base64.b64encode(rdata.certificate).decode()}
        return CloudflareRecord(**base, content=None, data=data)
    if kind in ("CNAME", "NS", "PTR"):
        return CloudflareRecord(**base, content=_bare(rdata.target), proxied=proxied)
    return CloudflareRecord(**base, content=rdata_text, proxied=proxied)


def _loc(rdata) -> dict:
    """RFC 1876 LOC as Cloudflare's fields: degrees, minutes, seconds and metres."""

    def angle(value: tuple, positive: str, negative: str, prefix: str) -> dict:
        degrees, minutes, seconds, millis, sign = value
        return {
            f"{prefix}_degrees": degrees,
            f"{prefix}_minutes": minutes,
            f"{prefix}_seconds": seconds + millis / 1000,
            f"{prefix}_direction": positive if sign >= 0 else negative,
        }

    # dnspython keeps altitude, size and precisions in centimetres.
    return {
        **angle(rdata.latitude, "N", "S", "lat"),
        **angle(rdata.longitude, "E", "W", "long"),
        "altitude": rdata.altitude / 100,
        "size": rdata.size / 100,
        "precision_horz": rdata.horizontal_precision / 100,
        "precision_vert": rdata.vertical_precision / 100,
    }


def records(zone: Zone, proxied_names: set[str] = frozenset()) -> list[CloudflareRecord]:
    """Every record to declare; raises BadInput for a type Cloudflare cannot take here."""
    mail = _mail_names(zone)
    out = []
    for rrset in zone:
        if rrset.rdtype == "SOA" or (rrset.rdtype == "NS" and rrset.name == zone.origin):
            continue
        if rrset.rdtype not in SUPPORTED:
            raise BadInput(f"{rrset.name} {rrset.rdtype}: Cloudflare cannot hold {rrset.rdtype} records (`migrate plan` lints this as host.unsupported-type)")
        proxied = rrset.name in proxied_names and rrset.rdtype in PROXIABLE and rrset.name not in mail
        ttl = 1 if proxied else min(MAX_TTL, max(MIN_TTL, rrset.ttl))
        for rdata_text in rrset.sorted_rdatas():
            out.append(_one(rrset, rdata_text, ttl, proxied))
    return out


def proxied_names(spec) -> set[str]:
    return {names.owner(r.name, spec.domain) for r in spec.dns.records if r.proxied}
