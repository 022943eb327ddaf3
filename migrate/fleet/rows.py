"""One row per spec, and the order that puts what needs attention first (pure).

Attention, first to last:

1. `bad spec`: the spec (or a folder that may hold specs) cannot be read or
   does not validate; `broken state`: a store of its state does not verify
   or cannot be read. The row says why in one line and shows no phase;
2. `failing`: the newest verify round is failing or unknown, once the parent
   delegates to the new host (phase switched or later) or some round has
   seen the new state everywhere: users get what fails. Before that a
   failing round judges a cutover that has not happened yet; the row shows
   it, and its dates rank it;
3. `overdue`: the next date that matters has passed;
4. `upcoming`: the next date is ahead;
5. `quiet`: no date ahead.

Within each, by the next date (oldest first: the longest overdue, then the
nearest), then tenant, domain and the spec's path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from migrate.fleet import dates, phase as phases
from migrate.fleet.dates import Date
from migrate.fleet.evidence import Decision, Evidence, Round
from migrate.names import domain_id
from migrate.spec import Spec

BAD_SPEC = "bad spec"
BROKEN_STATE = "broken state"
FAILING = "failing"
OVERDUE = "overdue"
UPCOMING = "upcoming"
QUIET = "quiet"
_RANK = {BAD_SPEC: 0, BROKEN_STATE: 0, FAILING: 1, OVERDUE: 2, UPCOMING: 3, QUIET: 4}
_LAST = datetime.max.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Row:
    spec: str  # the spec's path, relative to the folder searched
    attention: str
    tenant: str | None = None
    domain: str | None = None  # A-label, no trailing dot
    phase: str | None = None
    state: str | None = None  # where its state was read
    verify: Round | None = None
    gate: Decision | None = None
    next: Date | None = None
    overdue: bool = False
    problem: str | None = None
    tz: tzinfo = timezone.utc  # the spec's, for times shown to people

    def sort_key(self) -> tuple:
        return (_RANK[self.attention], self.next.at if self.next else _LAST, self.tenant or "", self.domain or "", self.spec)

    def to_dict(self) -> dict:
        return {
            "spec": self.spec,
            "tenant": self.tenant,
            "domain": self.domain,
            "phase": self.phase,
            "attention": self.attention,
            "verify": {"status": self.verify.status, "at": self.verify.at, "round": self.verify.id} if self.verify else None,
            "gate": {"status": self.gate.status, "at": self.gate.at, "earliest_unlock": self.gate.earliest_unlock} if self.gate else None,
            "next": {"what": self.next.what, "at": self.next.at, "overdue": self.overdue} if self.next else None,
            "state": self.state,
            "problem": self.problem,
        }


def bad_spec(spec: str, problem: str) -> Row:
    return Row(spec, BAD_SPEC, problem=problem)


def _named(spec: Spec) -> dict:
    return {"tenant": spec.source.tenant, "domain": domain_id(spec.domain), "tz": spec.tz}


def broken_state(path: str, spec: Spec, state: str, problem: str) -> Row:
    return Row(path, BROKEN_STATE, state=state, problem=problem, **_named(spec))


def _attention(phase: str, ev: Evidence, upcoming: Date | None, now: datetime) -> str:
    latest = ev.latest
    if latest is not None and latest.status in ("failing", "unknown") and (phases.switched_or_later(phase) or ev.seen_ever):
        return FAILING
    if upcoming is None:
        return QUIET
    return OVERDUE if upcoming.at <= now else UPCOMING


def judged(path: str, spec: Spec, state: str, ev: Evidence, now: datetime) -> Row:
    """The row of a spec whose state verified: its phase, dates and attention."""
    phase = phases.of(ev)
    upcoming = dates.next_date(spec, ev, phase, now)
    return Row(path, _attention(phase, ev, upcoming, now), phase=phase, state=state, verify=ev.latest, gate=ev.decision,
               next=upcoming, overdue=upcoming is not None and upcoming.at <= now, **_named(spec))


def ordered(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=Row.sort_key)
