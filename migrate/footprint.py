"""The Microsoft 365 footprint: which DNS records belong to Microsoft 365, and why.

One table (`_RULES`) lists every record Microsoft 365 asks a custom domain to
publish (research/m365.md §1.2), and one function (`_match`) applies a rule to
one rdata. Everything else here is derived from that table: `classify` splits
an RRset into what stays and what goes, `probe_names` lists the names to query,
`is_microsoft_nameserver` and `mta_sts_policy_names_microsoft` reuse the
rules' name spaces.

Matching works on the canonical text `migrate.zone` produces (lower-case,
absolute names with the trailing dot), and every host pattern is anchored at
both ends, so `x.mail.protection.outlook.com.evil.net.` or
`autodiscover.outlook.com.example.org.` never match.

Where a record is matched (the decisions, also in the README):

- A record whose data *points into* a name space Microsoft operates (MX,
  CNAME, SRV and NS targets, SPF includes) is Microsoft 365's at ANY owner:
  an `autodiscover.outlook.com` CNAME at `mail` still sends clients to
  Exchange Online, so it is flagged, with a reason saying where it was found
  and where Microsoft asks for it.
- A record whose data is free text (the `MS=ms########` proof, the Exchange
  federation proof) is Microsoft 365's only at the owner Microsoft asks for,
  because elsewhere the same text may belong to another tenant or service.
- An SPF record that includes Microsoft is rewritten without the include;
  if nothing but an `all` term would remain, nothing is kept, because the plan
  adds the new provider's SPF record and an `all`-only SPF would block it.
- MTA-STS (`_mta-sts` TXT) is never Microsoft's: its policy lives on a web
  server, not in DNS. `mta_sts_policy_names_microsoft` judges a policy body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from migrate import mailauth, names
from migrate.zone import RRset, txt_rdata_text, txt_value

# One LDH label (Microsoft's MX token, the `<dd>` form of a domain, a tenant).
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"

# Where a rule looks: the host name an MX/CNAME/SRV/NS rdata points at, the
# joined TXT string, or the include:/redirect= domains of an SPF record.
TARGET, TEXT, SPF = "target", "text", "spf"


@dataclass(frozen=True)
class Rule:
    """One catalogue entry.

    A TARGET or SPF rule matches host names made of `host` (a regex for the
    labels left of the zone; empty: the zone name itself) followed by one of
    `zones`. A TEXT rule matches the joined TXT string against `text`
    (case-insensitive). All patterns are matched in full.
    """

    id: str
    purpose: str
    owner: str  # relative owner where Microsoft 365 asks for it ("@" = apex)
    rdtype: str
    source: str
    subject: str = TARGET
    zones: tuple[str, ...] = ()
    host: str = ""
    text: str = ""
    also_at: tuple[str, ...] = ()  # further owners Microsoft asks for (selector2)
    anywhere: bool = True  # False: only at `owners`
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.subject == TEXT:
            pattern = re.compile(self.text, re.IGNORECASE)
        else:
            zones = "|".join(re.escape(zone) for zone in self.zones)
            left = rf"{self.host}\." if self.host else ""
            pattern = re.compile(rf"{left}(?:{zones})\.")
        object.__setattr__(self, "regex", pattern)

    @property
    def owners(self) -> tuple[str, ...]:
        return (self.owner, *self.also_at)


class Reason(NamedTuple):
    """Why one rdata is Microsoft 365's: a (rule id, explanation) pair that also names the rule's purpose."""

    rule: str
    text: str

    @property
    def purpose(self) -> str:
        """The rule's purpose in a few words ("Outlook Autodiscover to Exchange Online"), for a short list."""
        return _rule(self.rule).purpose


# Host tuples: the worldwide form, 21Vianet's, then Microsoft Cloud Deutschland's (closed in
# 2021-2022, but its records linger in zones: research/m365.md §7).
_AUTODISCOVER = ("autodiscover.outlook.com", "autodiscover.partner.outlook.cn", "autodiscover-outlook.office.de")
_SIPDIR = ("sipdir.online.lync.com", "sipdir.online.partner.lync.cn", "sipdir.online.lync.de")
_ADDDNS_21V = "ADDDNS; 21Vianet: Microsoft's services-in-china DNS host pages"
_GERMANY = "Germany: ADDDNS old, o365-germany section"
_ADDDNS_SOVEREIGN = f"{_ADDDNS_21V}; {_GERMANY}"
# Exchange federation's domain proof: one opaque token with no prefix (EXTDNS's examples
# `Y96nu89138789315669824`, `Y3259071352452626169`; Get-FederatedDomainProof prints base64).
_FEDERATION_PROOF = r"[a-z0-9+/]{16,}={0,2}"

_RULES: tuple[Rule, ...] = (
    Rule(
        "verify.ms-txt", "Microsoft 365 domain ownership proof", "@", "TXT",
        "ADDDNS; NS doc", subject=TEXT, text=r"MS=ms\d{8}", anywhere=False,
    ),
    Rule(
        "verify.ms-mx", "Microsoft 365 domain ownership proof (MX form)", "@", "MX",
        "ADDDNS; value form [secondary]", zones=("msv1.invalid",), host=r"ms\d{8}",
    ),
    Rule(
        "mx.exchange-online", "Mail routing to Exchange Online Protection", "@", "MX",
        "EXTDNS; ADDDNS; Graph", zones=("mail.protection.outlook.com",), host=_LABEL,
    ),
    Rule(
        "mx.mx-microsoft", "Mail routing to Exchange Online (DNSSEC-capable mx.microsoft)", "@", "MX",
        "IRR doc; MC1048624", zones=("mx.microsoft",), host=rf"{_LABEL}\.[a-z]-v1",
    ),
    Rule(
        "mx.legacy-sovereign", "Mail routing to Exchange Online (legacy or sovereign cloud)", "@", "MX",
        "IRR doc; ADDDNS old (Germany, 21Vianet)",
        zones=("mail.eo.outlook.com", "mail.protection.outlook.de", "mail.protection.partner.outlook.cn"),
        host=_LABEL,
    ),
    Rule(
        "autodiscover.cname", "Outlook Autodiscover to Exchange Online", "autodiscover", "CNAME",
        _ADDDNS_SOVEREIGN, zones=_AUTODISCOVER,
    ),
    Rule(
        "autodiscover.srv", "Outlook Autodiscover to Exchange Online (SRV form)", "_autodiscover._tcp", "SRV",
        "[secondary] public zone files", zones=_AUTODISCOVER,
    ),
    Rule(
        "spf.include", "SPF authorisation for Exchange Online", "@", "TXT",
        "EXTDNS; ADDDNS", subject=SPF, zones=("spf.protection.outlook.com",),
    ),
    Rule(
        "spf.include-sovereign", "SPF authorisation for Exchange Online (sovereign cloud)", "@", "TXT",
        "ADDDNS old (Germany, 21Vianet)", subject=SPF,
        zones=("spf.protection.outlook.de", "spf.protection.partner.outlook.cn"),
    ),
    Rule(
        "dkim.cname-legacy", "DKIM signing key hosted by Exchange Online", "selector1._domainkey", "CNAME",
        "DKIM doc; sovereign initial domains (onmicrosoft.de, partner.onmschina.cn) from Microsoft's FAQ",
        zones=("onmicrosoft.com", "onmicrosoft.de", "partner.onmschina.cn"),
        host=rf"selector[12]-{_LABEL}\._domainkey\.{_LABEL}", also_at=("selector2._domainkey",),
    ),
    Rule(
        "dkim.cname-new", "DKIM signing key hosted by Exchange Online (dkim.mail.microsoft)",
        "selector1._domainkey", "CNAME", "DKIM doc (format from May 2025)",
        zones=("dkim.mail.microsoft",), host=rf"selector[12]-{_LABEL}\._domainkey\.{_LABEL}\.[a-z]-v1",
        also_at=("selector2._domainkey",),
    ),
    Rule(
        "teams.sipfed-srv", "Teams/Skype for Business federation", "_sipfederationtls._tcp", "SRV",
        f"{_ADDDNS_SOVEREIGN}; EXTDNS",
        zones=("sipfed.online.lync.com", "sipfed.online.partner.lync.cn", "sipfed.online.lync.de"),
    ),
    Rule(
        "skype.sip-srv", "Skype for Business Online SIP (legacy)", "_sip._tls", "SRV",
        _ADDDNS_SOVEREIGN, zones=_SIPDIR,
    ),
    Rule(
        "skype.sip-cname", "Skype for Business Online SIP (legacy)", "sip", "CNAME",
        _ADDDNS_SOVEREIGN, zones=_SIPDIR,
    ),
    Rule(
        "skype.lyncdiscover-cname", "Skype for Business Online discovery (legacy)", "lyncdiscover", "CNAME",
        _ADDDNS_SOVEREIGN,
        zones=("webdir.online.lync.com", "webdir.online.partner.lync.cn", "webdir.online.skype.de"),
    ),
    Rule(
        "entra.enterpriseregistration", "Entra ID device registration", "enterpriseregistration", "CNAME",
        f"ADDDNS old; 21Vianet: Intune China endpoint list; {_GERMANY}",
        zones=(
            "enterpriseregistration.windows.net",
            "enterpriseregistration.partner.microsoftonline.cn",
            "enterpriseregistration.microsoftonline.de",
        ),
    ),
    Rule(
        "intune.enterpriseenrollment", "Intune device enrolment", "enterpriseenrollment", "CNAME",
        "ADDDNS old (incl. the Germany -s form)",
        zones=("enterpriseenrollment.manage.microsoft.com", "enterpriseenrollment-s.manage.microsoft.com"),
    ),
    Rule(
        "entra.msoid", "Microsoft 365 client sign-in configuration (msoid)", "msoid", "CNAME",
        "EXTDNS (21Vianet); older host pages (worldwide)",
        zones=("clientconfig.microsoftonline-p.net", "clientconfig.partner.microsoftonline-p.net.cn"),
    ),
    Rule(
        "ns.microsoft-dns", "DNS hosted by Microsoft 365", "@", "NS",
        "NS doc; 21Vianet name servers", zones=("bdm.microsoftonline.com", "dns.partner.microsoftonline.cn"),
        host=_LABEL,
    ),
    Rule(
        "federation.exchangedelegation", "Exchange hybrid federation proof", "exchangedelegation", "TXT",
        "EXTDNS; Get-FederatedDomainProof", subject=TEXT, text=_FEDERATION_PROOF, anywhere=False,
    ),
)

# Names the exit must read although they are not Microsoft's: the importer has
# to carry them over and the verifier to look at them (DMARC reports may go to
# a mailbox being deleted; an MTA-STS policy may still name Microsoft's MX).
_RELATED: tuple[tuple[str, str], ...] = (("_dmarc", "TXT"), ("_mta-sts", "TXT"), ("_smtp._tls", "TXT"))


@dataclass(frozen=True)
class Classification:
    """How `classify` splits one RRset: what stays, what is Microsoft 365's, and why."""

    kept: RRset | None  # what remains without Microsoft 365 (may hold a rewritten SPF)
    removed: RRset | None  # the Microsoft 365 rdatas as they were
    reasons: tuple[Reason, ...]  # (rule id, human reason) for every match


def rules() -> tuple[Rule, ...]:
    return _RULES


def _rule(rule_id: str) -> Rule:
    return next(rule for rule in _RULES if rule.id == rule_id)


def _host(text: str) -> str:
    """A host name as the rules compare it: lower-case with the trailing dot."""
    text = text.strip().lower()
    return text if text.endswith(".") else text + "."


def _target(rdata: str) -> str:
    # MX "pref host", SRV "prio weight port host", CNAME/NS "host": the target is last.
    return rdata.split()[-1]


def _match(rule: Rule, rdata: str) -> str | None:
    """What in `rdata` makes it Microsoft 365's under `rule`, or None."""
    if rule.subject == TARGET:
        target = _target(rdata)
        return f"{rule.rdtype} to {target}" if rule.regex.fullmatch(target) else None
    value = txt_value(rdata)
    if rule.subject == TEXT:
        return f"TXT {value!r}" if rule.regex.fullmatch(value.strip()) else None
    if not mailauth.is_spf(value):
        return None
    hits = [domain for domain in mailauth.spf_targets(value) if rule.regex.fullmatch(domain)]
    return f"SPF names {', '.join(hit.rstrip('.') for hit in hits)}" if hits else None


def _microsoft_spf_domain(domain: str) -> bool:
    return any(rule.subject == SPF and rule.regex.fullmatch(domain) for rule in _RULES)


def strip_spf(text: str) -> str | None:
    """An SPF string without Microsoft's include:/redirect= terms; None if `text` is not SPF.

    Everything else is kept as written (`mailauth.spf_without`). A redirect= to
    Microsoft's record becomes `-all`, because Microsoft's record ends in `-all`.
    """
    return mailauth.spf_without(text, _microsoft_spf_domain, redirect_all="-all")


@lru_cache(maxsize=64)
def _domain(domain: str) -> str:
    return names.domain(domain)


def _relative(name: str, domain: str) -> str | None:
    if name == domain:
        return "@"
    if name.endswith("." + domain):
        return name[: -len(domain) - 1]
    return None


def classify(rrset: RRset, domain: str) -> Classification:
    """Split `rrset` into what is not Microsoft 365's and what is, with reasons."""
    domain = _domain(domain)
    owner = _relative(rrset.name, domain)
    rdtype = "TXT" if rrset.rdtype == "SPF" else rrset.rdtype  # type 99 holds SPF text too
    applicable = [r for r in _RULES if r.rdtype == rdtype and (r.anywhere or owner in r.owners)]
    kept: list[str] = []
    removed: list[str] = []
    reasons: list[Reason] = []
    for rdata in rrset.sorted_rdatas():
        hits = [(rule, detail) for rule in applicable if (detail := _match(rule, rdata))]
        if not hits:
            kept.append(rdata)
            continue
        removed.append(rdata)
        rewritten = None
        if all(rule.subject == SPF for rule, _ in hits):
            stripped = strip_spf(txt_value(rdata))
            if stripped is not None and not mailauth.spf_names_no_sender(stripped):
                rewritten = stripped
                kept.append(txt_rdata_text(stripped))
        for rule, detail in hits:
            reasons.append(Reason(rule.id, _reason(rule, detail, owner, rewritten)))
    if not removed:
        return Classification(kept=rrset, removed=None, reasons=())
    return Classification(
        kept=rrset.with_rdatas(kept) if kept else None,
        removed=rrset.with_rdatas(removed),
        reasons=tuple(reasons),
    )


def _reason(rule: Rule, detail: str, owner: str | None, rewritten: str | None) -> str:
    reason = f"{rule.purpose}: {detail}"
    if owner not in rule.owners:
        where = owner if owner is not None else "outside the domain"
        reason += f" (found at {where}; Microsoft 365 asks for it at {rule.owner})"
    if rule.subject == SPF:
        reason += f"; rewritten to {rewritten!r}" if rewritten else "; nothing else remains, so it is dropped"
    return reason


def probe_names(domain: str) -> list[tuple[str, str]]:
    """Every (absolute owner, type) the catalogue knows for `domain`, in table order."""
    domain = _domain(domain)
    seen: dict[tuple[str, str], None] = {}
    pairs = [(owner, rule.rdtype) for rule in _RULES for owner in rule.owners] + list(_RELATED)
    for owner, rdtype in pairs:
        seen[(domain if owner == "@" else f"{owner}.{domain}", rdtype)] = None
    return list(seen)


def is_microsoft_nameserver(host: str) -> bool:
    """True for Microsoft 365's DNS hosting (bdm.microsoftonline.com, 21Vianet's)."""
    if not isinstance(host, str) or not host.strip():
        return False
    return any(rule.rdtype == "NS" and _match(rule, _host(host)) for rule in _RULES)


def looks_like_federation_proof(text: str) -> bool:
    """True for a TXT string shaped like an Exchange federation domain proof.

    The apex proof has no prefix, so the shape alone cannot tell it from another
    service's opaque token: callers only flag it, for a person to decide.
    """
    return _rule("federation.exchangedelegation").regex.fullmatch(text.strip()) is not None


def mta_sts_microsoft_hosts(policy_text: str) -> list[str]:
    """The `mx:` patterns of an MTA-STS policy body that name Microsoft's mail hosts.

    A pattern names Microsoft when, without a leading `*.`, it is one of the
    mail zones of the MX rules or lies inside one (`*.mail.protection.outlook.com`,
    `contoso-com.mail.protection.outlook.com`, `*.o-v1.mx.microsoft`).
    """
    zones = [zone for rule in _RULES if rule.rdtype == "MX" and rule.id.startswith("mx.") for zone in rule.zones]
    found = []
    for line in policy_text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or key.strip().lower() != "mx":
            continue
        pattern = value.strip()
        name = pattern.lower().rstrip(".").removeprefix("*.")
        if any(name == zone or name.endswith("." + zone) for zone in zones):
            found.append(pattern)
    return found


def mta_sts_policy_names_microsoft(policy_text: str) -> bool:
    """True if an MTA-STS policy body still lists a Microsoft mail host (see §4.6)."""
    return bool(mta_sts_microsoft_hosts(policy_text))
