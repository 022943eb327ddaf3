"""Options every command shares, declared once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from migrate import spec as spec_module
from migrate.errors import BadInput
from migrate.spec import Spec

SpecArg = Annotated[Path, typer.Argument(help="The migration spec (migration.yaml).", show_default=False)]
StateOpt = Annotated[
    Path | None,
    typer.Option("--state", help="Folder for the journal and ledgers (default: .migrate/ next to the spec)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def load(path: Path) -> Spec:
    return spec_module.load(path)


def state_dir(spec: Spec, state: Path | None) -> Path:
    """The state folder, created if need be; a file in the way, or no right to create it, is bad input."""
    folder = state or spec.default_state()
    option = "--state" if state else "the state folder (default .migrate/ next to the spec)"
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"{option}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"{option}: cannot create the folder {folder} ({exc.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadInput(f"{option}: the folder {folder} is not writable")
    return folder
