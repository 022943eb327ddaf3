"""Times, JSON and digests as everything under --state writes them (pure).

Times are ISO 8601 in UTC, "+00:00" in state files (every row written so far
reads that way, and a digest is recomputed from the stored text) and "Z" in
reports (the report contract). A time without a zone is refused: it would
mean a different moment on each machine that reads it.

Canonical JSON (sorted keys, compact, UTF-8 as is, times as UTC text, sets
sorted) gives one text per value, so equal evidence always has equal digests.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any


def utc_text(moment: datetime | None, *, zulu: bool = False) -> str | None:
    """`moment` as ISO 8601 UTC text ("+00:00", or "Z" with `zulu`); None (no time) stays None."""
    if moment is None:
        return None
    text = _aware(moment).astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z") if zulu else text


def utc_time(text: str | None) -> datetime | None:
    """The moment ISO 8601 `text` names, in UTC; None stays None."""
    if text is None:
        return None
    return _aware(datetime.fromisoformat(text)).astimezone(timezone.utc)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone: which moment it is depends on the machine")
    return moment


def plain(value: Any) -> Any:
    """The `default` hook of `json.dumps` for what state holds besides JSON's own types."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=canonical_json)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    raise TypeError(f"cannot serialise {type(value).__name__}")


# What json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=plain) builds on each
# call, built once: readers verifying a chain encode every row, and building the encoder was a third of that.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=plain)


def canonical_json(value: Any) -> str:
    """The one text of `value`: equal values give equal text, on every machine."""
    return _CANONICAL.encode(value)


def digest(rows: Iterable[str]) -> str:
    """sha256 (hex) of canonical rows (`canonical_json` texts, or ones labelled like "verdict:{...}"), one per line, in order."""
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()
