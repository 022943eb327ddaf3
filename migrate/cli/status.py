"""`migrate status DIR [--state DIR|URL] [--json]`: the fleet view, one row per spec under DIR, from state only.

Exit 0 (a row may say a spec is bad or its state broken); 2 bad input (DIR
missing, a --state that holds no state, a bound exceeded). It never asks
DNS, Graph or SMTP anything: what it shows is what the states recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from migrate import localtime, names
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import JsonOpt
from migrate.fleet import view
from migrate.fleet.rows import Row

_STYLE = {"bad spec": "bold red", "broken state": "bold red", "failing": "red", "overdue": "yellow", "upcoming": "", "quiet": "dim"}


def _lines(*parts: tuple[str, str]) -> Text:
    """One cell of several lines, each part an inert line of its own (the line breaks are the tool's)."""
    return Text("\n").join(output.inert(value, style) for value, style in parts)


def _moment(row: Row, what: str, at, style: str = "") -> Text:
    return _lines((what, style), (localtime.format(at, row.tz), "dim"))


def _cells(row: Row) -> list[Text]:
    who = _lines((names.unicode(row.domain) if row.domain else "-", "bold"), (row.tenant or "", ""), (row.spec, "dim"))
    if row.problem:
        last = output.inert(row.problem, _STYLE[row.attention])
    elif row.next:
        last = _moment(row, row.next.what + (" (overdue)" if row.overdue else ""), row.next.at, "yellow" if row.overdue else "")
    else:
        last = Text("-")
    return [
        Text(row.attention, _STYLE[row.attention]),
        who,
        Text(row.phase or "-"),
        _moment(row, row.verify.status, row.verify.at) if row.verify else Text("none"),
        _moment(row, row.gate.status, row.gate.at) if row.gate else Text("none"),
        last,
    ]


@app.command("status")
def status_command(
    folder: Annotated[Path, typer.Argument(help="The folder holding the specs (searched below, bounded).", show_default=False)],
    state: Annotated[str | None, typer.Option(
        "--state", help="One state shared by every spec (a folder or a postgresql:// URL; default: $M365_EXIT_STATE, "
        "else each spec's .migrate/); rows are then keyed by domain.", show_default=False)] = None,
    json: JsonOpt = False,
) -> None:
    """One row per spec under FOLDER: phase, last verify, gate, next date; what needs attention first."""

    def body() -> int:
        fleet = view.build(folder, state)
        if json:
            output.emit_json(fleet.to_dict())
            return 0
        if not fleet.rows:
            output.message(f"no specs under {folder}")
            return 0
        table = Table(show_header=True, header_style="bold", expand=False)
        for column in ("attention", "domain", "phase", "last verify", "gate", "next"):
            table.add_column(column, overflow="fold")
        for row in fleet.rows:
            table.add_row(*_cells(row))
        output.stdout.print(table)
        return 0

    output.run(body)
