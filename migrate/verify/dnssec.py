"""DNSSEC judgements on answers already received: pure, no I/O, the time passed in.

dnspython does every cryptographic step (`dns.dnssec.validate_rrsig`,
`dns.dnssec.make_ds`); this module decides what must validate, against what,
and for how long:

- a server's DNSKEY set is vouched for by the DS records at the parent that
  match its keys, and must carry a signature by one of those keys; with no DS
  yet, by any key of the set (the set a DS would point at);
- every RRset a server answers with authority, and the NSEC/NSEC3 records
  and SOA of a negative answer, must carry an RRSIG by the zone that validates
  against that DNSKEY set, valid now and for `margin` ahead (how long a
  round's verdict is relied on);
- a signature's cryptography is checked at a moment inside its own window, so
  an expired signature reads as expired (with its window) and a forged or
  damaged one as bogus, whatever its window.

Denial: the NSEC/NSEC3 records must be there and validate; NSEC records must
also cover or match the name asked (wildcard proofs, and NSEC3's
closest-encloser proof, are not checked).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from migrate import duration
from migrate.state.codec import utc_text
from migrate.verify.evidence import ANSWER, NXDOMAIN, Answer
from migrate.zone import RRset

OK, EXPIRING, EXPIRED, NOT_YET_VALID, UNSUPPORTED, BOGUS, MISSING = (
    "ok", "expiring", "expired", "not-yet-valid", "unsupported", "bogus", "missing",
)
# When several signatures cover one RRset, the verdict rests on the one closest to working.
_RANK = {OK: 0, EXPIRING: 1, EXPIRED: 2, NOT_YET_VALID: 3, UNSUPPORTED: 4, BOGUS: 5, MISSING: 6}

# RFC 8914 codes a validating resolver attaches when DNSSEC is why it answers SERVFAIL.
VALIDATION_EDE = frozenset({1, 2, 5, 6, 7, 8, 9, 10, 11, 12})

SERVFAIL_NOTE = "validating resolvers answer SERVFAIL"


def _time(moment: datetime) -> str:
    return utc_text(moment.replace(microsecond=0), zulu=True) or ""


@dataclass(frozen=True)
class Signature:
    """One RRSIG as a report names it: who signed, with which key, valid when."""

    covers: str
    signer: str
    key_tag: int
    algorithm: str
    inception: datetime
    expiration: datetime

    @classmethod
    def of(cls, rrsig) -> Signature:
        return cls(
            covers=dns.rdatatype.to_text(rrsig.type_covered),
            signer=rrsig.signer.to_text().lower(),
            key_tag=rrsig.key_tag,
            algorithm=dns.dnssec.algorithm_to_text(rrsig.algorithm),
            inception=datetime.fromtimestamp(rrsig.inception, timezone.utc),
            expiration=datetime.fromtimestamp(rrsig.expiration, timezone.utc),
        )

    @property
    def window(self) -> str:
        return f"{_time(self.inception)} to {_time(self.expiration)}"

    def describe(self) -> str:
        return f"RRSIG by {self.signer} key {self.key_tag} ({self.algorithm}), valid {self.window}"

    def to_dict(self) -> dict:
        return {
            "signer": self.signer,
            "key_tag": self.key_tag,
            "algorithm": self.algorithm,
            "inception": _time(self.inception),
            "expiration": _time(self.expiration),
        }


@dataclass(frozen=True)
class Verdict:
    status: str
    detail: str
    signature: Signature | None = None  # the signature the verdict rests on

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class KeySet:
    """The DNSKEY set one server publishes, and what vouches for it."""

    rrset: RRset
    matched: tuple[str, ...]  # the DS rdata that match one of the keys
    verdict: Verdict  # the key set's own signature, by a key a matching DS points at (any key when none does)


def _dnspython(rrset: RRset) -> dns.rrset.RRset:
    return dns.rrset.from_text_list(rrset.name, rrset.ttl, dns.rdataclass.IN, rrset.rdtype, rrset.sorted_rdatas())


# Parsing and validating are the costly part of a round, and one round meets the same
# signature many times (every negative answer carries the same SOA and a few NSEC records):
# the pure steps below are memoised on their (hashable) inputs.
_CACHE = 8192


@functools.lru_cache(maxsize=_CACHE)
def _rdata(rdtype: str, text: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)


def signatures_at(answer: Answer, owner: str, section: str = "answer") -> list[str]:
    """The RRSIG rdata (text) an answer's section holds at one owner name."""
    return [text for rrset in answer.rrsets("RRSIG", section) if rrset.name == owner for text in rrset.rdatas]


def ds_matches(zone: str, ds_texts: Iterable[str], keys: RRset) -> list[str]:
    """The DS rdata (as text) that match one of the DNSKEYs."""
    name = dns.name.from_text(zone)
    matched = []
    for text in ds_texts:
        ds = _rdata("DS", text)
        for key in (_rdata("DNSKEY", k) for k in keys.sorted_rdatas()):
            if dns.dnssec.key_id(key) != ds.key_tag or key.algorithm != ds.algorithm:
                continue
            try:
                # validating=True: a SHA-1 DS may no longer be created, but it is still checked
                if dns.dnssec.make_ds(name, key, ds.digest_type, validating=True) == ds:
                    matched.append(text)
            except (dns.dnssec.UnsupportedAlgorithm, dns.dnssec.DeniedByPolicy, ValueError):
                continue
    return matched


def key_set(zone: str, answer: Answer, ds_texts: Iterable[str], now: datetime, margin: timedelta) -> KeySet | None:
    """The DNSKEY set in a server's answer and the verdict on its signature; None when it has none."""
    keys = answer.rrset(zone, "DNSKEY") if answer.outcome == ANSWER else None
    if keys is None:
        return None
    matched = tuple(ds_matches(zone, ds_texts, keys))
    anchors = keys
    if matched:
        wanted = {_rdata("DS", t).key_tag for t in matched}
        anchors = keys.with_rdatas(k for k in keys.rdatas if dns.dnssec.key_id(_rdata("DNSKEY", k)) in wanted)
    verdict = judge(keys, signatures_at(answer, zone), zone, anchors, now, margin)
    return KeySet(rrset=keys, matched=matched, verdict=verdict)


def judge(rrset: RRset, rrsigs: Iterable[str], zone: str, keys: RRset, now: datetime, margin: timedelta) -> Verdict:
    """Does one RRset carry a signature by `zone` that validates against `keys`, now and `margin` ahead?"""
    covering = frozenset(t for t in rrsigs if dns.rdatatype.to_text(_rdata("RRSIG", t).type_covered) == rrset.rdtype)
    if not covering:
        return Verdict(MISSING, f"no RRSIG although the zone is signed; {SERVFAIL_NOTE}")
    return _judged(rrset, covering, zone, keys, now, margin)


@functools.lru_cache(maxsize=_CACHE)
def _judged(rrset: RRset, covering: frozenset[str], zone: str, keys: RRset, now: datetime, margin: timedelta) -> Verdict:
    target, key_rrset = _dnspython(rrset), _dnspython(keys)
    verdicts = [_one(target, _rdata("RRSIG", t), zone, key_rrset, now, margin) for t in sorted(covering)]
    return min(verdicts, key=lambda v: (_RANK[v.status], -v.signature.expiration.timestamp()))


def _one(target: dns.rrset.RRset, rrsig, zone: str, keys: dns.rrset.RRset, now: datetime, margin: timedelta) -> Verdict:
    signature = Signature.of(rrsig)
    # The cryptography is judged inside the signature's own window; the window is judged below.
    moment = min(max(now.timestamp(), rrsig.inception), rrsig.expiration)
    try:
        dns.dnssec.validate_rrsig(target, rrsig, {dns.name.from_text(zone): keys}, now=moment)
    except dns.dnssec.UnsupportedAlgorithm:
        return Verdict(UNSUPPORTED, f"{signature.describe()}: an algorithm dnspython cannot check", signature)
    except dns.dnssec.ValidationFailure as exc:
        why = f"it is not by {zone}" if signature.signer != zone else f"{exc}"
        return Verdict(BOGUS, f"{signature.describe()}: does not validate against the DNSKEY set ({why}); {SERVFAIL_NOTE}", signature)
    if now < signature.inception:
        return Verdict(NOT_YET_VALID, f"{signature.describe()}: not valid yet (is the signer's clock ahead?); {SERVFAIL_NOTE}", signature)
    if now > signature.expiration:
        ago = duration.format(now - signature.expiration)
        return Verdict(EXPIRED, f"{signature.describe()}: expired {ago} ago; {SERVFAIL_NOTE}; the host no longer re-signs the zone", signature)
    if signature.expiration < now + margin:
        left = duration.format(signature.expiration - now)
        return Verdict(EXPIRING, f"{signature.describe()}: expires in {left}, within the {duration.format(margin)} a round is relied on (gate.max_age); the host must re-sign before then", signature)
    return Verdict(OK, f"valid until {_time(signature.expiration)} (key {signature.key_tag})", signature)


def judge_denial(answer: Answer, zone: str, keys: RRset, now: datetime, margin: timedelta) -> Verdict:
    """Is a negative answer (NXDOMAIN or NODATA) provably negative to a validating resolver?"""
    proofs = [r for r in answer.authority if r.rdtype in ("NSEC", "NSEC3")]
    if not proofs:
        return Verdict(MISSING, f"the {answer.outcome} carries no NSEC or NSEC3 record although the zone is signed; {SERVFAIL_NOTE}")
    signed = [*proofs, *answer.rrsets("SOA", "authority")]
    verdicts = [(r, judge(r, signatures_at(answer, r.name, "authority"), zone, keys, now, margin)) for r in signed]
    failed = [(r, v) for r, v in verdicts if not v.ok]
    if failed:
        record, worst = max(failed, key=lambda pair: _RANK[pair[1].status])
        return Verdict(worst.status, f"the {record.rdtype} at {record.name} in the {answer.outcome}: {worst.detail}", worst.signature)
    nsec = [r for r in proofs if r.rdtype == "NSEC"]
    if nsec and not _nsec_proves(answer, nsec):
        return Verdict(BOGUS, f"the NSEC records of the {answer.outcome} do not prove it (a stale NSEC chain?); {SERVFAIL_NOTE}")
    earliest = min((v for _, v in verdicts), key=lambda v: v.signature.expiration)
    kinds = " and ".join(sorted({r.rdtype for r in proofs}))
    return Verdict(OK, f"{answer.outcome} proven by {kinds}; signatures valid until {_time(earliest.signature.expiration)}", earliest.signature)


def _nsec_proves(answer: Answer, nsec: list[RRset]) -> bool:
    """RFC 4035 §3.1.3: an NSEC covers the name (NXDOMAIN), or matches it without the type (NODATA)."""
    qname = dns.name.from_text(answer.qname)
    for rrset in nsec:
        owner = dns.name.from_text(rrset.name)
        for text in rrset.rdatas:
            next_text, *types = text.split()
            following = dns.name.from_text(next_text)
            covers = owner < qname < following or (following <= owner and qname > owner)
            if answer.outcome == NXDOMAIN:
                if covers:
                    return True
            elif owner == qname or (owner.labels[0] == b"*" and qname.is_subdomain(owner.parent())):
                if answer.qtype not in types and "CNAME" not in types:
                    return True
            elif covers and following.is_subdomain(qname):
                return True  # an empty non-terminal: names exist below it, none at it
    return False


def validation_ede(answer: Answer) -> list[str]:
    """The resolver's own words (RFC 8914) when it says DNSSEC is why it failed."""
    return [f"{text} (EDE {code})" for code, text in answer.ede if code in VALIDATION_EDE]
