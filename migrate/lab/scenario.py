"""The standard Microsoft 365 exit as a lab world.

A root, the TLDs every name needs, Microsoft's four `bdm` name servers
serving the customer's current zone (and `microsoftonline.com`, so their
names resolve), a new host with two or more name servers already serving the
desired zone (and the zone of its own names), a server for the zones the
records point at (outlook.com, google.com, ...), and caching resolvers.
At the start the TLD delegates the domain to Microsoft; `move_delegation()`
is the registrar change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from migrate import mailauth, names
from migrate.lab.model import LabZone, Server, Signatures, TsigKey, WorldSpec
from migrate.lab.world import World
from migrate.zone import RRset, Zone, txt_rdata_text, txt_value

BDM_NAMESERVERS = tuple(f"ns{i}.bdm.microsoftonline.com." for i in range(1, 5))
NEW_NAMESERVERS = ("ns1.newhost.net.", "ns2.newhost.net.")
OLD_KEY = "old"
NEW_KEY = "new"
_TARGET_TYPES = {"MX": "exchange", "CNAME": "target", "SRV": "target", "NS": "target"}
# What an included sender's own SPF record says in the lab (documentation addresses).
LAB_SPF = "v=spf1 ip4:192.0.2.0/24 -all"
_WELL_KNOWN_TLD_SERVERS = {"com.": "a.gtld-servers.net.", "net.": "a.gtld-servers.net."}


def _registrable(name: str) -> str:
    """The last two labels: the zone the lab serves for a host name."""
    labels = dns.name.from_text(name).labels[:-1]
    return ".".join(label.decode() for label in labels[-2:]) + "."


def _tld(name: str) -> str:
    return dns.name.from_text(name).labels[-2].decode() + "."


def clamp_ttls(zone: Zone, ttl: int) -> Zone:
    """Every TTL (and the SOA negative TTL) at most `ttl`, so caches expire in seconds."""
    out = Zone(zone.origin)
    for rrset in zone:
        if rrset.rdtype == "SOA":
            (text,) = rrset.rdatas
            soa = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, text)
            rrset = rrset.with_rdatas([soa.replace(minimum=min(soa.minimum, ttl)).to_text()])
        out.put(rrset.with_ttl(min(rrset.ttl, ttl)))
    return out


def pointers(zone: Zone) -> list[tuple[RRset, dns.name.Name]]:
    """(record set, target) for every name the zone's MX, CNAME, SRV and NS records point at (not the root)."""
    found = []
    for rrset in zone:
        field = _TARGET_TYPES.get(rrset.rdtype)
        if field is None:
            continue
        for rdata in rrset.rdata_objects():
            target: dns.name.Name = getattr(rdata, field)
            if target != dns.name.root:
                found.append((rrset, target))
    return found


def targets_of(zone: Zone) -> list[str]:
    """Host names outside the zone that its MX, CNAME, SRV and NS records point at."""
    origin = dns.name.from_text(zone.origin)
    return list(dict.fromkeys(t.to_text().lower() for _, t in pointers(zone) if not t.is_subdomain(origin)))


def spf_includes(zone: Zone) -> list[str]:
    """The absolute names the zone's apex SPF record includes."""
    apex = zone.get(zone.origin, "TXT")
    texts = [txt_value(t) for t in (apex.rdatas if apex else ())]
    return list(dict.fromkeys(names.host(d) for text in texts if mailauth.is_spf(text) for d in mailauth.spf_includes(text)))


def m365_zone(domain: str, ttl: int = 2) -> Zone:
    """A small current zone of a domain on Microsoft 365 (for tests and demos)."""
    domain = names.domain(domain)
    label = domain.rstrip(".").replace(".", "-")
    records = [
        ("@", "NS", BDM_NAMESERVERS),
        ("@", "MX", [f"0 {label}.mail.protection.outlook.com."]),
        ("@", "TXT", ['"v=spf1 include:spf.protection.outlook.com -all"', '"MS=ms12345678"']),
        ("autodiscover", "CNAME", ["autodiscover.outlook.com."]),
        ("www", "A", ["192.0.2.80"]),
    ]
    return Zone(domain, [RRset.build(names.owner(o, domain), t, ttl, v, origin=domain) for o, t, v in records])


def google_zone(domain: str, nameservers: Sequence[str] = NEW_NAMESERVERS, ttl: int = 2) -> Zone:
    """A small desired zone: Google Workspace mail at a new host."""
    domain = names.domain(domain)
    records = [
        ("@", "NS", list(nameservers)),
        ("@", "MX", ["1 smtp.google.com."]),
        ("@", "TXT", ['"v=spf1 include:_spf.google.com -all"']),
        ("_dmarc", "TXT", ['"v=DMARC1; p=none"']),
        ("www", "A", ["192.0.2.80"]),
    ]
    return Zone(domain, [RRset.build(names.owner(o, domain), t, ttl, v, origin=domain) for o, t, v in records])


class MigrationWorld(World):
    """A started migration world: the lab's World plus the scenario's roles."""

    def __init__(
        self,
        spec: WorldSpec,
        *,
        domain: str,
        old_nameservers: Sequence[str],
        new_nameservers: Sequence[str],
        target_addresses: Mapping[str, str],
        **kwargs,
    ) -> None:
        super().__init__(spec, **kwargs)
        self.domain = domain
        self.old_key = OLD_KEY
        self.new_key = NEW_KEY
        self.old_nameservers = tuple(old_nameservers)
        self.new_nameservers = tuple(new_nameservers)
        self.target_addresses = dict(target_addresses)

    @property
    def tld_addresses(self) -> list[str]:
        """The servers of the domain's parent zone (the TLD)."""
        return self.parent_addresses(self.domain)

    @property
    def old_addresses(self) -> list[str]:
        return self.zone_addresses(OLD_KEY)

    @property
    def new_addresses(self) -> list[str]:
        return self.zone_addresses(NEW_KEY)

    @property
    def old_servers(self) -> list[str]:
        return list(self.spec.zone(OLD_KEY).servers)

    @property
    def new_servers(self) -> list[str]:
        return list(self.spec.zone(NEW_KEY).servers)

    @property
    def resolvers(self) -> list[str]:
        return [r.name for r in self.spec.resolvers]

    @property
    def new_tsig(self) -> TsigKey:
        return self.tsig(NEW_KEY)

    def move_delegation(self, *, ds: Sequence[str] | None = None) -> None:
        """The registrar change: the TLD now delegates the domain to the new host."""
        self.delegate(self.domain, NEW_KEY, ds=ds)

    def move_back(self, *, ds: Sequence[str] | None = None) -> None:
        self.delegate(self.domain, OLD_KEY, ds=ds)

    def delegated_to(self) -> tuple[str, ...]:
        return self.delegations[self.domain].ns

    def warm(self, questions: Sequence[tuple[str, str]]) -> list[tuple[str, str, dns.message.Message]]:
        """Ask every resolver each (name, type), so their caches hold today's answers as the
        Internet's do; returns (resolver, question, response) for each."""
        return [(resolver, f"{name} {rdtype}", self.query(resolver, name, rdtype))
                for resolver in self.resolvers for name, rdtype in questions]


def migration_spec(
    domain: str,
    old_zone: Zone | None = None,
    new_zone: Zone | None = None,
    *,
    old_nameservers: Sequence[str] = BDM_NAMESERVERS,
    new_nameservers: Sequence[str] = NEW_NAMESERVERS,
    resolvers: int = 2,
    ttl: int = 2,
    clamp_ttl: int | None = None,
    sign_new: bool = False,
    new_signatures: Signatures | None = None,
    sign_old: bool = False,
    sign_chain: bool = False,
    validate: bool = False,
    tsig: bool = True,
    target_addresses: Mapping[str, str] | None = None,
    serve_for: Sequence[Zone] = (),
) -> tuple[WorldSpec, dict]:
    """The data of a migration world, and the keyword arguments of MigrationWorld.

    `sign_chain` signs the root and the TLDs (needed for a validating resolver
    to see a stale DS as SERVFAIL); `validate` makes the resolvers validate.
    `sign_new` has Knot sign the new host's copy; `new_signatures` has the lab
    sign it with chosen validity instead (expired, not yet valid, ...).
    `serve_for` are zones not loaded at the start (e.g. the desired zone a
    test applies later) whose targets and SPF includes must resolve too.
    """
    domain = names.domain(domain)
    old_ns = tuple(names.host(n) for n in old_nameservers)
    new_ns = tuple(names.host(n) for n in new_nameservers)
    old_zone = old_zone if old_zone is not None else m365_zone(domain, ttl)
    new_zone = new_zone if new_zone is not None else google_zone(domain, new_ns, ttl)
    if clamp_ttl is not None:
        old_zone, new_zone = clamp_ttls(old_zone, clamp_ttl), clamp_ttls(new_zone, clamp_ttl)

    servers: list[Server] = [Server("root", hostnames=("a.root-servers.net.",))]
    zones: list[LabZone] = [LabZone(".", ["root"], signed=sign_chain or validate)]

    old_servers = [Server(f"old{i}", hostnames=(n,)) for i, n in enumerate(old_ns, 1)]
    new_servers = [Server(f"new{i}", hostnames=(n,)) for i, n in enumerate(new_ns, 1)]
    servers += old_servers + new_servers
    zones.append(LabZone(domain, [s.name for s in old_servers], content=old_zone, key=OLD_KEY, signed=sign_old))
    zones.append(
        LabZone(
            domain,
            [s.name for s in new_servers],
            content=new_zone,
            key=NEW_KEY,
            delegated=False,
            signed=sign_new,
            signatures=new_signatures,
            tsig=TsigKey.generate(f"lab-update.{domain}") if tsig else None,
        )
    )
    # the zones holding the name server names, served by those servers
    own: dict[str, list[str]] = {}
    for server in old_servers + new_servers:
        own.setdefault(_registrable(server.hostnames[0]), []).append(server.name)
    for origin, members in own.items():
        if origin != domain:
            zones.append(LabZone(origin, members))

    # the zones the records point at, on one "services" server
    pointing = [old_zone, new_zone, *serve_for]
    wanted = [t for z in pointing for t in targets_of(z) if t not in old_ns + new_ns]
    addresses = dict(target_addresses or {})
    for i, target in enumerate(dict.fromkeys(wanted), 1):
        addresses.setdefault(target, f"192.0.2.{i % 250 + 1}")
    target_zones: dict[str, Zone] = {}
    for target, address in addresses.items():
        origin = _registrable(target)
        if origin == domain:
            continue
        zone = target_zones.setdefault(origin, Zone(origin))
        zone.put(RRset.build(target, "A", ttl, [address]))
    # SPF includes resolve too, so that the verifier's recursive SPF check can pass.
    for host in dict.fromkeys(h for z in pointing for h in spf_includes(z)):
        origin = _registrable(host)
        if origin != domain:
            zone = target_zones.setdefault(origin, Zone(origin))
            zone.put(RRset.build(host, "TXT", ttl, [txt_rdata_text(LAB_SPF)]))
    service_origins = [o for o in target_zones if o not in own]
    if service_origins:
        servers.append(Server("services", hostnames=("ns1.lab-services.net.",)))
    for origin, zone in target_zones.items():
        if origin in own:  # e.g. a target below microsoftonline.com: add it there
            host_zone = next(z for z in zones if z.origin == origin)
            content = host_zone.content if isinstance(host_zone.content, Zone) else Zone(origin)
            for rrset in zone:
                content.put(rrset)
            host_zone.content = content
        else:
            zones.append(LabZone(origin, ["services"], content=zone))

    # one server per TLD, as registries run them (com. and net. share one)
    all_names = [z.origin for z in zones] + [h for s in servers for h in s.hostnames]
    tlds = sorted({_tld(n) for n in all_names if n != "."})
    tld_server: dict[str, str] = {}
    for tld in tlds:
        host = _WELL_KNOWN_TLD_SERVERS.get(tld, f"a.nic.{tld}")
        name = "gtld" if host == "a.gtld-servers.net." else f"tld-{tld.rstrip('.')}"
        if name not in tld_server.values():
            servers.insert(1 + len(set(tld_server.values())), Server(name, hostnames=(host,)))
        tld_server[tld] = name
        zones.insert(1, LabZone(tld, [name], signed=sign_chain or validate))

    servers += [Server(f"resolver{i}", role="resolver", validate=validate) for i in range(1, resolvers + 1)]
    spec = WorldSpec(servers=servers, zones=zones, ttl=ttl, name=domain.rstrip(".").replace(".", "-"))
    meta = {
        "domain": domain,
        "old_nameservers": old_ns,
        "new_nameservers": new_ns,
        "target_addresses": addresses,
    }
    return spec, meta


def cutover_spec(
    domain: str,
    old_zone: Zone,
    desired: Zone,
    *,
    old_nameservers: Sequence[str],
    new_nameservers: Sequence[str],
    resolvers: int = 2,
    ttl: int = 2,
) -> tuple[WorldSpec, dict]:
    """The world of one domain's cutover, as it stands the day before.

    The old name servers serve `old_zone` as it is (its TTLs included) under
    the domain's real TLD, with glue where their names need it; the new host
    serves nothing yet but what a server derives (SOA, NS), to be filled
    through RFC 2136; the hosts both zones point at resolve, and so do the
    SPF includes of `desired`, so that verify can judge the desired zone.
    """
    own = {names.host(n) for n in (*old_nameservers, *new_nameservers)}
    # the lab gives the name servers their addresses; the other targets get documentation addresses
    targets = [t for t in targets_of(desired) if t not in own]
    addresses = {target: f"198.51.100.{100 + i % 150}" for i, target in enumerate(targets, 1)}
    return migration_spec(
        domain,
        old_zone,
        Zone(names.domain(domain)),
        old_nameservers=old_nameservers,
        new_nameservers=new_nameservers,
        resolvers=resolvers,
        ttl=ttl,
        target_addresses=addresses,
        serve_for=[desired],
    )


def migration_world(domain: str, old_zone: Zone | None = None, new_zone: Zone | None = None, **kwargs) -> MigrationWorld:
    """Build and start the standard migration world (see `migration_spec`).

    Keyword arguments of `World.start` (`timeout`, `base_dir`, `keep_files`)
    pass through; the rest describe the scenario.
    """
    start_args = {k: kwargs.pop(k) for k in ("timeout", "base_dir", "keep_files") if k in kwargs}
    spec, meta = migration_spec(domain, old_zone, new_zone, **kwargs)
    return MigrationWorld.start(spec, **meta, **start_args)  # type: ignore[return-value]
