"""The plan: the desired zone, computed in one place for every consumer.

desired = current records − Microsoft 365 records + the mail provider's
records + `dns.records`, with the apex NS set to `dns.nameservers`. The Pulumi
program, the verifier, the lab and the demo all call `build`; none of them
computes a zone of its own.

Nothing leaves the zone silently: what the new host will not get (the old
host's DNSSEC records, types the host cannot hold) is listed in `dropped` with
the reason, and every record that is carried keeps its data and its TTL
unless the spec says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from migrate import footprint, mailauth, names
from migrate.spec import Record, Spec
from migrate.zone import DNSSEC, HOST_MANAGED, RRset, Zone, txt_rdata_text, txt_value

# The record types each DNS host can be given (None: any). The Cloudflare stack
# converts exactly these, and lint names any other in `migrate plan`, before
# `pulumi up` would fail on it. Cloudflare's list: DnsRecord `type` (pulumi-cloudflare v6);
# DNSKEY is left out because the host signs, and its apex NS are its own.
HOST_TYPES: dict[str, frozenset[str] | None] = {
    "cloudflare": frozenset(
        {"A", "AAAA", "CAA", "CERT", "CNAME", "DS", "HTTPS", "LOC", "MX", "NAPTR", "NS", "OPENPGPKEY", "PTR",
         "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI"}
    ),
    "rfc2136": None,
}
# The TTLs each host takes (None: any); the Cloudflare stack raises or lowers a TTL
# outside them, and lint says so first. Cloudflare: DnsRecord `ttl`, 60-86400 s.
HOST_TTLS: dict[str, tuple[int, int] | None] = {"cloudflare": (60, 86400), "rfc2136": None}


@dataclass(frozen=True)
class Removal:
    rrset: RRset
    reasons: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict:
        return {**self.rrset.to_dict(), "reasons": [{"rule": rule, "reason": why} for rule, why in self.reasons]}


# Why the old host's DNSSEC records stay behind, by type.
_RE_SIGNED = {
    "RRSIG": "a signature by the old host's keys: the new host signs with its own, or serves the zone unsigned",
    "NSEC": "a proof of non-existence made by the old host's signer: the new host makes its own when it signs",
    "NSEC3": "a proof of non-existence made by the old host's signer: the new host makes its own when it signs",
    "NSEC3PARAM": "the old host's NSEC3 settings: the new host chooses its own when it signs",
    "DNSKEY": "the old host's signing keys: the new host publishes its own (the DS at the registrar must then match them)",
    "CDS": "the old host's request to the parent for a DS: the new host publishes its own",
    "CDNSKEY": "the old host's request to the parent for a DS: the new host publishes its own",
}
RE_SIGNED = "dnssec.re-signed"
UNSUPPORTED = "host.unsupported-type"


@dataclass(frozen=True)
class Dropped:
    """A record set the new host will not get, and why (`rule`: RE_SIGNED or UNSUPPORTED)."""

    rrset: RRset
    rule: str
    reason: str

    def to_dict(self) -> dict:
        return {**self.rrset.to_dict(), "rule": self.rule, "reason": self.reason}


@dataclass(frozen=True)
class Diff:
    removed: tuple[RRset, ...]
    added: tuple[RRset, ...]
    changed: tuple[tuple[RRset, RRset], ...]

    def to_dict(self) -> dict:
        return {
            "removed": [r.to_dict() for r in self.removed],
            "added": [r.to_dict() for r in self.added],
            "changed": [{"from": old.to_dict(), "to": new.to_dict()} for old, new in self.changed],
        }

    def __len__(self) -> int:
        return len(self.removed) + len(self.added) + len(self.changed)


@dataclass
class Plan:
    spec: Spec
    current: Zone
    desired: Zone
    microsoft365: list[Removal] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)

    def diff(self) -> Diff:
        """The changes at the new host: the old DNSSEC records count as removed (they
        are not carried), the SOA does not (every host has one, its own)."""
        return diff(self.current, self.desired, ignored=frozenset({"SOA"}))


def diff(current: Zone, desired: Zone, ignored: frozenset[str] = HOST_MANAGED) -> Diff:
    """What changes from `current` to `desired`; a TTL change alone counts as a change.

    Types in `ignored` are left out on both sides: by default what a host writes
    itself, so that a served zone compares with a desired one.
    """
    old = {r.key: r for r in current if r.rdtype not in ignored}
    new = {r.key: r for r in desired if r.rdtype not in ignored}
    return Diff(
        removed=tuple(old[k] for k in old if k not in new),
        added=tuple(new[k] for k in new if k not in old),
        changed=tuple((old[k], new[k]) for k in old if k in new and not old[k].same_as(new[k])),
    )


def current_zone(spec: Spec) -> Zone:
    """The zone as it is today: the spec's zone file, or empty when there is none."""
    path = spec.resolve_path(spec.dns.zone_file)
    return Zone.from_file(path, spec.domain) if path else Zone(spec.domain)


def _fill(template: str, spec: Spec, param_values: dict[str, str]) -> str:
    return template.format(domain=spec.domain.rstrip("."), **param_values)


def provider_records(spec: Spec) -> list[RRset]:
    """The MX, DKIM, verification and other records the new mail provider asks for (not SPF)."""
    mail, preset, ttl = spec.mail, spec.mail.preset, spec.dns.default_ttl
    apex = spec.domain
    mx = [(m.priority, m.host) for m in mail.mx] if preset is None else preset.mx_records(spec.domain)
    out = [RRset.build(apex, "MX", ttl, [f"{prio} {names.host(host)}" for prio, host in mx])]
    params = {"verification": mail.verification or "", "dkim_id": mail.dkim_id or ""}
    templates = list(preset.extra) if preset else []
    if preset and preset.verification and mail.verification:
        prefix = preset.verification.value.split("{verification}")[0]
        params["verification"] = mail.verification.removeprefix(prefix) if prefix else mail.verification
        templates.append(preset.verification)
    if mail.dkim:
        out += [record.rrset(apex, ttl) for record in mail.dkim]
    elif preset:
        templates += preset.dkim
    for template in templates:
        value = _fill(template.value, spec, params)
        rdata = txt_rdata_text(value) if template.rdtype == "TXT" else value
        out.append(RRset.build(names.owner(_fill(template.name, spec, params), apex), template.rdtype, ttl, [rdata]))
    return out


def apex_spf(zone: Zone, domain: str) -> list[str]:
    """The SPF records among the apex TXT, as receivers read them, in a stable (sorted) order."""
    apex = zone.get(domain, "TXT")
    return [value for value in (apex.values() if apex else []) if mailauth.is_spf(value)]


def _rewritten(rdata: str, text: str) -> str:
    """`rdata` if it already reads as `text`; else `text` as a new record (one string, split at 255 bytes)."""
    return rdata if txt_value(rdata) == text else txt_rdata_text(text)


def _with_spf(zone: Zone, spec: Spec) -> None:
    """Exactly the SPF the move needs at the apex, beside any other apex TXT.

    An SPF record the move does not change keeps its strings as they are.
    """
    apex = zone.get(spec.domain, "TXT")
    rdatas = apex.rdatas if apex else frozenset()
    existing = sorted((t for t in rdatas if mailauth.is_spf(txt_value(t))), key=lambda t: (txt_value(t), t))
    others = rdatas.difference(existing)
    preset = spec.mail.preset
    if spec.mail.spf:
        spf = [_rewritten(existing[0], spec.mail.spf) if existing else txt_rdata_text(spec.mail.spf)]
    elif existing and preset and preset.spf_include:
        # More than one SPF record left is a lint error, not something to guess away.
        spf = [_rewritten(existing[0], mailauth.spf_add_include(txt_value(existing[0]), preset.spf_include)), *existing[1:]]
    elif existing:
        spf = existing
    elif preset and preset.spf_include:
        spf = [txt_rdata_text(mailauth.spf_new(preset.spf_include))]
    else:
        spf = []
    if others or spf:
        zone.put(RRset(spec.domain, "TXT", apex.ttl if apex else spec.dns.default_ttl, others.union(spf)))
    else:
        zone.discard(spec.domain, "TXT")


def _grouped(records: Iterable[Record], spec: Spec) -> list[RRset]:
    """Spec records with the same owner and type form one RRset."""
    zone = Zone(spec.domain)
    for record in records:
        zone.add(record.rrset(spec.domain, spec.dns.default_ttl))
    return list(zone)


def _unsupported(desired: Zone, host: str) -> list[Dropped]:
    """Take out of `desired` every set of a type the host cannot hold."""
    allowed = HOST_TYPES.get(host)
    if allowed is None:
        return []
    out = []
    for rrset in [r for r in desired if r.rdtype not in allowed]:
        desired.discard(*rrset.key)
        out.append(Dropped(rrset, UNSUPPORTED, f"the DNS host {host} cannot hold {rrset.rdtype} records"))
    return out


def build(spec: Spec, current: Zone | None = None) -> Plan:
    current = current_zone(spec) if current is None else current
    desired = Zone(spec.domain)
    removals, dropped = [], []
    for rrset in current:
        if rrset.rdtype in DNSSEC:
            dropped.append(Dropped(rrset, RE_SIGNED, _RE_SIGNED[rrset.rdtype]))
            continue
        if rrset.rdtype in HOST_MANAGED:
            continue
        split = footprint.classify(rrset, spec.domain)
        if split.removed is not None:
            removals.append(Removal(split.removed, split.reasons))
        if split.kept is not None:
            desired.put(split.kept)
    for rrset in provider_records(spec):
        apex_txt = desired.get(*rrset.key) if rrset.key == (spec.domain, "TXT") else None
        if apex_txt is not None:
            # The apex TXT set holds unrelated proofs and the SPF: the provider's join it, at its TTL.
            desired.put(apex_txt.with_rdatas(apex_txt.rdatas | rrset.rdatas))
        else:
            desired.put(rrset)
    _with_spf(desired, spec)
    if spec.mail.dmarc:
        desired.put(RRset.build(names.owner("_dmarc", spec.domain), "TXT", spec.dns.default_ttl, [txt_rdata_text(spec.mail.dmarc)]))
    old_ns = current.get(spec.domain, "NS")
    desired.put(
        RRset.build(spec.domain, "NS", old_ns.ttl if old_ns else spec.dns.default_ttl, spec.dns.nameservers)
    )
    for rrset in _grouped(spec.dns.records, spec):
        desired.put(rrset)
    dropped += _unsupported(desired, spec.dns.host)
    return Plan(spec=spec, current=current, desired=desired, microsoft365=removals, dropped=dropped)


def desired_zone(spec: Spec) -> Zone:
    return build(spec).desired
