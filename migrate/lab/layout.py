"""Derive a DNS hierarchy from a WorldSpec: the zone text every server loads.

Pure computation (no processes, no sockets), so the rules are testable and
the same for every scenario:

- a zone's parent is the deepest other origin of the world above it;
- a zone without SOA gets one with second-scale timers; without apex NS it
  gets its servers' host names;
- every server host name gets an A record in the deepest zone that encloses
  it (so `ns1.bdm.microsoftonline.com.` lives in `microsoftonline.com.`);
- a parent publishes, for each child, the NS names and DS of its
  `Delegation`, plus glue for NS names that lie below one of its cuts.
"""

from __future__ import annotations

import functools

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from migrate.errors import BadInput
from migrate.lab.model import Delegation, LabZone, WorldSpec
from migrate.zone import RRset, Zone


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


def assign_addresses(spec: WorldSpec, base: str) -> dict[str, str]:
    """Each server's address: its own, or `base` + its position (base is 'a.b.c.')."""
    addresses: dict[str, str] = {}
    used = {s.address for s in spec.servers if s.address}
    index = 0
    for server in spec.servers:
        if server.name in addresses:
            raise BadInput(f"lab: two servers are named {server.name!r}")
        if server.address:
            addresses[server.name] = server.address
            continue
        while True:
            index += 1
            if index > 254:
                raise BadInput("lab: more than 254 servers in one world")
            candidate = f"{base}{index}"
            if candidate not in used:
                break
        addresses[server.name] = candidate
    return addresses


def origins(spec: WorldSpec) -> list[str]:
    return sorted({z.origin for z in spec.zones}, key=lambda o: len(_name(o)))


def parent_of(origin: str, all_origins: list[str]) -> str | None:
    """The deepest origin of the world strictly above `origin`."""
    return _parent(origin, tuple(all_origins))


@functools.lru_cache(maxsize=65536)
def _parent(origin: str, all_origins: tuple[str, ...]) -> str | None:
    child = _name(origin)
    if child == dns.name.root:
        return None
    return deepest_enclosing(child.parent().to_text(), all_origins)


def deepest_enclosing(name: str, all_origins: list[str]) -> str | None:
    """The deepest origin at or above `name`: a walk up its labels, so a world of a thousand zones renders in seconds."""
    known = _index(all_origins if isinstance(all_origins, tuple) else tuple(all_origins))
    target = _name(name)
    while True:
        found = known.get(target.to_text().lower())
        if found is not None:
            return found
        if target == dns.name.root:
            return None
        target = target.parent()


@functools.lru_cache(maxsize=8)
def _index(all_origins: tuple[str, ...]) -> dict[str, str]:
    """Each origin by its lower-case text (the world's origins rarely change: the index is kept)."""
    return {_name(o).to_text().lower(): _name(o).to_text() for o in all_origins}


def host_addresses(spec: WorldSpec, addresses: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Host name -> addresses of the servers that carry it."""
    result: dict[str, list[str]] = {}
    for server in spec.servers:
        for host in server.hostnames:
            result.setdefault(host, []).append(addresses[server.name])
    return {host: tuple(addrs) for host, addrs in result.items()}


def zone_hostnames(spec: WorldSpec, zone: LabZone) -> tuple[str, ...]:
    """The NS names of a zone copy: its servers' host names, in order."""
    names: list[str] = []
    for server_name in zone.servers:
        server = spec.server(server_name)
        if server.role != "authoritative":
            raise BadInput(f"lab zone {zone.key}: {server_name} is a resolver, not an authoritative server")
        if not server.hostnames:
            raise BadInput(f"lab zone {zone.key}: server {server_name} has no host name to publish as NS")
        names.extend(h for h in server.hostnames if h not in names)
    return tuple(names)


def initial_delegations(spec: WorldSpec) -> dict[str, Delegation]:
    """Child origin -> Delegation, from the copy marked `delegated` (DS comes later)."""
    all_origins = origins(spec)
    result: dict[str, Delegation] = {}
    for origin in all_origins:
        if parent_of(origin, all_origins) is None:
            continue
        delegated = [z for z in spec.zones if z.origin == origin and z.delegated]
        if len(delegated) > 1:
            raise BadInput(f"lab: {origin} has more than one delegated copy ({', '.join(z.key for z in delegated)})")
        if delegated:
            result[origin] = Delegation(ns=zone_hostnames(spec, delegated[0]), ttl=spec.ttl)
    return result


def base_content(zone: LabZone) -> Zone:
    if zone.content is None:
        return Zone(zone.origin)
    if isinstance(zone.content, Zone):
        if zone.content.origin != zone.origin:
            raise BadInput(f"lab zone {zone.key}: content is for {zone.content.origin}, not {zone.origin}")
        return zone.content.copy()
    return Zone.from_text(zone.content, zone.origin, source=f"lab zone {zone.key}")


def with_serial(zone: Zone, serial: int) -> Zone:
    soa = zone.get(zone.origin, "SOA")
    assert soa is not None
    (text,) = soa.rdatas
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, text)
    out = zone.copy()
    out.put(soa.with_rdatas([rdata.replace(serial=serial % 2**32).to_text()]))
    return out


def soa_serial(zone: Zone) -> int | None:
    soa = zone.get(zone.origin, "SOA")
    if soa is None:
        return None
    (text,) = soa.rdatas
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, text).serial


def render(
    zone: LabZone,
    spec: WorldSpec,
    addresses: dict[str, str],
    delegations: dict[str, Delegation],
    serial: int,
    content: Zone | None = None,
) -> Zone:
    """The full zone a server loads for this copy: content + derived records."""
    out = content.copy() if content is not None else base_content(zone)
    origin = zone.origin
    ttl = spec.ttl
    ns_names = zone_hostnames(spec, zone)
    if out.get(origin, "SOA") is None:
        rname = "hostmaster." + origin if origin != "." else "hostmaster.lab."
        # refresh/retry of seconds keep secondaries close; expire is long so a
        # muted primary does not make its secondaries go dark during a test.
        out.put(RRset.build(origin, "SOA", ttl, [f"{ns_names[0]} {rname} 1 2 1 86400 {ttl}"]))
    if out.get(origin, "NS") is None:
        out.put(RRset.build(origin, "NS", ttl, list(ns_names)))
    all_origins = origins(spec)
    hosts = host_addresses(spec, addresses)
    for host, addrs in hosts.items():
        if deepest_enclosing(host, all_origins) == origin and out.get(host, "A") is None:
            out.put(RRset.build(host, "A", ttl, list(addrs)))
    apex_ns = out.get(origin, "NS")
    for ns in apex_ns.values() if apex_ns is not None else ():
        # the zone's own servers below one of its cuts (a.root-servers.net. in
        # the root) are found only through glue
        if _needs_glue(ns, origin, all_origins) and ns in hosts:
            out.put(RRset.build(ns, "A", ttl, list(hosts[ns])))
    for child, delegation in delegations.items():
        if parent_of(child, all_origins) != origin:
            continue
        dttl = delegation.ttl if delegation.ttl is not None else ttl
        out.put(RRset.build(child, "NS", dttl, list(delegation.ns)))
        if delegation.ds:
            out.put(RRset.build(child, "DS", dttl, list(delegation.ds)))
        else:
            out.discard(child, "DS")
        for ns in delegation.ns:
            if delegation.glue is not None:
                glue = delegation.glue.get(ns)
            elif _needs_glue(ns, origin, all_origins):
                glue = hosts.get(ns)
            else:
                glue = None
            if glue:
                out.put(RRset.build(ns, "A", dttl, list(glue)))
    return with_serial(out, serial)


def _needs_glue(ns: str, parent: str, all_origins: list[str]) -> bool:
    """An NS name below a cut of `parent` can only be found through glue there."""
    if not _name(ns).is_subdomain(_name(parent)):
        return False
    return deepest_enclosing(ns, all_origins) != parent
