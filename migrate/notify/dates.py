"""Dates and times as a Danish or English reader expects them.

Written out here instead of using the system locale (which may lack da_DK)
or babel (a dependency for twenty-four words).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

_WEEKDAYS = {
    "da": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}


def day(value: date | datetime, lang: str) -> str:
    """`fredag den 15. januar 2027` / `Friday 15 January 2027`."""
    weekday = _WEEKDAYS[lang][value.weekday()]
    month = _MONTHS[lang][value.month - 1]
    if lang == "da":
        return f"{weekday} den {value.day}. {month} {value.year}"
    return f"{weekday} {value.day} {month} {value.year}"


def short_day(value: date | datetime, lang: str) -> str:
    """`15. januar 2027` / `15 January 2027`."""
    month = _MONTHS[lang][value.month - 1]
    return f"{value.day}. {month} {value.year}" if lang == "da" else f"{value.day} {month} {value.year}"


# Danish time: what a Danish reader assumes a time is in, and so leaves unsaid.
_DANISH = ZoneInfo("Europe/Copenhagen")


def time(value: datetime, lang: str) -> str:
    """`kl. 07.00` / `at 07:00 (CET)`: Danish writes the time with a dot, and names no zone when it is Danish time.

    A Danish time in another zone (a spec with `timezone: Europe/London`) keeps its zone: `kl. 07.00 (GMT)`.
    """
    zone = value.tzname() or ""
    if lang == "da":
        danish = value.utcoffset() == value.astimezone(_DANISH).utcoffset()
        suffix = f" ({zone})" if zone and not danish else ""
        return f"kl. {value.hour:02d}.{value.minute:02d}{suffix}"
    suffix = f" ({zone})" if zone else ""
    return f"at {value.hour:02d}:{value.minute:02d}{suffix}"


def moment(value: date | datetime, lang: str) -> str:
    """A day, with the time when the value has one."""
    if isinstance(value, datetime):
        return f"{day(value, lang)} {time(value, lang)}"
    return day(value, lang)
