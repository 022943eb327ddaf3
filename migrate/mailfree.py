"""Whether a domain is proven to carry no mail and no mail sign-in: the rules, from answers already gathered (pure).

A domain of the tenant that no spec migrates may still be left behind, if
nothing of Microsoft 365 is in use on it: no MX (a null MX, RFC 7505, says
"no mail" and counts as none), no autodiscover (a CNAME or address at
`autodiscover`, or the `_autodiscover._tcp` SRV: what Outlook signs in
with), and no SPF naming Microsoft's senders. Each must hold at every
address of every server the parent delegates the domain to, each of them
answering with authority: a server that times out, refuses, or answers
without the AA flag proves nothing, and one such gap leaves the proof
unknown. A domain the parent says does not exist (NXDOMAIN) receives no mail.

The questions are asked by `mailfree_probe`; this module only judges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from migrate import footprint, mailauth
from migrate.verify.evidence import ANSWER, CNAME, NODATA, NXDOMAIN, Answer
from migrate.zone import txt_value

PROVEN, CARRIES, UNKNOWN = "proven", "carries", "unknown"
NULL_MX = "0 ."


def questions(domain: str) -> list[tuple[str, str]]:
    """What each authoritative server is asked, for an absolute `domain`."""
    return [(domain, "MX"), (f"autodiscover.{domain}", "A"), (f"_autodiscover._tcp.{domain}", "SRV"), (domain, "TXT")]


@dataclass(frozen=True)
class ServerAnswers:
    """One address of one of the domain's name servers, and its answers to `questions`."""

    name: str  # the name server's name
    address: str
    answers: tuple[Answer, ...]

    @property
    def label(self) -> str:
        return f"{self.name.rstrip('.')} ({self.address})"


@dataclass(frozen=True)
class Proof:
    """The verdict on one domain, with what it rests on (recorded in the gate's evidence)."""

    domain: str  # as Graph names it: no trailing dot
    status: Literal["proven", "carries", "unknown"]
    servers: tuple[str, ...] = ()  # every address asked: "ns1.example.net (192.0.2.1)"
    carries: tuple[str, ...] = ()  # what still carries mail or sign-in, and where
    gaps: tuple[str, ...] = ()  # what could not be established, and why
    detail: str = ""  # a note on how it was decided (not delegated)


def _authoritative(answer: Answer) -> bool:
    return answer.aa and answer.outcome in (ANSWER, CNAME, NODATA, NXDOMAIN)


def _found(domain: str, answer: Answer) -> list[str]:
    """What in one authoritative answer carries mail or sign-in."""
    if answer.outcome == CNAME:
        alias = answer.rrset(answer.qname, "CNAME")
        return [f"{answer.qname.rstrip('.')} CNAME {min(alias.rdatas) if alias else '?'}"]
    if answer.outcome != ANSWER:
        return []
    rrset = answer.rrset()
    if rrset is None:
        return []
    if answer.qtype == "MX":
        return [f"MX {value}" for value in rrset.sorted_rdatas() if value != NULL_MX]
    if answer.qtype == "TXT":
        spf = [v for v in rrset.sorted_rdatas() if mailauth.is_spf(txt_value(v))]
        microsoft = footprint.classify(rrset.with_rdatas(spf), domain).removed if spf else None
        return [f"SPF {txt_value(v)!r} names Microsoft's senders" for v in microsoft.sorted_rdatas()] if microsoft else []
    return [f"{answer.qname.rstrip('.')} {answer.qtype} {value}" for value in rrset.sorted_rdatas()]


def decide(domain: str, servers: Sequence[ServerAnswers], *, unresolved: Sequence[str] = (), walk_error: str | None = None,
           not_delegated: bool = False) -> Proof:
    """The proof for `domain` (absolute) from every server's answers.

    `not_delegated`: the parent answered that the domain does not exist.
    `walk_error`: the parent or its delegation could not be found (no answer).
    `unresolved`: name servers whose addresses could not be found.
    """
    name = domain.rstrip(".").lower()
    if not_delegated:
        return Proof(name, PROVEN, detail=walk_error or "the parent says it does not exist")
    if walk_error:
        return Proof(name, UNKNOWN, gaps=(walk_error,))
    gaps = [f"{ns.rstrip('.')}: no address found" for ns in unresolved]
    if not servers and not gaps:
        gaps.append("no name server to ask")
    carries: list[str] = []
    for server in servers:
        for answer in server.answers:
            if not _authoritative(answer):
                why = answer.error or (f"{answer.outcome} without the AA flag" if answer.ok else answer.outcome)
                gaps.append(f"{server.label}: no authoritative answer for {answer.qname.rstrip('.')} {answer.qtype} ({why})")
                continue
            carries += [f"{finding} at {server.label}" for finding in _found(domain, answer)]
    status = CARRIES if carries else UNKNOWN if gaps else PROVEN
    return Proof(name, status, tuple(s.label for s in servers), tuple(carries), tuple(gaps))
