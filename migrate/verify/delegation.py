"""Walk the DNS tree from the root hints, with recursion off, never via a local resolver.

A local or corporate resolver may show a split-horizon view, a private zone or
a cached old delegation (research/propagation.md §9.1); the truth about who
is delegated is at the parent, so the verifier finds the parent itself:
start at the root hints, follow referrals (using glue, resolving glueless
name server names the same way), and stop at the zone that refers the domain.

`Walker` also answers "what are the addresses of this host" and "what does
the authoritative server of this name say" by the same iteration; each
answer is an `Answer` (`evidence`), so the evidence stays inspectable.

What an answer means at each step (whether the server asked gave it at all,
a referral further down or a lame one, the parent found or the walk over,
which cut and which server to ask, what an address answer adds) is decided
by the pure functions below; `Walker` only asks the questions and remembers,
within a round, what it has learnt.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Protocol

import dns.name

from migrate.endpoint import Endpoint
from migrate.verify.evidence import ANSWER, CNAME, INTERCEPTED, NXDOMAIN, REFERRAL, TIMEOUT, Answer

MAX_STEPS = 24  # referrals followed for one name (the tree is rarely deeper than 6)
MAX_DEPTH = 4  # nested glueless name server lookups
MAX_ALIASES = 8  # CNAMEs followed for one host
ROOT_HINTS = ".root-hints"  # the root cut's one "server name": its addresses are the configured hints
NOT_FROM_THE_SERVERS = "DNS answers here are not from the servers asked (intercepted?)"
# The hosts the current chain of lookups is resolving (each task sees its own chain).
_RESOLVING: ContextVar[frozenset[str]] = ContextVar("resolving", default=frozenset())


class Asker(Protocol):
    """What the walker needs of a querier: `query.Querier`, or a fake in tests."""

    async def ask(self, server: Endpoint, qname: str, qtype: str, *, dnssec: bool = False) -> Answer: ...


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


# -- the decisions ---------------------------------------------------------------

FOLLOW, DONE, FAILED = "follow", "done", "failed"


@dataclass(frozen=True)
class Step:
    """What one answer means for a walk: follow its referral, stop with it, or stop without a result."""

    kind: str  # FOLLOW | DONE | FAILED
    error: str | None = None  # why it FAILED
    unknown: bool = False  # FAILED for lack of answers (timeouts, refusals), not a definite "no"


def _is_below(name: str, zone: str) -> bool:
    return dns.name.from_text(name).is_subdomain(dns.name.from_text(zone))


def from_the_server(answer: Answer) -> bool:
    """The reply's flags fit a server asked with recursion off: a referral without AA (the
    querier calls nothing else one), an answer, alias, NXDOMAIN or NODATA with it."""
    return answer.outcome == REFERRAL or answer.aa


def as_heard(cut: Cut, answer: Answer) -> Answer:
    """What a server of `cut` said, or no evidence when its flags say something else answered.

    A network that intercepts port 53 and answers itself (hotel and corporate networks do)
    says nothing about who is delegated or whether the domain exists: its NXDOMAIN must not
    read as "not registered".
    """
    if not answer.ok or from_the_server(answer):
        return answer
    where = "a root server" if cut.zone == "." else f"a server of {cut.zone}"
    return replace(answer, outcome=INTERCEPTED, error=(
        f"{NOT_FROM_THE_SERVERS}: {answer.server}, asked as {where}, answered {answer.qname} {answer.qtype} "
        f"with {answer.outcome} without the AA flag"))


def glue(answer: Answer) -> dict[str, list[str]]:
    """The A and AAAA records a referral carries, by owner name."""
    out: dict[str, list[str]] = {}
    for rrset in answer.additional:
        if rrset.rdtype in ("A", "AAAA"):
            out.setdefault(rrset.name, []).extend(sorted(rrset.rdatas))
    return out


def referred_cut(answer: Answer) -> Cut:
    """The cut a referral names: the zone, its NS names and their TTL, with the glue it carries.

    A name server without glue has no addresses yet; a referral without an
    NS set names no zone ("").
    """
    ns_sets = answer.rrsets("NS", "authority")
    if not ns_sets:
        return Cut("", {})
    ns = ns_sets[0]
    glued = glue(answer)
    names = sorted(r.rstrip() for r in ns.rdatas)
    return Cut(ns.name, {name: [Endpoint(ip, 53) for ip in glued.get(name, [])] for name in names}, ns.ttl)


def leads_down(cut: Cut, answer: Answer | None) -> bool:
    """The answer is a referral from `cut` to a zone below it.

    A referral upwards, sideways or to the cut itself is a lame server's:
    following it could loop, so the walk stops at it.
    """
    if answer is None or answer.outcome != REFERRAL:
        return False
    zone = referred_cut(answer).zone
    return bool(zone) and zone != cut.zone and _is_below(zone, cut.zone)


def closest_cut(cuts: dict[str, Cut], qname: str) -> Cut:
    """The deepest known cut at or above `qname` with addresses to ask (the root's at worst)."""
    name = dns.name.from_text(qname)
    while True:
        cut = cuts.get(name.to_text().lower())
        if cut is not None and cut.addresses():
            return cut
        if name == dns.name.root:
            return cuts["."]
        name = name.parent()


def parent_search_start(cuts: dict[str, Cut], domain: str) -> Cut:
    """Where the search for the domain's parent starts: strictly above the domain (its own cut would skip the parent)."""
    return closest_cut(cuts, dns.name.from_text(domain).parent().to_text())


def next_cut(cuts: dict[str, Cut], answer: Answer) -> Cut:
    """The cut to ask after a referral: the one already known for that zone, else the referral's own."""
    new = referred_cut(answer)
    known = cuts.get(new.zone)
    return known if known is not None and known.addresses() else new


def needs_server_addresses(cut: Cut, depth: int) -> bool:
    """A glueless cut: its server names must be resolved from the root too, unless such lookups nest too deep."""
    return not cut.addresses() and depth < MAX_DEPTH


def ask_order(addresses: list[Endpoint], silent: set[Endpoint]) -> list[Endpoint]:
    """The order to ask a cut's servers in: those that timed out this round last, not first every time.

    When every one of them has timed out, one more try stands for the lot.
    """
    ordered = sorted(addresses, key=lambda a: a in silent)
    if ordered and all(a in silent for a in ordered):
        return ordered[:1]
    return ordered


def lookup_step(cut: Cut, answer: Answer | None) -> Step:
    """Looking up a name: a referral further down is followed; anything else is the result."""
    return Step(FOLLOW) if leads_down(cut, answer) else Step(DONE)


def parent_step(cut: Cut, domain: str, answer: Answer | None) -> Step:
    """Looking for the domain's parent, given the answer of `cut`'s servers to "domain NS": DONE means `cut` is the parent."""
    if answer is not None and answer.outcome == INTERCEPTED:
        return Step(FAILED, answer.error, unknown=True)
    if answer is None or not answer.ok:
        detail = f" ({answer.server}: {answer.error or answer.outcome})" if answer else ""
        return Step(FAILED, f"no server of {cut.zone} answered for {domain} NS{detail}", unknown=True)
    if answer.outcome == REFERRAL:
        zone = referred_cut(answer).zone
        if zone == domain:
            return Step(DONE)
        if not leads_down(cut, answer):
            return Step(FAILED, f"{answer.server} ({cut.zone}) gave a bad referral to {zone or 'nothing'}")
        return Step(FOLLOW)
    if answer.outcome == NXDOMAIN:
        return Step(FAILED, f"{cut.zone} says {domain} does not exist (NXDOMAIN): it is not registered or not delegated")
    if answer.outcome == ANSWER and answer.aa:
        # One server holds both the parent and the child: the cut is where we stand.
        return Step(DONE)
    return Step(FAILED, f"{cut.zone} holds no delegation for {domain} ({answer.outcome} from {answer.server})")


def note_address_answer(found: Addresses, target: str, rdtype: str, answer: Answer | None) -> str | None:
    """Add what one A or AAAA answer for `target` says to `found`; the alias to follow if it is a CNAME."""
    if answer is None:
        found.unknown = True
        found.error = f"no server answered for {target} {rdtype}"
        return None
    found.answers.append(answer)
    if answer.outcome == ANSWER:
        found.addresses.extend(sorted(answer.rrset(target, rdtype).rdatas))
    elif answer.outcome == CNAME:
        return sorted(answer.rrset(target, "CNAME").rdatas)[0]
    elif answer.outcome == NXDOMAIN:
        found.error = f"{target} does not exist (NXDOMAIN)"
    elif not answer.ok:
        found.unknown = True
        found.error = answer.error if answer.outcome == INTERCEPTED else f"{answer.server} gave {answer.outcome} for {target} {rdtype}"
    return None


def alias_to_follow(found: Addresses, alias: str | None) -> str | None:
    """The alias to look up next: only while the host has no addresses of its own; the first alias is the one noted."""
    if alias is None or found.addresses:
        return None
    found.cname = found.cname or alias
    return alias


def settle(found: Addresses) -> Addresses:
    """Addresses found outweigh failures on the way; no address and no failure means the host has none."""
    if found.addresses:
        found.error = None
        found.unknown = False
    elif found.error is None:
        found.error = f"{found.host} has no A or AAAA record"
    return found


def merged_addresses(glued: list[Endpoint], resolved: list[str]) -> list[Endpoint]:
    """A parent server's addresses: its glue and what iteration found, each once."""
    return [Endpoint(ip, 53) for ip in sorted({a.host for a in glued} | set(resolved))]


# -- the questions ---------------------------------------------------------------


class Walker:
    """Iterative lookups from the root hints, sharing what it learns within a round."""

    def __init__(self, querier: Asker, root_hints: list[Endpoint]) -> None:
        if not root_hints:
            raise ValueError("the walker needs at least one root hint")
        self.querier = querier
        self.root = Cut(".", {ROOT_HINTS: list(root_hints)})
        self._cuts: dict[str, Cut] = {".": self.root}
        self._hosts: dict[str, Addresses] = {}
        self._silent: set[Endpoint] = set()

    def name_of(self, server: Endpoint) -> str | None:
        """The name a server is known by so far: a cut's server or a host resolved this round (not a root hint)."""
        for cut in self._cuts.values():
            for name, addresses in cut.servers.items():
                if name != ROOT_HINTS and server in addresses:
                    return name.rstrip(".")
        if server.port == 53:
            for host, found in self._hosts.items():
                if server.host in found.addresses:
                    return host.rstrip(".")
        return None

    async def _ask_any(self, cut: Cut, qname: str, qtype: str, dnssec: bool = False) -> Answer | None:
        """Ask the cut's servers in turn until one gives evidence of its own."""
        last = None
        for addr in ask_order(cut.addresses(), self._silent):
            answer = as_heard(cut, await self.querier.ask(addr, qname, qtype, dnssec=dnssec))
            if answer.ok:
                return answer
            if answer.outcome == TIMEOUT:
                self._silent.add(addr)
            last = answer
        return last

    async def _follow(self, answer: Answer, depth: int) -> Cut:
        cut = next_cut(self._cuts, answer)
        if needs_server_addresses(cut, depth):
            for ns in cut.servers:
                found = await self.addresses(ns, depth + 1)
                cut.servers[ns] = [Endpoint(ip, 53) for ip in found.addresses]
                if cut.servers[ns]:
                    break  # one reachable server is enough to go on
        self._cuts[cut.zone] = cut
        return cut

    async def _descend(
        self, cut: Cut, qname: str, qtype: str, decide: Callable[[Cut, Answer | None], Step], depth: int, dnssec: bool
    ) -> tuple[Step, Answer | None, Cut, list[Answer]]:
        """Ask `cut`, and the cuts its referrals name, while `decide` says follow.

        Returns the last step, the last answer, the cut that gave it, and every answer with evidence on the way.
        """
        seen: list[Answer] = []
        answer = None
        for _ in range(MAX_STEPS):
            answer = await self._ask_any(cut, qname, qtype, dnssec)
            if answer is not None and answer.ok:
                seen.append(answer)
            step = decide(cut, answer)
            if step.kind != FOLLOW:
                return step, answer, cut, seen
            cut = await self._follow(answer, depth)
        return Step(FAILED, f"more than {MAX_STEPS} referrals towards {qname}"), answer, cut, seen

    async def lookup(self, qname: str, qtype: str, depth: int = 0, dnssec: bool = False) -> tuple[Answer | None, Cut]:
        """The answer of a server authoritative for qname (following referrals), and its cut."""
        qname = qname.lower()
        _, answer, cut, _ = await self._descend(closest_cut(self._cuts, qname), qname, qtype, lookup_step, depth, dnssec)
        return answer, cut

    async def addresses(self, host: str, depth: int = 0) -> Addresses:
        """Every A and AAAA of a host, by iteration; a CNAME is noted and followed.

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
        found = Addresses(host)
        target = host
        for _ in range(MAX_ALIASES):
            alias = None
            for rdtype in ("A", "AAAA"):
                answer, _ = await self.lookup(target, rdtype, depth)
                alias = note_address_answer(found, target, rdtype, answer) or alias
            alias = alias_to_follow(found, alias)
            if alias is None:
                break
            target = alias
        return settle(found)

    async def find_parent(self, domain: str) -> Walk:
        """Follow referrals towards `domain` until a zone refers the domain itself."""
        walk = Walk(domain)
        step, answer, cut, walk.steps = await self._descend(
            parent_search_start(self._cuts, domain), domain, "NS", lambda c, a: parent_step(c, domain, a), 0, False
        )
        if step.kind == DONE:
            walk.parent, walk.referral = cut, answer
        else:
            walk.error, walk.unknown = step.error, step.unknown
        return walk

    async def parent_servers(self, walk: Walk) -> dict[str, list[Endpoint]]:
        """Every address of every server of the parent zone (glue, else iteration)."""
        assert walk.parent is not None
        out: dict[str, list[Endpoint]] = {}
        for name, addrs in walk.parent.servers.items():
            if name == ROOT_HINTS:
                out[name] = list(addrs)
                continue
            found = await self.addresses(name)
            out[name] = merged_addresses(addrs, found.addresses)
        return out
