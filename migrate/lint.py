"""Lint a plan: the mistakes that lose mail, found before anything is applied.

Each rule is a function from the plan to findings; every rule runs and every
finding is reported, so one run shows everything to fix.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from migrate import footprint, mailauth, names
from migrate.plan import HOST_TTLS, UNSUPPORTED, Plan, apex_spf
from migrate.zone import DNSSEC

ONE_HOUR = 3600


@dataclass(frozen=True)
class Finding:
    level: Literal["error", "warning"]
    rule: str
    subject: str
    message: str

    def to_dict(self) -> dict:
        return {"level": self.level, "rule": self.rule, "subject": self.subject, "message": self.message}


Rule = Callable[[Plan], Iterator[Finding]]


def spf_single(plan: Plan) -> Iterator[Finding]:
    texts = apex_spf(plan.desired, plan.spec.domain)
    if len(texts) != 1:
        problem = "no SPF record" if not texts else f"{len(texts)} SPF records (receivers treat that as an error)"
        yield Finding("error", "spf.count", plan.spec.domain, f"{problem}; publish exactly one v=spf1 TXT at the apex")


def spf_lookups(plan: Plan) -> Iterator[Finding]:
    for text in apex_spf(plan.desired, plan.spec.domain):
        count = mailauth.spf_lookup_count(text)
        if count > 10:
            yield Finding("error", "spf.lookups", plan.spec.domain, f"SPF needs {count} DNS lookups, more than the limit of 10: {text}")


def cname_rules(plan: Plan) -> Iterator[Finding]:
    for name in plan.desired.names():
        at = plan.desired.at(name)
        if not any(r.rdtype == "CNAME" for r in at):
            continue
        if name == plan.spec.domain:
            yield Finding("error", "cname.apex", name, "a CNAME at the apex would hide the NS, MX and SOA records; use A/AAAA or the host's flattening")
        others = sorted(r.rdtype for r in at if r.rdtype not in ("CNAME", "RRSIG", "NSEC"))
        if others:
            yield Finding("error", "cname.exclusive", name, f"a CNAME cannot stand beside other data ({', '.join(others)})")


def _address_like(target: str, origin: str) -> bool:
    """An MX/NS target written as an IP address: `192.0.2.1.` or, without the dot in a
    zone file, `192.0.2.1.<origin>`. MX and NS hold names; mail to it bounces."""
    candidates = [target.rstrip(".")]
    if target.endswith("." + origin):
        candidates.append(target[: -len(origin) - 1])
    for text in candidates:
        try:
            ipaddress.ip_address(text)
            return True
        except ValueError:
            continue
    return False


def target_not_cname(plan: Plan) -> Iterator[Finding]:
    for rrset in plan.desired:
        if rrset.rdtype not in ("MX", "NS"):
            continue
        for rdata in rrset.rdata_objects():
            target = (rdata.exchange if rrset.rdtype == "MX" else rdata.target).to_text().lower()
            kind = rrset.rdtype.lower()
            if _address_like(target, plan.spec.domain):
                yield Finding("error", f"{kind}.target-address", rrset.name, f"{rrset.rdtype} target {target} is an IP address, not a host name; point at the server's name")
            elif plan.desired.get(target, "CNAME"):
                yield Finding("error", f"{kind}.target-cname", rrset.name, f"{rrset.rdtype} target {target} is a CNAME (RFC 2181 §10.3); point at the host itself")


def mx_present(plan: Plan) -> Iterator[Finding]:
    if not plan.desired.get(plan.spec.domain, "MX"):
        yield Finding("error", "mx.missing", plan.spec.domain, "no MX at the apex: mail to the domain would go nowhere")


def dmarc_valid(plan: Plan) -> Iterator[Finding]:
    """The record verify's mail.dmarc asks for: exactly one DMARC record, with a policy."""
    owner = names.owner("_dmarc", plan.spec.domain)
    rrset = plan.desired.get(owner, "TXT")
    records = [text for text in (rrset.values() if rrset else []) if mailauth.is_dmarc(text)]
    if not records:
        yield Finding("warning", "dmarc.missing", owner, "no DMARC record; add mail.dmarc (at least v=DMARC1; p=none; rua=...)")
    elif len(records) > 1:
        yield Finding("warning", "dmarc.invalid", owner, f"{len(records)} DMARC records: receivers ignore them all; set mail.dmarc to replace them")
    elif problem := mailauth.dmarc_problem(records[0]):
        yield Finding("warning", "dmarc.invalid", owner, f"the DMARC record {records[0]!r} is not valid ({problem}); set mail.dmarc to replace it")


def high_ttls(plan: Plan) -> Iterator[Finding]:
    """Caches keep the old record for its old TTL: lower it in advance.

    Not for the old host's DNSSEC records: the new host's own replace them.
    """
    changes = plan.diff()
    changing = [*(r for r in changes.removed if r.rdtype not in DNSSEC), *(old for old, _ in changes.changed)]
    for rrset in changing:
        if rrset.ttl > ONE_HOUR:
            yield Finding(
                "warning",
                "ttl.high",
                f"{rrset.name} {rrset.rdtype}",
                f"TTL {rrset.ttl}s will change: lower it to 300-3600s at the old host at least {rrset.ttl}s before the cutover",
            )


def host_types(plan: Plan) -> Iterator[Finding]:
    """A record the new DNS host cannot hold is left out of the plan: that loss is for the user to decide."""
    for dropped in plan.dropped:
        if dropped.rule != UNSUPPORTED:
            continue
        rrset = dropped.rrset
        yield Finding(
            "error",
            UNSUPPORTED,
            f"{rrset.name} {rrset.rdtype}",
            f"the DNS host {plan.spec.dns.host} cannot hold {rrset.rdtype} records; replace it (SPF type: a TXT record), "
            "drop it from the zone file, or use a host that can (dns.host: rfc2136)",
        )


def possible_federation_txt(plan: Plan) -> Iterator[Finding]:
    """Exchange federation's apex proof is an opaque token the catalogue cannot tell from
    another service's by its value: in a zone that held Microsoft 365, the person decides."""
    if not plan.microsoft365:
        return
    apex = plan.desired.get(plan.spec.domain, "TXT")
    for value in apex.values() if apex else []:
        if footprint.looks_like_federation_proof(value):
            yield Finding(
                "warning",
                "m365.possible-federation-txt",
                plan.spec.domain,
                f"the apex TXT {value!r} has the shape of an Exchange federation domain proof (an opaque token) "
                "and the zone held other Microsoft 365 records: if it is Microsoft's, delete it from the zone file "
                "so the plan drops it; if another service uses it, keep it",
            )


def host_ttls(plan: Plan) -> Iterator[Finding]:
    """A TTL the new host does not take is changed there: said here, not found out later."""
    host = plan.spec.dns.host
    bounds = HOST_TTLS.get(host)
    if bounds is None:
        return
    low, high = bounds
    for rrset in plan.desired:
        if not low <= rrset.ttl <= high and (rrset.name, rrset.rdtype) != (plan.spec.domain, "NS"):  # its own apex NS
            held = min(high, max(low, rrset.ttl))
            yield Finding("warning", "host.ttl-range", f"{rrset.name} {rrset.rdtype}",
                          f"the DNS host {host} takes TTLs of {low}-{high}s: TTL {rrset.ttl} becomes {held} there")



RULES: tuple[Rule, ...] = (
    spf_single, spf_lookups, cname_rules, target_not_cname, mx_present, dmarc_valid, high_ttls, host_types, host_ttls,
    possible_federation_txt,
)


def lint(plan: Plan) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(plan)]


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level == "error" for f in findings)
