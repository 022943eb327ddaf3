"""Options every command shares, declared once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from migrate import spec as spec_module, specset
from migrate.errors import BadInput
from migrate.spec import Spec
from migrate.specset import SpecSet
from migrate.state import location
from migrate.state.location import Location
from migrate.stores import SCHEMAS

SpecArg = Annotated[Path, typer.Argument(help="The migration spec (migration.yaml).", show_default=False)]
StateOpt = Annotated[
    str | None,
    typer.Option("--state", help="Where the journal, ledger and gate store live: a folder (SQLite) or a postgresql:// URL "
                 f"(default: ${location.ENV}, else .migrate/ next to the spec).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
SpecsArg = Annotated[
    list[Path],
    typer.Argument(help="The migration spec (migration.yaml); or several, or a folder of them, for a tenant's domains.",
                   show_default=False),
]


def load(path: Path) -> Spec:
    return spec_module.load(path)


def load_set(paths: list[Path]) -> tuple[SpecSet, bool]:
    """The specs named, and whether they were named as one spec file (the command then reports as for one spec)."""
    return specset.load(paths), len(paths) == 1 and not paths[0].is_dir()


def state_location(spec: Spec, state: str | None) -> Location:
    """Where the state lives: --state, else M365_EXIT_STATE, else the folder next to the spec.

    A URL, or a place named by the environment, must hold a state already
    (bad input otherwise: `migrate state init` creates one). A folder given
    by --state, or the default one, is created if need be.
    """
    from_env = os.environ.get(location.ENV) if state is None else None
    if not (state or from_env):
        return location.Folder(_folder(spec.default_state(), "the state folder (default .migrate/ next to the spec)"))
    origin = "--state" if state else location.ENV
    where = location.parse(state or from_env, origin=origin, named=bool(from_env))
    if isinstance(where, location.Folder) and not where.named:
        return location.Folder(_folder(where.path, origin))
    where.check(SCHEMAS)
    return where


def exit_state(specs: SpecSet, state: str | None) -> Location:
    """An exit's one state: --state, else M365_EXIT_STATE, else the `.migrate/` beside the specs, which must then share a folder."""
    beside = {s.default_state().resolve() for s in specs.specs}
    if state is None and not os.environ.get(location.ENV) and len(beside) > 1:
        raise BadInput("the specs lie in different folders, each with its own .migrate/: name the exit's state with --state "
                       f"(or {location.ENV})")
    return state_location(specs.specs[0], state)


def local_folder(spec: Spec, where: Location) -> Path:
    """Where a command keeps files of its own (the outbox): the state folder, or for a database the default folder."""
    return where.path if isinstance(where, location.Folder) else spec.default_state()


def _folder(folder: Path, option: str) -> Path:
    """The state folder, created if need be; a file in the way, or no right to create it, is bad input."""
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"{option}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"{option}: cannot create the folder {folder} ({exc.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadInput(f"{option}: the folder {folder} is not writable")
    return folder
