"""`migrate verify SPEC [--json] [--watch] [--timeout DUR] [--resolver IP[:PORT]]... [--root-hint IP[:PORT]]...`

One round of checks (or, with --watch, rounds until verified or the
timeout), each appended to the journal under --state. Exit codes: 0
verified, 1 failing or unknown (what could not be established counts
against), 3 converging (only caches and TTLs left; the ETA is printed),
2 bad input. A watch that times out exits with its last completed round's
code, 1 when no round completed.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from migrate import duration, plan as planner
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import JsonOpt, SpecArg, StateOpt, load, state_location
from migrate.cli.watch_view import STATUS_STYLE, Screen, ending, when
from migrate.errors import BadInput
from migrate.report import NOTE
from migrate.verify import report, watch as watcher
from migrate.verify.round import RoundResult, Settings

_STYLE = {"pass": "green", "fail": "bold red", "pending": "yellow", "unknown": "magenta"}


def _settings(spec, resolvers: list[str], root_hints: list[str]) -> Settings:
    for flag, values in (("--resolver", resolvers), ("--root-hint", root_hints)):
        for value in values:
            try:
                from migrate.endpoint import parse

                parse(value)
            except ValueError as exc:
                raise BadInput(f"{flag}: {exc}") from None
    return Settings.from_spec(spec, resolvers, root_hints)


def render(result: RoundResult) -> Group:
    """The round as the terminal shows it: a headline, the problems and notes, then the passing matrix folded."""
    head = Text.assemble(
        (f"{result.domain.rstrip('.')}: ", "bold"),
        (result.status.upper(), STATUS_STYLE.get(result.status, "bold")),
        f"  round {result.round_id or '-'}, {len(result.checks)} checks, {result.queries} queries",
    )
    lines = [head]
    if result.eta:
        lines.append(Text(f"ETA {when(result.eta)}"))
    if result.safe_after:
        lines.append(Text(f"safe after {when(result.safe_after)} (new state first seen everywhere {when(result.first_fully_seen)})"))
    table = Table(show_header=True, header_style="bold", expand=False)
    for column in ("status", "check", "subject", "server", "detail"):
        table.add_column(column, overflow="fold")
    order = {"fail": 0, "unknown": 1, "pending": 2, "pass": 3}
    passes: dict[str, int] = {}
    for check in sorted(result.checks, key=lambda c: (order.get(c.status, 9), c.id, c.subject, c.server or "")):
        if check.status == "pass" and not check.detail.startswith(NOTE):
            passes[check.id] = passes.get(check.id, 0) + 1
            continue
        # Subjects and details carry DNS answers: each cell one inert line.
        table.add_row(Text(check.status, _STYLE[check.status]), *map(output.inert, (check.id, check.subject, check.server or "", check.detail)))
    for check_id, count in sorted(passes.items()):
        table.add_row(Text("pass", "green"), check_id, f"{count} cell{'s' if count != 1 else ''}", "", "")
    lines.append(table)
    return Group(*lines)


def _watch(rounds, domain: str, interval: float, limit: float | None, live: bool) -> watcher.Outcome:
    """The rounds, shown live on stderr when it is a terminal (stdout may carry the JSON report)."""
    if not live:
        return watcher.watch(lambda: rounds(None), interval=interval, timeout=limit)
    screen = Screen(domain)

    def next_round():
        screen.round_started()
        return rounds(screen.round_progress)

    with Live(screen, console=output.stderr, refresh_per_second=4):
        outcome = watcher.watch(next_round, interval=interval, timeout=limit, on_round=screen.round_done, on_wait=screen.waiting)
        screen.end(ending(outcome, limit))
    return outcome


@app.command("verify")
def verify_command(
    spec: SpecArg,
    state: StateOpt = None,
    json: JsonOpt = False,
    watch: Annotated[bool, typer.Option("--watch", help="Repeat rounds until verified or --timeout, showing the matrix live.")] = False,
    timeout: Annotated[str | None, typer.Option("--timeout", help="With --watch: give up after this long (e.g. 30m, 48h).")] = None,
    resolver: Annotated[list[str] | None, typer.Option("--resolver", help="Resolver to observe (IP[:PORT]); repeatable; replaces verify.resolvers.")] = None,
    root_hint: Annotated[list[str] | None, typer.Option("--root-hint", help="Root server to start the walk from (IP[:PORT]); repeatable.")] = None,
) -> None:
    """Prove the new DNS is what the parent, every authoritative server and the resolvers serve."""

    def body() -> int:
        loaded = load(spec)
        try:
            limit = duration.parse(timeout).total_seconds() if timeout is not None else None
        except ValueError as exc:
            raise BadInput(f"--timeout: {exc}") from None
        settings = _settings(loaded, list(resolver or []), list(root_hint or []))
        # One plan for every round: the zone file is read once, and what a round probes
        # for residue (current) is the zone the desired one was computed from.
        built = planner.build(loaded)
        folder = state_location(loaded, state)

        def rounds(progress):
            return watcher.recorded_round(loaded, settings, folder, desired=built.desired, current=built.current,
                                          progress=progress)

        if not watch:
            result = asyncio.run(rounds(None))
            if json:
                output.emit_json(report.build(result))
            else:
                output.stdout.print(render(result))
            if result.status == "converging" and result.eta is not None:
                output.message(f"converging: ETA {when(result.eta)}")
            return report.exit_code(result.status)
        live = not json and output.stderr.is_terminal
        outcome = _watch(rounds, loaded.domain, loaded.verify.interval.total_seconds(), limit, live)
        result = outcome.last
        if json and result is not None:
            output.emit_json(report.build(result))
        if not live:
            # No terminal to keep a live view on (a log, a pipe): the last round in full, then how it ended.
            if not json and result is not None:
                output.stderr.print(render(result))
            output.message(ending(outcome, limit))
        return report.exit_code(result.status) if result is not None else 1

    output.run(body)
