"""What the report page says, composed from the records: pure, no I/O, the clock given.

The timeline (`timeline`), the moments that frame it (the cutover, each
wave sent, when the new state was first seen everywhere, the safe time,
the soak, each gate decision and attestation), the old TTLs the safe time
rests on, and today's checks with what to do about them: the gate's DNS
checks evaluated now from the journal (nothing recorded), the newest gate
decision's checks as decided, and the newest verify round's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from migrate.gate import checks as gate_checks
from migrate.gate.store import Decision
from migrate.history import fixes
from migrate.history.records import Records
from migrate.history.timeline import Marker, Round, Soak, Timeline, build, soak
from migrate.journal import RoundRow
from migrate.report import Check
from migrate.spec import Spec
from migrate.state.codec import utc_time
from migrate.verify.timing import CHECK_ID as OLD_TTLS

_ORDER = {"unknown": 0, "fail": 1, "pending": 2, "pass": 3}


@dataclass(frozen=True)
class Line:
    """One check as the page lists it, whoever made it (verify, the gate now, a recorded decision)."""

    id: str
    status: str
    subject: str
    server: str
    observed: str
    detail: str
    fix: str
    eta: datetime | None

    @classmethod
    def of(cls, check: Check | dict, fix: str | None = None) -> Line:
        data = check.to_dict() if isinstance(check, Check) else check
        eta = data.get("eta")
        return cls(
            id=str(data.get("id") or ""),
            status=str(data.get("status") or "unknown"),
            subject=str(data.get("subject") or ""),
            server=str(data.get("server") or ""),
            observed=_shown(data.get("observed")),
            detail=str(data.get("detail") or ""),
            fix=str(data.get("fix") or fix or ""),
            eta=utc_time(eta) if isinstance(eta, str) else eta,
        )


def _shown(value: Any) -> str:
    """A check's observed value as one line of text (lists and mappings written out)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def _worst_first(lines: Iterable[Line]) -> list[Line]:
    return sorted(lines, key=lambda line: _ORDER.get(line.status, 0))


@dataclass(frozen=True)
class Story:
    domain: str
    tz: tzinfo
    generated_at: datetime
    state: str
    timeline: Timeline
    records: Records
    latest: RoundRow | None
    old_ttls: list[dict]  # the TTLs the newest round's safe time rests on, largest first
    soak: Soak | None
    min_soak: timedelta
    dns_now: list[Line]  # the gate's DNS checks, evaluated now
    decision: Decision | None
    decided: list[Line]  # the newest decision's checks, as decided
    verify: list[Line]  # the newest round's checks that did not pass
    passed: dict[str, int]  # the newest round's passing checks, counted by id

    @property
    def chronology(self) -> list[Marker]:
        return self.timeline.markers


def _markers(spec: Spec, records: Records, window: Soak | None, now: datetime) -> list[Marker]:
    ev = records.evidence
    found = [Marker(spec.cutover, "cutover", "cutover: mail moves (the spec's date)"), Marker(now, "now", "this report")]
    if ev.first_fully_seen is not None:
        found.append(Marker(ev.first_fully_seen, "first-seen", "the new state first seen at every authoritative server"))
    if ev.safe_after is not None:
        found.append(Marker(ev.safe_after, "safe", "safe time: every old TTL has run out"))
    if window is not None:
        found.append(Marker(window.end, "soak-end", "the soak ends (safe time + gate.min_soak)"))
    for decision in records.decisions:
        found.append(Marker(decision.at, "decision", f"gate decision #{decision.id}: {decision.status}", decision.status))
    for run in records.sends:
        forced = f", forced outside its window ({run.forced})" if run.forced else ""
        found.append(Marker(run.at, "wave", f"the {run.wave} wave sent{forced}"))
    for attestation in records.attestations:
        found.append(Marker(attestation.at, "attestation", f"{attestation.kind} attested by {attestation.by}"))
    return found


def _old_ttls(latest: RoundRow | None) -> list[dict]:
    """The old TTLs the newest round's `timing.old-ttls` rested on (verify keeps the ten largest)."""
    check = next((c for c in latest.checks if c.get("id") == OLD_TTLS), None) if latest else None
    observed = check.get("observed") if check else None
    ttls = observed.get("ttls") if isinstance(observed, dict) else None
    return sorted((t for t in ttls or () if isinstance(t, dict)), key=lambda t: -int(t.get("ttl") or 0))


def build_story(spec: Spec, records: Records, now: datetime) -> Story:
    ev = records.evidence
    max_age, min_soak = spec.gate.max_age, spec.gate.min_soak
    window = soak(ev.first_fully_seen, ev.continuous_since(max_age), ev.safe_after, min_soak)
    rounds = [Round(r.id, r.finished_at, r.status, r.checks, records.old_answers.get(r.id, ())) for r in records.rounds]
    timeline = build(rounds, old_names=records.old_names, named=records.named, markers=_markers(spec, records, window, now),
                     soak_window=window, max_age=max_age)
    latest = records.rounds[-1] if records.rounds else None
    newest = records.decisions[-1] if records.decisions else None
    verify = [Line.of(c, fixes.fix(str(c.get("id")))) for c in (latest.checks if latest else ()) if c.get("status") != "pass"]
    passed = Counter(str(c.get("id")) for c in (latest.checks if latest else ()) if c.get("status") == "pass")
    return Story(
        domain=spec.domain,
        tz=spec.tz,
        generated_at=now,
        state=records.state,
        timeline=timeline,
        records=records,
        latest=latest,
        old_ttls=_old_ttls(latest),
        soak=window,
        min_soak=min_soak,
        dns_now=_worst_first(Line.of(c) for c in gate_checks.dns(ev, min_soak=min_soak, max_age=max_age, now=now, tz=spec.tz)),
        decision=newest,
        decided=_worst_first(Line.of(c) for c in (newest.report.get("checks") or [] if newest else [])),
        verify=_worst_first(verify),
        passed=dict(sorted(passed.items())),
    )
