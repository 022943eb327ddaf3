"""Pytest fixtures for the DNS lab (tests/conftest.py lists this module in `pytest_plugins`).

- `lab_world(spec, **kw)`: start a World from a WorldSpec;
- `lab_migration(domain="example.dk", old_zone=None, new_zone=None, **kw)`:
  start the standard migration world (see `migrate.lab.migration_world`).

Every world a test starts is stopped when the test ends, passed or failed;
the lab's atexit hook and PR_SET_PDEATHSIG cover an interrupted run. When the
lab cannot start (no root, no knot/unbound) the test FAILS with the fix in
the message: it is never skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from migrate.lab import MigrationWorld, World, migration_world


def _stopped_at_the_end(start_world: Callable[..., World]) -> Iterator[Callable[..., World]]:
    """A factory that starts worlds for a test and stops every one of them when it ends."""
    worlds: list[World] = []

    def start(*args, **kwargs) -> World:
        world = start_world(*args, **kwargs)
        worlds.append(world)
        return world

    try:
        yield start
    finally:
        for world in worlds:
            world.stop()


@pytest.fixture
def lab_world() -> Iterator[Callable[..., World]]:
    """`lab_world(spec, **kw)`: start a World from a WorldSpec."""
    yield from _stopped_at_the_end(World.start)


@pytest.fixture
def lab_migration() -> Iterator[Callable[..., MigrationWorld]]:
    """`lab_migration(domain="example.dk", old_zone=None, new_zone=None, **kw)`: the standard migration world."""

    def start(domain: str = "example.dk", old_zone=None, new_zone=None, **kwargs) -> MigrationWorld:
        return migration_world(domain, old_zone, new_zone, **kwargs)

    yield from _stopped_at_the_end(start)
