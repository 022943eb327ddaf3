"""The data deadline users were given: which waves name it, when it ends, and which one reached them.

Pure rules on dates. The ledger records, for each sending run of a wave, the
deadline its messages name (`ledger.Send`); here that record becomes the
promise the gate keeps: users were told they may save their files until
then, so nothing may be cancelled before it ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo

from migrate.notify import waves
from migrate.notify.ledger import Send

# The waves whose messages name the data deadline (the built-in templates: "save your files by ...").
NAMED_IN = (waves.ANNOUNCE, waves.CUTOVER, waves.DATA_DEADLINE)


def named(facts: waves.Facts, wave: str) -> date | datetime | None:
    """The deadline the messages of `wave` name, or None."""
    return facts.data_deadline if wave in NAMED_IN else None


def text(value: date | datetime) -> str:
    """As the ledger keeps it: an ISO date (a whole day) or an ISO moment with its offset."""
    return value.isoformat()


def parse(value: str) -> date | datetime:
    return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)


def ends(value: date | datetime, tz: tzinfo) -> datetime:
    """When the promise ends: a moment when it says; "by Monday 22 February" lasts until the next midnight in `tz`."""
    if isinstance(value, datetime):
        return value
    after = value + timedelta(days=1)
    return datetime(after.year, after.month, after.day, tzinfo=tz)


def promised(sends: Iterable[Send], sent: Mapping[str, Iterable[datetime]], tz: tzinfo) -> tuple[str, str] | None:
    """The latest-ending deadline a delivered message named, and the wave that named it; None when none did.

    A run's messages are those of its wave sent from its start until the next
    run of that wave began (a message confirmed later keeps the time it was
    handed over, which is inside its run), so a deadline counts only when
    someone was sent it. When users were told different dates (the spec
    changed between runs), the latest holds: nobody loses the time promised.
    """
    runs = sorted(sends, key=lambda s: s.at)
    best: tuple[datetime, str, str] | None = None
    for i, run in enumerate(runs):
        if run.data_deadline is None:
            continue
        until = next((later.at for later in runs[i + 1:] if later.wave == run.wave), None)
        if not any(run.at <= at and (until is None or at < until) for at in sent.get(run.wave, ())):
            continue
        end = ends(parse(run.data_deadline), tz)
        if best is None or end > best[0]:
            best = (end, run.data_deadline, run.wave)
    return (best[1], best[2]) if best else None
