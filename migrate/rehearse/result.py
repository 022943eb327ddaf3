"""What a rehearsal reports: its findings, the real-clock timeline, and what it simulated.

The `--json` object is `domain`, `status` (ok | problems), `generated_at`,
`findings` (`{id, subject, message, fix, source}`), `timeline` (events in
order, each `{id, at, what}`, `at` null when the rehearsal never got there),
`simulated`, `notes` and `summary` (wall time, counts, and how much time
the compressed clock skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path

from migrate.rehearse.findings import Finding

OK, PROBLEMS = "ok", "problems"

# Timeline event ids (the README lists them).
TODAY = "today"
NOTICE_DEADLINE = "notice-deadline"
CUTOVER = "cutover"
VERIFY_PASSES = "verify.first-pass"
MAIL_MOVED = "mail-moved"
DNS_TRUSTED = "dns.trusted"
DATA_DEADLINE = "data-deadline"
GATE_UNLOCKS = "gate.first-unlock"
CANCEL_DATE = "cancel-date"


@dataclass(frozen=True)
class Event:
    id: str
    at: datetime | None  # None: not reached in the rehearsal
    what: str

    def to_dict(self) -> dict:
        return {"id": self.id, "at": self.at, "what": self.what}


@dataclass
class Rehearsal:
    domain: str
    generated_at: datetime
    findings: list[Finding] = field(default_factory=list)
    timeline: list[Event] = field(default_factory=list)
    simulated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    verify_rounds: int = 0
    gate_decisions: int = 0
    messages: int = 0
    skipped: float = 0.0  # seconds of the real clock the compressed clock jumped over
    unlocked: bool = False
    folder: Path | None = None  # kept with --out: the state a report can be made from
    tz: tzinfo = timezone.utc  # the spec's, for times shown to people

    @property
    def status(self) -> str:
        return OK if self.unlocked and not self.findings else PROBLEMS

    @property
    def exit_code(self) -> int:
        return 0 if self.status == OK else 1

    def event(self, event_id: str) -> Event | None:
        return next((e for e in self.timeline if e.id == event_id), None)

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "status": self.status,
            "generated_at": self.generated_at,
            "findings": [f.to_dict() for f in self.findings],
            "timeline": [e.to_dict() for e in self.timeline],
            "simulated": list(self.simulated),
            "notes": list(self.notes),
            "summary": {"seconds": round(self.seconds, 1), "verify_rounds": self.verify_rounds,
                        "gate_decisions": self.gate_decisions, "messages": self.messages,
                        "clock_skipped_seconds": round(self.skipped),
                        "unlocked": self.unlocked, "state": self.folder},
        }
