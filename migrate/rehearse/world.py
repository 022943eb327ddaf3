"""The user's domain in the lab, the day before the cutover.

Its old name servers (the spec's `source.nameservers`, else the zone's apex
NS) serve today's zone with its real TTLs under the domain's real TLD; the
TLD delegates to them with the NS TTL verify assumes when it cannot measure
a TLD's (a day); the new host (`dns.nameservers`) serves nothing yet; the
resolvers have asked for the mail records, so their caches hold today's
answers with today's TTLs, as the Internet's do.
"""

from __future__ import annotations

from collections.abc import Sequence

from migrate import footprint, names
from migrate.errors import BadInput
from migrate.lab.model import WorldSpec
from migrate.lab.scenario import OLD_KEY, MigrationWorld, cutover_spec
from migrate.spec import Spec
from migrate.verify.checks import mail_keys
from migrate.verify.timing import DEFAULT_PARENT_NS_TTL, DEFAULT_TTL
from migrate.zone import DNSSEC, RRset, Zone

# Every record the lab derives itself (the SOA of the TLDs and of the new host's empty zone,
# host addresses) lives seconds: nothing of the lab's own making holds a cache for long.
LAB_TTL = 2
RESOLVERS = 2


def old_nameservers(user: Spec, current: Zone) -> list[str]:
    """Where the domain is delegated today: the spec says, else the zone's apex NS."""
    if user.source.nameservers:
        return list(user.source.nameservers)
    apex = current.get(user.domain, "NS")
    if apex is None:
        raise BadInput(f"{user.path}: source.nameservers: the rehearsal needs the domain's name servers today; "
                       f"list them there, or keep the apex NS records in the zone file")
    return [names.host(value) for value in apex.values()]


def microsoft_hosted(domain: str, nameservers: Sequence[str]) -> bool:
    """The old name servers are Microsoft 365's (the footprint's `ns.microsoft-dns`): they go when the domain goes."""
    return footprint.classify(RRset.build(domain, "NS", DEFAULT_TTL, list(nameservers)), domain).removed is not None


def old_zone(current: Zone, domain: str, nameservers: Sequence[str]) -> Zone:
    """Today's zone as the old name servers serve it in the lab: unsigned (the lab does not sign it,
    and the new host re-signs anyway), its apex NS the servers the TLD delegates to, TTLs as they are."""
    out = Zone(current.origin, [r for r in current if r.rdtype not in DNSSEC])
    apex = out.get(domain, "NS")
    if apex is None or set(apex.values()) != set(nameservers):
        out.put(RRset.build(domain, "NS", apex.ttl if apex else DEFAULT_TTL, list(nameservers)))
    return out


def spec(user: Spec, current: Zone, desired: Zone, nameservers: Sequence[str]) -> tuple[WorldSpec, dict]:
    return cutover_spec(user.domain, old_zone(current, user.domain, nameservers), desired, old_nameservers=nameservers,
                        new_nameservers=user.dns.nameservers, resolvers=RESOLVERS, ttl=LAB_TTL)


def ready(world: MigrationWorld, desired: Zone) -> list[str]:
    """The TLD's NS TTL as verify assumes it, and the resolvers' caches warmed with today's mail records;
    returns one line per answer a resolver now caches."""
    world.delegate(world.domain, OLD_KEY, ttl=DEFAULT_PARENT_NS_TTL)
    lines = []
    for resolver, question, response in world.warm(mail_keys(world.domain, desired)):
        for rrset in response.answer:
            lines.append(f"{resolver} caches {question}: {len(rrset)} record(s), TTL {rrset.ttl} s")
        if not response.answer:
            lines.append(f"{resolver} caches {question}: no such record (negative answer)")
    return lines
