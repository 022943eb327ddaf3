"""`migrate verify SPEC... [--json] [--watch] [--timeout DUR] [--fresh] [--resolver IP[:PORT]]... [--root-hint IP[:PORT]]...`

One round of checks (or, with --watch, rounds until verified or the
timeout), each appended to the journal under --state. Exit codes: 0
verified, 1 failing or unknown (what could not be established counts
against), 3 converging (only caches and TTLs left; the ETA is printed),
2 bad input. A watch that times out exits with its last completed round's
code, 1 when no round completed.

Several specs, or a folder, are verified together (`verify.batch`): each
domain its own round and journal records, one budget for all; the exit
code is the worst domain's (1 over 3 over 0).
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
from migrate.cli.options import JsonOpt, SpecsArg, StateOpt, exit_state, load_set, state_location
from migrate.cli.watch_view import STATUS_STYLE, Screen, SetScreen, ending, when
from migrate.errors import BadInput
from migrate.report import NOTE
from migrate.verify import batch, processes, report, watch as watcher
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


def _seen(check) -> str:
    return f" (answer seen {when(check.seen_at)}, reused)" if check.seen_at is not None else ""


def render(result: RoundResult, *, folded: bool = False) -> Group:
    """The round as the terminal shows it: a headline, the problems and notes, then the passing matrix folded.

    `folded` (a domain of a set): the passing checks are one line, not a row per check id.
    """
    reused = f", {result.carried} answers reused (oldest seen {when(result.oldest_evidence)})" if result.carried else ""
    head = Text.assemble(
        (f"{result.domain.rstrip('.')}: ", "bold"),
        (result.status.upper(), STATUS_STYLE.get(result.status, "bold")),
        f"  round {result.round_id or '-'}, {len(result.checks)} checks, {result.queries} queries{reused}",
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
        cells = (check.id, check.subject, check.server or "", check.detail + _seen(check))
        table.add_row(Text(check.status, _STYLE[check.status]), *map(output.inert, cells))
    if folded:
        if table.row_count:
            lines.append(table)
        if passes:
            lines.append(Text(f"{sum(passes.values())} checks pass", "green"))
        return Group(*lines)
    for check_id, count in sorted(passes.items()):
        table.add_row(Text("pass", "green"), check_id, f"{count} cell{'s' if count != 1 else ''}", "", "")
    lines.append(table)
    return Group(*lines)


def summary(outcome: batch.SetResult) -> Text:
    """The set in one line, after its domains' sections."""
    counts = ", ".join(f"{n} {status}" for status, n in outcome.summary.items() if n)
    eta = f", ETA {when(outcome.eta)}" if outcome.eta else ""
    reused = f" ({outcome.carried} answers reused)" if outcome.carried else ""
    return Text.assemble((f"{len(outcome.results)} domains: ", "bold"), (outcome.status.upper(), STATUS_STYLE.get(outcome.status, "bold")),
                         f" ({counts}{eta}); {outcome.queries} queries{reused}")


def _show_set(outcome: batch.SetResult, console) -> None:
    for result in outcome.results:
        console.print(render(result, folded=True))
    console.print(summary(outcome))


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


def _one(loaded, settings: Settings, state, json: bool, watch: bool, limit: float | None, fresh: bool) -> int:
    """One spec named as a file: exactly the report of one domain."""
    # One plan for every round: the zone file is read once, and what a round probes
    # for residue (current) is the zone the desired one was computed from.
    built = planner.build(loaded)
    folder = state_location(loaded, state)

    def rounds(progress):
        return watcher.recorded_round(loaded, settings, folder, desired=built.desired, current=built.current,
                                      progress=progress, fresh=fresh)

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


def _many(members: list[batch.Member], json: bool, watch: bool, limit: float | None, fresh: bool) -> int:
    """Several specs, or a folder: one pass over every domain under one budget."""
    if not watch:
        outcome = asyncio.run(processes.verify_set(members, fresh=fresh))
        if json:
            output.emit_json(report.build_set(outcome), indent=None)
        else:
            _show_set(outcome, output.stdout)
        if outcome.status == "converging" and outcome.eta is not None:
            output.message(f"converging: ETA {when(outcome.eta)}")
        return report.exit_code(outcome.status)
    interval = min(m.spec.verify.interval.total_seconds() for m in members)
    live = not json and output.stderr.is_terminal
    if live:
        screen = SetScreen(len(members))

        def one_pass():
            screen.pass_started()
            return processes.verify_set(members, fresh=fresh, tally=screen.tally)

        with Live(screen, console=output.stderr, refresh_per_second=4):
            watched = watcher.watch(one_pass, interval=interval, timeout=limit, on_round=screen.pass_done,
                                    on_wait=screen.waiting)
            screen.end(ending(watched, limit, what="pass"))
    else:
        watched = watcher.watch(lambda: processes.verify_set(members, fresh=fresh), interval=interval, timeout=limit)
    outcome = watched.last
    if json and outcome is not None:
        output.emit_json(report.build_set(outcome), indent=None)
    if not live:
        if not json and outcome is not None:
            _show_set(outcome, output.stderr)
        output.message(ending(watched, limit, what="pass"))
    return report.exit_code(outcome.status) if outcome is not None else 1


@app.command("verify")
def verify_command(
    specs: SpecsArg,
    state: StateOpt = None,
    json: JsonOpt = False,
    watch: Annotated[bool, typer.Option("--watch", help="Repeat rounds until verified or --timeout, showing the matrix live.")] = False,
    timeout: Annotated[str | None, typer.Option("--timeout", help="With --watch: give up after this long (e.g. 30m, 48h).")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ask every question again, reusing no settled answer.")] = False,
    resolver: Annotated[list[str] | None, typer.Option("--resolver", help="Resolver to observe (IP[:PORT]); repeatable; replaces verify.resolvers.")] = None,
    root_hint: Annotated[list[str] | None, typer.Option("--root-hint", help="Root server to start the walk from (IP[:PORT]); repeatable.")] = None,
) -> None:
    """Prove the new DNS is what the parent, every authoritative server and the resolvers serve."""

    def body() -> int:
        loaded, single = load_set(specs)
        try:
            limit = duration.parse(timeout).total_seconds() if timeout is not None else None
        except ValueError as exc:
            raise BadInput(f"--timeout: {exc}") from None
        resolvers, hints = list(resolver or []), list(root_hint or [])
        if single:
            (spec,) = loaded.specs
            return _one(spec, _settings(spec, resolvers, hints), state, json, watch, limit, fresh)
        folder = exit_state(loaded, state)  # the exit's one state, where `migrate gate` over the set reads it
        members = []
        for spec in loaded.specs:
            built = planner.build(spec)
            members.append(batch.Member(spec, _settings(spec, resolvers, hints), built.desired, built.current, folder))
        return _many(members, json, watch, limit, fresh)

    output.run(body)
