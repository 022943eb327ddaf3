"""`migrate state ...`: create a state, move it between a folder and a database, seal it with the key."""

from __future__ import annotations

from typing import Annotated

import typer

from migrate import sealing
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import SpecArg, StateOpt, load, state_location
from migrate.state import keys, location
from migrate.state.copying import copy
from migrate.state.keys import ENV
from migrate.stores import SCHEMAS

state = typer.Typer(name="state", help="Where the journal, ledger and gate store live, and their hash chains.",
                    no_args_is_help=True)
app.add_typer(state, name="state")

PlaceArg = Annotated[str, typer.Argument(help="A postgresql:// URL, or a folder.", show_default=False)]


@state.command("init")
def init_command(
    where: PlaceArg,
    runner: Annotated[str | None, typer.Option(
        "--runner", help="A PostgreSQL role for CI runners: granted SELECT and INSERT (UPDATE only where nothing is "
                         "evidence: the ledger's messages, the chain heads); the tables stay this role's.")] = None,
) -> None:
    """Create a shared state, once: commands given a URL (or $M365_EXIT_STATE) never create one themselves."""

    def body() -> int:
        target = location.parse(where, origin="init")
        target.init(SCHEMAS, runner)
        output.message(f"created an m365-exit state in {target}" + (f"; role {runner} may read and append" if runner else ""))
        return 0

    output.run(body)


@state.command("copy")
def copy_command(
    source: Annotated[str, typer.Argument(help="The state to copy: a folder or a postgresql:// URL.", show_default=False)],
    target: Annotated[str, typer.Argument(help="Where to: an empty folder, or a database `state init` prepared.",
                                          show_default=False)],
) -> None:
    """Copy a state between a folder and a database, verified by its chains and digests on both sides."""

    def body() -> int:
        origin, destination = location.parse(source, origin="FROM"), location.parse(target, origin="TO")
        for copied in copy(origin, destination, SCHEMAS, keys.from_environment()):
            output.message(f"{copied.title}: {copied.rows} row(s), {copied.chains} chain(s) verified")
        output.message(f"copied {origin} to {destination}: every table matches its source")
        return 0

    output.run(body)


@state.command("seal")
def seal_command(spec: SpecArg, folder: StateOpt = None) -> None:
    """Seal the state's hash chains with M365_EXIT_STATE_KEY as they stand: once, after checking nobody altered it."""

    def body() -> int:
        where = state_location(load(spec), folder)
        sealed = sealing.seal(where)
        output.message(f"sealed with {ENV} in {where}: " + ", ".join(f"{name} {n} chain(s)" for name, n in sealed.items()))
        return 0

    output.run(body)
