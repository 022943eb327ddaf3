"""`migrate attest SPEC data-saved|cancelled --by NAME`: record an attestation the gate and notify rely on.

data-saved: users saved their data (the gate's data_saved requirement);
cancelled: the subscription was cancelled (it opens the after-cancel wave).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

import typer

from migrate import localtime
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import SpecArg, StateOpt, load, state_location
from migrate.errors import BadInput
from migrate.gate import store
from migrate.names import domain_id


@app.command("attest")
def attest_command(
    spec: SpecArg,
    what: Annotated[str, typer.Argument(help="What is attested: data-saved (users saved their OneDrive, SharePoint and mail data) "
                      "or cancelled (the subscription was cancelled: opens the after-cancel wave).", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Who attests it (a name the audit trail shows).", show_default=False)],
    note: Annotated[str | None, typer.Option("--note", help="Optional remark kept with the attestation.")] = None,
    state: StateOpt = None,
) -> None:
    """Record who attests what, and when, in --state for the gate and the after-cancel wave."""

    def body() -> int:
        if what not in store.KINDS:
            raise BadInput(f"attestation {what!r} is unknown (known: {', '.join(store.KINDS)})")
        name = " ".join(by.split())
        if not name:
            raise BadInput("--by: give the name of the person attesting")
        loaded = load(spec)
        folder = state_location(loaded, state)
        record = store.attest(folder, what, domain_id(loaded.domain), name, datetime.now(timezone.utc), note)
        output.message(f"recorded: {what} for {record.domain} by {record.by} at {localtime.format(record.at, loaded.tz)} in {folder}")
        return 0

    output.run(body)
