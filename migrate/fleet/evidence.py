"""What one domain's state holds, as the fleet view needs it: read-only, every chain verified.

The readers are the stores' own, the ones the gate uses, so the view trusts
exactly what the gate would: every chain of the domain is verified whole
(the journal's rounds, with each round's digest, its old TTLs and old name
servers; the gate store's decisions and attestations; the ledger's events
and sending runs), and each store must still extend what the newest gate
decision saw (`migrate.gate.anchors`). Anything else raises here
(`BrokenChain`, or a store that cannot be read), and the view shows a broken
row, never a phase resting on altered evidence. Nothing is created: a folder
without a store's file is no evidence, and a missing folder is no state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from migrate.errors import EnvironmentProblem
from migrate.gate import anchored, sources, store
from migrate.gate.anchors import Anchors
from migrate.gate.evidence import Deadline
from migrate.journal import Journal
from migrate.names import domain_id
from migrate.notify import ledger, waves
from migrate.spec import Spec
from migrate.state.codec import utc_time
from migrate.state.location import Location


@dataclass(frozen=True)
class Round:
    """The newest verify round: its verdict and its checks as the journal keeps them."""

    id: int
    status: str  # verified | converging | failing | unknown
    at: datetime  # when it finished
    checks: tuple[dict, ...]
    safe_after: datetime | None


@dataclass(frozen=True)
class Decision:
    """The newest gate decision, as the audit trail keeps it."""

    id: int
    at: datetime
    status: str  # unlocked | locked
    requirements: Mapping[str, str]  # requirement -> pass | fail | pending | unknown
    earliest_unlock: datetime | None


@dataclass(frozen=True)
class Evidence:
    latest: Round | None = None
    # When the current unbroken run of rounds that saw the new state at every authoritative
    # server began (the run the gate's soak counts); None when the newest round did not.
    run_since: datetime | None = None
    seen_ever: bool = False  # some round saw the new state at every authoritative server
    delivered: Mapping[str, datetime] = field(default_factory=dict)  # wave -> first delivery to the domain
    decision: Decision | None = None
    first_unlocked: datetime | None = None
    attested: Mapping[str, datetime] = field(default_factory=dict)  # kind -> first attestation
    deadline: Deadline | None = None  # the data deadline the gate holds users to


def read(spec: Spec, where: Location, now: datetime) -> Evidence:
    """The domain's evidence in `where`; BrokenChain or EnvironmentProblem when a store does not verify or cannot be read."""
    domain = domain_id(spec.domain)
    found = anchored.read(spec, where, now)
    history, anchors, dns = found.decisions, found.anchors, found.dns
    latest = _latest(where, spec.domain, dns.latest_round) if dns.latest_round is not None else None
    attested: dict[str, datetime] = {}
    for attestation in found.attestations:
        attested.setdefault(attestation.kind, attestation.at)
    return Evidence(
        latest=latest,
        run_since=dns.first_fully_seen,
        seen_ever=dns.first_ever_fully_seen is not None,
        delivered=_delivered(where, domain, anchors),
        decision=_decision(history[-1]) if history else None,
        first_unlocked=next((d.at for d in history if d.status == "unlocked"), None),
        attested=attested,
        deadline=sources.promised_deadline(spec, where),
    )


def _latest(where: Location, name: str, round_id: int) -> Round:
    """The round `journal.dns_evidence` rested on, once the journal's other chains of the domain verified too."""
    book = Journal(where, create=False)
    if book.db is None:
        raise EnvironmentProblem(f"{where}: the journal went away while it was being read")
    with book:
        book.old_ttls(name)
        book.old_servers(name)
        row = book.round(round_id)
    return Round(row.id, row.status, row.finished_at, tuple(row.checks), row.safe_after)


def _delivered(where: Location, domain: str, anchors: Anchors) -> dict[str, datetime]:
    """When each wave first reached an address on the domain (a shared state's ledger holds other domains' too).

    Only waves with a recorded sending run are read (each read verifies the
    whole ledger), every wave for a ledger written before runs were recorded.
    """
    out = {}
    for wave in dict.fromkeys(run.wave for run in ledger.sends(where)) or waves.WAVES:
        times = [at for address, at in ledger.delivered(where, wave, anchors.saw).items() if address.rpartition("@")[2] == domain]
        if times:
            out[wave] = min(times)
    return out


def _decision(decision: store.Decision) -> Decision:
    report = decision.report
    return Decision(decision.id, decision.at, decision.status, dict(report.get("requirements") or {}),
                    utc_time(report.get("earliest_unlock")))
