"""The dates that matter for one migration, and the next of them (pure rules on the spec and the evidence).

A date matters while something is still to happen by it:

- `<wave> wave due`: a wave not yet delivered to anyone on the domain, at
  its due time (`migrate.notify.waves.due`), while its send window has not
  closed (`migrate.notify.windows`). The announce wave stays until the
  parent delegates to the new host even after its window closed: the gate's
  notice requirement needs it (send it, and move the cutover). Waves the
  spec gives no date (data-deadline and after-cancel without
  `notify.cancel_date`) have none, and after-cancel counts only once the
  gate has unlocked and the cancellation is recorded;
- `cutover`: the spec's cutover, until the parent delegates to the new host;
- `soak ends`: while converging or verified (with `dns` in `gate.require`),
  the newest round's safe time + `gate.min_soak`, the earliest the gate's
  dns requirement can pass;
- `earliest unlock`: what the newest gate decision, locked and still
  standing, gave as the earliest time it could unlock (until cancelled);
- `data deadline`: the end of the deadline users were given (the one the
  gate holds them to), while it is ahead.

The next date is the earliest of these; one in the past is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from migrate.fleet import phase as phases
from migrate.fleet.evidence import Evidence
from migrate.gate.store import CANCELLED
from migrate.notify import waves, windows
from migrate.spec import Spec


@dataclass(frozen=True)
class Date:
    what: str
    at: datetime


def _waves(spec: Spec, ev: Evidence, phase: str, now: datetime) -> list[Date]:
    if spec.notify is None:
        return []
    out = []
    for wave in waves.WAVES:
        due = waves.due(spec, wave)
        if wave in ev.delivered or due is None:
            continue
        window = windows.window(spec, wave, unlocked_at=ev.first_unlocked, cancelled_at=ev.attested.get(CANCELLED))
        closed = window.closes is not None and now >= window.closes
        owed = wave == waves.ANNOUNCE and not phases.switched_or_later(phase)  # the gate's notice still needs it
        if window.waiting or (closed and not owed):
            continue
        out.append(Date(f"{wave} wave due", due))
    return out


def candidates(spec: Spec, ev: Evidence, phase: str, now: datetime) -> list[Date]:
    """Every date that matters now (see the module docstring), in no particular order."""
    out = _waves(spec, ev, phase, now)
    if not phases.switched_or_later(phase):
        out.append(Date("cutover", spec.cutover))
    if phase in (phases.CONVERGING, phases.VERIFIED) and "dns" in spec.gate.require and ev.latest and ev.latest.safe_after:
        out.append(Date("soak ends", ev.latest.safe_after + spec.gate.min_soak))
    decision = ev.decision
    if (phase != phases.CANCELLED and decision is not None and decision.status == "locked" and decision.earliest_unlock
            and phases.stands(decision, ev)):
        out.append(Date("earliest unlock", decision.earliest_unlock))
    if ev.deadline is not None and ev.deadline.ends > now:
        out.append(Date("data deadline", ev.deadline.ends))
    return out


def next_date(spec: Spec, ev: Evidence, phase: str, now: datetime) -> Date | None:
    """The earliest date that matters, or None when nothing is ahead."""
    return min(candidates(spec, ev, phase, now), key=lambda d: d.at, default=None)
