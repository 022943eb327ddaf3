"""The evidence each gate check reasons about: plain frozen records, digestible.

DNS evidence is the verify journal's own `migrate.journal.DnsEvidence`.
Gathering (Graph, facts file, SQLite, the verify journal) lives in `sources`;
the checks in `checks` only see these records, so they are pure and testable
with a clock the tests control. `digest()` is what the audit trail stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from migrate.graph.models import Reference, Sku, Subscription
from migrate.state import codec


def digest(value) -> str:
    """sha256 over canonical JSON: the same evidence always gives the same digest."""
    return "sha256:" + codec.digest([codec.canonical_json(value)])


@dataclass(frozen=True)
class LicenceEvidence:
    subscriptions: tuple[Subscription, ...]
    skus: tuple[Sku, ...] = ()
    source: str = "graph"  # "graph" or "facts:<path>"
    own_tenant_id: str | None = None
    product_keys: frozenset[str] = frozenset()  # subscription ids bought with a product key (facts only)
    as_of: datetime | None = None  # when the facts were read off the admin center (facts only)


@dataclass(frozen=True)
class DomainEvidence:
    domain: str  # A-label without the trailing dot, as Graph names it
    exists: bool
    references: tuple[Reference, ...] = ()
    source: str = "graph"
    as_of: datetime | None = None  # when the facts were read off the admin center (facts only)


@dataclass(frozen=True)
class Attestation:
    kind: str
    domain: str
    by: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class DataSavedEvidence:
    """The attestations, and the verifier's safe time (when no cache can still send mail to Microsoft 365)."""

    attestations: tuple[Attestation, ...]
    mail_moved: datetime | None = None  # None: no verify journal to say when


@dataclass(frozen=True)
class NoticeEvidence:
    wave: str
    recipients: tuple[str, ...]
    delivered: dict[str, datetime] = field(default_factory=dict)
