"""The verify report: one JSON object per DESIGN.md ("Reports"), and one for a set of domains.

`domain`, `status`, `generated_at` (UTC) and `checks` (id, status, subject,
server, expected, observed, detail, eta) are the contract (`migrate.report`); the rest
(`eta`, `safe_after`, `round`, `digest`, `summary`, `old_ttls`, `carried`,
`oldest_evidence`, and a check's `seen_at` and `age` when it rests on an
answer an earlier round settled) extends it.

A set (several specs, or a folder) is one object: the set's `status` (its
worst domain's), `generated_at`, `eta`, `summary` (domains per status),
`queries`, `carried` and `reports`, one report as above per domain.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from migrate.report import FAIL, PASS, PENDING, UNKNOWN, envelope
from migrate.verify.batch import SetResult
from migrate.verify.round import RoundResult

EXIT_CODES = {"verified": 0, "failing": 1, "unknown": 1, "converging": 3}
# Display order, most actionable first (a failure before what could not be established).
_ORDER = {FAIL: 0, UNKNOWN: 1, PENDING: 2, PASS: 3}


def exit_code(status: str) -> int:
    return EXIT_CODES.get(status, 1)


def build(result: RoundResult, generated_at: datetime | None = None) -> dict:
    counts = Counter(c.status for c in result.checks)
    out = envelope(
        result.domain,
        result.status,
        sorted(result.checks, key=lambda c: (_ORDER.get(c.status, 9), c.id, c.subject, c.server or "")),
        generated_at,
        eta=result.eta,
        safe_after=result.safe_after,
        first_fully_seen=result.first_fully_seen,
        round=result.round_id,
        digest=result.digest,
        summary={s: counts.get(s, 0) for s in (PASS, FAIL, PENDING, UNKNOWN)},
        queries=result.queries,
        carried=result.carried,
        oldest_evidence=result.oldest_evidence,
        old_ttls=[t.to_dict() for t in result.old_ttls],
    )
    for check in out["checks"]:
        if "seen_at" in check:
            check["age"] = round((result.finished_at - check["seen_at"]).total_seconds())
    return out


def build_set(outcome: SetResult, generated_at: datetime | None = None) -> dict:
    generated_at = (generated_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return {
        "status": outcome.status,
        "generated_at": generated_at,
        "eta": outcome.eta,
        "summary": outcome.summary,
        "queries": outcome.queries,
        "carried": outcome.carried,
        "reports": [build(r, generated_at) for r in outcome.results],
    }
