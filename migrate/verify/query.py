"""DNS questions on the wire: with `datagrams`, the only code of the verifier that touches the network.

One `Querier` serves one round; the rounds of one run share a `Wire`. It asks one server one question and returns an
`Answer` (`evidence`), a plain record of what came back (or did not): rcode, AA/RA/TC flags,
whether TCP was used, the sections as canonical `RRset`s (RRSIG, NSEC and
NSEC3 included when asked with DO), the negative TTL, the extended DNS errors
(RFC 8914), the round-trip time and how many attempts it took. Deciding what an answer
*means* is left to `checks`; this module only reports.

Transport policy (research/propagation.md §9.6, §9.8, §11):
- UDP with EDNS0 (payload 1232), TCP when the reply is truncated;
- a timeout is retried `retries` times over UDP, then once over TCP (a path
  that drops UDP but not TCP is still a reachable server);
- each address has a token bucket in the run's `budget`, its rate by kind
  (resolvers lowest because public resolvers rate-limit per client, and a
  throttled answer would read as "not propagated"; root and TLD servers
  next, as everyone's; the domains' own servers highest);
- the wire bounds the number of packets in flight;
- the same question to the same server is asked once per run (memoised on
  the wire), and not at all when the round was handed a settled answer for
  it (`carried`, see `settled`), unless asked `fresh`.

Whoever shows a round may follow it through `progress`: a `Progress` (pure
data) each time a question is sent or settled, naming the server of the
oldest question still in flight, so a server that does not answer is visible
while the round waits on it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import dns.asyncquery
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from migrate.endpoint import Endpoint
from migrate.verify.budget import Budget, Rates
from migrate.verify.datagrams import Datagrams
from migrate.verify.evidence import (
    ANSWER, CNAME, ERROR, NODATA, NXDOMAIN, REFERRAL, REFUSED, SERVFAIL, TIMEOUT, Answer, Clock, utc_now,
)
from migrate.zone import RRset, canonical

# Signatures and denial records are never compared as text, only handed to dnspython's
# validator (which canonicalises them itself): their plain text spares the canonical round
# trip, the costliest step of reading a signed answer.
_AS_SENT = frozenset({dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3})


# The canonical text (`zone.canonical`) of data that holds no name is its plain text, and of data
# that holds only names and numbers its plain text in lower case: reading a thousand domains'
# answers, the round trip through the wire form was a tenth of the verifier's time.
_NO_NAMES = frozenset({dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.TXT, dns.rdatatype.SPF, dns.rdatatype.DS,
                       dns.rdatatype.DNSKEY, dns.rdatatype.CAA, dns.rdatatype.TLSA, dns.rdatatype.SSHFP})
_ONLY_NAMES = frozenset({dns.rdatatype.NS, dns.rdatatype.CNAME, dns.rdatatype.MX, dns.rdatatype.PTR,
                         dns.rdatatype.DNAME, dns.rdatatype.SOA, dns.rdatatype.SRV})


def _text(rdtype: int, name: str, rdata) -> str:
    if rdtype in _NO_NAMES:
        return rdata.to_text()
    if rdtype in _ONLY_NAMES:
        return rdata.to_text().lower()
    return canonical(name, rdata)


def _section(rrsets: list[dns.rrset.RRset]) -> tuple[RRset, ...]:
    out = []
    for rrset in rrsets:
        rdtype = dns.rdatatype.to_text(rrset.rdtype)
        if rrset.rdtype in _AS_SENT:
            rdatas = frozenset(rdata.to_text() for rdata in rrset)
        else:
            rdatas = frozenset(_text(rrset.rdtype, rdtype, rdata) for rdata in rrset)
        out.append(RRset(name=rrset.name.to_text().lower(), rdtype=rdtype, ttl=rrset.ttl, rdatas=rdatas))
    return tuple(out)


def _outcome(reply: dns.message.Message, qname: str, qtype: str) -> tuple[str, int | None]:
    """Classify a reply and find its negative TTL (RFC 2308 §5)."""
    rcode = reply.rcode()
    neg_ttl = None
    for rrset in reply.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            neg_ttl = min(rrset.ttl, rrset[0].minimum)
    if rcode == dns.rcode.NXDOMAIN:
        return NXDOMAIN, neg_ttl
    if rcode == dns.rcode.REFUSED:
        return REFUSED, None
    if rcode == dns.rcode.SERVFAIL:
        return SERVFAIL, None
    if rcode != dns.rcode.NOERROR:
        return ERROR, None
    name = dns.name.from_text(qname)
    want = dns.rdatatype.from_text(qtype)
    for rrset in reply.answer:
        if rrset.name == name and rrset.rdtype == want:
            return ANSWER, None
    for rrset in reply.answer:
        if rrset.name == name and rrset.rdtype == dns.rdatatype.CNAME:
            return CNAME, None
    if reply.answer:
        return ERROR, None  # an answer for another name: not what was asked
    if not reply.flags & dns.flags.AA and any(r.rdtype == dns.rdatatype.NS for r in reply.authority):
        return REFERRAL, None
    return NODATA, neg_ttl


def _extended_errors(reply: dns.message.Message) -> tuple[tuple[int, str], ...]:
    out = []
    for option in reply.extended_errors():
        name = dns.edns.EDECode.to_text(option.code)
        out.append((int(option.code), f"{name}: {option.text}" if option.text else name))
    return tuple(out)


Key = tuple  # (server Endpoint, qname lower-case, qtype, rd, dnssec, tcp): one question


def question(server: Endpoint, qname: str, qtype: str, rd: bool = False, dnssec: bool = False, tcp: bool = False) -> Key:
    return (server, qname.lower(), qtype, rd, dnssec, tcp)


@dataclass
class Stats:
    sent: int = 0  # packets sent for this round's questions (every attempt, UDP and TCP)
    questions: int = 0  # distinct questions asked
    timeouts: int = 0
    tcp: int = 0
    carried: int = 0  # answered by a settled answer of an earlier round: nothing sent
    shared: int = 0  # answered by the same question another round of this run asked


@dataclass(frozen=True)
class Progress:
    """How far a round's questions have got."""

    asked: int  # distinct questions asked so far
    answered: int  # of those, the ones a reply came for (any rcode)
    outstanding: int  # still waiting for a slot, a pace or a reply; the rest gave up without a reply
    waiting_on: Endpoint | None = None  # the server of the oldest question in flight
    waiting_since: float | None = None  # when that question was first sent (time.monotonic())
    waiting_name: str | None = None  # the server's name, when the round knows it

    @property
    def unanswered(self) -> int:
        return self.asked - self.answered - self.outstanding


class Wire:
    """What the rounds of one run share: the budget, the bound on packets in flight, and each question's one answer.

    A packet leaves only once it is at the head of its address's queue, holds
    one of the `concurrency` slots and has a token of its address's bucket,
    in that order: only the head of each queue waits holding a slot, so a
    slow bucket (a TLD at 10 queries a second) never starves the others, and
    the token is taken just before the packet leaves, so the rate at the
    server is the bucket's. A question asked by several rounds is sent once.
    """

    def __init__(self, budget: Budget, concurrency: int = 32) -> None:
        self.budget = budget
        self.slots = asyncio.Semaphore(concurrency)
        self.answers: dict[Key, asyncio.Future] = {}
        self.sent = 0  # packets, every round together
        self.datagrams = Datagrams()
        self._queues: dict[Endpoint, asyncio.Lock] = {}

    def close(self) -> None:
        """Close the UDP sockets (a wire serves one pass)."""
        self.datagrams.close()

    async def turn(self, server: Endpoint, rd: bool) -> None:
        """Wait until a packet to `server` may leave; the caller then holds a slot it must release."""
        queue = self._queues.get(server)
        if queue is None:
            queue = self._queues[server] = asyncio.Lock()
        async with queue:
            await self.slots.acquire()
            try:
                wait = self.budget.delay(server, rd)
                if wait > 0:
                    await asyncio.sleep(wait)
            except BaseException:
                self.slots.release()
                raise


async def _publish(future: asyncio.Future, work: Awaitable[Answer]) -> Answer:
    """Do `work` here and hand its answer to whoever else asked the same question (no task of its own: a thousand
    domains ask a hundred thousand questions); if it is cancelled, so are they."""
    try:
        answer = await work
    except BaseException as exc:
        if isinstance(exc, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(exc)
            future.exception()  # the asker raises it; the others, if any, read it from the future
        raise
    future.set_result(answer)
    return answer


def own_wire(concurrency: int, server_rate: float, resolver_rate: float, parent_rate: float | None) -> Wire:
    """A run of its own: the parent servers at `server_rate` unless told otherwise (as before budgets had kinds)."""
    rates = Rates(server=server_rate, parent=server_rate if parent_rate is None else parent_rate, resolver=resolver_rate)
    return Wire(Budget(rates), concurrency)


class Querier:
    """Asks the questions of one round, each once, politely; one instance per round.

    `carried` holds answers of an earlier round that are still settled
    (`verify.settled`): their questions are answered from it, nothing sent,
    unless asked `fresh`. `wire` is shared by the rounds of one run.
    """

    def __init__(
        self,
        *,
        timeout: float = 3.0,
        retries: int = 2,
        concurrency: int = 32,
        server_rate: float = 50.0,
        resolver_rate: float = 5.0,
        parent_rate: float | None = None,
        clock: Clock = utc_now,
        progress: Callable[[Progress], None] | None = None,
        wire: Wire | None = None,
        carried: dict[Key, Answer] | None = None,
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.clock = clock
        self.stats = Stats()
        self.wire = wire or own_wire(concurrency, server_rate, resolver_rate, parent_rate)
        self.carried = dict(carried or {})
        self._asked: dict[Key, asyncio.Future] = {}
        self.log: list[Answer] = []  # every answer of the round, in the order they arrived
        self._progress = progress
        self._answered = 0
        self._unanswered = 0
        self._in_flight: dict[int, tuple[float, Endpoint]] = {}  # question -> (first sent, server)

    def drop_carried(self, server: Endpoint) -> None:
        """Ask `server` everything afresh (its zone changed since the carried answers were seen)."""
        self.carried = {k: a for k, a in self.carried.items() if k[0] != server}

    async def ask(
        self, server: Endpoint, qname: str, qtype: str, *, rd: bool = False, dnssec: bool = False, tcp: bool = False,
        fresh: bool = False,
    ) -> Answer:
        key = question(server, qname, qtype, rd, dnssec, tcp)
        known = self._asked.get(key)
        if known is not None:
            return await asyncio.shield(known)
        self._asked[key] = future = asyncio.get_running_loop().create_future()
        return await _publish(future, self._answer(key, fresh))

    def _report(self) -> None:
        if self._progress is None:
            return
        settled = self._answered + self._unanswered
        since, server = min(self._in_flight.values(), default=(None, None))
        self._progress(Progress(self.stats.questions, self._answered, self.stats.questions - settled, server, since))

    async def _answer(self, key: Key, fresh: bool) -> Answer:
        self.stats.questions += 1
        answer = None if fresh else self.carried.get(key)
        if answer is not None:
            self.stats.carried += 1
        else:
            shared = self.wire.answers.get(key)
            if shared is None:
                self.wire.answers[key] = shared = asyncio.get_running_loop().create_future()
                answer = await _publish(shared, self._send(self.stats.questions - 1, *key))
            else:
                self.stats.shared += 1
                answer = await asyncio.shield(shared)
        if answer.rcode is None:
            self._unanswered += 1
        else:
            self._answered += 1
        self.log.append(answer)
        self._report()
        return answer

    def _sent(self, tcp: bool = False) -> None:
        self.stats.sent += 1
        self.wire.sent += 1
        if tcp:
            self.stats.tcp += 1

    async def _attempt(self, transport: str, query: dns.message.Message, server: Endpoint, rd: bool) -> dns.message.Message:
        """One packet, when the wire gives it a turn, and its reply."""
        await self.wire.turn(server, rd)
        try:
            self._sent(transport == "tcp")
            if transport == "udp":
                return await self.wire.datagrams.exchange(query, server.host, server.port, self.timeout)
            return await dns.asyncquery.tcp(query, server.host, timeout=self.timeout, port=server.port)
        finally:
            self.wire.slots.release()

    async def _send(self, question: int, server: Endpoint, qname: str, qtype: str, rd: bool, dnssec: bool, force_tcp: bool) -> Answer:
        query = dns.message.make_query(
            qname,
            qtype,
            use_edns=0,
            payload=1232,
            want_dnssec=dnssec,
            options=[dns.edns.NSIDOption(b"")],
        )
        if not rd:
            query.flags &= ~dns.flags.RD
        attempts = 0
        truncated = False
        last_error = "no reply"
        reply = None
        used_tcp = False
        started = time.monotonic()
        # UDP attempts (unless TCP is forced), then one TCP attempt after timeouts.
        plan = ["tcp"] if force_tcp else ["udp"] * (1 + self.retries) + ["tcp"]
        for transport in plan:
            attempts += 1
            started = time.monotonic()
            if question not in self._in_flight:
                self._in_flight[question] = (started, server)
                self._report()
            try:
                reply = await self._attempt(transport, query, server, rd)
                if transport == "udp" and reply.flags & dns.flags.TC:
                    truncated = True
                    attempts += 1
                    started = time.monotonic()
                    reply = await self._attempt("tcp", query, server, rd)
                used_tcp = transport == "tcp" or truncated
                break
            except dns.exception.Timeout:
                self.stats.timeouts += 1
                last_error = f"timed out after {self.timeout:g}s over {transport.upper()}"
            except (OSError, EOFError) as exc:
                # A refused TCP connection or a reset: the server is not there.
                last_error = f"{transport.upper()}: {exc.__class__.__name__}: {exc}".rstrip(": ")
            except dns.exception.DNSException as exc:
                last_error = f"{transport.upper()}: malformed reply ({exc})"
        rtt = (time.monotonic() - started) * 1000
        self._in_flight.pop(question, None)
        if reply is None:
            return Answer(
                server=str(server), qname=qname, qtype=qtype, rd=rd, do=dnssec, outcome=TIMEOUT if "timed out" in last_error else ERROR,
                truncated=truncated, tcp_only=force_tcp, attempts=attempts, error=last_error, at=self.clock(),
            )
        outcome, neg_ttl = _outcome(reply, qname, qtype)
        nsid = None
        for option in reply.options:
            if isinstance(option, dns.edns.NSIDOption) and option.nsid:
                nsid = option.nsid.decode("utf-8", errors="replace")
        return Answer(
            server=str(server),
            qname=qname,
            qtype=qtype,
            rd=rd,
            do=dnssec,
            outcome=outcome,
            rcode=dns.rcode.to_text(reply.rcode()),
            aa=bool(reply.flags & dns.flags.AA),
            ra=bool(reply.flags & dns.flags.RA),
            truncated=truncated,
            tcp=used_tcp,
            tcp_only=force_tcp,
            answer=_section(reply.answer),
            authority=_section(reply.authority),
            additional=_section(reply.additional),
            neg_ttl=neg_ttl,
            nsid=nsid,
            ede=_extended_errors(reply),
            rtt_ms=rtt,
            attempts=attempts,
            at=self.clock(),
        )
