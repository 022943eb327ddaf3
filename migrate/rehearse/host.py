"""The new DNS host as the lab stands it in, and the in-zone names its records lean on.

The lab's new host is Knot, filled through the Pulumi RFC 2136 provider. For
an RFC 2136 host that is the host itself. Cloudflare differs in one way DNS
shows: a name its proxy serves answers with Cloudflare's own addresses, not
with the record behind it. The lab answers there with an address of its
own, for the names the Cloudflare stack itself would proxy.
"""

from __future__ import annotations

import dns.name

from migrate import names
from migrate.lab.scenario import pointers
from migrate.spec import Spec
from migrate.zone import RRset, Zone

EDGE = "192.0.2.254"  # a documentation address standing in for the proxy's
EDGE_TTL = 300  # Cloudflare's "automatic" TTL for proxied records


def stand_in(spec: Spec, desired: Zone) -> tuple[Zone, list[str]]:
    """The zone the lab's new host is given for `desired`, and the names it answers for as a proxy."""
    if spec.dns.host != "cloudflare":
        return desired, []
    from migrate.lab.stage import stacks_module

    records = stacks_module("cloudflare_records")
    proxied = sorted({names.host(r.name) for r in records.records(desired, records.proxied_names(spec)) if r.proxied})
    out = desired.copy()
    for name in proxied:
        for rrset in desired.at(name):
            if rrset.rdtype in records.PROXIABLE:
                out.discard(*rrset.key)
        out.put(RRset.build(name, "A", EDGE_TTL, [EDGE]))
    return out, proxied


def inside_targets(zone: Zone) -> list[tuple[RRset, str]]:
    """(record set, target) for every MX, CNAME, SRV and NS target inside the zone: names it must give an address for."""
    origin = dns.name.from_text(zone.origin)
    return [(rrset, target.to_text().lower()) for rrset, target in pointers(zone) if target.is_subdomain(origin)]
