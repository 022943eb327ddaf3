"""The evidence each gate check reasons about: plain frozen records, digestible.

Gathering (Graph, facts file, SQLite, the verify journal) lives in `sources`;
the checks in `checks` only see these records, so they are pure and testable
with a clock the tests control. `digest()` is what the audit trail stores.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from migrate.graph.models import Reference, Sku, Subscription


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def digest(value) -> str:
    """sha256 over canonical JSON: the same evidence always gives the same digest."""
    text = json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class LicenceEvidence:
    subscriptions: tuple[Subscription, ...]
    skus: tuple[Sku, ...] = ()
    source: str = "graph"  # "graph" or "facts:<path>"
    own_tenant_id: str | None = None
    product_keys: frozenset[str] = frozenset()  # subscription ids bought with a product key (facts only)


@dataclass(frozen=True)
class DomainEvidence:
    domain: str  # A-label without the trailing dot, as Graph names it
    exists: bool
    references: tuple[Reference, ...] = ()
    source: str = "graph"


@dataclass(frozen=True)
class Attestation:
    kind: str
    domain: str
    by: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class NoticeEvidence:
    wave: str
    recipients: tuple[str, ...]
    delivered: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class DnsEvidence:
    """What the verify journal proves about the new DNS; phase B fills it from the journal.

    - latest_round_at / latest_round_status: the newest completed verify round
      ("verified" | "failing" | "converging"), as `migrate verify` reports it.
    - first_fully_seen_at: start of the current unbroken run of verified rounds,
      i.e. the first round after which every round was verified; None if the
      latest round is not verified.
    - held_continuously: True when no round since first_fully_seen_at failed and
      the rounds are close enough together (no gap longer than the journal's
      policy allows) to call it continuous.
    - ttl_wait: how long caches may still serve the old data after it was first
      fully seen: the largest TTL among the replaced records, the old NS set at
      the parent and negative-caching SOA minimum that applies.
    - rounds: verified rounds in the current run (for the report).
    - journal_digest: digest of the journal rows this was derived from.
    """

    latest_round_at: datetime | None
    latest_round_status: Literal["verified", "failing", "converging"] | None
    first_fully_seen_at: datetime | None
    held_continuously: bool
    ttl_wait: timedelta
    rounds: int = 0
    journal_digest: str | None = None
    failing: tuple[str, ...] = ()  # ids of failing checks in the latest round, for the report
