"""One run of the cancel gate: what `migrate gate` and the demo both do.

Decide (the engine gathers the evidence and appends the decision to the audit
trail), then either stop on input the user must fix first, or return the
verdict with the cancel runbook when it unlocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from migrate.errors import BadInput
from migrate.gate import engine, runbook
from migrate.gate import sources as sources_module
from migrate.gate.result import Verdict
from migrate.gate.sources import Sources
from migrate.notify import recipients
from migrate.spec import Spec


@dataclass(frozen=True)
class GateRun:
    verdict: Verdict
    runbook: str | None  # the cancel runbook, only when unlocked

    def to_dict(self) -> dict:
        """The `--json` report."""
        return {**self.verdict.to_dict(), "runbook": self.runbook}


def run(spec: Spec, state_dir: Path, *, now: datetime | None = None, sources: Sources | None = None,
        lang: str | None = None) -> GateRun:
    """Decide and audit; BadInput when the evidence failed on the user's input (the decision is still audited).

    `lang` is the runbook's language (default: the spec's notify.language).
    """
    now = now or datetime.now(timezone.utc)
    sources = sources or sources_module.default(spec, state_dir, now=now)
    verdict, gathered = engine.decide(spec, sources, state_dir, now)
    if verdict.bad_input:
        # Its line, not a report resting on it.
        raise BadInput("; ".join(verdict.bad_input))
    if not verdict.unlocked:
        return GateRun(verdict, None)
    # The deadline data_saved rested on; read for the runbook alone when data_saved is not required.
    saved = gathered.get("data_saved")
    deadline = saved.deadline if saved is not None else sources.promised()
    return GateRun(verdict, runbook.render(spec, verdict, gathered.get("licences"), now, lang, deadline, recipients.mailboxes(spec)))
