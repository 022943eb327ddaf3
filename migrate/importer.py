"""Snapshots of the current zone: from a zone file, a zone transfer, or live DNS.

Each snapshot is written as a BIND zone file in which every record set carries
a comment: `; microsoft365: <rule ids>` or `; keep`, so that a person can read
what the plan will do before running it.

A live snapshot cannot list a zone, so it asks the domain's authoritative
servers (found from the root, never through a local resolver) for the apex,
every name the footprint catalogue knows, a list of common names, and every
in-zone name that the records found point at.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timezone

import dns.exception
import dns.query
import dns.xfr

from migrate import footprint, limits, names
from migrate.endpoint import Endpoint
from migrate.errors import BadInput, MigrateError
from migrate.zone import BoundedZone, RRset, Zone

COMMON_NAMES = (
    "@", "www", "mail", "webmail", "smtp", "imap", "pop", "pop3", "mx", "ftp", "vpn", "remote", "portal",
    "shop", "blog", "intranet", "owa", "cpanel", "api", "app", "cdn", "static", "dev", "test", "staging",
    "autoconfig", "mta-sts", "_mta-sts", "_smtp._tls", "_dmarc", "_domainkey", "default._domainkey",
    "google._domainkey", "k1._domainkey", "s1._domainkey", "s2._domainkey",
    "_caldavs._tcp", "_carddavs._tcp", "_imaps._tcp", "_submission._tcp", "_autodiscover._tcp",
    "_sip._udp", "_sip._tcp", "_sips._tcp", "_xmpp-client._tcp", "_xmpp-server._tcp",
)
HOST_TYPES = ("CNAME", "A", "AAAA", "MX", "TXT", "CAA", "NS")
SERVICE_TYPES = ("CNAME", "SRV", "TXT")  # underscore names: _dmarc, _sip._tls, selectors
APEX_TYPES = ("SOA", "NS", "A", "AAAA", "MX", "TXT", "CAA", "SRV", "HTTPS")


def _types_for(name: str, domain: str) -> tuple[str, ...]:
    if name == domain:
        return APEX_TYPES
    return SERVICE_TYPES if name.startswith("_") or "._" in name else HOST_TYPES


def annotations(zone: Zone) -> dict[tuple[str, str, str], str]:
    """`microsoft365: <rule ids>` or `keep` for every record, one rdata at a time."""
    notes = {}
    for rrset in zone:
        for rdata in rrset.rdatas:
            split = footprint.classify(rrset.with_rdatas({rdata}), zone.origin)
            if split.removed is None:
                notes[(*rrset.key, rdata)] = "keep"
            else:
                rules = ", ".join(dict.fromkeys(rule for rule, _ in split.reasons))
                rewritten = " (rewritten without it)" if split.kept is not None else ""
                notes[(*rrset.key, rdata)] = f"microsoft365: {rules}{rewritten}"
    return notes


def snapshot_text(zone: Zone, source: str, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    notes = annotations(zone)
    microsoft = sum(1 for note in notes.values() if note.startswith("microsoft365"))
    total = sum(len(rrset.rdatas) for rrset in zone)
    header = [
        f"; snapshot of {zone.origin} from {source}",
        f"; taken {now.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')} by migrate import",
        f"; {total} records, {microsoft} of them Microsoft 365's",
    ]
    return "\n".join(header) + "\n" + zone.to_text(notes)


def from_zonefile(domain: str, path) -> Zone:
    return Zone.from_file(path, domain)


def from_axfr(domain: str, server: Endpoint, timeout: float = 10.0) -> Zone:
    """A full zone transfer (AXFR over TCP) from one server."""
    try:
        parsed = BoundedZone(domain, f"AXFR of {domain} from {server}")
        dns.query.inbound_xfr(server.host, parsed, port=server.port, timeout=timeout, lifetime=timeout * 3)
    except dns.xfr.TransferError as exc:
        raise MigrateError(f"AXFR of {domain} from {server} was refused ({dns.rcode.to_text(exc.rcode)}); allow transfers to this address or use --from live") from None
    except (dns.exception.DNSException, OSError, EOFError) as exc:
        raise MigrateError(f"AXFR of {domain} from {server} failed: {exc or type(exc).__name__}") from None
    return Zone.from_dnspython(parsed)


def _in_zone_targets(rrsets: Iterable[RRset], origin: str) -> set[str]:
    """In-zone names that records point at (CNAME, MX, SRV and NS targets)."""
    found = set()
    for rrset in rrsets:
        if rrset.rdtype not in ("CNAME", "MX", "SRV", "NS"):
            continue
        for rdata in rrset.rdata_objects():
            target = getattr(rdata, "target", None) or getattr(rdata, "exchange", None)
            text = target.to_text().lower() if target is not None else ""
            if text == origin or text.endswith("." + origin):
                found.add(text)
    return found


async def _live(domain: str, root_hints: list[Endpoint], timeout: float, retries: int) -> tuple[Zone, list[str]]:
    from migrate.verify.delegation import Walker
    from migrate.verify.evidence import ANSWER, NXDOMAIN
    from migrate.verify.query import Querier

    querier = Querier(timeout=timeout, retries=retries)
    walker = Walker(querier, root_hints)
    zone, problems = Zone(domain), []
    # Every name probed after the first ones is a target of records found, so
    # bounding the records found bounds the probing too (a chain of CNAMEs to
    # ever new names would otherwise never end).
    limit, found_records = limits.ZONE_RECORDS.value(), 0
    asked: set[str] = set()
    pending = {names.owner(n, domain) for n in COMMON_NAMES} | {owner for owner, _ in footprint.probe_names(domain)}

    async def probe(name: str) -> list[RRset]:
        found = []
        for rdtype in _types_for(name, domain):
            answer, _ = await walker.lookup(name, rdtype)
            if answer is None or not answer.ok:
                problems.append(f"{name} {rdtype}: {answer.outcome if answer else 'no server answered'}")
                continue
            if answer.outcome == NXDOMAIN:
                break  # nothing at all lives at this name
            rrset = answer.rrset(name, rdtype) if answer.outcome == ANSWER else None
            if rrset is not None:
                found.append(rrset)
                if rdtype == "CNAME":
                    break  # a CNAME stands alone at its name
        return found

    # The SOA first: a domain whose servers give none is not worth probing by the hundred.
    soa, _ = await walker.lookup(domain, "SOA")
    if soa is None or soa.rrset(domain, "SOA") is None:
        why = soa.outcome if soa is not None else "no server answered"
        raise MigrateError(f"live probe of {domain} found no SOA at the apex ({why}); is the domain delegated?")
    while pending:
        batch, pending = sorted(pending - asked), set()
        asked.update(batch)
        for rrsets in await asyncio.gather(*(probe(name) for name in batch)):
            for rrset in rrsets:
                zone.put(rrset)
                found_records += len(rrset.rdatas)
            if found_records > limit:
                raise limits.ZONE_RECORDS.exceeded(f"live probe of {domain}")
            pending |= _in_zone_targets(rrsets, domain) - asked
    return zone, problems


def from_live(domain: str, root_hints: list[Endpoint], timeout: float = 3.0, retries: int = 2) -> tuple[Zone, list[str]]:
    """Probe the domain at its authoritative servers; returns the zone and what could not be asked."""
    return asyncio.run(_live(domain, root_hints, timeout, retries))


def parse_source(kind: str, where: str | None) -> tuple[str, str | None]:
    kinds = {"zonefile": True, "axfr": True, "live": False}
    if kind not in kinds:
        raise BadInput(f"--from {kind!r}: expected zonefile FILE, axfr SERVER or live")
    if kinds[kind] and not where:
        raise BadInput(f"--from {kind} needs {'a FILE' if kind == 'zonefile' else 'a SERVER (IP or IP:PORT)'}")
    if not kinds[kind] and where:
        raise BadInput(f"--from live takes no argument (got {where!r})")
    return kind, where
