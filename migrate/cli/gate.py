"""`migrate gate SPEC... [--json] [--explain] [--ci github] [--locked-ok]`: evaluate the cancel gate.

One spec file is decided alone (its report as before); several, or a folder
of them, are one tenant's exit: one decision for the tenant (`run_exit`).

Exit 0 unlocked (and the cancel runbook is printed), 1 locked, 2 bad input.
Every evaluation is appended to the audit trail in --state; `--explain`
prints that history instead of evaluating, and the waves sent outside
their window with --force. Times are shown in the spec's time zone.
`--ci github` also writes the step outputs and the job summary
(`migrate.gate.github`), so a pipeline needs no exit-code logic;
`--locked-ok` makes a locked gate exit 0 for a scheduled report whose job
should stay green.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated

import typer
from migrate import localtime
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import JsonOpt, SpecsArg, StateOpt, exit_state, load_set, state_location
from migrate.errors import BadInput
from migrate.gate import engine
from migrate.gate import github as gate_github
from migrate.gate import run as gate_run
from migrate.gate import store
from migrate.gate.result import Verdict
from migrate.names import domain_id
from migrate.notify import ledger

_STYLE = {"pass": "green", "fail": "red", "pending": "yellow", "unknown": "magenta"}


def _when(value: datetime | None, tz: tzinfo) -> str:
    return localtime.format(value, tz) if value else ""


def _show(verdict: Verdict, tz: tzinfo) -> None:
    # An exit of several specs: each domain's checks under its name, then the tenant's.
    for part in verdict.parts:
        output.line((part.domain, "bold"))
        _checks(part.checks, tz)
    if verdict.parts:
        output.line(("tenant" + (f" {verdict.tenant}" if verdict.tenant else ""), "bold"))
    _checks(verdict.checks, tz)
    # Requirement names are the spec's gate.require, validated against the known set; statuses are the engine's.
    summary = ", ".join(f"{name} {status}" for name, status in verdict.requirements.items())
    if verdict.unlocked:
        output.line((f"UNLOCKED: {summary}", "bold green"))
    else:
        line = f"LOCKED: {summary}"
        if verdict.earliest_unlock:
            line += f"; earliest unlock {_when(verdict.earliest_unlock, tz)} if nothing else changes"
        output.line((line, "bold red"))


def _checks(checks, tz: tzinfo) -> None:
    # One check per line, then its details indented: readable in a CI log of any width.
    # Every value is folded to one line (output.line), so only the tool's own last line reads as a verdict.
    for check in checks:
        output.line((f"{check.status:<8}", _STYLE[check.status]), f"{check.id}  {check.subject}: {check.observed}")
        if check.status != "pass" and check.expected:
            output.line(f"         expected: {check.expected}")
        if check.detail:
            output.line(f"         {check.detail}")
        if check.fix and check.status != "pass":
            output.line(f"         fix: {check.fix}")
        if check.eta:
            output.line(f"         earliest: {_when(check.eta, tz)}")


def _explain(key: str, tz: tzinfo, folder, as_json: bool) -> int:
    """The decisions recorded under `key` (a domain, or an exit's tenant) and the forced sends."""
    history = store.decisions(folder, key)
    forced = [s for s in ledger.sends(folder) if s.forced]
    if as_json:
        output.emit_json(
            {
                "domain": key,
                "decisions": [{"id": d.id, "at": d.at, "status": d.status, "evidence": d.evidence, "report": d.report,
                               "heads": {name: head.to_dict() for name, head in d.heads.items()}} for d in history],
                "forced_sends": [{"at": s.at, "wave": s.wave, "window": s.forced} for s in forced],
            }
        )
    elif not history:
        output.message(f"no gate decisions recorded in {folder}")
    else:
        # What the store holds is shown, not trusted: each record folded to one line.
        for d in history:
            reqs = d.report.get("requirements", {})
            output.line(f"#{d.id} {_when(d.at, tz)} {d.status.upper()}: " + ", ".join(f"{k}={v}" for k, v in reqs.items()))
            for name, value in sorted(d.evidence.items()):
                output.line(f"    {name:<15} {value}")
            if d.heads:  # the chains it rested on: entries, and the newest link
                chains = ", ".join(f"{name} {head.count} ({head.link[:12]})" for name, head in sorted(d.heads.items()))
                output.line(f"    {'chains':<15} {chains}")
            for check in d.report.get("checks", []):
                if check.get("status") != "pass":
                    output.line(f"    - {check.get('id')} {check.get('status')}: {check.get('observed')} {check.get('detail') or ''}".rstrip())
    if not as_json:
        for s in forced:
            output.line(f"forced: the {s.wave} wave was sent {_when(s.at, tz)} with --force, outside its window ({s.forced})")
    if not history:
        return 1
    return 0 if history[-1].status == "unlocked" else 1


@app.command("gate")
def gate_command(
    specs: SpecsArg,
    state: StateOpt = None,
    json: JsonOpt = False,
    explain: Annotated[bool, typer.Option("--explain", help="Print the recorded gate decisions and the evidence each rested on.")] = False,
    ci: Annotated[
        str | None,
        typer.Option("--ci", help="Also write the CI step's outputs and summary: github (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY).", show_default=False),
    ] = None,
    locked_ok: Annotated[bool, typer.Option("--locked-ok", help="Exit 0 when the gate is locked too (a scheduled report); bad input still fails.")] = False,
) -> None:
    """Evaluate the cancel gate: exit 0 unlocked (prints the cancel runbook), 1 locked, 2 bad input."""

    def body() -> int:
        if ci and explain:
            raise BadInput("--ci reports an evaluation; --explain evaluates nothing: choose one")
        with gate_github.step(ci) as step:
            exit_specs, single = load_set(specs)
            loaded = exit_specs.specs[0]  # its time zone is the one times are shown in
            if single:
                folder = state_location(loaded, state)
                if explain:
                    return _explain(domain_id(loaded.domain), loaded.tz, folder, json)
                outcome = gate_run.run(loaded, folder)
            else:
                folder = exit_state(exit_specs, state)
                if explain:
                    return _explain(engine.tenant_key(exit_specs), loaded.tz, folder, json)
                outcome = gate_run.run_exit(exit_specs, folder)
            if json:
                output.emit_json(outcome.to_dict())
            else:
                _show(outcome.verdict, loaded.tz)
                if outcome.runbook:
                    output.stdout.rule("Cancel runbook")
                    output.stdout.print(outcome.runbook, markup=False, end="")
            if step:
                gate_github.report(step, loaded, outcome)
        return 0 if outcome.verdict.unlocked or locked_ok else 1

    output.run(body)
