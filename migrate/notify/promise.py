"""The data deadline users were given: which waves name it, and when it ends.

Pure rules on dates. The ledger records, for each sending run of a wave, the
deadline its messages name (`ledger.Send`): users were told they may save
their files until then.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from migrate.notify import waves

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
