"""The fleet view: every spec under a folder, its state read (never DNS), judged, and sorted for attention."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from migrate import spec as spec_module
from migrate.errors import BadInput, MigrateError
from migrate.fleet import evidence, find, rows
from migrate.fleet.rows import Row
from migrate.state import keys, location
from migrate.state.location import Folder, Location
from migrate.stores import SCHEMAS


@dataclass(frozen=True)
class Fleet:
    folder: Path
    generated_at: datetime
    rows: list[Row]

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "generated_at": self.generated_at, "rows": [row.to_dict() for row in self.rows]}


def shared(state: str | None) -> Location | None:
    """The one state every spec's domain is read from (--state, else M365_EXIT_STATE); None: each spec's own `.migrate/`.

    It must hold a state already: the view creates nothing, and a place
    without one is a wrong name, not a fleet of plans.
    """
    value = state or os.environ.get(location.ENV)
    if not value:
        return None
    origin = "--state" if state else location.ENV
    where = location.parse(value, origin=origin)
    if isinstance(where, Folder):
        if not where.holds(SCHEMAS):
            raise BadInput(f"{origin}: {where} holds no m365-exit state")
    else:
        where.check(SCHEMAS)
    return where


def _row(found: find.Found, name: str, common: Location | None, now: datetime) -> Row:
    if found.problem:
        return rows.bad_spec(name, f"{found.path}: {found.problem}")
    try:
        spec = spec_module.load(found.path)
    except BadInput as exc:
        return rows.bad_spec(name, str(exc))
    where = common or Folder(spec.default_state())
    try:
        ev = evidence.read(spec, where, now)
    except MigrateError as exc:
        return rows.broken_state(name, spec, str(where), str(exc))
    return rows.judged(name, spec, str(where), ev, now)


def build(folder: Path, state: str | None = None, now: datetime | None = None) -> Fleet:
    """The view of every spec under `folder`, read from each spec's state (or the shared one) at `now`."""
    now = now or datetime.now(timezone.utc)
    keys.from_environment()  # a key too short is the command's bad input, not every row's broken state
    common = shared(state)
    found = find.specs(folder)
    return Fleet(folder, now, rows.ordered([_row(f, str(f.path.relative_to(folder)), common, now) for f in found]))
