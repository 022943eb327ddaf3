"""The propagation timeline: which server served the old data and which the new, round by round. Pure.

Every verify round judged each server it asked (`migrate.verify.checks`):
the parent's servers (whose delegation resolvers follow), each address of
the new host, and the resolvers. The timeline reads those judgements back
from the journal instead of judging the answers again, so it shows what
verify and the gate concluded. The old host's servers are asked only for
their TTLs and judged by nothing, so their rows come from their answers:
answering for the zone with authority is serving the old data.

One row per server address, in four groups; in each round a row is in one
state, the worst its cells say (`_RANK`):

- `old`: serves the old data: the parent still delegates to the old host,
  a resolver still has the old answer cached, the new host still serves a
  Microsoft 365 record, the old host answers for the zone;
- `wrong`: serves something that is neither (a record that differs or is
  missing, a lame server, a delegation to other name servers);
- `unknown`: no evidence (timeouts, refusals from a resolver);
- `waiting`: not asked yet (a resolver is asked only once every
  authoritative server serves the new data);
- `gone`: the old host no longer serves the zone (it refuses or refers);
- `new`: serves the new data.

A transition is a row's state changing from one of its rounds to its next.
A state holds from the round that saw it until the next round, and for at
most `gate.max_age` after it: a longer gap is time nobody watched (as the
gate counts it), drawn as nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

NEW, OLD, WRONG, UNKNOWN, WAITING, GONE = "new", "old", "wrong", "unknown", "waiting", "gone"
STATES = (OLD, WRONG, UNKNOWN, WAITING, GONE, NEW)
# Which state a row is in when its cells disagree: serving old data anywhere is the news.
_RANK = {state: rank for rank, state in enumerate(STATES)}

PARENT, NEW_HOST, OLD_HOST, RESOLVER = "parent", "new host", "old host", "resolver"
GROUPS = (PARENT, NEW_HOST, OLD_HOST, RESOLVER)

# Outcomes of an old server's answer (`migrate.verify.evidence`): data or a denial with AA is the zone served.
_SERVED = frozenset({"answer", "cname", "nodata", "nxdomain"})
_NO_REPLY = frozenset({"timeout", "error"})


@dataclass(frozen=True)
class Round:
    """What the timeline needs of one journal round: its checks as stored, and the old host's answers."""

    id: int
    at: datetime  # when it finished: the time its observations count from, as for the gate
    status: str
    checks: Sequence[dict]
    old_answers: Sequence[dict] = ()  # observations with role "old" (`query.Answer.to_dict()`)


@dataclass(frozen=True)
class Sample:
    """One row in one round: its state and, unless new, why (the first cell that said so)."""

    round: int
    at: datetime
    state: str
    why: str = ""


@dataclass(frozen=True)
class Transition:
    round: int
    at: datetime
    before: str
    after: str


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    state: str
    why: str


@dataclass(frozen=True)
class Row:
    group: str
    name: str
    samples: tuple[Sample, ...]

    @property
    def state(self) -> str:
        return self.samples[-1].state

    @property
    def transitions(self) -> list[Transition]:
        return [Transition(b.round, b.at, a.state, b.state) for a, b in zip(self.samples, self.samples[1:]) if a.state != b.state]

    def first(self, state: str) -> datetime | None:
        """When the row was first seen in `state` for good: the start of its last run in that state."""
        if self.state != state:
            return None
        start = self.samples[-1].at
        for sample in reversed(self.samples):
            if sample.state != state:
                break
            start = sample.at
        return start


# -- from checks and answers to rows --------------------------------------------------


def _bare(name: str) -> str:
    return name.lower().rstrip(".")


def _group(check: dict) -> str | None:
    check_id = str(check.get("id", ""))
    if not check.get("server"):
        return None
    if check_id == "delegation.parent-ns":
        return PARENT
    if check_id.startswith("resolver."):
        return RESOLVER
    if check_id.startswith(("record.", "m365.", "auth.", "dnssec.")) or check_id == "delegation.child-ns":
        return NEW_HOST
    return None


def _state(check: dict, old_names: frozenset[str]) -> str:
    """What one check says about the data its server serves."""
    check_id, status = check.get("id"), check.get("status")
    if check_id == "resolver.stale" or (check_id == "m365.residue" and status == "fail"):
        return OLD
    if check_id == "resolver.deferred":
        return WAITING
    if status == "pass":
        return NEW
    if status == "unknown":
        return UNKNOWN
    if check_id == "delegation.parent-ns":
        observed = check.get("observed")
        names = {_bare(str(n)) for n in observed} if isinstance(observed, list) else set()
        return OLD if names and names == old_names else WRONG
    if check_id == "delegation.child-ns" and check.get("observed") == check.get("expected"):
        return NEW  # the server's own NS set is right; it is the parent that still points elsewhere
    return WRONG if status == "fail" else WAITING


def _why(check: dict) -> str:
    parts = [str(check.get("subject") or ""), str(check.get("detail") or check.get("id") or "")]
    return ": ".join(p for p in parts if p)


def _old_host(answers: Iterable[dict]) -> tuple[str, str]:
    """An old server's state in one round, from its answers."""
    outcomes = []
    for answer in answers:
        outcome = answer.get("outcome")
        if outcome in _SERVED and answer.get("aa"):
            return OLD, "answers for the zone with authority"
        outcomes.append(str(outcome))
    if outcomes and all(o in _NO_REPLY for o in outcomes):
        return UNKNOWN, "no reply"
    refused = sorted({o for o in outcomes if o not in _NO_REPLY})
    return GONE, "no longer serves the zone: " + ", ".join(refused)


def addresses_named(answers: Iterable[dict]) -> dict[str, str]:
    """{address: host name} from the A and AAAA records the answers carried (the walk, glue)."""
    named: dict[str, str] = {}
    for answer in answers:
        for section in ("answer", "additional"):
            for rrset in answer.get(section) or ():
                if rrset.get("type") in ("A", "AAAA"):
                    for value in rrset.get("values") or ():
                        named.setdefault(str(value), _bare(str(rrset.get("name", ""))))
    return named


def rows(rounds: Sequence[Round], old_names: Iterable[str], named: Mapping[str, str] | None = None) -> list[Row]:
    """The timeline's rows, grouped (parent, new host, old host, resolvers), each in the order first seen.

    `old_names`: the old host's name servers (the spec's, and those verify
    remembered): a parent that delegates to exactly those still sends
    resolvers to the old data. `named`: host names for the old servers'
    addresses (`addresses_named`).
    """
    old = frozenset(_bare(n) for n in old_names)
    named = named or {}
    samples: dict[tuple[str, str], list[Sample]] = {}
    for round_ in rounds:
        cells: dict[tuple[str, str], list[dict]] = {}
        for check in round_.checks:
            group = _group(check)
            if group is not None:
                cells.setdefault((group, str(check["server"])), []).append(check)
        for key, checks in cells.items():
            judged = [(_state(c, old), c) for c in checks]
            state, worst = min(judged, key=lambda pair: _RANK[pair[0]])
            samples.setdefault(key, []).append(Sample(round_.id, round_.at, state, "" if state == NEW else _why(worst)))
        by_server: dict[str, list[dict]] = {}
        for answer in round_.old_answers:
            by_server.setdefault(str(answer.get("server")), []).append(answer)
        for server, answers in by_server.items():
            name = f"{named[server]} ({server})" if server in named else server
            state, why = _old_host(answers)
            samples.setdefault((OLD_HOST, name), []).append(Sample(round_.id, round_.at, state, why))
    order = {group: i for i, group in enumerate(GROUPS)}
    keys = sorted(samples, key=lambda key: order[key[0]])  # stable: first seen within a group
    return [Row(group, name, tuple(samples[(group, name)])) for group, name in keys]


def segments(row: Row, rounds: Sequence[datetime], until: datetime, max_age: timedelta) -> list[Segment]:
    """The stretches of time a row was in each state: from each of its rounds to the next round
    (any row's), at most `max_age`; after the last round, until `until`."""
    times = sorted(rounds)
    out: list[Segment] = []
    for sample in row.samples:
        after = bisect_right(times, sample.at)
        end = times[after] if after < len(times) else max(until, sample.at)
        end = min(end, sample.at + max_age)
        if out and out[-1].state == sample.state and out[-1].end == sample.at:
            out[-1] = Segment(out[-1].start, end, sample.state, out[-1].why or sample.why)
        else:
            out.append(Segment(sample.at, end, sample.state, sample.why))
    return out


# -- the whole picture ------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    """A moment drawn across the timeline and listed in the chronology."""

    at: datetime
    kind: str  # cutover | first-seen | safe | soak-end | decision | wave | attestation | now
    label: str
    status: str = ""  # a decision's locked/unlocked


@dataclass(frozen=True)
class Soak:
    """The gate's soak, as `gate.checks.dns` counts it: from continuity's start + the TTL wait, for gate.min_soak."""

    start: datetime
    end: datetime


def soak(first_fully_seen: datetime | None, continuous_since: datetime | None, safe_after: datetime | None,
         min_soak: timedelta) -> Soak | None:
    """The soak window, or None while the newest round does not see the new state everywhere."""
    if first_fully_seen is None or continuous_since is None or safe_after is None or safe_after < first_fully_seen:
        return None
    start = continuous_since + (safe_after - first_fully_seen)
    return Soak(start, start + min_soak)


@dataclass(frozen=True)
class Span:
    """The time the timeline's drawing covers; `x` places a moment on it, in percent."""

    start: datetime
    end: datetime

    @classmethod
    def covering(cls, moments: Iterable[datetime | None]) -> Span | None:
        known = [m for m in moments if m is not None]
        if not known:
            return None
        start, end = min(known), max(known)
        return cls(start, max(end, start + timedelta(seconds=1)))

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end

    def x(self, moment: datetime) -> float:
        whole = (self.end - self.start).total_seconds()
        part = (min(max(moment, self.start), self.end) - self.start).total_seconds()
        return round(100 * part / whole, 3)

    def width(self, start: datetime, end: datetime, least: float = 0.4) -> float:
        """How wide the stretch from `start` to `end` is drawn, in percent: at least `least`, so a moment shows."""
        return round(max(self.x(end) - self.x(start), least), 3)

    def ticks(self, count: int = 5) -> list[datetime]:
        step = (self.end - self.start) / (count - 1)
        return [self.start + step * i for i in range(count)]


@dataclass(frozen=True)
class Timeline:
    rows: list[Row]
    span: Span | None  # None: no rounds to draw
    rounds: list[datetime] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    soak: Soak | None = None
    max_age: timedelta = timedelta(hours=6)

    def segments(self, row: Row) -> list[Segment]:
        return segments(row, self.rounds, self.span.end if self.span else row.samples[-1].at, self.max_age)

    @property
    def transitions(self) -> int:
        return sum(len(row.transitions) for row in self.rows)

    def drawn(self) -> list[Marker]:
        """The markers that fall inside the drawing."""
        return [m for m in self.markers if self.span is not None and self.span.holds(m.at)]


def step(times: Sequence[datetime], max_age: timedelta) -> timedelta:
    """How long the last round's states are drawn: the usual time between rounds (their median gap), at most
    `max_age`; a minute for a single round."""
    gaps = sorted(b - a for a, b in zip(times, times[1:]) if b > a)
    usual = gaps[len(gaps) // 2] if gaps else timedelta(minutes=1)
    return min(usual, max_age)


def build(rounds: Sequence[Round], *, old_names: Iterable[str], named: Mapping[str, str] | None, markers: Iterable[Marker],
          soak_window: Soak | None, max_age: timedelta) -> Timeline:
    """The rows, and what to draw: the time the rounds watched, from the first round to one usual step after the last.

    Only watched time is drawn: a soak that ends two days after the last
    round, or a report made a week later, would squeeze the rounds into a
    sliver. Markers outside it are in the chronology only.
    """
    found = rows(rounds, old_names, named)
    times = sorted(r.at for r in rounds)
    ordered = sorted(markers, key=lambda m: m.at)
    if not times:
        return Timeline(found, None, [], ordered, soak_window, max_age)
    span = Span.covering([times[0], times[-1] + step(times, max_age)])
    return Timeline(found, span, times, ordered, soak_window, max_age)
