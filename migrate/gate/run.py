"""One run of the cancel gate: what `migrate gate` and the demo both do.

Decide (the engine gathers the evidence and appends the decision to the audit
trail), then either stop on input the user must fix first, or return the
verdict with the cancel runbook when it unlocks. `run` decides one spec,
`run_exit` the tenant's exit of several (a folder of specs, or several named).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from migrate.errors import BadInput
from migrate.gate import engine, runbook
from migrate.gate import sources as sources_module
from migrate.gate.evidence import Deadline
from migrate.gate.result import Verdict
from migrate.gate.sources import Shared, Sources, TenantSources
from migrate.notify import recipients
from migrate.spec import Spec
from migrate.specset import SpecSet


@dataclass(frozen=True)
class GateRun:
    verdict: Verdict
    runbook: str | None  # the cancel runbook, only when unlocked

    def to_dict(self) -> dict:
        """The `--json` report."""
        return {**self.verdict.to_dict(), "runbook": self.runbook}


def _checked(verdict: Verdict) -> None:
    if verdict.bad_input:
        # Its line, not a report resting on it.
        raise BadInput("; ".join(verdict.bad_input))


def _deadline(gathered: dict[str, object], sources: Sources) -> Deadline | None:
    """The deadline data_saved rested on; read for the runbook alone when data_saved is not required."""
    saved = gathered.get("data_saved")
    return saved.deadline if saved is not None else sources.promised()


def run(spec: Spec, state_dir: Path, *, now: datetime | None = None, sources: Sources | None = None,
        tenant: TenantSources | None = None, lang: str | None = None) -> GateRun:
    """Decide and audit; BadInput when the evidence failed on the user's input (the decision is still audited).

    `lang` is the runbook's language (default: the spec's notify.language).
    """
    now = now or datetime.now(timezone.utc)
    shared = Shared()
    try:
        sources = sources or sources_module.default(spec, state_dir, now=now, shared=shared)
        verdict, gathered = engine.decide(spec, sources, state_dir, now, tenant or sources_module.tenant_default([spec], shared))
    finally:
        shared.close()
    _checked(verdict)
    if not verdict.unlocked:
        return GateRun(verdict, None)
    return GateRun(verdict, runbook.render([spec], verdict, gathered.get("licences"), now, lang, _deadline(gathered, sources),
                                         recipients.mailboxes(spec)))


def run_exit(specs: SpecSet, state_dir: Path, *, now: datetime | None = None, sources: list[Sources] | None = None,
             tenant: TenantSources | None = None, lang: str | None = None) -> GateRun:
    """The tenant's one decision on every spec of the exit, audited; the runbook covers every domain.

    One set of Graph clients serves every spec and the tenant (one deadline for the run's Graph work).
    """
    now = now or datetime.now(timezone.utc)
    shared = Shared()
    try:
        sources = sources or [sources_module.default(spec, state_dir, now=now, shared=shared) for spec in specs.specs]
        verdict, gathered = engine.decide_exit(specs, sources, state_dir, now,
                                               tenant or sources_module.tenant_default(specs.specs, shared))
    finally:
        shared.close()
    _checked(verdict)
    if not verdict.unlocked:
        return GateRun(verdict, None)
    licences = next((g["licences"] for g in gathered if "licences" in g), None)
    deadlines = [d for g, src in zip(gathered, sources) if (d := _deadline(g, src)) is not None]
    latest = max(deadlines, key=lambda d: d.ends, default=None)
    return GateRun(verdict, runbook.render(list(specs.specs), verdict, licences, now, lang, latest, _mailboxes(specs)))


def _mailboxes(specs: SpecSet) -> list[recipients.Mailbox] | None:
    """Every spec's mailboxes nobody was told about; None when no spec has a users export."""
    found = [recipients.mailboxes(spec) for spec in specs.specs]
    if all(boxes is None for boxes in found):
        return None
    return [box for boxes in found if boxes for box in boxes]
