"""A tenant's many domains, all moved to one new host: the lab for verifying a fleet.

One root; one server per TLD the domains are under (`.dk` on a.nic.dk,
`.net` on a.gtld-servers.net); the new host's two Knot servers
(ns1/ns2.newhost.net, the second a real secondary) serving every domain
as its plan desires it; a services server for the MX target; one Unbound
resolver. The TLD already delegates every domain to the new host: the
domains are past their cutover, as a fleet that a scheduled verify watches.

`spec_data` is one domain's spec (custom mail provider, a web record) and
`world_spec` the world that serves a list of such specs; `numbered(n)`
names n domains.
"""

from __future__ import annotations

from migrate import plan
from migrate.lab.model import LabZone, Server, WorldSpec
from migrate.spec import Spec
from migrate.zone import RRset, Zone

NEW_NAMESERVERS = ("ns1.newhost.net", "ns2.newhost.net")
MX_HOST = "mx1.mailhost.net"
TENANT = "lab-tenant"
_TLD_SERVERS = {"dk.": ("tld-dk", "a.nic.dk."), "net.": ("gtld", "a.gtld-servers.net."), "com.": ("gtld", "a.gtld-servers.net.")}


def numbered(count: int, tld: str = "dk") -> list[str]:
    return [f"fleet-{i:04d}.{tld}" for i in range(count)]


def spec_data(domain: str, ttl: int) -> dict:
    """One domain's spec: its mail at one provider, its DNS at the new host, every record with TTL `ttl`."""
    return {
        "version": 1,
        "domain": domain,
        "cutover": "2027-01-15T07:00:00+01:00",
        "source": {"provider": "microsoft365", "tenant": TENANT, "nameservers": list(NEW_NAMESERVERS)},
        "mail": {
            "provider": "custom",
            "mx": [{"priority": 10, "host": MX_HOST}],
            "spf": "v=spf1 ip4:192.0.2.0/24 -all",
            "dmarc": f"v=DMARC1; p=reject; rua=mailto:dmarc@{domain}",
        },
        "dns": {"host": "cloudflare", "nameservers": list(NEW_NAMESERVERS), "default_ttl": ttl,
                "records": [{"name": "www", "type": "A", "value": "192.0.2.80"}]},
        "verify": {"resolvers": [], "timeout": "2s", "retries": 1},
    }


def world_spec(specs: list[Spec], ttl: int, name: str = "tenant") -> WorldSpec:
    """The world serving every spec's desired zone at the new host, delegated there by its TLD."""
    tlds = sorted({s.domain.rstrip(".").rsplit(".", 1)[-1] + "." for s in specs} | {"net."})
    servers = [Server("root", hostnames=("a.root-servers.net.",))]
    zones = [LabZone(".", ["root"])]
    for tld in tlds:
        server, host = _TLD_SERVERS.get(tld, (f"tld-{tld.rstrip('.')}", f"a.nic.{tld}"))
        if server not in {s.name for s in servers}:
            servers.append(Server(server, hostnames=(host,)))
        zones.append(LabZone(tld, [server]))
    servers += [
        Server("new1", hostnames=(NEW_NAMESERVERS[0] + ".",)),
        Server("new2", hostnames=(NEW_NAMESERVERS[1] + ".",)),
        Server("services", hostnames=("ns1.lab-services.net.",)),
        Server("resolver1", role="resolver"),
    ]
    mailhost = Zone("mailhost.net.", [RRset.build(MX_HOST + ".", "A", ttl, ["192.0.2.25"])])
    zones += [
        LabZone("newhost.net.", ["new1", "new2"]),
        LabZone("lab-services.net.", ["services"]),
        LabZone("mailhost.net.", ["services"], content=mailhost),
    ]
    # Each server its own copy: no zone transfers or refresh queries between them in the counts.
    zones += [LabZone(s.domain, ["new1", "new2"], content=plan.desired_zone(s), replicate=False) for s in specs]
    return WorldSpec(servers=servers, zones=zones, ttl=ttl, name=name)
