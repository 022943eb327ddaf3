"""One domain's state read as `migrate gate` reads it: every store checked against the heads the newest decision saw.

`migrate status` and `migrate report` draw from the same evidence the gate
rests on, so they read it the same way: a store trimmed or put back behind
the gate's back fails here too (BrokenChain) instead of being shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from migrate import journal
from migrate.gate import store
from migrate.gate.anchors import Anchors
from migrate.gate.evidence import Attestation, DnsEvidence
from migrate.gate.store import Decision
from migrate.names import domain_id
from migrate.spec import Spec
from migrate.state.location import Location


@dataclass(frozen=True)
class Anchored:
    decisions: list[Decision]  # oldest first
    anchors: Anchors  # reading further stores (the ledger) goes through `anchors.saw` too
    dns: DnsEvidence
    attestations: list[Attestation]


def read(spec: Spec, where: Location, now: datetime) -> Anchored:
    """The domain's decisions, DNS evidence and attestations; BrokenChain when a store does not verify or extend."""
    domain = domain_id(spec.domain)
    decisions = store.decisions(where, domain, limit=None)
    anchors = Anchors()
    anchors.expect(decisions[-1] if decisions else None)
    dns = journal.dns_evidence(where, spec.domain, now, anchors.saw)
    return Anchored(decisions, anchors, dns, store.attestations(where, domain, anchors.saw))
