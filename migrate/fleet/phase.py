"""Which phase a migration is in, from what its state holds (pure rules).

The phases, furthest first; the first rule that holds names the phase:

- cancelled: a `cancelled` attestation is recorded (`migrate attest SPEC cancelled`);
- unlocked: the newest gate decision unlocked, and it still stands (below);
- soaked: the newest round is verified, and the newest gate decision passed
  the `dns` requirement (its soak) and still stands;
- verified: the newest verify round is verified;
- converging: the newest round is converging (only caches and old TTLs left);
- switched: in the newest round every parent server delegates to
  `dns.nameservers` (every `delegation.parent-ns` cell passed), yet it is
  failing or unknown;
- staged: in the newest round the new host serves the desired zone (every
  `record.*` cell, one per desired record set and new server address,
  passed) while the parent does not delegate to it yet;
- announced: the announce wave reached at least one user on the domain (ledger);
- planned: none of the above (nothing recorded, or nothing that shows more).

A gate decision still stands when no round came after it, or the newest
round is verified and the run of rounds that saw the new state everywhere
began before the decision (the soak it judged has gone on since). A newer
round that failed, or a run that restarted, takes the phase back to what
that round shows: the view never keeps a phase the evidence no longer holds.
"""

from __future__ import annotations

from migrate.fleet.evidence import Decision, Evidence, Round
from migrate.gate.store import CANCELLED as CANCELLED_KIND
from migrate.notify import waves

PLANNED = "planned"
ANNOUNCED = "announced"
STAGED = "staged"
SWITCHED = "switched"
CONVERGING = "converging"
VERIFIED = "verified"
SOAKED = "soaked"
UNLOCKED = "unlocked"
CANCELLED = "cancelled"
PHASES = (PLANNED, ANNOUNCED, STAGED, SWITCHED, CONVERGING, VERIFIED, SOAKED, UNLOCKED, CANCELLED)


def _cells(latest: Round, prefix: str) -> list[str]:
    return [str(c.get("status")) for c in latest.checks if str(c.get("id", "")).startswith(prefix)]


def _all_pass(statuses: list[str]) -> bool:
    return bool(statuses) and all(s == "pass" for s in statuses)


def delegated(latest: Round) -> bool:
    """Every parent server delegates to the new name servers in this round."""
    return _all_pass(_cells(latest, "delegation.parent-ns"))


def served(latest: Round) -> bool:
    """The new host serves every desired record set, at every address, in this round."""
    return _all_pass(_cells(latest, "record."))


def stands(decision: Decision, ev: Evidence) -> bool:
    """The decision still describes the domain: nothing newer contradicts it."""
    latest = ev.latest
    if latest is None or latest.at <= decision.at:
        return True
    return latest.status == VERIFIED and ev.run_since is not None and ev.run_since <= decision.at


def of(ev: Evidence) -> str:
    """The phase the evidence shows (see the module docstring)."""
    if CANCELLED_KIND in ev.attested:
        return CANCELLED
    decision, latest = ev.decision, ev.latest
    if decision is not None and stands(decision, ev):
        if decision.status == UNLOCKED:
            return UNLOCKED
        if decision.requirements.get("dns") == "pass" and latest is not None and latest.status == VERIFIED:
            return SOAKED
    if latest is not None:
        if latest.status in (VERIFIED, CONVERGING):
            return latest.status
        if delegated(latest):
            return SWITCHED
        if served(latest):
            return STAGED
    return ANNOUNCED if waves.ANNOUNCE in ev.delivered else PLANNED


def switched_or_later(phase: str) -> bool:
    """The parent delegates (or has delegated) to the new host: what verify judges is what users get."""
    return PHASES.index(phase) >= PHASES.index(SWITCHED)
