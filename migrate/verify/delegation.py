"""Walk the DNS tree from the root hints, with recursion off, never via a local resolver.

A local or corporate resolver may show a split-horizon view, a private zone or
a cached old delegation (research/propagation.md §9.1); the truth about who
is delegated is at the parent, so the verifier finds the parent itself:
start at the root hints, follow referrals (using glue, resolving glueless
name server names the same way), and stop at the zone that refers the domain.

`Walker` also answers "what are the addresses of this host" and "what does
the authoritative server of this name say" by the same iteration; each
answer is an `Answer` from `query`, so the evidence stays inspectable.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

import dns.name

from migrate.endpoint import Endpoint
from migrate.verify.evidence import ANSWER, CNAME, NXDOMAIN, REFERRAL, TIMEOUT, Answer
from migrate.verify.query import Querier

MAX_STEPS = 24  # referrals followed for one name (the tree is rarely deeper than 6)
MAX_DEPTH = 4  # nested glueless name server lookups
# The hosts the current chain of lookups is resolving (each task sees its own chain).
_RESOLVING: ContextVar[frozenset[str]] = ContextVar("resolving", default=frozenset())


@dataclass
class Cut:
    """A zone cut: the zone's name, its server names and their addresses."""

    zone: str
    servers: dict[str, list[Endpoint]]  # NS name -> addresses (empty when unresolved)
    ns_ttl: int | None = None

    def addresses(self) -> list[Endpoint]:
        seen: dict[Endpoint, None] = {}
        for addrs in self.servers.values():
            for addr in addrs:
                seen.setdefault(addr, None)
        return list(seen)


@dataclass
class Walk:
    """How the domain's parent was found."""

    domain: str
    parent: Cut | None = None
    referral: Answer | None = None  # the parent's referral to the domain, as first seen
    steps: list[Answer] = field(default_factory=list)
    error: str | None = None
    unknown: bool = False  # the walk failed for lack of answers (timeouts), not a definite "no"


@dataclass
class Addresses:
    """What iteration says about one host name's addresses."""

    host: str
    addresses: list[str] = field(default_factory=list)
    cname: str | None = None  # the host is an alias (not allowed for NS and MX targets)
    answers: list[Answer] = field(default_factory=list)
    error: str | None = None
    unknown: bool = False

    @property
    def resolved(self) -> bool:
        return bool(self.addresses)


def _is_below(name: str, zone: str) -> bool:
    return dns.name.from_text(name).is_subdomain(dns.name.from_text(zone))


def referral_cut(answer: Answer) -> tuple[str, list[str], int | None]:
    """The zone a referral points to, its NS names and their TTL."""
    ns_sets = answer.rrsets("NS", "authority")
    if not ns_sets:
        return "", [], None
    ns = ns_sets[0]
    return ns.name, sorted(r.rstrip() for r in ns.rdatas), ns.ttl


def glue(answer: Answer) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rrset in answer.additional:
        if rrset.rdtype in ("A", "AAAA"):
            out.setdefault(rrset.name, []).extend(sorted(rrset.rdatas))
    return out


class Walker:
    """Iterative lookups from the root hints, sharing what it learns within a round."""

    def __init__(self, querier: Querier, root_hints: list[Endpoint]) -> None:
        if not root_hints:
            raise ValueError("the walker needs at least one root hint")
        self.querier = querier
        self.root = Cut(".", {".root-hints": list(root_hints)})
        self._cuts: dict[str, Cut] = {".": self.root}
        self._hosts: dict[str, Addresses] = {}
        self._silent: set[Endpoint] = set()

    def _closest(self, qname: str) -> Cut:
        name = dns.name.from_text(qname)
        while True:
            cut = self._cuts.get(name.to_text().lower())
            if cut is not None and cut.addresses():
                return cut
            if name == dns.name.root:
                return self.root
            name = name.parent()

    async def _ask_any(self, cut: Cut, qname: str, qtype: str, dnssec: bool = False) -> Answer | None:
        """Ask the cut's servers in turn until one gives evidence."""
        last = None
        # Servers that already timed out this round are tried last, not first every
        # time; when all of them have, one more try stands for the lot.
        addresses = sorted(cut.addresses(), key=lambda a: a in self._silent)
        if addresses and all(a in self._silent for a in addresses):
            addresses = addresses[:1]
        for addr in addresses:
            answer = await self.querier.ask(addr, qname, qtype, dnssec=dnssec)
            if answer.ok:
                return answer
            if answer.outcome == TIMEOUT:
                self._silent.add(addr)
            last = answer
        return last

    async def _follow(self, cut: Cut, answer: Answer, depth: int) -> Cut | None:
        zone, ns_names, ttl = referral_cut(answer)
        if not zone or not _is_below(zone, cut.zone) or zone == cut.zone:
            return None  # an upward or sideways referral: a lame server
        known = self._cuts.get(zone)
        if known is not None and known.addresses():
            return known
        glued = glue(answer)
        servers: dict[str, list[Endpoint]] = {}
        for ns in ns_names:
            servers[ns] = [Endpoint(ip, 53) for ip in glued.get(ns, [])]
        if not any(servers.values()) and depth < MAX_DEPTH:
            # Glueless delegation: resolve the server names from the root as well.
            for ns in ns_names:
                found = await self.addresses(ns, depth + 1)
                servers[ns] = [Endpoint(ip, 53) for ip in found.addresses]
                if servers[ns]:
                    break
        new = Cut(zone, servers, ttl)
        self._cuts[zone] = new
        return new

    async def lookup(self, qname: str, qtype: str, depth: int = 0, dnssec: bool = False) -> tuple[Answer | None, Cut]:
        """The answer of a server authoritative for qname (following referrals), and its cut."""
        qname = qname.lower()
        cut = self._closest(qname)
        answer = None
        for _ in range(MAX_STEPS):
            answer = await self._ask_any(cut, qname, qtype, dnssec)
            if answer is None or answer.outcome != REFERRAL:
                return answer, cut
            nxt = await self._follow(cut, answer, depth)
            if nxt is None:
                return answer, cut
            cut = nxt
        return answer, cut

    async def addresses(self, host: str, depth: int = 0) -> Addresses:
        """Every A and AAAA of a host, by iteration; a CNAME is noted and followed once.

        Only finished results are shared: lookups run concurrently, and handing
        out a result still being filled would read as "no addresses". The
        querier already asks each question once per round, so resolving a host
        twice at the same time costs no extra queries. A host whose resolution
        needs itself (mutually glueless name servers) ends the chain as unknown.
        """
        host = host.lower()
        done = self._hosts.get(host)
        if done is not None:
            return done
        chain = _RESOLVING.get()
        if host in chain:
            return Addresses(host, error=f"resolving {host} needs {host} itself (glueless loop)", unknown=True)
        token = _RESOLVING.set(chain | {host})
        try:
            result = await self._resolve(host, depth)
        finally:
            _RESOLVING.reset(token)
        self._hosts[host] = result
        return result

    async def _resolve(self, host: str, depth: int) -> Addresses:
        result = Addresses(host)
        target = host
        for _ in range(8):
            alias = None
            for rdtype in ("A", "AAAA"):
                answer, _ = await self.lookup(target, rdtype, depth)
                if answer is None:
                    result.unknown = True
                    result.error = f"no server answered for {target} {rdtype}"
                    continue
                result.answers.append(answer)
                if answer.outcome == ANSWER:
                    rrset = answer.rrset(target, rdtype)
                    result.addresses.extend(sorted(rrset.rdatas))
                elif answer.outcome == CNAME:
                    alias = sorted(answer.rrset(target, "CNAME").rdatas)[0]
                elif answer.outcome == NXDOMAIN:
                    result.error = f"{target} does not exist (NXDOMAIN)"
                elif not answer.ok:
                    result.unknown = True
                    result.error = f"{answer.server} gave {answer.outcome} for {target} {rdtype}"
            if alias and not result.addresses:
                result.cname = result.cname or alias
                target = alias
                continue
            break
        if result.addresses:
            result.error = None
            result.unknown = False
        elif result.error is None:
            result.error = f"{host} has no A or AAAA record"
        return result

    async def find_parent(self, domain: str) -> Walk:
        """Follow referrals towards `domain` until a zone refers the domain itself."""
        walk = Walk(domain)
        cut = self._closest(domain)
        # Start from a cut strictly above the domain: the domain's own cut would skip the parent.
        while cut.zone == domain:
            cut = self._closest(dns.name.from_text(domain).parent().to_text())
        for _ in range(MAX_STEPS):
            answer = await self._ask_any(cut, domain, "NS")
            if answer is None or not answer.ok:
                walk.unknown = True
                walk.error = f"no server of {cut.zone} answered for {domain} NS" + (
                    f" ({answer.server}: {answer.error or answer.outcome})" if answer else ""
                )
                return walk
            walk.steps.append(answer)
            if answer.outcome == REFERRAL:
                zone, _, _ = referral_cut(answer)
                if zone == domain:
                    walk.parent, walk.referral = cut, answer
                    return walk
                nxt = await self._follow(cut, answer, 0)
                if nxt is None:
                    walk.error = f"{answer.server} ({cut.zone}) gave a bad referral to {zone or 'nothing'}"
                    return walk
                cut = nxt
                continue
            if answer.outcome == NXDOMAIN:
                walk.error = f"{cut.zone} says {domain} does not exist (NXDOMAIN): it is not registered or not delegated"
                return walk
            if answer.outcome == ANSWER and answer.aa:
                # One server holds both the parent and the child: the cut is where we stand.
                walk.parent, walk.referral = cut, answer
                return walk
            walk.error = f"{cut.zone} holds no delegation for {domain} ({answer.outcome} from {answer.server})"
            return walk
        walk.error = f"more than {MAX_STEPS} referrals towards {domain}"
        return walk

    async def parent_servers(self, walk: Walk) -> dict[str, list[Endpoint]]:
        """Every address of every server of the parent zone (glue, else iteration)."""
        assert walk.parent is not None
        out: dict[str, list[Endpoint]] = {}
        for name, addrs in walk.parent.servers.items():
            if name == ".root-hints":
                out[name] = list(addrs)
                continue
            found = await self.addresses(name)
            merged = {a.host for a in addrs} | set(found.addresses)
            out[name] = [Endpoint(ip, 53) for ip in sorted(merged)]
        return out
