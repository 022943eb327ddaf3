"""`migrate verify --watch` on a real 80x24 terminal (tmux), against lab worlds, read off the screen.

Every wait is a bounded poll of the screen with a generous deadline; nothing
asserts how fast a round is.
"""

from __future__ import annotations

import re
import sys

from migrate.journal import Journal
from migrate.lab.scenario import m365_zone
from tests.helpers.tmux import Pane
from tests.helpers.verify_lab import DOMAIN, TTL, load, write_spec

WIDTH, HEIGHT = 80, 24
OLD_TTL = 600  # what the resolvers cached stays there for the whole test
COUNTDOWN = re.compile(r"next round in \d+s")


def command(path, world, state) -> list[str]:
    return [sys.executable, "-m", "migrate", "verify", str(path), "--watch", *(f"--root-hint={a}" for a in world.root_addresses),
            *(f"--resolver={a}" for a in world.resolver_addresses), "--state", str(state)]


def shown(screen: list[str]) -> list[str]:
    """The rows in use: the screen without the blank rows below the view."""
    rows = list(screen)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def bottom(screen: list[str]) -> str:
    rows = shown(screen)
    return rows[-1] if rows else ""


def fits(screen: list[str]) -> bool:
    # Rows are read with wrapped lines joined: a line wider than the terminal would show as one.
    return len(screen) <= HEIGHT and all(len(row) <= WIDTH for row in screen)


def counting_down(pane: Pane, screen: list[str]) -> tuple[str, str]:
    """The countdown on `screen`, and the next different one the screen shows."""
    first = bottom(screen)
    later = bottom(pane.wait_for(lambda s: bottom(s) != first, within=20))
    return first, later


def test_the_screen_fits_and_counts_down_while_the_world_converges(tmp_path, lab_migration):
    # Ten records more than the new host serves at first: more failing checks than 24 rows hold.
    records = [{"name": f"host{i}", "type": "A", "value": f"192.0.2.{i}", "ttl": TTL} for i in range(1, 6)]
    path = write_spec(tmp_path, old_zone=m365_zone(DOMAIN, OLD_TTL), records=records, extra={"verify": {"interval": "8s"}})
    spec, current, desired = load(path)
    # The new host serves a zone of its own making, not the desired one, until the admin fixes it.
    world = lab_migration(DOMAIN, current, None, ttl=OLD_TTL, serve_for=[desired])
    for resolver in world.resolvers:
        world.query(resolver, DOMAIN, "MX", recurse=True)  # the resolvers cache the old MX for OLD_TTL
    with Pane([*command(path, world, tmp_path / "state"), "--timeout", "10m"], width=WIDTH, height=HEIGHT) as pane:
        screen = pane.wait_for(lambda s: s[0].startswith("example.dk  FAILING") and COUNTDOWN.fullmatch(bottom(s)), within=90)
        rows = shown(screen)
        assert fits(screen) and rows[0].startswith("example.dk  FAILING  round 1"), screen
        failing = [i for i, row in enumerate(rows) if row.startswith(("FAIL ", "UNKN "))]
        folded = [i for i, row in enumerate(rows) if row.startswith(("pending ", "passing "))]
        more = [i for i, row in enumerate(rows) if re.fullmatch(r"\+\d+ more failing", row)]
        # failing first, the most important (the delegation) at the top, the rest counted, then the folds
        assert failing and more and folded and failing[-1] < more[0] < folded[0], screen
        assert rows[failing[0]].startswith("FAIL delegation."), screen
        first, later = counting_down(pane, screen)
        assert COUNTDOWN.fullmatch(first) and COUNTDOWN.fullmatch(later), (first, later)

        # The admin publishes the desired zone and moves the delegation; the resolvers still hold the old MX.
        world.replace_zone(world.new_key, desired)
        world.move_delegation()
        screen = pane.wait_for(lambda s: s[0].startswith("example.dk  CONVERGING") and COUNTDOWN.fullmatch(bottom(s)), within=90)
        rows = shown(screen)
        assert fits(screen) and re.match(r"example\.dk  CONVERGING  round \d+  ETA \S+ \S+ \(in \d+m", rows[0]), screen
        assert not any(row.startswith(("FAIL ", "UNKN ")) for row in rows), screen
        assert any(row.startswith("pending ") and "resolver.stale" in row for row in rows), screen
        first, later = counting_down(pane, screen)
        assert COUNTDOWN.fullmatch(first) and COUNTDOWN.fullmatch(later), (first, later)


def test_a_dead_root_shows_whom_the_round_waits_on_and_the_timeout_ends_it_on_time(tmp_path, lab_migration):
    # The default patience (3 s a try, two retries, then TCP): a round against a dead root takes over a minute.
    path = write_spec(tmp_path, extra={"verify": {"timeout": "3s", "retries": 2}})
    spec, current, desired = load(path)
    world = lab_migration(DOMAIN, current, desired, ttl=TTL)
    root = world.root_addresses[0]
    state = tmp_path / "state"
    world.mute("root")
    try:
        with Pane([*command(path, world, state), "--timeout", "10s"], width=WIDTH, height=HEIGHT) as pane:
            waiting = re.compile(rf"round 1, \d+s: waiting \d+s on {re.escape(root)} \(root hint\); 0 of \d+ answered")
            screen = pane.wait_for(lambda s: waiting.match(bottom(s)), within=15)
            assert shown(screen)[0] == "example.dk  first round running" and waiting.match(bottom(screen)), screen
            # ended by the timeout, not by the round: a bound far below the minute the round would take
            assert pane.wait_exit(within=40) == 1, pane.screen()
            rows = shown(pane.screen())
            assert fits(rows) and rows == ["example.dk", "timed out after 10s: no round completed"], rows
    finally:
        world.unmute("root")
    with Journal.open(state) as journal:
        assert journal.rounds(spec.domain) == []  # the round cut short left nothing behind
