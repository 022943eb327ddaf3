"""Durations as people write them in a spec or on the command line: 90s, 15m, 48h, 14d, 1h30m."""

from __future__ import annotations

import math
import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# No wait in a migration comes near ten years: a longer duration is a typo
# (99999999d) or infinity (.inf), and refusing it keeps every moment the tool
# computes (the cutover plus a duration) far from datetime's year 9999.
LONGEST = timedelta(days=3660)


def _bounded(seconds: int | float, text: object) -> timedelta:
    shown = repr(text) if len(repr(text)) <= 40 else repr(text)[:39] + "…"
    # Compared as given: an integer too large for a float must not overflow on the way.
    if isinstance(seconds, float) and math.isnan(seconds):
        raise ValueError(f"{shown} is not a duration")
    if seconds > LONGEST.total_seconds():
        raise ValueError(f"{shown} is longer than ten years ({LONGEST.days}d)")
    return timedelta(seconds=seconds)


def parse(text: str | int | float) -> timedelta:
    """Parse a duration; a bare number is seconds. Raises ValueError with the reason."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError(f"{text!r} is negative")
        return _bounded(text, text)
    compact = str(text).strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", compact):
        return _bounded(float(compact), text)
    if not compact or _PART.sub("", compact):
        raise ValueError(f"{text!r} is not a duration like 90s, 15m, 48h or 14d")
    return _bounded(sum(float(n) * _UNITS[u] for n, u in _PART.findall(compact)), text)


def format(delta: timedelta) -> str:
    """Short human form: 2d3h, 45m, 12s."""
    seconds = max(0, int(delta.total_seconds()))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts[:2])
