"""The gate's verdict, built from its checks (`migrate.report.Check`, the one check record).

A verdict is one spec's, or, for an exit of several specs, the tenant's:
then `parts` holds each spec's verdict, every one carrying the tenant's
status (one decision for the tenant), and `checks` the tenant's own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from migrate.report import Check, Status, envelope, worst


def earliest(checks: Iterable[Check]) -> datetime | None:
    """The earliest unlock: when every check that does not pass has a time it can pass, the latest of them."""
    blocking = [c for c in checks if c.status != "pass"]
    if blocking and all(c.eta is not None for c in blocking):
        return max(c.eta for c in blocking)
    return None


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
    parts: tuple[Verdict, ...] = ()  # a tenant's verdict: each spec's
    tenant: str | None = None  # a tenant's verdict: source.tenant, when a spec names it

    @classmethod
    def of(cls, domain: str, generated_at: datetime, requirements: Mapping[str, Status], checks: Iterable[Check],
           evidence: Mapping[str, str], bad_input: Iterable[str] = (), parts: tuple[Verdict, ...] = (),
           tenant: str | None = None) -> Verdict:
        """Unlocked only when every requirement passes; the earliest unlock looks at the parts' checks too."""
        checks = tuple(checks)
        return cls(
            domain=domain,
            status="unlocked" if all(s == "pass" for s in requirements.values()) else "locked",
            generated_at=generated_at,
            requirements=dict(requirements),
            checks=checks,
            evidence=dict(evidence),
            earliest_unlock=earliest([*checks, *(c for p in parts for c in p.checks)]),
            # One line per distinct problem: a broken facts file fails two requirements alike.
            bad_input=tuple(dict.fromkeys(bad_input)),
            parts=parts,
            tenant=tenant,
        )

    def adding(self, name: str, checks: list[Check], digests: Mapping[str, str], bad_input: Iterable[str], *, shown: bool = True) -> Verdict:
        """This verdict with one more requirement judged (the tenant's); `shown`: its checks listed here too."""
        return Verdict.of(self.domain, self.generated_at, {**self.requirements, name: worst(c.status for c in checks)},
                          self.checks + (tuple(checks) if shown else ()), {**self.evidence, **digests}, [*self.bad_input, *bad_input])

    def deciding(self, tenant: Verdict) -> Verdict:
        """This spec's verdict as part of the tenant's: the tenant's status and earliest unlock."""
        return dataclasses.replace(self, status=tenant.status, earliest_unlock=tenant.earliest_unlock)

    @property
    def unlocked(self) -> bool:
        return self.status == "unlocked"

    def to_dict(self) -> dict:
        out = envelope(
            self.domain,
            self.status,
            self.checks,
            self.generated_at,
            requirements=dict(self.requirements),
            earliest_unlock=self.earliest_unlock,
            evidence=dict(self.evidence),
        )
        if self.parts:
            out["tenant"] = self.tenant
            out["domains"] = [part.to_dict() for part in self.parts]
        return out
