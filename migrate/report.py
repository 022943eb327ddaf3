"""The one check record and report envelope that verify and gate both report with.

DESIGN.md "Reports" is the contract: a report is `domain`, `status`,
`generated_at` (UTC) and `checks`, each check `{id, status, subject, server,
expected, observed, detail, eta}` with status pass | fail | pending |
unknown. The gate adds `fix` (what to do) and `requirement` (the
gate.require entry a check belongs to), and verify `seen_at` (when the
answer a check rests on was seen, if an earlier round settled it); they
appear in the JSON only when set, so a check keeps exactly the contract's
keys otherwise. Each command
extends the envelope with its own keys (verify: eta, safe_after, round...;
gate: requirements, earliest_unlock, evidence).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from migrate.state.codec import plain, utc_text

PASS, FAIL, PENDING, UNKNOWN = "pass", "fail", "pending", "unknown"
Status = Literal["pass", "fail", "pending", "unknown"]
# A passing check whose detail starts with this says something a person should read
# (SOA serials that differ): the terminal shows it instead of folding it into a count.
NOTE = "note: "

# Worst first, for folding many checks into one status. Unknown ranks below
# fail: fail closed, what could not be established is never better than a
# known failure (and "fix it" is at least a known way out).
_RANK = {UNKNOWN: 0, FAIL: 1, PENDING: 2, PASS: 3}


@dataclass(frozen=True)
class Check:
    """One observation against one expectation.

    `eta` is the earliest time the check can pass (set for `pending`, and for
    a `fail` whose remedy has a known date); `fix` says what to do about it.
    """

    id: str
    status: Status
    subject: str
    server: str | None = None
    expected: Any = None
    observed: Any = None
    detail: str = ""
    eta: datetime | None = None
    fix: str | None = None
    requirement: str | None = None
    # When the evidence was seen, for a check resting on an answer an earlier round settled (verify).
    seen_at: datetime | None = None

    def to_dict(self) -> dict:
        out = {
            "id": self.id,
            "status": self.status,
            "subject": self.subject,
            "server": self.server,
            "expected": self.expected,
            "observed": self.observed,
            "detail": self.detail,
            "eta": self.eta,
        }
        if self.fix is not None:
            out["fix"] = self.fix
        if self.requirement is not None:
            out["requirement"] = self.requirement
        if self.seen_at is not None:
            out["seen_at"] = self.seen_at
        return out


def worst(statuses: Iterable[str]) -> Status:
    """The worst of `statuses` (unknown < fail < pending < pass); nothing at all is unknown."""
    return min(statuses, key=lambda s: _RANK[s], default=UNKNOWN)


def envelope(domain: str, status: str, checks: Iterable[Check], generated_at: datetime | None = None, **extra) -> dict:
    """The report object: the contract's keys, a command's `extra` keys, then the checks."""
    return {
        "domain": domain,
        "status": status,
        "generated_at": (generated_at or datetime.now(timezone.utc)).astimezone(timezone.utc),
        **extra,
        "checks": [c.to_dict() for c in checks],
    }


def json_default(value: Any) -> Any:
    """JSON for what reports hold besides plain data: UTC times with Z (the report contract), paths, and what state holds."""
    if isinstance(value, datetime):
        return utc_text(value, zulu=True)
    if isinstance(value, Path):
        return str(value)
    return plain(value)


def dumps(data: Any, indent: int | None = 2) -> str:
    """A report as the JSON text the commands print and the demo saves (`indent=None`: one line, for large reports:
    Python's JSON encoder is many times faster without indentation)."""
    return json.dumps(data, indent=indent, ensure_ascii=False, default=json_default) + "\n"
