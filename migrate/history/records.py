"""Everything the report draws, read from the state (never from DNS) and verified as the gate verifies it.

The stores are read through their own readers, each of which verifies its
whole chain (and the journal every round's digest); the gate's anchors
then check that each store still extends what the newest gate decision
saw. A store that does not raises `BrokenChain` (one line, exit 2): the
report is never drawn from altered or rolled-back evidence. A state
without a store (no verify round yet, nothing sent) is drawn as what it
is: nothing recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from migrate.gate import anchored
from migrate.gate.anchors import Anchors
from migrate.gate.evidence import Attestation, DnsEvidence
from migrate.gate.store import Decision
from migrate.history.timeline import addresses_named
from migrate.journal import Journal, MeasuredTTL, RoundRow
from migrate.names import domain_id
from migrate.notify import ledger, waves
from migrate.notify.ledger import Ledger, Send
from migrate.spec import Spec
from migrate.state import keys
from migrate.state.access import reading
from migrate.state.chain import Head
from migrate.state.location import Location

# Observations whose A/AAAA records name the old host's addresses (the walk, referrals' glue, the old servers).
_NAMING_ROLES = ("walk", "parent", "old")


@dataclass(frozen=True)
class Tally:
    """One wave in the ledger: how many messages stand where, and when the relay took the first and the last."""

    wave: str
    sent: int
    failed: int
    uncertain: int
    unsent: int  # claimed by a run that died before the body: the next run sends them
    first_sent: datetime | None
    last_sent: datetime | None


@dataclass(frozen=True)
class Records:
    domain: str  # as the gate store keys it (no trailing dot)
    state: str  # where the state lives, as messages name it (no password)
    rounds: list[RoundRow]
    old_answers: dict[int, list[dict]]  # round id -> the old host's answers in it
    named: dict[str, str]  # address -> host name, from the answers
    old_names: list[str]  # the old host's name servers: the spec's and those verify remembered
    evidence: DnsEvidence
    old_ttls: list[MeasuredTTL]
    decisions: list[Decision]
    attestations: list[Attestation]
    sends: list[Send]
    tallies: list[Tally]
    heads: dict[str, Head] = field(default_factory=dict)  # store -> the head of the chain verified and anchored


def _tally(wave: str, entries: list[ledger.Entry]) -> Tally:
    sent = sorted(e.sent_at for e in entries if e.status == ledger.SENT and e.sent_at is not None)
    return Tally(
        wave=wave,
        sent=len(sent),
        failed=sum(1 for e in entries if e.status == ledger.FAILED),
        uncertain=sum(1 for e in entries if Ledger.is_uncertain(e)),
        unsent=sum(1 for e in entries if e.status == ledger.SENDING and not Ledger.is_uncertain(e)),
        first_sent=sent[0] if sent else None,
        last_sent=sent[-1] if sent else None,
    )


def _ledger(where: Location, anchors: Anchors) -> list[Tally]:
    """Each wave's messages, from a ledger whose events verified with its messages (one snapshot)."""
    key = keys.from_environment()
    with reading(where, ledger.SCHEMA) as db:
        if db is None:
            anchors.saw(ledger.events_chain(where))
            return []
        with db.snapshot():
            anchors.saw(ledger.verified(db, key))
            book = Ledger(db, key)
            found = [(wave, book.entries(wave)) for wave in waves.WAVES]
    return [_tally(wave, entries) for wave, entries in found if entries]


def _journal(where: Location, domain: str) -> tuple[list[RoundRow], dict[int, list[dict]], dict[str, str], list[str], list[MeasuredTTL]]:
    """The rounds (their chain verified), each round's old-host answers, and the names the newest round's answers
    gave addresses (the walk looks the name servers up in every round)."""
    book = Journal(where, create=False)
    if book.db is None:
        return [], {}, {}, [], []
    with book:
        rounds = book.rounds(domain)
        old: dict[int, list[dict]] = {}
        for answer in book.answered(domain, "old"):
            old.setdefault(answer["round_id"], []).append(answer)
        newest = book.observations(rounds[-1].id) if rounds else []
        named = addresses_named(a for a in newest if a.get("role") in _NAMING_ROLES)
        return rounds, old, named, book.old_servers(domain), book.old_ttls(domain)


def read(spec: Spec, where: Location, now: datetime) -> Records:
    """What the state holds for the spec's domain, every store verified and anchored as `migrate gate` does."""
    name = domain_id(spec.domain)
    found = anchored.read(spec, where, now)
    decisions, anchors, evidence, attestations = found.decisions, found.anchors, found.dns, found.attestations
    tallies = _ledger(where, anchors)
    rounds, old_answers, named, remembered, old_ttls = _journal(where, spec.domain)
    return Records(
        domain=name,
        state=str(where),
        rounds=rounds,
        old_answers=old_answers,
        named=named,
        old_names=sorted({*spec.source.nameservers, *remembered}),
        evidence=evidence,
        old_ttls=old_ttls,
        decisions=decisions,
        attestations=attestations,
        sends=ledger.sends(where),
        tallies=tallies,
        heads=dict(anchors.seen),
    )
