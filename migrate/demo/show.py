"""How the demo looks: phase headings, short lines, one-line rows that never wrap.

The commands show the same results as tables for a CI log; the demo tells a
story on one screen, so it has its own lines. Everything here only prints,
each value folded to one line as the commands' output layer does.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.text import Text

from migrate.text import line as one_line

STYLE = {"pass": "green", "fail": "red", "pending": "yellow", "unknown": "magenta",
         "verified": "bold green", "converging": "bold yellow", "failing": "bold red",
         "locked": "bold red", "unlocked": "bold green"}


def clock(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%H:%M:%S UTC") if value else "-"


def _in(value: datetime) -> str:
    left = (value - datetime.now(timezone.utc)).total_seconds()
    return f" (in {left:.0f}s)" if left > 0 else ""


def rel(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class Screen:
    def __init__(self, console: Console, phases: tuple[str, ...]) -> None:
        self.console = console
        self.phases = phases
        self.phase = 0
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def heading(self) -> None:
        self.phase += 1
        self.console.print()
        self.console.rule(Text(f"{self.phase}/{len(self.phases)} {self.phases[self.phase - 1]}", "bold cyan"), align="left")
        self.console.print(Text(f"t+{self.elapsed():.1f}s", "dim"))

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(Text(one_line(text), style or ""))

    def note(self, text: str) -> None:
        self.console.print(Text(one_line(text), "dim"))

    def real_world(self, command: str) -> None:
        self.console.print(Text.assemble(("  in a real run: ", "dim"), (command, "dim italic")))

    def rule(self, title: str, style: str = "bold") -> None:
        self.console.rule(Text(title, style), align="left")

    def table(self, rows: list[tuple[str, str, str, str, str]], styles: dict[str, str], default: str = "") -> None:
        """One line per row, never wrapped: the first cell coloured, the last two cut to the width left."""
        if not rows:
            return
        rows = [tuple(map(one_line, row)) for row in rows]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        widths[1] = min(widths[1], 26)
        room = max(20, self.console.width - sum(widths) - 8)
        value_width = room if not any(r[4] for r in rows) else max(12, room * 3 // 5)
        for head, name, kind, value, why in rows:
            text = Text.assemble(
                (f"  {head:<{widths[0]}} ", styles.get(head, default)),
                f"{_cut(name, widths[1]):<{widths[1]}} {kind:<{widths[2]}} ",
                _cut(value, value_width).ljust(value_width if why else 0),
                ("  " + _cut(why, room - value_width), "dim") if why else "",
            )
            self.console.print(text, no_wrap=True, overflow="ellipsis", crop=True)

    def verify_round(self, number: int, result, report: str) -> None:
        """A round's counts, then every check that did not pass."""
        counts = {s: sum(1 for c in result.checks if c.status == s) for s in ("pass", "fail", "pending", "unknown")}
        line = Text.assemble(
            f"round {number}  ",
            (result.status.upper(), STYLE.get(result.status, "bold")),
            f"  {counts['pass']} pass, {counts['pending']} pending, {counts['fail']} fail, {counts['unknown']} unknown; "
            f"{result.queries} queries",
        )
        if result.eta:
            line.append(f"; ETA {clock(result.eta)}{_in(result.eta)}")
        self.console.print(line)
        for check in result.checks:
            if check.status != "pass":
                where = f" @ {check.server}" if check.server else ""
                self.console.print(Text.assemble("    ", (f"{check.status:<8}", STYLE[check.status]),
                                                 one_line(f"{check.id} {check.subject}{where}: {check.detail}")))
        if result.status == "verified":
            self.say(f"  every parent, authoritative server and resolver serves the new state; old TTLs expired "
                     f"(safe since {clock(result.safe_after)})", "green")
        self.note(f"  report: {report}")

    def verdict(self, verdict) -> None:
        """The gate's checks, a fix under each that does not pass, then the decision."""
        for check in verdict.checks:
            self.console.print(Text.assemble((f"{check.status:<8}", STYLE[check.status]), one_line(f"{check.id}  {check.subject}: {check.observed}")))
            if check.status != "pass" and check.fix:
                self.note(f"         fix: {check.fix}")
        summary = ", ".join(f"{name} {status}" for name, status in verdict.requirements.items())
        self.console.print(Text(f"{verdict.status.upper()}: {summary}", STYLE[verdict.status]))

    def document(self, title: str, text: str) -> None:
        self.rule(title)
        self.console.print(text, markup=False, end="")
