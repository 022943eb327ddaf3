"""`migrate state seal SPEC`: put a state written before M365_EXIT_STATE_KEY was set under the key."""

from __future__ import annotations

import typer

from migrate import sealing
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import SpecArg, StateOpt, load, state_dir
from migrate.state.keys import ENV

state = typer.Typer(name="state", help="The state folder (journal, ledger, gate store) and its hash chains.", no_args_is_help=True)
app.add_typer(state, name="state")


@state.command("seal")
def seal_command(spec: SpecArg, folder: StateOpt = None) -> None:
    """Seal the state's hash chains with M365_EXIT_STATE_KEY as they stand: once, after checking nobody altered it."""

    def body() -> int:
        where = state_dir(load(spec), folder)
        sealed = sealing.seal(where)
        output.message(f"sealed with {ENV} in {where}: " + ", ".join(f"{name} {n} chain(s)" for name, n in sealed.items()))
        return 0

    output.run(body)
