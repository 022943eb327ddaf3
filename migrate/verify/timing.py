"""When the change is safe everywhere: pure arithmetic over observed times and old TTLs.

A resolver that cached the old state may keep serving it for the old TTL,
counted from the moment the new state was published everywhere
authoritative (research/propagation.md §10):

    safe_after = first_fully_seen + max(relevant old TTLs)

The relevant old TTLs:
- when the delegation moved: the parent's NS TTL and the old child apex NS TTL;
- for every record whose old data differed from the desired data: its old TTL;
- for every name or type that is new: the old zone's negative TTL
  (min(SOA TTL, SOA MINIMUM), RFC 2308), because a resolver may have cached
  "does not exist";
- a record the old servers served identically costs nothing (a cache of it
  is already right).

A TTL that could not be measured takes a conservative default (the parent's
NS TTL is often two days at TLDs, so its default is a day). Measurements
are kept in the journal, so a value seen once, before the old host went
away, keeps counting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from migrate import duration
from migrate.report import PASS, PENDING, Check
from migrate.verify.checks import Evidence, ServerView, compared, mail_keys
from migrate.verify.evidence import ANSWER, NODATA, NXDOMAIN, Answer

DEFAULT_PARENT_NS_TTL = 86400
DEFAULT_TTL = 3600

# Not `timing.soak`: that is the gate's, which adds gate.min_soak to the time this check waits for.
CHECK_ID = "timing.old-ttls"

# kinds of old TTL
PARENT_NS, CHILD_NS, RECORD, NEGATIVE, SAME = "parent-ns", "child-ns", "record", "negative", "same"


@dataclass(frozen=True)
class OldTTL:
    """One TTL of the old state: what a cache of it may still hold."""

    kind: str  # parent-ns | child-ns | record | negative | same
    subject: str  # "name TYPE" or the domain
    ttl: int
    server: str | None = None  # where it was measured; None for a default

    @property
    def measured(self) -> bool:
        return self.server is not None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "subject": self.subject, "ttl": self.ttl, "server": self.server}


def _answers(views: Iterable[ServerView], key: tuple[str, str]) -> list[Answer]:
    out = []
    for view in views:
        answer = view.records.get(key) or view.probes.get(key)
        if answer is not None and answer.ok and answer.aa:
            out.append(answer)
    return out


def measure(ev: Evidence, delegation_moved: bool) -> list[OldTTL]:
    """Old-state TTLs visible in this round's authoritative answers (old and new servers).

    Any authoritative answer that differs from the desired data *is* old state,
    wherever it was seen; old servers that serve the desired data are SAME.
    """
    out: list[OldTTL] = []
    if delegation_moved:
        for view in ev.parents:
            ns = view.ns.rrset(ev.domain, "NS", "authority") or view.ns.rrset(ev.domain, "NS", "answer")
            if ns is not None:
                out.append(OldTTL(PARENT_NS, ev.domain, ns.ttl, view.address))
        for view in ev.old_servers:
            if view.ns is not None and view.ns.outcome == ANSWER and view.ns.aa:
                out.append(OldTTL(CHILD_NS, ev.domain, view.ns.rrset(ev.domain, "NS").ttl, view.address))
    keys = [r.key for r in compared(ev.desired, ev.domain)] + [k for k in ev.probe_names if k[1] != "NS"]
    for key in dict.fromkeys(keys):
        want = ev.desired.get(*key)
        subject = f"{key[0]} {key[1]}"
        old = {v.address for v in ev.old_servers}
        for answer in _answers([*ev.old_servers, *ev.servers], key):
            from_old = answer.server in old
            got = answer.rrset(*key) if answer.outcome == ANSWER else None
            if got is None and answer.outcome == "cname":
                got = answer.rrset(key[0], "CNAME")
            if got is not None:
                same = want is not None and got.rdatas == want.rdatas
                if same and not from_old:
                    continue  # the new servers serving the new data says nothing about the old
                out.append(OldTTL(SAME if same else RECORD, subject, 0 if same else got.ttl, answer.server))
            elif answer.outcome in (NXDOMAIN, NODATA) and want is not None and answer.neg_ttl is not None:
                out.append(OldTTL(NEGATIVE, subject, answer.neg_ttl, answer.server))
            elif want is None and from_old:
                out.append(OldTTL(SAME, subject, 0, answer.server))
    return out


def relevant(ev: Evidence, measured: Iterable[OldTTL], delegation_moved: bool) -> list[OldTTL]:
    """The TTLs the safe time rests on: the largest measured per subject, else a default.

    `measured` holds everything the journal has ever seen (this round included).
    """
    best: dict[tuple[str, str], OldTTL] = {}
    for item in measured:
        key = (item.kind if item.kind in (PARENT_NS, CHILD_NS) else "data", item.subject)
        if key not in best or item.ttl > best[key].ttl:
            best[key] = item
    out = []
    if delegation_moved:
        out.append(best.get((PARENT_NS, ev.domain), OldTTL(PARENT_NS, ev.domain, DEFAULT_PARENT_NS_TTL)))
        out.append(best.get((CHILD_NS, ev.domain), OldTTL(CHILD_NS, ev.domain, DEFAULT_TTL)))
    # Mail-critical records always count; other records count once seen different.
    critical = {f"{n} {t}" for n, t in mail_keys(ev.domain, ev.desired)}
    subjects = {f"{r.name} {r.rdtype}" for r in compared(ev.desired, ev.domain)} | critical
    for subject in sorted(subjects):
        item = best.get(("data", subject))
        if item is None:
            if subject in critical:
                out.append(OldTTL(RECORD, subject, DEFAULT_TTL))
            continue
        if item.ttl > 0:
            out.append(item)
    for (group, subject), item in best.items():
        if group == "data" and subject not in subjects and item.ttl > 0:
            out.append(item)  # a removed record (Microsoft 365's) whose old value may be cached
    return out


def safe_after(first_fully_seen: datetime | None, ttls: Iterable[OldTTL]) -> datetime | None:
    if first_fully_seen is None:
        return None
    longest = max((t.ttl for t in ttls), default=0)
    return first_fully_seen + timedelta(seconds=longest)


def old_ttls_check(ev: Evidence, first_fully_seen: datetime | None, ttls: list[OldTTL]) -> Check:
    """`timing.old-ttls`: pending until every old TTL has run out since the new state was first seen everywhere."""
    longest = max(ttls, key=lambda t: t.ttl, default=None)
    observed = {
        "first_fully_seen": first_fully_seen,
        "longest_old_ttl": longest.to_dict() if longest else None,
        "ttls": [t.to_dict() for t in sorted(ttls, key=lambda t: -t.ttl)[:10]],
    }
    if first_fully_seen is None:
        return Check(CHECK_ID, PENDING, ev.domain, None, "old TTLs expired", observed,
                     "the new state has not yet been seen at every authoritative server")
    safe = safe_after(first_fully_seen, ttls)
    observed["safe_after"] = safe
    basis = (f"{longest.kind} TTL {longest.ttl}s of {longest.subject}" + ("" if longest.measured else " (default: not measurable)")) if longest else "no old TTL"
    if ev.now >= safe:
        return Check(CHECK_ID, PASS, ev.domain, None, "old TTLs expired", observed, f"safe since {safe.isoformat()} ({basis})")
    left = duration.format(safe - ev.now)
    return Check(CHECK_ID, PENDING, ev.domain, None, "old TTLs expired", observed,
                 f"caches may hold the old state for {left} more ({basis})", safe)
