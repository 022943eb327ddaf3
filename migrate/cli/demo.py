"""`migrate demo [--out DIR] [--keep]`: the whole cutover against a local DNS world.

Exit 0 only when the demo ends with the gate unlocked; any failure is one
line and a non-zero exit (1, or 2 for a bad --out). When the lab cannot
start, the line names the command that fixes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from migrate.cli import output
from migrate.cli.app import app


@app.command("demo")
def demo_command(
    out: Annotated[Path | None, typer.Option("--out", help="An empty or new folder for the spec, emails, reports and state (default: a new temporary folder).")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the lab's server files (configs, zones, logs) in OUT/lab.")] = False,
) -> None:
    """Run the whole exit offline: lab DNS world, plan, emails, RFC 2136 apply, delegation move, verify, gate."""

    def body() -> int:
        # imported here so other commands never load the lab or the demo
        from migrate.demo import run

        return run.run(out, keep, output.stdout)

    output.run(body)
