"""`migrate report SPEC [--out FILE.html]`: one self-contained HTML page drawn from the state.

The propagation timeline, the old TTLs and the safe time, the soak, the
gate's decisions, the waves sent and today's checks, read from the state
only (no DNS question is asked). Exit 0 written; 2 bad input, or a store
whose chain does not verify (then nothing is written); 1 a state that
cannot be read (a database down, a keyed state without its key). Without --out the
page goes to `report.html` in the state folder (for a database state, in
`.migrate/` next to the spec); `--out -` prints it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import SpecArg, StateOpt, load, local_folder, state_location
from migrate.history import run

FILENAME = "report.html"


@app.command("report")
def report_command(
    spec: SpecArg,
    state: StateOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help=f"Write the page here (default: {FILENAME} in the state folder); - prints it.", show_default=False),
    ] = None,
) -> None:
    """Draw the migration's history as one self-contained HTML page: exit 0 written, 2 bad input or altered state."""

    def body() -> int:
        loaded = load(spec)
        where = state_location(loaded, state)
        html = run.report(loaded, where)
        if out == Path("-"):
            output.document(html)
            return 0
        target = out or local_folder(loaded, where) / FILENAME
        output.write_file(target, html, replace=True, example=FILENAME)
        output.message(f"wrote {target}")
        return 0

    output.run(body)
