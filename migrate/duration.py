"""Durations as people write them in a spec or on the command line: 90s, 15m, 48h, 14d, 1h30m."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse(text: str | int | float) -> timedelta:
    """Parse a duration; a bare number is seconds. Raises ValueError with the reason."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError(f"{text!r} is negative")
        return timedelta(seconds=text)
    compact = str(text).strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", compact):
        return timedelta(seconds=float(compact))
    if not compact or _PART.sub("", compact):
        raise ValueError(f"{text!r} is not a duration like 90s, 15m, 48h or 14d")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in _PART.findall(compact)))


def format(delta: timedelta) -> str:
    """Short human form: 2d3h, 45m, 12s."""
    seconds = max(0, int(delta.total_seconds()))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts[:2])
