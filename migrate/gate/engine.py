"""Evaluate the cancel gate: gather evidence, run the checks, decide, record.

Fail closed: a requirement whose evidence cannot be gathered, or whose check
raises, is `unknown`, and one whose store's chain does not verify, or does
not extend what the previous decision saw, fails (`state.<store>`); any
requirement that is not `pass` keeps the gate locked. Every decision is
appended to the audit trail with the digest of the evidence it rested on and
the heads of the chains it came from (`anchors`), before the verdict is
returned. A broken audit trail itself stops the run (BrokenChain, exit 2):
there is nothing trustworthy to compare with, and nothing to append to.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from migrate.errors import BadInput, BrokenChain, MigrateError
from migrate.gate import checks, store
from migrate.gate.evidence import digest
from migrate.gate.result import Verdict
from migrate.gate import sources as sources_module
from migrate.gate.sources import Sources
from migrate.names import domain_id
from migrate.report import Check, json_default, worst
from migrate.secrets import from_environment, scrub


@dataclass(frozen=True)
class Requirement:
    name: str
    gather: Callable[[Sources], object]
    check: Callable[[object, object, datetime], list[Check]]
    fix: str  # what to do when the evidence itself cannot be had
    # Extra audit entries naming what the evidence itself rests on (e.g. the journal's digest).
    audit: Callable[[object], dict[str, str]] = lambda evidence: {}


def _journal_digest(ev) -> dict[str, str]:
    """The digest of the verify round the dns check rested on, as the journal recorded it."""
    return {"dns.journal": f"sha256:{ev.digest}"} if ev is not None and ev.digest else {}


REQUIREMENTS: dict[str, Requirement] = {
    "dns": Requirement(
        "dns",
        lambda s: s.dns(),
        lambda ev, spec, now: checks.dns(ev, min_soak=spec.gate.min_soak, max_age=spec.gate.max_age, now=now, tz=spec.tz),
        "run `migrate verify SPEC` with the same --state",
        _journal_digest,
    ),
    "notice": Requirement(
        "notice",
        lambda s: s.notice(),
        lambda ev, spec, now: checks.notice(ev, spec.cutover, spec.gate.notice_days, now, spec.tz),
        "check notify.recipients and the notification ledger in --state",
    ),
    "licences": Requirement(
        "licences",
        lambda s: s.licences(),
        lambda ev, spec, now: checks.licences(ev, now=now, tz=spec.tz),
        "set up source.graph (and GRAPH_CLIENT_SECRET), or write the gate.facts file",
    ),
    "domain_removed": Requirement(
        "domain_removed",
        lambda s: s.domain(),
        lambda ev, spec, now: checks.domain_removed(ev, now=now, tz=spec.tz),
        "set up source.graph (and GRAPH_CLIENT_SECRET), or write the gate.facts file",
    ),
    "data_saved": Requirement(
        "data_saved",
        sources_module.data_saved,
        lambda ev, spec, now: checks.data_saved(ev.attestations, domain_id(spec.domain), mail_moved=ev.mail_moved, now=now, tz=spec.tz)
        + checks.data_deadline(ev.deadline, now, spec.tz),
        "check that --state is the folder `migrate attest` and `migrate notify --send` wrote to",
    ),
}


def _secrets(spec) -> tuple[str, ...]:
    """Values that must never appear in a report, in any form, whatever an exception says."""
    tsig = spec.dns.rfc2136
    return from_environment(*([tsig.secret_env] if tsig else []))


def _scrub(result: Check, secrets: tuple[str, ...]) -> Check:
    changes = {}
    for field in ("subject", "expected", "observed", "detail", "fix"):
        value = getattr(result, field)
        if isinstance(value, str):
            changes[field] = scrub(value, *secrets)
    return dataclasses.replace(result, **changes)


def _tampered(name: str, exc: BrokenChain) -> Check:
    return Check(
        id=f"state.{exc.store}",
        status="fail",
        subject=exc.store,
        expected="the store as the tool wrote it: its hash chain whole, and extending what the previous gate decision saw",
        observed=" ".join(str(exc).split()),
        detail="altered, trimmed or replaced after it was written: none of its evidence counts",
        fix="find out what changed the file in --state, then start from a fresh --state (verify, notify and attest again)",
        requirement=name,
    )


def _told(check: Check, results: list[Check]) -> bool:
    """A broken store already reported for another requirement (dns and data_saved both rest on the journal): its line once."""
    return check.id.startswith("state.") and any((check.id, check.observed) == (r.id, r.observed) for r in results)


def _unknown(name: str, exc: BaseException, fix: str) -> Check:
    if isinstance(exc, MigrateError):
        reason = str(exc)
    else:
        reason = f"unexpected {type(exc).__name__}: {exc}"
    return Check(
        id=f"gate.{name}",
        status="unknown",
        subject=name,
        expected="evidence",
        observed="could not be established",
        detail=" ".join(reason.split()),
        fix=fix,
        requirement=name,
    )


def evaluate(spec, sources: Sources, now: datetime) -> tuple[Verdict, dict[str, object]]:
    """The verdict at `now`, and the evidence gathered (by requirement) for the runbook."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    secrets = _secrets(spec)
    results: list[Check] = []
    statuses: dict[str, str] = {}
    digests: dict[str, str] = {}
    gathered: dict[str, object] = {}
    bad_input: list[str] = []
    try:
        for name in dict.fromkeys(spec.gate.require):
            requirement = REQUIREMENTS[name]
            try:
                evidence = requirement.gather(sources)
                gathered[name] = evidence
                digests[name] = digest(evidence)
                digests.update(requirement.audit(evidence))
                # Every gate check names its requirement and carries a fix ("" when there is nothing to do).
                found = [dataclasses.replace(r, requirement=name, fix=r.fix or "") for r in requirement.check(evidence, spec, now)]
            except Exception as exc:  # noqa: BLE001 - fail closed: any error is "unknown", never "pass"
                digests[name] = digest({"error": scrub(str(exc), *secrets)})
                if isinstance(exc, BadInput):
                    bad_input.append(str(exc))
                found = [_tampered(name, exc) if isinstance(exc, BrokenChain) else _unknown(name, exc, requirement.fix)]
            found = [_scrub(r, secrets) for r in found]
            statuses[name] = worst(r.status for r in found)
            results.extend(r for r in found if not _told(r, results))
    finally:
        sources.close()
    if not statuses:
        results.append(
            Check(
                id="gate.require",
                status="unknown",
                subject="gate.require",
                expected="at least one requirement",
                observed="empty",
                fix="list the requirements in gate.require (dns, notice, licences, domain_removed, data_saved)",
                requirement="gate",
            )
        )
        statuses["gate"] = "unknown"
    unlocked = all(s == "pass" for s in statuses.values())
    blocking = [r for r in results if r.status != "pass"]
    earliest = None
    if blocking and all(r.eta is not None for r in blocking):
        earliest = max(r.eta for r in blocking)
    verdict = Verdict(
        domain=spec.domain.rstrip("."),
        status="unlocked" if unlocked else "locked",
        generated_at=now.astimezone(timezone.utc),
        requirements=statuses,
        checks=tuple(results),
        evidence=digests,
        earliest_unlock=earliest,
        # One line per distinct problem: a broken facts file fails two requirements alike.
        bad_input=tuple(dict.fromkeys(scrub(" ".join(m.split()), *secrets) for m in bad_input)),
    )
    return verdict, gathered


def decide(spec, sources: Sources, state_dir: Path, now: datetime) -> tuple[Verdict, dict[str, object]]:
    """Evaluate and append the decision to the audit trail (an unrecordable decision raises: locked).

    The stores are checked against the newest decision's chain heads as they are read (`anchors`).
    """
    try:
        sources.anchors.expect(store.last(state_dir, spec.domain.rstrip(".")))
    except BaseException:
        sources.close()
        raise
    verdict, gathered = evaluate(spec, sources, now)
    report = json.loads(json.dumps(verdict.to_dict(), default=json_default))
    store.record(state_dir, now, verdict.domain, verdict.status, verdict.evidence, report, sources.anchors.heads())
    return verdict, gathered
