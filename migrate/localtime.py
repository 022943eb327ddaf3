"""Moments as people read them: in the spec's time zone, with the zone named.

Text for people (the gate's lines, the runbook, the notify windows) shows the
time where the business is, so "2027-01-15 08:00 CET" is the hour users were
told; JSON keeps UTC (the report contract).
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo


def format(value: datetime, tz: tzinfo = timezone.utc, *, seconds: bool = False) -> str:
    """`2027-01-15 08:00 CET` (`08:00:07 CET` with seconds: the report's rounds can be seconds apart);
    a zone without an abbreviation is named by its offset (`UTC+01:00`)."""
    local = value.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M{':%S' if seconds else ''}} {local.tzname() or local.strftime('%z')}"
