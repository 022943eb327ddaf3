"""`migrate gate --ci github`: the gate's verdict as step outputs and a job summary.

Outputs, for later steps and jobs (`steps.<id>.outputs.<name>`):
`status` (unlocked | locked | error), `unlocked` (true | false),
`earliest_unlock` (UTC, ISO 8601; empty when there is none), `domain`,
`generated_at`, `requirements` (one line of JSON: requirement -> status) and,
on bad input, `error`. A pipeline reads these instead of exit codes.

The summary: the verdict, the requirements, every check as a table row, and
the cancel runbook when the gate unlocks. Times there are in the spec's
time zone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from migrate import github
from migrate.errors import BadInput, MigrateError
from migrate.gate.run import GateRun
from migrate.report import Check, json_default
from migrate.spec import Spec

CI_SYSTEMS = ("github",)


@contextmanager
def step(ci: str | None) -> Iterator[github.Step | None]:
    """The step files when `ci` names GitHub, else None; a MigrateError inside is reported there too."""
    if ci is None:
        yield None
        return
    if ci not in CI_SYSTEMS:
        raise BadInput(f"--ci: unknown CI system {ci!r} (known: {', '.join(CI_SYSTEMS)})")
    with github.Step.open() as files:
        try:
            yield files
        except MigrateError as error:
            failed(files, error)
            raise


def report(files: github.Step, spec: Spec, outcome: GateRun) -> None:
    verdict = outcome.verdict
    files.set_outputs(
        {
            "status": verdict.status,
            "unlocked": "true" if verdict.unlocked else "false",
            "earliest_unlock": json_default(verdict.earliest_unlock) if verdict.earliest_unlock else "",
            "domain": verdict.domain,
            "generated_at": json_default(verdict.generated_at),
            "requirements": json.dumps(verdict.requirements, separators=(",", ":")),
        }
    )
    files.add_summary(_summary(spec, outcome))


def failed(files: github.Step, error: MigrateError) -> None:
    files.set_outputs({"status": "error", "unlocked": "false", "error": str(error)})
    files.add_summary([f"### Cancel gate: ERROR\n\n{github.inert(error)}\n"])


def _local(spec: Spec, value: datetime) -> str:
    local = value.astimezone(spec.tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _summary(spec: Spec, outcome: GateRun) -> Iterator[str]:
    verdict = outcome.verdict
    yield f"### Cancel gate: {verdict.status.upper()} ({github.inert(verdict.domain)})\n\n"
    if verdict.earliest_unlock:
        yield f"Earliest unlock: {_local(spec, verdict.earliest_unlock)}, if nothing else changes.\n\n"
    rows = [(github.inert(name), github.inert(status)) for name, status in verdict.requirements.items()]
    yield "\n".join(github.table(("requirement", "status"), rows)) + "\n\n"
    # An exit of several specs: each domain's checks under its name, then the tenant's.
    for part in verdict.parts:
        yield f"#### {github.inert(part.domain)}\n\n"
        yield from _checks(spec, part.checks)
        yield "\n"
    if verdict.parts:
        yield "#### tenant\n\n"
    yield from _checks(spec, verdict.checks)
    if outcome.runbook:
        yield "\n#### Cancel runbook\n\n" + github.code_block(outcome.runbook)


def _checks(spec: Spec, checks) -> Iterator[str]:
    head, rule, *rows = github.table(
        ("status", "check", "subject", "observed", "expected", "what to do"),
        (
            (
                github.inert(check.status),
                github.inert(check.id),
                github.inert(check.subject),
                github.inert(check.observed),
                github.inert(check.expected if check.status != "pass" else ""),
                _what_to_do(spec, check),
            )
            for check in checks
        ),
    )
    # Each row on its own: the 1 MiB cut falls between rows.
    yield head + "\n" + rule + "\n"
    for row in rows:
        yield row + "\n"


def _what_to_do(spec: Spec, check: Check) -> str:
    parts = [github.inert(check.detail)] if check.detail else []
    if check.status != "pass" and check.fix:
        parts.append(github.inert(check.fix))
    if check.eta:
        parts.append(f"earliest: {_local(spec, check.eta)}")
    return " ".join(parts)
