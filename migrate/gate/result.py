"""What a gate check returns, and the gate's verdict built from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Status = Literal["pass", "fail", "pending", "unknown"]

# Worst first: one unknown makes the requirement unknown, and so on.
_ORDER = {"unknown": 0, "fail": 1, "pending": 2, "pass": 3}


@dataclass(frozen=True)
class CheckResult:
    """One observation against one expectation, with what to do when it does not hold.

    `eta` is the earliest time the check can pass (set for `pending`, and for a
    `fail` whose remedy has a known date); `fix` says what to do.
    """

    id: str
    status: Status
    subject: str
    expected: str = ""
    observed: str = ""
    detail: str = ""
    eta: datetime | None = None
    fix: str = ""
    server: str | None = None
    requirement: str = ""

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "requirement": self.requirement,
            "status": self.status,
            "subject": self.subject,
            "server": self.server,
            "expected": self.expected,
            "observed": self.observed,
            "detail": self.detail,
            "eta": self.eta,
            "fix": self.fix,
        }


def worst(statuses) -> Status:
    statuses = list(statuses)
    if not statuses:
        return "unknown"
    return min(statuses, key=lambda s: _ORDER[s])


@dataclass(frozen=True)
class Verdict:
    domain: str
    status: Literal["unlocked", "locked"]
    generated_at: datetime
    requirements: dict[str, Status]
    checks: tuple[CheckResult, ...]
    evidence: dict[str, str] = field(default_factory=dict)  # requirement -> digest of what it rested on
    earliest_unlock: datetime | None = None
    bad_input: tuple[str, ...] = ()  # evidence that failed because the user's input is wrong (exit 2)

    @property
    def unlocked(self) -> bool:
        return self.status == "unlocked"

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "status": self.status,
            "generated_at": self.generated_at,
            "requirements": dict(self.requirements),
            "earliest_unlock": self.earliest_unlock,
            "evidence": dict(self.evidence),
            "checks": [c.to_dict() for c in self.checks],
        }
