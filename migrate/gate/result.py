"""The gate's verdict, built from its checks (`migrate.report.Check`, the one check record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from migrate.report import Check, Status, envelope


@dataclass(frozen=True)
class Verdict:
    domain: str
    status: Literal["unlocked", "locked"]
    generated_at: datetime
    requirements: dict[str, Status]
    checks: tuple[Check, ...]
    # requirement -> digest of the evidence it rested on; "dns.journal" -> the verify round's own digest
    evidence: dict[str, str] = field(default_factory=dict)
    earliest_unlock: datetime | None = None
    bad_input: tuple[str, ...] = ()  # evidence that failed because the user's input is wrong (exit 2)

    @property
    def unlocked(self) -> bool:
        return self.status == "unlocked"

    def to_dict(self) -> dict:
        return envelope(
            self.domain,
            self.status,
            self.checks,
            self.generated_at,
            requirements=dict(self.requirements),
            earliest_unlock=self.earliest_unlock,
            evidence=dict(self.evidence),
        )
