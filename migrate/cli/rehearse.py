"""`migrate rehearse SPEC [--json] [--out DIR]`: the user's own cutover, offline, in the lab, on a compressed clock.

Exit 0 when the rehearsal reaches an unlocked gate with nothing to report,
1 when it found problems, 2 bad input. Progress goes to stderr; the findings,
the real-clock timeline and what was simulated go to stdout. Without root
(port 53), one line names the command that runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from migrate import localtime
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import JsonOpt, SpecArg


def _show(result) -> None:
    count = len(result.findings)
    if count:
        output.line((f"Rehearsal of {result.domain}: {count} problem{'s' if count != 1 else ''}", "bold red"))
    else:
        output.line((f"Rehearsal of {result.domain}: nothing to report", "bold green" if result.unlocked else "bold red"))
    for finding in result.findings:
        output.line((f"  {finding.id:<19}", "red"), f"{finding.subject}: {finding.message}")
        if finding.fix:
            output.line(f"  {'':<19}fix: {finding.fix}")
    output.line(("Timeline (the real clock, from what verify and the gate answered)", "bold"))
    for event in result.timeline:
        when = localtime.format(event.at, result.tz) if event.at else "not in this rehearsal"
        output.line(f"  {when:<22} ", (f"{event.id:<18}", "cyan"), f" {event.what}")
    output.line(("Simulated (the lab cannot know these)", "bold"))
    for line in result.simulated:
        output.line(f"  - {line}")
    if result.notes:
        output.line(("Notes", "bold"))
        for line in result.notes:
            output.line(f"  - {line}")
    kept = f"; state in {result.folder}" if result.folder else ""
    output.line(f"Rehearsed in {result.seconds:.0f} s: {result.verify_rounds} verify rounds, {result.gate_decisions} gate decisions, "
                f"{result.messages} messages to the lab's SMTP relay{kept}")
    if result.status == "ok":
        output.line(("OK: nothing to report; the gate unlocks as planned", "bold green"))
    else:
        output.line((f"PROBLEMS: {len(result.findings)} found", "bold red"))


@app.command("rehearse")
def rehearse_command(
    spec: SpecArg,
    json: JsonOpt = False,
    out: Annotated[Path | None, typer.Option("--out", help="Keep the rehearsal's state (journal, ledger, gate store, emails) in this new or empty folder (default: a temporary one, removed).")] = None,
) -> None:
    """Rehearse the cutover offline in the lab: exit 0 nothing to report, 1 problems found, 2 bad input."""

    def body() -> int:
        # imported here so other commands never load the lab
        from migrate.rehearse import run

        result = run.rehearse(spec, out, output.message)
        if json:
            output.emit_json(result.to_dict())
        else:
            _show(result)
        return result.exit_code

    output.run(body)
