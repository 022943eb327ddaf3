"""Asking a domain's own servers whether it carries mail: the DNS half of `mailfree`.

Done as verify does it, with its querier and walker (`migrate.verify`):
walk from the root hints to the domain's parent (never a local resolver),
take the name servers every parent server delegates to, find their
addresses by iteration, and ask every address `mailfree.questions` with
recursion off. Each question is bounded by `verify.timeout` and
`verify.retries`, and all the domains of one call by `DEADLINE`: what has
not answered by then is a gap, and the proof is unknown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from migrate import mailfree, names
from migrate.endpoint import Endpoint
from migrate.mailfree import Proof, ServerAnswers
from migrate.verify.delegation import Walker
from migrate.verify.evidence import NXDOMAIN
from migrate.verify.query import Querier
from migrate.verify.round import Settings

# All the domains one gate run proves: a few DNS round trips each, a minute at most.
DEADLINE = 60.0


def _delegated_to(answers, domain: str) -> set[str]:
    names_ = set()
    for answer in answers:
        rrset = answer.rrset(domain, "NS", "authority") or answer.rrset(domain, "NS", "answer")
        names_ |= set(rrset.rdatas) if rrset else set()
    return names_


async def _prove(domain: str, querier: Querier, walker: Walker) -> Proof:
    walk = await walker.find_parent(domain)
    if walk.parent is None:
        last = walk.steps[-1] if walk.steps else None
        gone = not walk.unknown and last is not None and last.outcome == NXDOMAIN and last.qname == domain
        return mailfree.decide(domain, [], walk_error=walk.error or "the parent was not found", not_delegated=gone)
    parents = [a for addrs in (await walker.parent_servers(walk)).values() for a in addrs]
    referrals = await asyncio.gather(*(querier.ask(a, domain, "NS") for a in parents))
    delegated = sorted(_delegated_to([walk.referral, *referrals], domain))
    hosts = await asyncio.gather(*(walker.addresses(ns) for ns in delegated))
    pairs = [(ns, Endpoint(ip, 53)) for ns, found in zip(delegated, hosts) for ip in found.addresses]
    asked = mailfree.questions(domain)
    answers = await asyncio.gather(*(asyncio.gather(*(querier.ask(a, q, t) for q, t in asked)) for _, a in pairs))
    servers = [ServerAnswers(ns, str(a), tuple(found)) for (ns, a), found in zip(pairs, answers)]
    return mailfree.decide(domain, servers, unresolved=[ns for ns, found in zip(delegated, hosts) if not found.addresses])


async def _prove_all(domains: list[str], settings: Settings) -> list[Proof]:
    querier = Querier(timeout=settings.timeout, retries=settings.retries, concurrency=settings.concurrency,
                      server_rate=settings.server_rate, resolver_rate=settings.resolver_rate)
    walker = Walker(querier, settings.root_hints)
    return list(await asyncio.gather(*(_prove(d, querier, walker) for d in domains)))


def prove(domains: Sequence[str], settings: Settings, deadline: float = DEADLINE) -> dict[str, Proof]:
    """Each domain's proof (by its name without the trailing dot); unknown for all when the deadline passes."""
    absolute = [names.domain(d) for d in dict.fromkeys(domains)]
    if not absolute:
        return {}
    try:
        proofs = asyncio.run(asyncio.wait_for(_prove_all(absolute, settings), deadline))
    except TimeoutError:
        why = f"no complete answer within {deadline:g} s"
        proofs = [Proof(names.domain_id(d), mailfree.UNKNOWN, gaps=(why,)) for d in absolute]
    return {p.domain: p for p in proofs}
