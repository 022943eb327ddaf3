"""Options every command shares, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from migrate import spec as spec_module
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
    folder = state or spec.default_state()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
