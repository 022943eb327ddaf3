"""The evidence each gate check reasons about: plain frozen records, digestible.

Gathering (Graph, facts file, SQLite, the verify journal) lives in `sources`;
the checks in `checks` only see these records, so they are pure and testable
with a clock the tests control. `digest()` is what the audit trail stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from migrate.graph.models import Reference, Sku, Subscription
from migrate.mailfree import Proof
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
class TenantDomain:
    """A domain the tenant holds, as Graph (`GET /domains`) or the facts file (`domains:`) lists it."""

    name: str  # A-label without the trailing dot
    initial: bool = False  # Graph's isInitial: the companyname.onmicrosoft.com domain
    verified: bool = True
    services: tuple[str, ...] = ()  # Graph's supportedServices (Email, OfficeCommunicationsOnline, ...)


@dataclass(frozen=True)
class TenantEvidence:
    """Every domain the tenant holds, the specs of this exit, and the proofs for the domains it parks.

    - held: None when neither Graph nor the facts file says which domains the tenant holds;
    - covered: domain -> the spec file that migrates it (every spec of the exit);
    - parked: domain -> its mail-free proof (the domains listed in gate.parked).
    """

    held: tuple[TenantDomain, ...] | None
    source: str
    covered: dict[str, str] = field(default_factory=dict)
    parked: dict[str, Proof] = field(default_factory=dict)
    as_of: datetime | None = None  # when the facts were read off the admin center (facts only)


@dataclass(frozen=True)
class Attestation:
    kind: str
    domain: str
    by: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class Deadline:
    """The date users were told to save their data by, and the moment that promise ends."""

    named: str  # as the emails named it: an ISO date (the whole day) or moment
    ends: datetime  # a whole day ends at the next midnight in the spec's time zone
    source: str  # where it was read: the ledger (the waves that named it) or the spec


@dataclass(frozen=True)
class DataSavedEvidence:
    """The attestations, the verifier's safe time (when no cache can still send mail to Microsoft 365),
    and the data deadline users were given."""

    attestations: tuple[Attestation, ...]
    mail_moved: datetime | None = None  # None: no verify journal to say when
    deadline: Deadline | None = None  # None: no email named one and the spec sets none


@dataclass(frozen=True)
class NoticeEvidence:
    wave: str
    recipients: tuple[str, ...]
    delivered: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class DnsEvidence:
    """What the gate needs to know about DNS, from the journal alone (no policy).

    Whether it is safe to cancel is not said here: that takes the gate's
    policy (gate.min_soak, gate.max_age), so `checks.dns` alone decides it.

    - latest_status / latest_at / latest_round: the newest round's status
      (verified, converging, failing, unknown), when it finished and its id;
      None without rounds;
    - first_fully_seen: when the current unbroken run of rounds that saw the
      new state at every authoritative server began (the verifier's
      `streak_start`, the time its `safe_after` counts from); None if the
      newest round did not see it;
    - streak: the finish times of the rounds in that run, oldest first (so
      the gate can judge the gaps between them against its own max_age);
    - first_ever_fully_seen: the first round ever that saw it;
    - held: True when every round since first_ever_fully_seen saw it too
      (no failing or unknown authoritative state since); `lost` counts how
      many times it was lost after being seen (a flap, each restarting the run);
    - safe_after: the TTL-derived time after which no cache can hold the old
      state (first_fully_seen + the largest relevant old TTL, as the newest
      round computed it with `verify.timing`); eta: the newest round's ETA;
    - digest: sha256 of the observations the newest round rested on (the
      journal hands over evidence only once every round still hashes to its
      digest and the rounds' chain verified: otherwise `BrokenChain`);
    - rounds: how many rounds the journal holds for the domain;
    - problems: the newest round's checks that did not pass, as "id (status)";
    - now: when the journal was read.
    """

    domain: str
    latest_status: str | None
    latest_at: datetime | None
    latest_round: int | None
    first_fully_seen: datetime | None
    first_ever_fully_seen: datetime | None
    held: bool
    safe_after: datetime | None
    eta: datetime | None
    digest: str | None
    rounds: int
    now: datetime
    streak: tuple[datetime, ...] = ()
    lost: int = 0
    problems: tuple[str, ...] = ()  # "id (status)" of the newest round's checks that did not pass

    @classmethod
    def nothing(cls, domain: str, now: datetime) -> DnsEvidence:
        """No rounds: evidence of nothing (not held, no safe time)."""
        return cls(domain, None, None, None, None, None, False, None, None, None, 0, now)

    @property
    def largest_gap(self) -> timedelta | None:
        """The longest time between two consecutive rounds of the current run (None without a run)."""
        if not self.streak:
            return None
        return max((b - a for a, b in zip(self.streak, self.streak[1:])), default=timedelta(0))

    def continuous_since(self, max_gap: timedelta) -> datetime | None:
        """Start of the part of the current run watched with no gap longer than `max_gap`.

        Nobody looked during a longer gap, so the state may have flapped
        unseen: continuity is only proven from the first round after it.
        """
        if not self.streak:
            return None
        start = self.streak[0]
        for before, after in zip(self.streak, self.streak[1:]):
            if after - before > max_gap:
                start = after
        return start
