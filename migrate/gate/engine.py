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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import get_args

from migrate.errors import BadInput, BrokenChain, MigrateError
from migrate.gate import checks, store
from migrate.gate.evidence import digest
from migrate.gate.result import Verdict
from migrate.gate import sources as sources_module
from migrate.gate.sources import Shared, Sources, TenantSources
from migrate.gate.tenant import tenant as tenant_checks
from migrate.names import domain_id
from migrate.report import Check, json_default, worst
from migrate.secrets import from_environment, scrub
from migrate.spec import GateCheck, Spec
from migrate.specset import SpecSet
from migrate.state.chain import Head

TENANT = "tenant"


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


@dataclass(frozen=True)
class Judged:
    """One requirement judged: its checks, the digests of what it rested on, and the input to fix, if any."""

    name: str
    checks: list[Check]
    digests: dict[str, str]
    evidence: object | None  # None when it could not be gathered
    bad_input: tuple[str, ...] = ()


def judge(name: str, gather: Callable[[], object], check: Callable[[object], list[Check]], fix: str,
          audit: Callable[[object], dict[str, str]], secrets: tuple[str, ...]) -> Judged:
    """Gather and check one requirement, fail-closed: any error is "unknown" (a broken store "fail"), never "pass"."""
    evidence, bad_input = None, ()
    try:
        evidence = gather()
        digests = {name: digest(evidence), **audit(evidence)}
        # Every gate check names its requirement and carries a fix ("" when there is nothing to do).
        found = [dataclasses.replace(r, requirement=name, fix=r.fix or "") for r in check(evidence)]
    except Exception as exc:  # noqa: BLE001 - fail closed
        evidence = None
        digests = {name: digest({"error": scrub(str(exc), *secrets)})}
        if isinstance(exc, BadInput):
            bad_input = (scrub(" ".join(str(exc).split()), *secrets),)
        found = [_tampered(name, exc) if isinstance(exc, BrokenChain) else _unknown(name, exc, fix)]
    return Judged(name, [_scrub(r, secrets) for r in found], digests, evidence, bad_input)


def evaluate(spec, sources: Sources, now: datetime) -> tuple[Verdict, dict[str, object]]:
    """The verdict at `now` on the spec's own requirements (`tenant` is the exit's: `decide`), and the evidence
    gathered (by requirement) for the runbook."""
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
            if name == TENANT:
                continue
            requirement = REQUIREMENTS[name]
            judged = judge(name, lambda: requirement.gather(sources), lambda ev: requirement.check(ev, spec, now),
                           requirement.fix, requirement.audit, secrets)
            if judged.evidence is not None:
                gathered[name] = judged.evidence
            digests.update(judged.digests)
            bad_input += judged.bad_input
            statuses[name] = worst(r.status for r in judged.checks)
            results.extend(r for r in judged.checks if not _told(r, results))
    finally:
        sources.close()
    if not spec.gate.require:
        results.append(
            Check(
                id="gate.require",
                status="unknown",
                subject="gate.require",
                expected="at least one requirement",
                observed="empty",
                fix=f"list the requirements in gate.require ({', '.join(get_args(GateCheck))})",
                requirement="gate",
            )
        )
        statuses["gate"] = "unknown"
    verdict = Verdict.of(spec.domain.rstrip("."), now.astimezone(timezone.utc), statuses, results, digests, bad_input)
    return verdict, gathered


def judge_tenant(specs: Sequence[Spec], sources: TenantSources, now: datetime) -> Judged:
    """The exit's `tenant` requirement (`gate.tenant`), judged once for all its specs, in the first spec's time zone."""
    secrets = tuple(dict.fromkeys(s for spec in specs for s in _secrets(spec)))
    return judge(TENANT, lambda: sources_module.tenant_evidence(specs, sources), lambda ev: tenant_checks(ev, now, specs[0].tz),
                 "add `domains:` to the facts file, or set up source.graph (and GRAPH_CLIENT_SECRET)", lambda ev: {}, secrets)


def _requires_tenant(spec) -> bool:
    return TENANT in spec.gate.require


def tenant_key(specs: SpecSet) -> str:
    """Where a tenant's decisions are kept in the gate store (beside each domain's): `tenant:<source.tenant>`."""
    return f"tenant:{specs.tenant or ''}"


def _heads(decided: Sequence[tuple[Spec, Sources]]) -> dict[str, Head]:
    return {f"{domain_id(spec.domain)} {name}": head for spec, src in decided for name, head in src.anchors.heads().items()}


def _summary(verdict: Verdict) -> dict:
    """A tenant's decision as its audit row holds it: each domain's part without its checks (its own row has them)."""
    report = verdict.to_dict()
    report["domains"] = [{k: v for k, v in part.items() if k != "checks"} for part in report["domains"]]
    return report


def _evaluated(specs: list[Spec], sources: list[Sources], state_dir: Path, now: datetime,
               tenant: TenantSources | None, shown: bool) -> tuple[list[Verdict], list[dict[str, object]], Judged]:
    """Every spec's verdict (with `tenant` added where required; its checks listed in each when `shown`), the
    evidence gathered per spec, and the tenant judged once. Each store is checked against its domain's newest
    decision's chain heads as it is read (`anchors`); every source is closed, whatever happens."""
    shared = Shared()
    try:
        previous = store.latest(state_dir, [domain_id(spec.domain) for spec in specs])
        for spec, src in zip(specs, sources):
            src.anchors.expect(previous[domain_id(spec.domain)])
        evaluated = [evaluate(spec, src, now) for spec, src in zip(specs, sources)]
        judged = Judged(TENANT, [], {}, None)
        if any(map(_requires_tenant, specs)):
            judged = judge_tenant(specs, tenant or sources_module.tenant_default(specs, shared), now)
    finally:
        for src in sources:
            src.close()
        shared.close()
    parts = [verdict.adding(TENANT, judged.checks, judged.digests, judged.bad_input, shown=shown) if _requires_tenant(spec) else verdict
             for spec, (verdict, _) in zip(specs, evaluated)]
    return parts, [gathered for _, gathered in evaluated], judged


def decide(spec: Spec, sources: Sources, state_dir: Path, now: datetime,
           tenant: TenantSources | None = None) -> tuple[Verdict, dict[str, object]]:
    """One spec's verdict (the tenant's checks among its own, when it requires `tenant`), appended to the
    audit trail (an unrecordable decision raises: locked); and the evidence gathered, for the runbook."""
    (verdict,), (gathered,), _ = _evaluated([spec], [sources], state_dir, now, tenant, shown=True)
    store.record(state_dir, now, verdict.domain, verdict.status, verdict.evidence, _plain(verdict), sources.anchors.heads())
    return verdict, gathered


def decide_exit(exit_specs: SpecSet, sources: Sequence[Sources], state_dir: Path, now: datetime,
                tenant: TenantSources | None = None) -> tuple[Verdict, list[dict[str, object]]]:
    """The tenant's one decision on an exit of several specs (or a folder of them), appended to the audit trail.

    Each spec's verdict is a part carrying the tenant's status (unlocked only when every part's requirements
    and the tenant's pass), and is recorded under its domain; the tenant's is recorded under `tenant_key`
    with every chain head it rested on. The evidence gathered is returned per spec, for the runbook.
    """
    specs, sources = list(exit_specs.specs), list(sources)
    parts, gathered, judged = _evaluated(specs, sources, state_dir, now, tenant, shown=False)
    merged: dict[str, str] = {}
    for part in parts:
        for name, status in part.requirements.items():
            merged[name] = worst([status, merged.get(name, status)])
    overall = Verdict.of(", ".join(p.domain for p in parts), now.astimezone(timezone.utc), merged, judged.checks, judged.digests,
                         [*judged.bad_input, *(m for p in parts for m in p.bad_input)], tuple(parts), exit_specs.tenant)
    verdict = dataclasses.replace(overall, parts=tuple(p.deciding(overall) for p in parts))
    store.record_all(state_dir, now, [
        *(store.Entry(part.domain, part.status, part.evidence, _plain(part), src.anchors.heads()) for src, part in zip(sources, verdict.parts)),
        store.Entry(tenant_key(exit_specs), verdict.status, verdict.evidence, _plain(_summary(verdict)), _heads(list(zip(specs, sources)))),
    ])
    return verdict, gathered


def _plain(value) -> dict:
    """A report as JSON-only values, as the audit trail stores it."""
    data = value.to_dict() if isinstance(value, Verdict) else value
    return json.loads(json.dumps(data, default=json_default))
