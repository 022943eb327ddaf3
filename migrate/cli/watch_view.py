"""The live view of `migrate verify --watch`: one screen that fits the terminal it is on.

From the top: a headline (domain, status, round, ETA), the counts, the
failing checks one line each, most important first, as many as fit (then
"+N more failing"), the pending and passing checks folded into counts per
check id, and a bottom line that is never blank: the round's progress and
the server it waits on while a round runs, the countdown to the next round
between rounds, and how the watch ended at the end.

`layout` is pure (a snapshot and a size in, lines out); `Screen` keeps the
snapshot the watch updates and lets rich lay it out afresh at every refresh,
so the countdowns tick without the watch doing anything. A watch over a set
of domains has its own screen (`set_layout`, `SetScreen`): the set's counts
and one line per domain not verified yet, worst first.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from migrate import duration
from migrate.cli import output
from migrate.report import FAIL, PASS, PENDING, UNKNOWN, Check
from migrate.verify.batch import SetResult
from migrate.verify.processes import Tally
from migrate.verify.query import Progress
from migrate.verify.round import RoundResult
from migrate.verify.watch import Outcome

STATUS_STYLE = {"verified": "bold green", "converging": "bold yellow", "failing": "bold red", "unknown": "bold magenta"}
_TAG = {FAIL: ("FAIL", "bold red"), UNKNOWN: ("UNKN", "magenta")}
# The order the round asks in: nothing below a broken delegation can be right, and mail is the point.
_FAMILIES = ("delegation", "auth", "dnssec", "mail", "record", "m365", "resolver", "timing")


def when(value: datetime | None, now: datetime | None = None) -> str:
    """A moment in UTC, and how far ahead it is."""
    if value is None:
        return "-"
    left = value - (now or datetime.now(timezone.utc))
    shown = f"{value.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S}Z"
    return f"{shown} (in {duration.format(left)})" if left.total_seconds() > 0 else shown


def seconds(value: float) -> str:
    """Whole seconds, rounded up: a countdown shows 0s only when it is over."""
    return duration.format(timedelta(seconds=math.ceil(max(0.0, value))))


@dataclass(frozen=True)
class View:
    """Everything the screen shows, as of one moment of the watch."""

    domain: str
    done: int = 0  # rounds this watch completed; the one running is the next
    last: RoundResult | None = None  # the last completed round
    running_since: float | None = None  # the round in progress started (monotonic); None between rounds
    progress: Progress | None = None  # of the round in progress
    wait_until: float | None = None  # the current wait ends (monotonic)
    next_round: bool = True  # a round follows the wait (else the deadline does)
    ended: str | None = None  # the watch's last line, once it is over


def _importance(check: Check) -> tuple:
    family = check.id.split(".", 1)[0]
    rank = _FAMILIES.index(family) if family in _FAMILIES else len(_FAMILIES)
    return (check.status != FAIL, rank, check.id, check.subject, check.server or "")


def _subject(subject: str, domain: str) -> str:
    """A subject relative to the domain ("_dmarc TXT", "@ MX"); the domain alone says nothing."""
    name, _, rest = subject.partition(" ")
    if name == domain:
        return f"@ {rest}" if rest else ""
    if name.endswith("." + domain):
        name = name[: -len(domain) - 1]
    return f"{name.rstrip('.')} {rest}".rstrip()


def _row(check: Check, domain: str) -> Text:
    tag, style = _TAG[check.status]
    where = " ".join(part for part in (_subject(check.subject, domain), check.server or "") if part)
    return Text.assemble((f"{tag} ", style), (check.id, "bold"), output.inert(f"  {where}" if where else ""), "  ",
                         output.inert(check.detail, "dim" if check.status == UNKNOWN else ""))


def _fold(label: str, style: str, counts: Counter, width: int, lines: int) -> list[Text]:
    """'label N: id n, id n, ...' over at most `lines` lines of `width`, the last ending '+K more' when cut."""
    items = [f"{check_id} {n}" for check_id, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    head = f"{label} {sum(counts.values())}: "

    def text(i: int, row: list[str]) -> str:
        return (head if i == 0 else " " * len(head)) + ", ".join(row)

    rows: list[list[str]] = [[]]
    for item in items:
        if rows[-1] and len(text(len(rows) - 1, [*rows[-1], item])) > width:
            rows.append([])
        rows[-1].append(item)
    if len(rows) > lines:
        rows = rows[:lines]
        rest = len(items) - sum(map(len, rows))
        while rows[-1] and len(text(lines - 1, [*rows[-1], f"+{rest} more"])) > width:
            rows[-1].pop()
            rest += 1
        rows[-1].append(f"+{rest} more")
    return [Text(text(i, row), style if i == 0 else "") for i, row in enumerate(rows)]


def _headline(view: View, now: datetime) -> Text:
    domain = view.domain.rstrip(".")
    last = view.last
    if last is None:
        return Text.assemble((domain, "bold"), "  first round running" if view.ended is None else "")
    parts: list[str | tuple[str, str]] = [(domain, "bold"), "  ", (last.status.upper(), STATUS_STYLE.get(last.status, "bold")),
                                          f"  round {view.done}"]
    if last.eta is not None:
        parts.append(f"  ETA {when(last.eta, now)}")
    return Text.assemble(*parts)


def _counts(result: RoundResult) -> Text:
    counts = Counter(c.status for c in result.checks)
    shown = [f"{counts[FAIL]} failing"] + ([f"{counts[UNKNOWN]} unknown"] if counts[UNKNOWN] else [])
    shown += [f"{counts[PENDING]} pending", f"{counts[PASS]} passing", f"{result.queries} queries"]
    return Text(", ".join(shown), "dim")


def bottom_line(view: View, clock: float) -> Text:
    """The line that is never blank: the end, the round's progress, or the countdown."""
    if view.ended is not None:
        return Text(view.ended, "bold")
    if view.running_since is not None:
        head = f"round {view.done + 1}, {seconds(clock - view.running_since)}: "
        p = view.progress
        if p is None:
            return Text(head + "starting")
        said = f"{p.answered} of {p.asked} answered" + (f", {p.unanswered} without reply" if p.unanswered else "")
        if p.waiting_on is None or p.waiting_since is None:
            return Text(head + said)
        # The server first: on a narrow terminal the counts are what the ellipsis takes.
        name = f" ({p.waiting_name})" if p.waiting_name else ""
        return Text.assemble(head, (f"waiting {seconds(clock - p.waiting_since)} on ", "yellow"),
                             output.inert(f"{p.waiting_on}{name}", "yellow"), f"; {said}")
    if view.wait_until is not None:
        left = seconds(view.wait_until - clock)
        return Text(f"next round in {left}" if view.next_round else f"timeout in {left} (the next round would start after it)")
    return Text("")


def layout(view: View, width: int, height: int, *, clock: float, now: datetime) -> list[Text]:
    """The screen as lines, at most `height` of them, none wider than `width`."""
    if height < 1:
        return []
    bottom = bottom_line(view, clock)
    top = [_headline(view, now)]
    middle: list[Text] = []
    if view.last is not None:
        result = view.last
        top.append(_counts(result))
        failing = sorted((c for c in result.checks if c.status in (FAIL, UNKNOWN)), key=_importance)
        folds = [(label, style, Counter(c.id for c in result.checks if c.status == status))
                 for label, style, status in (("pending", "yellow", PENDING), ("passing", "green", PASS))]
        folds = [fold for fold in folds if fold[2]]
        room = max(0, height - len(top) - 1)
        rows = room - len(folds)  # each fold keeps a line of its own
        if len(failing) > rows:
            shown = max(0, rows - 1)
            middle = [_row(c, result.domain) for c in failing[:shown]]
            middle.append(Text(f"+{len(failing) - shown} more failing", "bold red"))
        else:
            middle = [_row(c, result.domain) for c in failing]
        spare = room - len(middle) - len(folds)
        for label, style, counts in folds:
            folded = _fold(label, style, counts, width, 1 + max(0, spare))
            spare -= len(folded) - 1
            middle.extend(folded)
    lines = [*top, *middle][: height - 1] + [bottom]
    for line in lines:
        line.no_wrap = True
        line.truncate(width, overflow="ellipsis")
    return lines


def ending(outcome: Outcome, limit: float | None, now: datetime | None = None, what: str = "round") -> str:
    """How the watch ended, in one line; `what` is "pass" for a set of domains."""
    last = outcome.last
    if not outcome.timed_out:
        return "verified: every check passes" if what == "round" else "verified: every check of every domain passes"
    head = f"timed out after {duration.format(timedelta(seconds=limit or 0))}"
    if last is None:
        return f"{head}: no {what} completed"
    eta = f", ETA {when(last.eta, now)}" if last.eta is not None else ""
    cut = ("; the round in progress was cut short (not recorded)" if what == "round" else
           "; the pass in progress was cut short (its finished rounds are recorded)") if outcome.cut_short else ""
    return f"{head}: last {what} {last.status.upper()}{eta}{cut}"


class _Live(ABC):
    """What both live views share: the watch reports to it, rich renders it (on its own thread) at every refresh.

    One immutable snapshot (`view`), replaced whole: the refresh thread never sees half an update.
    """

    view: View | SetView

    def _set(self, **changes) -> None:
        self.view = replace(self.view, **changes)

    def waiting(self, result, wait: float, next_round: bool) -> None:
        self._set(wait_until=time.monotonic() + wait, next_round=next_round)

    def end(self, line: str) -> None:
        self._set(ended=line, running_since=None, wait_until=None)

    @abstractmethod
    def _lines(self, width: int, height: int) -> list[Text]:
        """The screen's lines for this size, as of now."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # One line is left free for the shell prompt after the last screen, so its top stays in view.
        yield from self._lines(options.max_width, options.size.height - 1)


class Screen(_Live):
    """The watch's live view of one domain."""

    def __init__(self, domain: str) -> None:
        self.view = View(domain)

    def round_started(self) -> None:
        self._set(running_since=time.monotonic(), progress=None, wait_until=None)

    def round_progress(self, progress: Progress) -> None:
        self._set(progress=progress)

    def round_done(self, result: RoundResult) -> None:
        self._set(done=self.view.done + 1, last=result, running_since=None, progress=None)

    def _lines(self, width: int, height: int) -> list[Text]:
        return layout(self.view, width, height, clock=time.monotonic(), now=datetime.now(timezone.utc))


# -- a set of domains ------------------------------------------------------------------


@dataclass(frozen=True)
class SetView:
    """The watch over a set, as of one moment: one line per domain that is not verified yet."""

    domains: int
    done: int = 0  # passes completed
    last: SetResult | None = None
    running_since: float | None = None
    wait_until: float | None = None
    next_round: bool = True
    ended: str | None = None


_SET_TAG = {"failing": ("FAIL", "bold red"), "unknown": ("UNKN", "magenta"), "converging": ("CONV", "yellow")}
_SET_ORDER = {"failing": 0, "unknown": 1, "converging": 2, "verified": 3}


def _domain_row(result: RoundResult, now: datetime) -> Text:
    tag, style = _SET_TAG[result.status]
    if result.status == "converging":
        said = f"ETA {when(result.eta, now)}" if result.eta else "waiting on caches"
    else:
        bad = sorted((c for c in result.checks if c.status in (FAIL, UNKNOWN)), key=_importance)
        said = f"{len(bad)} checks failing or unknown: " + ", ".join(dict.fromkeys(c.id for c in bad))
    return Text.assemble((f"{tag} ", style), output.inert(result.domain.rstrip("."), "bold"), "  ", output.inert(said))


def set_bottom_line(view: SetView, clock: float, finished: int = 0, sent: int = 0) -> Text:
    """Never blank: the end, the running pass's progress (domains done, their queries), or the countdown."""
    if view.ended is not None:
        return Text(view.ended, "bold")
    if view.running_since is not None:
        return Text(f"pass {view.done + 1}, {seconds(clock - view.running_since)}: {finished} of {view.domains} "
                    f"domains done, {sent} queries")
    if view.wait_until is not None:
        left = seconds(view.wait_until - clock)
        return Text(f"next pass in {left}" if view.next_round else f"timeout in {left} (the next pass would start after it)")
    return Text("")


def set_layout(view: SetView, width: int, height: int, *, clock: float, now: datetime, finished: int = 0,
               sent: int = 0) -> list[Text]:
    """The set's screen: a headline, the counts, the domains not verified (worst first) as many as fit, the bottom line."""
    if height < 1:
        return []
    last = view.last
    if last is None:
        top = [Text.assemble((f"{view.domains} domains", "bold"), "  first pass running" if view.ended is None else "")]
        rows: list[Text] = []
    else:
        parts: list[str | tuple[str, str]] = [(f"{view.domains} domains", "bold"), "  ",
                                              (last.status.upper(), STATUS_STYLE.get(last.status, "bold")), f"  pass {view.done}"]
        if last.eta is not None:
            parts.append(f"  ETA {when(last.eta, now)}")
        counts = ", ".join(f"{n} {status}" for status, n in last.summary.items() if n)
        top = [Text.assemble(*parts), Text(f"{counts}; {last.queries} queries, {last.carried} answers reused", "dim")]
        waiting = sorted((r for r in last.results if r.status != "verified"), key=lambda r: (_SET_ORDER[r.status], r.domain))
        room = max(0, height - len(top) - 1)
        if len(waiting) > room:
            shown = max(0, room - 1)
            rows = [_domain_row(r, now) for r in waiting[:shown]] + [Text(f"+{len(waiting) - shown} more not verified", "bold")]
        else:
            rows = [_domain_row(r, now) for r in waiting]
    lines = [*top, *rows][: height - 1] + [set_bottom_line(view, clock, finished, sent)]
    for line in lines:
        line.no_wrap = True
        line.truncate(width, overflow="ellipsis")
    return lines


class SetScreen(_Live):
    """The live view of a watch over a set; `tally` counts the running pass's domains, whichever process verifies them."""

    def __init__(self, domains: int) -> None:
        self.view = SetView(domains)
        self.tally = Tally()

    def pass_started(self) -> None:
        self.tally.reset()
        self._set(running_since=time.monotonic(), wait_until=None)

    def pass_done(self, outcome: SetResult) -> None:
        self._set(done=self.view.done + 1, last=outcome, running_since=None)

    def _lines(self, width: int, height: int) -> list[Text]:
        return set_layout(self.view, width, height, clock=time.monotonic(), now=datetime.now(timezone.utc),
                          finished=self.tally.finished, sent=self.tally.sent)
