"""The `migrate` command line: thin commands over the package, one output layer."""

from __future__ import annotations

from typing import Annotated

import typer

from migrate import __version__
from migrate.cli import output
from migrate.cli.app import app

def _version(value: bool) -> None:
    if value:
        output.message(f"migrate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    output.set_debug(debug)


# Each command module registers itself on `app` when imported; add one line per command.
from migrate.cli import plan  # noqa: E402,F401
from migrate.cli import notify  # noqa: E402,F401
from migrate.cli import gate  # noqa: E402,F401
from migrate.cli import attest  # noqa: E402,F401
from migrate.cli import m365  # noqa: E402,F401
from migrate.cli import importer  # noqa: E402,F401
from migrate.cli import verify  # noqa: E402,F401
from migrate.cli import demo  # noqa: E402,F401
from migrate.cli import state  # noqa: E402,F401
from migrate.cli import status  # noqa: E402,F401
from migrate.cli import report  # noqa: E402,F401
from migrate.cli import rehearse  # noqa: E402,F401


def main() -> None:
    # typer reports usage errors with exit 2 itself, which matches "bad input".
    app()
