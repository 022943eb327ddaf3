"""What the verifier saw on the wire, as plain values: nothing here touches the network.

An `Answer` records one question to one server and what came back (or did
not). The querier produces them; the walker, the checks and the timing read
them, so they depend on this module and not on the querier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from migrate.state.codec import utc_text, utc_time
from migrate.zone import RRset

# Every answer is stamped with the round's clock, so tests and rehearsals can run on a fake one.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


# What an answer was, as far as the wire can tell (meaning is decided in checks).
ANSWER, CNAME, NODATA, NXDOMAIN, REFERRAL = "answer", "cname", "nodata", "nxdomain", "referral"
REFUSED, SERVFAIL, TIMEOUT, ERROR = "refused", "servfail", "timeout", "error"
# Set by the walker, which alone knows a reply should have come from the zone's own server:
# flags that do not fit (NXDOMAIN without AA) mean something on the way answered instead.
INTERCEPTED = "intercepted"
# Outcomes that say nothing about the data: never evidence for or against it.
NO_EVIDENCE = frozenset({REFUSED, SERVFAIL, TIMEOUT, ERROR, INTERCEPTED})


@dataclass(frozen=True)
class Answer:
    """One question to one server and what came back."""

    server: str  # Endpoint text (IP, or IP:PORT when not 53)
    qname: str
    qtype: str
    rd: bool
    outcome: str
    do: bool = False  # asked with the DNSSEC OK bit: signatures and denial records come along
    rcode: str | None = None
    aa: bool = False
    ra: bool = False
    truncated: bool = False  # a UDP reply came back with TC=1
    tcp: bool = False  # the answer used here came over TCP
    tcp_only: bool = False  # asked over TCP from the start (not after a truncated UDP reply)
    answer: tuple[RRset, ...] = ()
    authority: tuple[RRset, ...] = ()
    additional: tuple[RRset, ...] = ()
    neg_ttl: int | None = None  # RFC 2308: min(SOA TTL, SOA MINIMUM) from a negative answer
    nsid: str | None = None
    # RFC 8914 extended errors: (code, its name and any text); a validating resolver says why it failed
    ede: tuple[tuple[int, str], ...] = ()
    rtt_ms: float | None = None
    attempts: int = 0
    error: str | None = None
    at: datetime = field(default_factory=utc_now, compare=False)
    # Settled in an earlier round and used again without asking (`verify.settled`); `at` is when it was seen.
    carried: bool = False

    @property
    def ok(self) -> bool:
        """The server gave evidence about the data (positive or negative)."""
        return self.outcome not in NO_EVIDENCE

    def rrset(self, name: str | None = None, rdtype: str | None = None, section: str = "answer") -> RRset | None:
        name = (name or self.qname).lower()
        rdtype = rdtype or self.qtype
        for rrset in getattr(self, section):
            if rrset.name == name and rrset.rdtype == rdtype:
                return rrset
        return None

    def rrsets(self, rdtype: str, section: str = "answer") -> list[RRset]:
        return [r for r in getattr(self, section) if r.rdtype == rdtype]

    def to_dict(self) -> dict:
        return {
            "server": self.server,
            "qname": self.qname,
            "qtype": self.qtype,
            "rd": self.rd,
            "do": self.do,
            "outcome": self.outcome,
            "rcode": self.rcode,
            "aa": self.aa,
            "ra": self.ra,
            "truncated": self.truncated,
            "tcp": self.tcp,
            "tcp_only": self.tcp_only,
            "answer": [r.to_dict() for r in self.answer],
            "authority": [r.to_dict() for r in self.authority],
            "additional": [r.to_dict() for r in self.additional],
            "neg_ttl": self.neg_ttl,
            "nsid": self.nsid,
            "ede": [{"code": code, "text": text} for code, text in self.ede],
            "rtt_ms": None if self.rtt_ms is None else round(self.rtt_ms, 3),
            "attempts": self.attempts,
            "error": self.error,
            "at": utc_text(self.at),
            "carried": self.carried,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Answer:
        """An answer as `to_dict` wrote it (the journal's observations); KeyError or ValueError when it is not one."""
        def section(name: str) -> tuple[RRset, ...]:
            return tuple(RRset(name=r["name"], rdtype=r["type"], ttl=int(r["ttl"]), rdatas=frozenset(r["values"]))
                         for r in data[name])

        return cls(
            server=data["server"], qname=data["qname"], qtype=data["qtype"], rd=bool(data["rd"]), do=bool(data["do"]),
            outcome=data["outcome"], rcode=data["rcode"], aa=bool(data["aa"]), ra=bool(data["ra"]),
            truncated=bool(data["truncated"]), tcp=bool(data["tcp"]), tcp_only=bool(data["tcp_only"]),
            answer=section("answer"), authority=section("authority"), additional=section("additional"),
            neg_ttl=data["neg_ttl"], nsid=data["nsid"], ede=tuple((int(e["code"]), e["text"]) for e in data["ede"]),
            rtt_ms=data["rtt_ms"], attempts=int(data["attempts"]), error=data["error"], at=utc_time(data["at"]),
            carried=bool(data["carried"]),
        )
