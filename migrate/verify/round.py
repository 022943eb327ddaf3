"""One verification round: ask everything, judge it, write it to the journal.

The order matters only where the research says it does:
1. the parent, found from the root hints, and every address of every parent
   server (NS referral and DS);
2. every address of every authoritative server (the expected new ones, and
   whatever the parent or the zone itself names besides the old host):
   SOA over UDP and TCP, apex NS, DNSKEY, every desired RRset, every
   Microsoft 365 name (with DO, so signatures and denials come along);
3. the old servers, for the old state's TTLs;
4. MX targets and SPF includes, by iteration;
5. only then the resolvers, and only for mail records every authoritative
   server already agrees on.
Everything else is pure: `checks` judges, `timing` computes the safe time,
`settled` says which answers of the previous round stand in for asking again
(the SOA of each authoritative address is always asked afresh, and nothing
of an address whose SOA changed is reused). A round prints nothing;
`progress` hears how far its questions have got.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from migrate import footprint, mailauth
from migrate.endpoint import Endpoint
from migrate.endpoint import parse as parse_endpoint
from migrate.journal import Journal, Observation
from migrate.spec import Spec
from migrate.verify import checks as C
from migrate.verify import settled, timing
from migrate.verify.delegation import Walker
from migrate.verify.evidence import Answer, Clock, utc_now
from migrate.verify.budget import Budget, Rates
from migrate.verify.query import Progress, Querier, Wire, question
from migrate.zone import HOST_MANAGED, Zone

# The IPv4 addresses of a.root-servers.net .. m.root-servers.net (IANA root hints).
ROOT_SERVERS = [
    "198.41.0.4", "170.247.170.2", "192.33.4.12", "199.7.91.13", "192.203.230.10", "192.5.5.241",
    "192.112.36.4", "198.97.190.53", "192.36.148.17", "192.58.128.30", "193.0.14.129", "199.7.83.42",
    "202.12.27.33",
]
ROOT_SERVER_NAMES = {ip: f"{letter}.root-servers.net" for letter, ip in zip("abcdefghijklm", ROOT_SERVERS)}
MAX_SPF_DOMAINS = 40  # beyond the RFC's 10 lookups, more is pointless


@dataclass
class Settings:
    """How a round talks to the network; built from the spec's `verify:` and the command line."""

    resolvers: list[Endpoint]
    root_hints: list[Endpoint]
    timeout: float = 3.0
    retries: int = 2
    concurrency: int = 64
    server_rate: float = 50.0
    resolver_rate: float = 5.0
    parent_rate: float = 10.0
    reuse_settled: bool = True
    # How long a settled answer may stand in for asking again at most (half of gate.max_age).
    reuse_limit: timedelta = timedelta(hours=3)

    @classmethod
    def from_spec(cls, spec: Spec, resolvers: Iterable[str] = (), root_hints: Iterable[str] = ()) -> Settings:
        v = spec.verify
        resolvers = list(resolvers) or list(v.resolvers)
        hints = list(root_hints) or list(v.root_hints) or ROOT_SERVERS
        return cls(
            resolvers=[parse_endpoint(r) for r in resolvers],
            root_hints=[parse_endpoint(h) for h in hints],
            timeout=v.timeout.total_seconds(),
            retries=v.retries,
            concurrency=v.concurrency,
            server_rate=v.server_rate,
            resolver_rate=v.resolver_rate,
            parent_rate=v.parent_rate,
            reuse_settled=v.reuse_settled,
            reuse_limit=spec.gate.max_age / 2,
        )

    @property
    def rates(self) -> Rates:
        return Rates(server=self.server_rate, parent=self.parent_rate, resolver=self.resolver_rate)

    def wire(self) -> Wire:
        """A run of its own (one spec): its budget and bound on packets in flight."""
        return Wire(Budget(self.rates), self.concurrency)


@dataclass
class RoundResult:
    domain: str
    started_at: datetime
    finished_at: datetime
    status: str
    eta: datetime | None
    checks: list[C.Check]
    evidence: C.Evidence
    observations: list[Observation]
    authoritative_ok: bool
    first_fully_seen: datetime | None
    safe_after: datetime | None
    old_ttls: list[timing.OldTTL] = field(default_factory=list)
    round_id: int | None = None
    digest: str | None = None
    queries: int = 0
    questions: int = 0
    carried: int = 0  # answers an earlier round settled, used again without asking
    oldest_evidence: datetime | None = None  # when the oldest of those was seen


async def _server_view(querier: Querier, name: str, addr: Endpoint, domain: str, desired: Zone,
                       probes: list[tuple[str, str]], proxied: set[tuple[str, str]], old: bool = False) -> C.ServerView:
    view = C.ServerView(name=name, address=str(addr))
    keys = [r.key for r in C.compared(desired, domain)]
    # The new host's answers are asked with DO so that every signature, and every removed
    # name's denial, comes along to be validated; the old host is only asked for its TTLs.
    signed = not old
    # The SOA is always asked afresh: when it is not the one the settled answers were seen
    # with, the zone changed at this address and nothing of it is reused.
    soa_key = question(addr, domain, "SOA", dnssec=signed)
    before = querier.carried.get(soa_key)
    view.soa = await querier.ask(addr, domain, "SOA", dnssec=signed, fresh=True)
    if not settled.same_zone(before, view.soa):
        querier.drop_carried(addr)
    asks = {"ns": querier.ask(addr, domain, "NS", dnssec=signed)}
    if not old:
        asks["soa_tcp"] = querier.ask(addr, domain, "SOA", tcp=True)
        asks["dnskey"] = querier.ask(addr, domain, "DNSKEY", dnssec=True)
    for key in keys:
        qtype = "A" if key in proxied else key[1]
        asks[("r", key)] = querier.ask(addr, key[0], qtype, dnssec=signed)
    for key in probes:
        asks[("p", key)] = querier.ask(addr, key[0], key[1], dnssec=signed)
    results = dict(zip(asks, await asyncio.gather(*asks.values())))
    view.ns = results["ns"]
    view.soa_tcp, view.dnskey = results.get("soa_tcp"), results.get("dnskey")
    view.records = {key: results[("r", key)] for key in keys}
    view.probes = {key: results[("p", key)] for key in probes}
    return view


async def _spf_tree(walker: Walker, desired: Zone, domain: str) -> dict[str, Answer]:
    """TXT answers (by iteration) for every include/redirect target reachable from the apex SPF."""
    apex = desired.get(domain, "TXT")
    pending = [t for v in (apex.values() if apex else []) if mailauth.is_spf(v) for t in mailauth.spf_targets(v)]
    out: dict[str, Answer] = {}
    while pending and len(out) < MAX_SPF_DOMAINS:
        batch = [t for t in dict.fromkeys(pending) if t not in out]
        pending = []
        answers = await asyncio.gather(*(walker.lookup(t, "TXT") for t in batch))
        for target, (answer, _) in zip(batch, answers):
            if answer is None:
                continue
            out[target] = answer
            for rrset in answer.rrsets("TXT"):
                for value in rrset.values():
                    if mailauth.is_spf(value):
                        pending += mailauth.spf_targets(value)
    return out


def residue_probes(current: Zone, desired: Zone, domain: str) -> list[tuple[str, str]]:
    """The catalogue's names, plus every record set the plan removed as Microsoft 365's.

    Pointers count at any owner (`mail` CNAME autodiscover.outlook.com), so the
    catalogue's fixed names are not enough: a removed record left behind at the
    new host, at a name of the company's choosing, is residue too.
    """
    probes = dict.fromkeys(footprint.probe_names(domain))
    for rrset in current:
        key = rrset.key
        if rrset.rdtype in HOST_MANAGED or desired.get(*key) is not None or key in probes:
            continue
        if footprint.classify(rrset, domain).removed is not None:
            probes[key] = None
    return list(probes)


def server_name(server: Endpoint, settings: Settings, walker: Walker) -> str | None:
    """What to call a server the round is waiting on."""
    if server in settings.resolvers:
        return "resolver"
    if server in settings.root_hints:
        return ROOT_SERVER_NAMES.get(server.host, "root hint")
    return walker.name_of(server)


def _rrset_names(answer: Answer | None, domain: str) -> list[str]:
    if answer is None or not answer.ok:
        return []
    rrset = answer.rrset(domain, "NS", "authority") or answer.rrset(domain, "NS", "answer")
    return sorted(rrset.rdatas) if rrset else []


async def run_round(
    spec: Spec,
    settings: Settings,
    *,
    desired: Zone | None = None,
    current: Zone | None = None,
    journal: Journal | None = None,
    clock: Clock = utc_now,
    progress: Callable[[Progress], None] | None = None,
    wire: Wire | None = None,
    fresh: bool = False,
) -> RoundResult:
    """One round for the spec's domain; appended to `journal` when one is given.

    `current` is the zone being left (the spec's zone file when not given):
    what the plan removed from it is probed for residue. `progress` hears
    the querier's progress, with the waited-on server named. `wire` is the
    run's, when rounds of several domains share one budget (else the round
    has its own, closed at its end). Answers the journal's previous round
    settled are used again (`settled`) unless `fresh` or
    `verify.reuse_settled` is off.
    """
    own = wire is None
    wire = wire or settings.wire()
    try:
        return await _round(spec, settings, desired, current, journal, clock, progress, wire, fresh)
    finally:
        if own:
            wire.close()


async def _round(spec: Spec, settings: Settings, desired: Zone | None, current: Zone | None, journal: Journal | None,
                 clock: Clock, progress: Callable[[Progress], None] | None, wire: Wire, fresh: bool) -> RoundResult:
    from migrate import plan

    if desired is None:
        built = plan.build(spec)
        desired, current = built.desired, built.current
    if current is None:
        current = plan.current_zone(spec)
    domain = spec.domain
    expected = sorted(spec.dns.nameservers)
    started = clock()

    def report(snapshot: Progress) -> None:
        # Called only once questions are asked, by which time `walker` exists.
        if snapshot.waiting_on is not None:
            snapshot = replace(snapshot, waiting_name=server_name(snapshot.waiting_on, settings, walker))
        progress(snapshot)

    reused = {}
    if journal is not None and settings.reuse_settled and not fresh:
        previous, observed = journal.latest_observations(domain)
        if previous is not None:
            reused = settled.carried(previous.status, previous.authoritative_ok, settled.readable(observed), started,
                                     settings.reuse_limit)
    querier = Querier(timeout=settings.timeout, retries=settings.retries, clock=clock, wire=wire, carried=reused,
                      progress=report if progress is not None else None)
    walker = Walker(querier, settings.root_hints)
    probes = residue_probes(current, desired, domain)
    proxied = {r.rrset(domain, spec.dns.default_ttl).key for r in spec.dns.records if r.proxied}
    ev = C.Evidence(domain=domain, now=started, desired=desired, expected_ns=expected, probe_names=probes, proxied=proxied,
                    signature_margin=spec.gate.max_age)

    # 1. The parent, and every address of every parent server.
    ev.walk = await walker.find_parent(domain)
    if ev.walk.parent is not None:
        parent_servers = await walker.parent_servers(ev.walk)
        pairs = [(name, addr) for name, addrs in parent_servers.items() for addr in addrs]
        answers = await asyncio.gather(*(
            asyncio.gather(querier.ask(a, domain, "NS"), querier.ask(a, domain, "DS", dnssec=True)) for _, a in pairs
        ))
        ev.parents = [C.ParentView(name, str(addr), ns, ds) for (name, addr), (ns, ds) in zip(pairs, answers)]
    parent_names = sorted({n for v in ev.parents for n in _rrset_names(v.ns, domain)})

    # Which servers are the old host: the spec says, or the journal remembers, or the parent shows it now.
    remembered = journal.old_servers(domain) if journal else []
    old_ns = sorted(spec.source.nameservers) or remembered
    newly_old = []
    if not old_ns and parent_names and set(parent_names) != set(expected):
        newly_old = [n for n in parent_names if n not in expected]
        old_ns = newly_old
    ev.old_ns = old_ns
    delegation_moved = not old_ns or set(old_ns) != set(expected)
    old_only = [n for n in old_ns if n not in expected]

    # 2. Every address of every authoritative server (not the old host's).
    auth_names = sorted(set(expected) | (set(parent_names) - set(old_only)))
    host_names = sorted(set(auth_names) | set(old_only) | set(parent_names))
    found = await asyncio.gather(*(walker.addresses(n) for n in host_names))
    ev.hosts.update(dict(zip(host_names, found)))

    async def views(names: list[str], old: bool = False) -> list[C.ServerView]:
        addresses = [(name, Endpoint(ip, 53)) for name in names for ip in ev.hosts[name].addresses]
        wire.budget.mark_hosts(addr for _, addr in addresses)
        tasks = [_server_view(querier, name, addr, domain, desired, probes, proxied, old) for name, addr in addresses]
        return list(await asyncio.gather(*tasks))

    ev.servers = await views(auth_names)
    # Names the zone itself lists at the new servers but nobody else does: check them too.
    child_names = sorted({n for v in ev.servers for n in _rrset_names(v.ns, domain)} - set(auth_names) - set(old_only))
    if child_names:
        found = await asyncio.gather(*(walker.addresses(n) for n in child_names))
        ev.hosts.update(dict(zip(child_names, found)))
        ev.servers += await views(child_names)

    # 3. The old servers, for the old state's TTLs.
    if old_only:
        ev.old_servers = await views(old_only, old=True)

    # 4. MX targets and SPF includes.
    mx = desired.get(domain, "MX")
    targets = sorted({r.split()[1] for r in (mx.rdatas if mx else [])} - set(ev.hosts))
    found = await asyncio.gather(*(walker.addresses(t) for t in targets))
    ev.hosts.update(dict(zip(targets, found)))
    ev.spf_txt = await _spf_tree(walker, desired, domain)

    # 5. Resolvers, for the mail records every authoritative server agrees on.
    ev.resolver_keys = C.mail_keys(domain, desired)
    asked = [k for k in ev.resolver_keys if C.agreed(ev, k)]
    for resolver in settings.resolvers:
        ev.resolvers[str(resolver)] = {}
    results = await asyncio.gather(*(
        querier.ask(r, name, rdtype, rd=True) for r in settings.resolvers for name, rdtype in asked
    ))
    pairs = [(r, k) for r in settings.resolvers for k in asked]
    for (resolver, key), answer in zip(pairs, results):
        ev.resolvers[str(resolver)][key] = answer

    finished = clock()
    ev.now = finished
    checks = settled.mark(C.all_checks(ev), querier.log)
    auth_ok = C.authoritative_ok(checks)

    # Timing: first fully seen (from the journal's unbroken run), old TTLs (journal + this round).
    measured = timing.measure(ev, delegation_moved)
    history = [timing.OldTTL(m.kind, m.subject, m.ttl, m.server) for m in (journal.old_ttls(domain) if journal else [])]
    ttls = timing.relevant(ev, [*history, *measured], delegation_moved)
    first_seen = (journal.streak_start(domain, current_ok=auth_ok, current_at=finished) if journal
                  else (finished if auth_ok else None))
    checks.append(timing.old_ttls_check(ev, first_seen, ttls))
    status, eta = C.classify(checks)
    safe = timing.safe_after(first_seen, ttls)

    roles = {}
    for view in ev.parents:
        roles[view.address] = "parent"
    for view in ev.old_servers:
        roles[view.address] = "old"
    for view in ev.servers:
        roles[view.address] = "auth"
    for resolver in settings.resolvers:
        roles[str(resolver)] = "resolver"
    observations = [Observation(roles.get(a.server, "walk"), a.to_dict()) for a in querier.log]
    result = RoundResult(
        domain=domain, started_at=started, finished_at=finished, status=status, eta=eta, checks=checks,
        evidence=ev, observations=observations, authoritative_ok=auth_ok, first_fully_seen=first_seen,
        safe_after=safe, old_ttls=ttls, queries=querier.stats.sent, questions=querier.stats.questions,
        carried=querier.stats.carried, oldest_evidence=settled.oldest(querier.log),
    )
    if journal is not None:
        row = journal.record_round(
            domain=domain, started_at=started, finished_at=finished, status=status, authoritative_ok=auth_ok,
            eta=eta, safe_after=safe, checks=[c.to_dict() for c in checks], observations=observations,
            old_ttls=[(m.kind, m.subject, m.ttl, m.server) for m in measured], old_servers=newly_old,
        )
        result.round_id, result.digest = row.id, row.digest
    return result
