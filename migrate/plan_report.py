"""What `migrate plan` reports: the JSON report, and the changes with why each is made.

`plan.build` computes the zones; this module only reads a built plan, so the
command's table, its `--json` and the demo's list show the same changes for
the same reasons. A set of specs (several, or a folder) is one object: the
set's `status` (`lint-errors` if any domain has one), `generated_at`,
`summary` (domains per status) and `reports`, one report per domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from migrate import lint
from migrate.footprint import Reason
from migrate.plan import Plan
from migrate.zone import RRset

REMOVED, CHANGED, ADDED = "-", "~", "+"


@dataclass(frozen=True)
class Change:
    mark: str  # REMOVED, CHANGED or ADDED
    old: RRset | None
    new: RRset | None
    reasons: tuple[Reason, ...]  # why the old set is Microsoft 365's; empty for other changes
    dropped: str = ""  # why the new host does not get the old set (plan.Dropped), if that is why

    @property
    def rrset(self) -> RRset:
        """The set as the table names it: the old one, unless it is new."""
        return self.old or self.new

    @property
    def why(self) -> str:
        return "; ".join(reason.text for reason in self.reasons) or self.dropped


def changes(result: Plan) -> list[Change]:
    """Removals, then changes, then additions, each with the reasons behind it."""
    reasons = {r.rrset.key: r.reasons for r in result.microsoft365}
    dropped = {d.rrset.key: d.reason for d in result.dropped}
    diff = result.diff()
    return [
        *(Change(REMOVED, r, None, reasons.get(r.key, ()), dropped.get(r.key, "")) for r in diff.removed),
        *(Change(CHANGED, old, new, reasons.get(old.key, ())) for old, new in diff.changed),
        *(Change(ADDED, None, r, ()) for r in diff.added),
    ]


def build(result: Plan, findings: list[lint.Finding], generated_at: datetime | None = None) -> dict:
    """The `--json` report."""
    return {
        "domain": result.spec.domain,
        "status": status(findings),
        "generated_at": generated_at or datetime.now(timezone.utc),
        "desired": [r.to_dict() for r in result.desired],
        "lint": [f.to_dict() for f in findings],
        "diff": result.diff().to_dict(),
        "microsoft365": [r.to_dict() for r in result.microsoft365],
        "dropped": [d.to_dict() for d in result.dropped],
    }


def status(findings: list[lint.Finding]) -> str:
    return "lint-errors" if lint.has_errors(findings) else "ok"


def build_set(plans: list[tuple[Plan, list[lint.Finding]]]) -> dict:
    """The `--json` report of a set of specs."""
    statuses = [status(findings) for _, findings in plans]
    generated_at = datetime.now(timezone.utc)
    return {
        "status": "lint-errors" if "lint-errors" in statuses else "ok",
        "generated_at": generated_at,
        "summary": {s: statuses.count(s) for s in ("ok", "lint-errors")},
        "reports": [build(result, findings, generated_at) for result, findings in plans],
    }
