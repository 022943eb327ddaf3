"""From observations to check results: pure functions, no I/O, no clock.

`Evidence` is everything one round saw (built by `round`); each `*_checks`
function turns part of it into `Check`s. Every function runs and every cell
of the matrix (server x check x record) gets a result, so one round shows
everything that is wrong. The decisions, in one place:

- an answer that carries no evidence (timeout, REFUSED or SERVFAIL from a
  resolver, a malformed reply, a parent's reply whose flags say something on
  the way answered instead) is `unknown`, never `pass`;
- an authoritative server that refuses the zone, answers without AA, refers
  upwards or fails is lame: `fail`;
- a record that differs at an authoritative server is `fail` (waiting will
  not fix it); a resolver that still holds old data is `pending` with the
  time its cached answer expires (waiting will);
- SOA serials are evidence, not the verdict: servers whose serials differ
  pass with a note, because the data itself is compared at each of them;
- resolvers are only asked about a record once every authoritative server
  serves it as desired (asking earlier can seed negative caches), so until
  then their cell is `pending` (`resolver.deferred`);
- where the zone is signed (a DS at the parent, or DNSKEYs served), every
  signature a new server's answers carry must validate now and for
  `signature_margin` ahead (`dnssec` judges them), and a resolver's SERVFAIL
  over data that does not validate is "DNSSEC validation fails", not an
  unreachable resolver.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import dns.name

from migrate import footprint, mailauth
from migrate.report import FAIL, NOTE, PASS, PENDING, UNKNOWN, Check
from migrate.state.codec import utc_text
from migrate.verify import dnssec
from migrate.verify.delegation import NOT_FROM_THE_SERVERS, Addresses, Walk, from_the_server, glue
from migrate.verify.evidence import ANSWER, CNAME, NODATA, NXDOMAIN, REFERRAL, REFUSED, SERVFAIL, TIMEOUT, Answer
from migrate.zone import HOST_MANAGED, RRset, Zone

VERIFIED, CONVERGING, FAILING = "verified", "converging", "failing"

# Checks that describe the authoritative truth; the new state is "fully seen"
# when none of these fails or is unknown.
AUTHORITATIVE_FAMILIES = ("delegation.", "auth.", "record.", "m365.", "dnssec.", "mail.")


@dataclass
class ParentView:
    """One address of one parent server: its referral for the domain and its DS answer."""

    name: str
    address: str
    ns: Answer
    ds: Answer | None


@dataclass
class ServerView:
    """One address of one authoritative server and its answers."""

    name: str
    address: str
    soa: Answer | None = None
    soa_tcp: Answer | None = None
    ns: Answer | None = None
    dnskey: Answer | None = None
    records: dict[tuple[str, str], Answer] = field(default_factory=dict)
    probes: dict[tuple[str, str], Answer] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name.rstrip('.')} ({self.address})"


@dataclass
class Evidence:
    domain: str
    now: datetime
    desired: Zone
    expected_ns: list[str]
    old_ns: list[str] = field(default_factory=list)
    probe_names: list[tuple[str, str]] = field(default_factory=list)
    proxied: set[tuple[str, str]] = field(default_factory=set)
    walk: Walk | None = None
    parents: list[ParentView] = field(default_factory=list)
    hosts: dict[str, Addresses] = field(default_factory=dict)
    servers: list[ServerView] = field(default_factory=list)
    old_servers: list[ServerView] = field(default_factory=list)
    spf_txt: dict[str, Answer] = field(default_factory=dict)  # include/redirect domain -> TXT answer
    resolvers: dict[str, dict[tuple[str, str], Answer]] = field(default_factory=dict)
    resolver_keys: list[tuple[str, str]] = field(default_factory=list)
    # How long after `now` every signature must still be valid: as long as the gate relies on this round.
    signature_margin: timedelta = timedelta(0)


# -- helpers ---------------------------------------------------------------


def _names(rrset: RRset | None) -> list[str]:
    return sorted(rrset.rdatas) if rrset else []


def _values(rrset: RRset | None) -> list[str]:
    return rrset.values() if rrset else []


def _why(answer: Answer) -> str:
    if answer.outcome == TIMEOUT:
        return answer.error or "timed out"
    if answer.error:
        return answer.error
    return f"{answer.outcome} ({answer.rcode})" if answer.rcode and answer.rcode != "NOERROR" else answer.outcome


def _parent_ns(view: ParentView, domain: str) -> RRset | None:
    """The NS set a parent server gives for the domain (referral authority, or an AA answer)."""
    return view.ns.rrset(domain, "NS", "authority") or view.ns.rrset(domain, "NS", "answer")


def mail_keys(domain: str, desired: Zone) -> list[tuple[str, str]]:
    """The records mail depends on: asked of resolvers, and the ones whose old TTLs matter most."""
    keys = [(domain, "MX"), (domain, "TXT"), (f"_dmarc.{domain}", "TXT")]
    keys += [r.key for r in desired if mailauth.is_dkim_owner(r.name) and r.rdtype in ("TXT", "CNAME")]
    return list(dict.fromkeys(keys))


def compared(desired: Zone, domain: str) -> list[RRset]:
    """The desired RRsets compared at every authoritative server."""
    # Never compared: what the host writes itself (zone.HOST_MANAGED: SOA, DNSSEC), and the apex NS
    # (the delegation checks cover it).
    return [r for r in desired if r.rdtype not in HOST_MANAGED and not (r.rdtype == "NS" and r.name == domain)]


# -- delegation ------------------------------------------------------------


def delegation_checks(ev: Evidence) -> list[Check]:
    out: list[Check] = []
    domain, expected = ev.domain, sorted(ev.expected_ns)
    walk = ev.walk
    if walk is None or walk.parent is None:
        error = walk.error if walk else "the delegation was not walked"
        out.append(Check("delegation.parent", UNKNOWN if walk is None or walk.unknown else FAIL, domain, detail=error or ""))
        return out
    out.append(
        Check(
            "delegation.parent",
            PASS,
            domain,
            observed={"zone": walk.parent.zone, "servers": sorted(n for n in walk.parent.servers)},
            detail=f"found the parent zone {walk.parent.zone} by walking from the root hints",
        )
    )
    seen_sets: dict[str, list[str]] = {}
    ds_sets: dict[str, list[str]] = {}
    for view in ev.parents:
        server = f"{view.name.rstrip('.')} ({view.address})"
        if not view.ns.ok:
            out.append(Check("delegation.parent-ns", UNKNOWN, domain, server, expected, None, f"no evidence: {_why(view.ns)}"))
        elif not from_the_server(view.ns):
            out.append(Check("delegation.parent-ns", UNKNOWN, domain, server, expected, {"outcome": view.ns.outcome, "aa": False},
                             f"{NOT_FROM_THE_SERVERS}: {view.ns.outcome} without the AA flag"))
        elif view.ns.outcome == NXDOMAIN:
            out.append(Check("delegation.parent-ns", FAIL, domain, server, expected, [], f"the parent says {domain} does not exist"))
        else:
            names = _names(_parent_ns(view, domain))
            seen_sets[view.address] = names
            if names == expected:
                out.append(Check("delegation.parent-ns", PASS, domain, server, expected, names, "the parent delegates to the new name servers"))
            elif ev.old_ns and set(names) == set(ev.old_ns):
                out.append(Check("delegation.parent-ns", FAIL, domain, server, expected, names, "the parent still delegates to the old host: change the name servers at the registrar"))
            elif not names:
                out.append(Check("delegation.parent-ns", FAIL, domain, server, expected, names, f"the parent gave no delegation ({_why(view.ns)})"))
            else:
                out.append(Check("delegation.parent-ns", FAIL, domain, server, expected, names, "the parent delegates to other name servers than dns.nameservers"))
        if view.ds is not None and view.ds.ok:
            ds_sets[view.address] = _names(view.ds.rrset(domain, "DS"))
    if len({tuple(v) for v in seen_sets.values()}) > 1 or len({tuple(v) for v in ds_sets.values()}) > 1:
        out.append(
            Check("delegation.parent-consistent", FAIL, domain, None, None, {"ns": seen_sets, "ds": ds_sets},
                  "the parent's servers disagree (the registry has not finished publishing)")
        )
    elif seen_sets:
        out.append(Check("delegation.parent-consistent", PASS, domain, None, None, {"servers": len(seen_sets)}, "every parent server gives the same NS and DS"))

    # Name server host names: they must resolve, not be aliases, and match their glue.
    all_ns = sorted(set(expected) | {n for s in seen_sets.values() for n in s} | {n for v in ev.servers for n in _names(v.ns.rrset(domain, "NS") if v.ns else None)})
    addresses: set[str] = set()
    for ns in all_ns:
        host = ev.hosts.get(ns)
        if host is None:
            out.append(Check("delegation.ns-address", UNKNOWN, ns, detail="its addresses were not looked up"))
            continue
        if host.cname:
            out.append(Check("delegation.ns-cname", FAIL, ns, None, "A/AAAA", f"CNAME {host.cname}", "a name server name must not be an alias (RFC 2181 §10.3)"))
        if host.resolved:
            addresses.update(host.addresses)
            out.append(Check("delegation.ns-address", PASS, ns, None, None, host.addresses))
        else:
            out.append(Check("delegation.ns-address", UNKNOWN if host.unknown else FAIL, ns, None, "A or AAAA", [], host.error or "no address"))
    expected_addrs = {a for ns in expected for a in (ev.hosts[ns].addresses if ns in ev.hosts else [])}
    unresolved = [ns for ns in expected if ns not in ev.hosts or (ev.hosts[ns].unknown and not ev.hosts[ns].resolved)]
    if len(expected) >= 2 and len(expected_addrs) < 2 and unresolved:
        # Addresses that could not be looked up (timeouts) prove nothing about the count.
        out.append(Check("delegation.ns-count", UNKNOWN, domain, None, ">= 2 names with distinct addresses",
                         {"names": expected, "addresses": sorted(expected_addrs), "unresolved": unresolved},
                         "the addresses of " + ", ".join(unresolved) + " could not be looked up"))
    elif len(expected) < 2 or len(expected_addrs) < 2:
        out.append(Check("delegation.ns-count", FAIL, domain, None, ">= 2 names with distinct addresses", {"names": expected, "addresses": sorted(expected_addrs)}, "one name server is a single point of failure (RFC 1034 §4.1)"))
    else:
        out.append(Check("delegation.ns-count", PASS, domain, None, None, {"names": len(expected), "addresses": len(expected_addrs)}))
    glued: dict[str, set[str]] = {}
    for view in ev.parents:
        if view.ns.ok:
            for name, ips in glue(view.ns).items():
                glued.setdefault(name, set()).update(ips)
    for name, ips in sorted(glued.items()):
        host = ev.hosts.get(name)
        if host is None or not host.resolved:
            continue
        status = PASS if set(host.addresses) == ips else FAIL
        out.append(Check("delegation.glue", status, name, None, sorted(host.addresses), sorted(ips),
                         "" if status == PASS else "the parent's glue differs from the name server's own A/AAAA: update the glue at the registrar"))

    # The child's own apex NS must equal the delegation (resolvers prefer the child's set).
    for view in ev.servers:
        if view.ns is None or not view.ns.ok or view.ns.outcome != ANSWER:
            continue  # lameness is reported by auth.*
        names = _names(view.ns.rrset(domain, "NS"))
        parent_sets = {tuple(v) for v in seen_sets.values()}
        status = PASS if names == expected and (not parent_sets or parent_sets == {tuple(expected)}) else FAIL
        detail = "" if status == PASS else (
            "the zone's own NS set differs from the delegation: resolvers that see it follow it instead"
            if names != expected else "the zone's NS set is right but the parent delegates elsewhere")
        out.append(Check("delegation.child-ns", status, domain, view.label, expected, names, detail))
    return out


# -- authoritative servers --------------------------------------------------


def auth_checks(ev: Evidence) -> list[Check]:
    out: list[Check] = []
    serials: dict[str, int] = {}
    tcp_serials: dict[str, int] = {}  # only where TCP reaches another serial than UDP at the same address
    for view in ev.servers:
        soa = view.soa
        if soa is None:
            continue
        if soa.outcome == TIMEOUT or (not soa.ok and soa.outcome not in (REFUSED, SERVFAIL)):
            out.append(Check("auth.unreachable", UNKNOWN, ev.domain, view.label, "SOA with AA", None, _why(soa)))
        elif soa.outcome in (REFUSED, SERVFAIL):
            out.append(Check("auth.lame", FAIL, ev.domain, view.label, "SOA with AA", soa.rcode, f"the server answers {soa.rcode} for the zone: it does not serve it"))
        elif soa.outcome == REFERRAL:
            out.append(Check("auth.lame", FAIL, ev.domain, view.label, "SOA with AA", "referral", "the server refers elsewhere instead of answering: it does not serve the zone"))
        elif not soa.aa:
            out.append(Check("auth.lame", FAIL, ev.domain, view.label, "SOA with AA", "no AA flag", "the server answers without authority (a recursive or caching server, not the zone's host)"))
        elif soa.outcome != ANSWER:
            out.append(Check("auth.lame", FAIL, ev.domain, view.label, "SOA with AA", soa.outcome, "the server has no SOA at the apex: the zone is not loaded"))
        else:
            rrset = soa.rrset(ev.domain, "SOA")
            serial = int(sorted(rrset.rdatas)[0].split()[2])
            serials[view.label] = serial
            out.append(Check("auth.soa", PASS, ev.domain, view.label, None, {"serial": serial, "nsid": soa.nsid, "rtt_ms": soa.rtt_ms}))
        tcp = view.soa_tcp
        if tcp is not None and soa is not None and soa.ok:
            if tcp.ok and tcp.aa:
                out.append(Check("auth.tcp", PASS, ev.domain, view.label))
                # UDP and TCP may reach different back ends (a load balancer, an anycast node), and
                # resolvers use TCP for every truncated answer: records are compared over UDP only,
                # so another serial over TCP is a back end whose data nobody compared.
                tcp_soa = tcp.rrset(ev.domain, "SOA") if tcp.outcome == ANSWER else None
                if tcp_soa is not None and view.label in serials:
                    tcp_serial = int(sorted(tcp_soa.rdatas)[0].split()[2])
                    if tcp_serial != serials[view.label]:
                        tcp_serials[view.label] = tcp_serial
            else:
                out.append(Check("auth.tcp", FAIL, ev.domain, view.label, "SOA over TCP", _why(tcp), "TCP/53 must work: large answers are truncated over UDP and resolvers retry over TCP"))
        if soa is not None and soa.ra and soa.outcome == ANSWER:
            out.append(Check("auth.recursion", FAIL, ev.domain, view.label, "RA=0", "RA=1", "the server offers recursion: an authoritative server should not be an open resolver"))
    if serials:
        out.append(_serial_check(ev.domain, serials, tcp_serials))
    return out


def _serial_check(domain: str, serials: dict[str, int], tcp_serials: dict[str, int]) -> Check:
    """`auth.soa-serial`: serials are evidence, not the verdict.

    Providers that number each node, and a zone served by two providers, differ
    for good while serving the same data; the record checks compare the data
    itself at every address and fail the server whose data differs. Only a TCP
    path on another serial than its address's UDP path stays unestablished:
    no record was compared over TCP.
    """
    observed = {**serials, **{f"{label} over TCP": serial for label, serial in tcp_serials.items()}}
    if tcp_serials:
        paths = ", ".join(f"{label} ({serials[label]} over UDP, {serial} over TCP)" for label, serial in sorted(tcp_serials.items()))
        return Check("auth.soa-serial", UNKNOWN, domain, None, None, observed,
                     f"TCP reaches another back end than UDP at {paths}: its data was not compared, and resolvers use it for every truncated answer")
    if len(set(serials.values())) == 1:
        return Check("auth.soa-serial", PASS, domain, None, None, observed)
    return Check("auth.soa-serial", PASS, domain, None, None, observed,
                 f"{NOTE}the SOA serials differ between servers (providers that number each node, or two providers, do that); "
                 "the data is compared record by record, and a server whose data differs fails there")


def _usable(view: ServerView) -> bool:
    return view.soa is not None and view.soa.outcome == ANSWER and view.soa.aa


def _diff(expected: RRset, observed: RRset) -> str:
    missing = sorted(expected.rdatas - observed.rdatas)
    extra = sorted(observed.rdatas - expected.rdatas)
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("unexpected " + ", ".join(extra))
    return "; ".join(parts)


def record_checks(ev: Evidence) -> list[Check]:
    out: list[Check] = []
    for view in ev.servers:
        if not _usable(view):
            continue  # a lame or unreachable server is reported once by auth.*
        for want in compared(ev.desired, ev.domain):
            answer = view.records.get(want.key)
            subject = f"{want.name} {want.rdtype}"
            expected = {"values": want.values(), "ttl": want.ttl}
            if answer is None:
                out.append(Check("record.unknown", UNKNOWN, subject, view.label, expected, None, "not asked"))
                continue
            if not answer.ok:
                out.append(Check("record.unknown", UNKNOWN, subject, view.label, expected, None, _why(answer)))
                continue
            if not answer.aa and answer.outcome != REFERRAL:
                # Data without AA is not the zone's (a cache, a forwarder): it proves nothing about what is published.
                out.append(Check("record.mismatch", FAIL, subject, view.label, expected, {"outcome": answer.outcome, "aa": False},
                                 "the server answers this record without authority (AA=0) although it is authoritative for the zone"))
                continue
            note = " (answered over TCP after a truncated UDP reply)" if answer.truncated and answer.tcp else ""
            if want.key in ev.proxied:
                got = answer.rrset(want.name, "A") or answer.rrset(want.name, "AAAA")
                status = PASS if answer.outcome == ANSWER and got else FAIL
                out.append(Check("record.proxied" if status == PASS else "record.missing", status, subject, view.label, "proxied: any A/AAAA",
                                 _values(got), "" if status == PASS else "a proxied record must answer with the host's addresses"))
                continue
            if answer.outcome == ANSWER:
                got = answer.rrset(want.name, want.rdtype)
                observed = {"values": got.values(), "ttl": got.ttl}
                if got.rdatas == want.rdatas:
                    ttl_note = "" if got.ttl == want.ttl else f"TTL {got.ttl}, desired {want.ttl}"
                    out.append(Check("record.match", PASS, subject, view.label, expected, observed, (ttl_note + note).strip()))
                else:
                    out.append(Check("record.mismatch", FAIL, subject, view.label, expected, observed, _diff(want, got) + note))
            elif answer.outcome == CNAME:
                alias = answer.rrset(want.name, "CNAME")
                out.append(Check("record.mismatch", FAIL, subject, view.label, expected, {"cname": _values(alias)}, "the server answers with a CNAME instead"))
            elif answer.outcome in (NXDOMAIN, NODATA):
                what = "the name does not exist" if answer.outcome == NXDOMAIN else "the name has no record of this type"
                out.append(Check("record.missing", FAIL, subject, view.label, expected, answer.outcome, f"{what} at the new host: add it (negative TTL {answer.neg_ttl})"))
            else:
                out.append(Check("record.mismatch", FAIL, subject, view.label, expected, answer.outcome, _why(answer)))
    return out


def residue_checks(ev: Evidence) -> list[Check]:
    """Every Microsoft 365 name at every new server: nothing of Microsoft's may be left."""
    out: list[Check] = []
    for view in ev.servers:
        if not _usable(view):
            continue
        for owner, rdtype in ev.probe_names:
            answer = view.probes.get((owner, rdtype))
            subject = f"{owner} {rdtype}"
            if answer is None:
                continue
            if not answer.ok:
                out.append(Check("m365.unknown", UNKNOWN, subject, view.label, "no Microsoft 365 record", None, _why(answer)))
                continue
            found = [r for r in answer.answer if r.name == owner and r.rdtype in (rdtype, "CNAME")]
            removed, reasons = [], []
            for rrset in found:
                split = footprint.classify(rrset, ev.domain)
                if split.removed is not None:
                    removed += split.removed.values()
                    reasons += [why for _, why in split.reasons]
            if removed:
                out.append(Check("m365.residue", FAIL, subject, view.label, "no Microsoft 365 record", removed, "; ".join(reasons)))
            else:
                out.append(Check("m365.clean", PASS, subject, view.label, "no Microsoft 365 record", [v for r in found for v in r.values()]))
    return out


# -- DNSSEC -----------------------------------------------------------------


def _signature_check(check_id: str, verdict: dnssec.Verdict, subject: str, server: str, ev: Evidence) -> Check:
    status = PASS if verdict.ok else UNKNOWN if verdict.status == dnssec.UNSUPPORTED else FAIL
    expected = f"a valid RRSIG by {ev.domain} until at least {utc_text(ev.now + ev.signature_margin, zulu=True)}"
    observed = verdict.signature.to_dict() if verdict.signature else None
    return Check(check_id, status, subject, server, expected, observed, verdict.detail)


def _signed_answers(ev: Evidence, view: ServerView, keys: dnssec.KeySet) -> list[Check]:
    """Every RRset the server answered with authority, and every removed name's denial, must validate."""
    out: list[Check] = []
    zone = dns.name.from_text(ev.domain)
    judged: set[tuple[str, str]] = set()
    positive = [view.soa, view.ns, *view.records.values(), *view.probes.values()]
    for answer in positive:
        if answer is None or not answer.aa or answer.outcome not in (ANSWER, CNAME):
            continue
        for rrset in answer.answer:
            if rrset.rdtype == "RRSIG" or rrset.key in judged or not dns.name.from_text(rrset.name).is_subdomain(zone):
                continue
            judged.add(rrset.key)
            verdict = dnssec.judge(rrset, dnssec.signatures_at(answer, rrset.name), ev.domain, keys.rrset, ev.now, ev.signature_margin)
            out.append(_signature_check("dnssec.rrsig", verdict, f"{rrset.name} {rrset.rdtype}", view.label, ev))
    for key, answer in view.probes.items():
        if answer.aa and answer.outcome in (NXDOMAIN, NODATA):
            verdict = dnssec.judge_denial(answer, ev.domain, keys.rrset, ev.now, ev.signature_margin)
            out.append(_signature_check("dnssec.denial", verdict, f"{key[0]} {key[1]}", view.label, ev))
    return out


def dnssec_checks(ev: Evidence) -> list[Check]:
    """The DS at the parent against each new server's keys; then, wherever the zone is signed
    (a DS, or DNSKEYs served), every signature the server's answers carry."""
    out: list[Check] = []
    ds_answers = [v.ds for v in ev.parents if v.ds is not None]
    usable = [a for a in ds_answers if a.ok]
    if not ds_answers:
        return out
    if not usable:
        out.append(Check("dnssec.ds", UNKNOWN, ev.domain, None, None, None, "no parent server answered the DS question"))
        return out
    ds_texts = sorted({t for a in usable for t in _names(a.rrset(ev.domain, "DS"))})
    if not ds_texts:
        signed = [v for v in ev.servers if v.dnskey is not None and v.dnskey.outcome == ANSWER]
        detail = "no DS at the parent: the zone is unsigned"
        if signed:
            detail += "; the new servers publish DNSKEYs, so a DS can be added at the registrar to secure it"
        out.append(Check("dnssec.ds", PASS, ev.domain, None, None, [], detail))
    for view in ev.servers:
        if not _usable(view):
            continue
        answer = view.dnskey
        if answer is None or not answer.ok:
            if ds_texts:
                out.append(Check("dnssec.ds", UNKNOWN, ev.domain, view.label, ds_texts, None, _why(answer) if answer else "not asked"))
            continue
        keys = dnssec.key_set(ev.domain, answer, ds_texts, ev.now, ev.signature_margin)
        if keys is None:
            if ds_texts:
                out.append(Check("dnssec.ds-stale", FAIL, ev.domain, view.label, ds_texts, "no DNSKEY",
                                 "the parent has a DS but this server publishes no DNSKEY: validating resolvers answer SERVFAIL; remove the DS at the registrar or sign the zone and publish its DS"))
            continue
        if ds_texts and not keys.matched:
            out.append(Check("dnssec.ds-stale", FAIL, ev.domain, view.label, ds_texts, _names(answer.rrset(ev.domain, "DNSKEY")),
                             "no DS at the parent matches a DNSKEY of this server (a stale DS from the old host): replace the DS at the registrar"))
            continue
        out.append(_signature_check("dnssec.signature", keys.verdict, f"{ev.domain} DNSKEY", view.label, ev))
        if not keys.verdict.ok:
            continue  # nothing can validate below a key set that does not
        if ds_texts:
            out.append(Check("dnssec.ds", PASS, ev.domain, view.label, ds_texts, list(keys.matched), "the DS matches a DNSKEY that signs the key set"))
        out += _signed_answers(ev, view, keys)
    return out


def _validation_failure(subject: str, failed: list[Check]) -> str | None:
    """Why validating resolvers cannot accept `subject`: a failing DNSSEC check at an authoritative server."""
    for check in failed:
        if check.id in ("dnssec.ds-stale", "dnssec.signature") or check.subject == subject:
            return f"{check.subject} at {check.server}: {check.detail}"
    return None


# -- mail ---------------------------------------------------------------------


def _published(ev: Evidence, name: str, rdtype: str) -> RRset | None:
    """What the new servers publish for a record: the desired one when all servers serve it."""
    return ev.desired.get(name, rdtype)


def spf_lookups(text: str, txt: dict[str, Answer], seen: frozenset[str] = frozenset()) -> tuple[int, list[str]]:
    """DNS lookups an SPF record costs (RFC 7208 §4.6.4), resolving includes; problems found."""
    count, problems = 0, []
    for term in mailauth.spf_terms(text):
        if not term.costs_lookup:
            continue
        count += 1
        target = term.target
        if target is None:
            continue
        if target in seen:
            problems.append(f"SPF include loop through {target}")
            continue
        answer = txt.get(target)
        if answer is None or not answer.ok:
            problems.append(f"could not read the SPF of {target}")
            continue
        records = [v for r in answer.rrsets("TXT") if r.name == target for v in r.values() if mailauth.is_spf(v)]
        if len(records) != 1:
            problems.append(f"{target} has {len(records)} SPF records (include needs exactly one: permerror)")
            continue
        sub, subproblems = spf_lookups(records[0], txt, seen | {target})
        count += sub
        problems += subproblems
    return count, problems


def mail_checks(ev: Evidence) -> list[Check]:
    out: list[Check] = []
    mx = _published(ev, ev.domain, "MX")
    if mx is None:
        out.append(Check("mail.mx", FAIL, ev.domain, None, "an MX record", None, "the desired zone has no MX at the apex"))
    for rdata in _names(mx):
        target = rdata.split()[1]
        host = ev.hosts.get(target)
        if host is None:
            out.append(Check("mail.mx-target", UNKNOWN, target, detail="not looked up"))
        elif host.cname:
            out.append(Check("mail.mx-cname", FAIL, target, None, "A/AAAA", f"CNAME {host.cname}", "an MX target must not be an alias (RFC 2181 §10.3): use the canonical host name"))
        elif host.resolved:
            out.append(Check("mail.mx-target", PASS, target, None, None, host.addresses))
        else:
            out.append(Check("mail.mx-target", UNKNOWN if host.unknown else FAIL, target, None, "A or AAAA", [], host.error or "no address: mail cannot be delivered"))
    txt = _published(ev, ev.domain, "TXT")
    records = [v for v in _values(txt) if mailauth.is_spf(v)]
    if len(records) != 1:
        out.append(Check("mail.spf", FAIL, ev.domain, None, "exactly one v=spf1 record", records,
                         "no SPF record" if not records else "more than one SPF record: receivers treat that as a permanent error"))
    else:
        count, problems = spf_lookups(records[0], ev.spf_txt)
        if count > 10:
            problems.append(f"{count} DNS lookups, more than the limit of 10 (permerror)")
        unknown = problems and all(p.startswith("could not read") for p in problems)
        out.append(Check("mail.spf", PASS if not problems else (UNKNOWN if unknown else FAIL), ev.domain, None, "<= 10 lookups",
                         {"record": records[0], "lookups": count}, "; ".join(problems)))
    dmarc = _published(ev, f"_dmarc.{ev.domain}", "TXT")
    texts = [v for v in _values(dmarc) if mailauth.is_dmarc(v)]
    if len(texts) != 1:
        out.append(Check("mail.dmarc", FAIL, f"_dmarc.{ev.domain}", None, "exactly one v=DMARC1 record", texts,
                         "no DMARC record: add mail.dmarc to the spec" if not texts else "more than one DMARC record: receivers ignore them all"))
    elif problem := mailauth.dmarc_problem(texts[0]):
        out.append(Check("mail.dmarc", FAIL, f"_dmarc.{ev.domain}", None, "v=DMARC1; p=none|quarantine|reject", texts[0], problem))
    else:
        out.append(Check("mail.dmarc", PASS, f"_dmarc.{ev.domain}", None, None, texts[0]))
    return out


# -- resolvers ----------------------------------------------------------------


def agreed(ev: Evidence, key: tuple[str, str]) -> bool:
    """Every authoritative server serves the desired data (or the desired absence) for key."""
    want = ev.desired.get(*key)
    servers = [v for v in ev.servers]
    if not servers or not ev.parents:
        return False
    # Resolvers follow the parent: until every parent server delegates to the new host they reach the old one.
    expected = sorted(ev.expected_ns)
    for parent in ev.parents:
        if not parent.ns.ok or _names(_parent_ns(parent, ev.domain)) != expected:
            return False
    for view in servers:
        if not _usable(view):
            return False
        answer = view.records.get(key) or view.probes.get(key)
        if answer is None or not answer.ok:
            return False
        got = answer.rrset(*key) if answer.outcome == ANSWER else None
        if want is None:
            if got is not None:
                return False
        elif got is None or got.rdatas != want.rdatas:
            return False
    return True


def _left(ttl: int | None, answer: Answer, now: datetime) -> int | None:
    """What is left of a cached answer's TTL: a reused answer's has been counting down since it was seen."""
    if ttl is None or not answer.carried:
        return ttl
    return max(0, ttl - int((now - answer.at).total_seconds()))


def resolver_checks(ev: Evidence) -> list[Check]:
    out: list[Check] = []
    failed: list[Check] | None = None  # failing DNSSEC checks, judged only when a resolver answers SERVFAIL
    for resolver in sorted(ev.resolvers):
        answers = ev.resolvers[resolver]
        for key in ev.resolver_keys:
            name, rdtype = key
            subject = f"{name} {rdtype}"
            want = ev.desired.get(name, rdtype)
            expected = want.values() if want else "no record"
            answer = answers.get(key)
            if answer is None:
                out.append(Check("resolver.deferred", PENDING, subject, resolver, expected, None,
                                 "asked once every authoritative server serves the new data (asking earlier seeds negative caches)"))
                continue
            if answer.outcome == SERVFAIL:
                if failed is None:
                    failed = [c for c in dnssec_checks(ev) if c.status == FAIL]
                said = dnssec.validation_ede(answer)
                why = _validation_failure(subject, failed)
                if why or said:
                    told = f" (the resolver says {', '.join(said)})" if said else ""
                    detail = (f"DNSSEC validation fails{told}: {why}" if why else
                              f"DNSSEC validation fails{told}, although every signature checked at the authoritative servers validates")
                    out.append(Check("resolver.bogus", FAIL if why else UNKNOWN, subject, resolver, expected, answer.outcome, detail))
                    continue
            if not answer.ok:
                out.append(Check("resolver.unreachable", UNKNOWN, subject, resolver, expected, None, _why(answer)))
                continue
            got = answer.rrset(name, rdtype) if answer.outcome == ANSWER else None
            if answer.outcome == CNAME:
                got = None
            if (want is None and got is None) or (want is not None and got is not None and got.rdatas == want.rdatas):
                out.append(Check("resolver.fresh", PASS, subject, resolver, expected, _values(got) or answer.outcome))
                continue
            if got is not None:
                remaining = _left(got.ttl, answer, ev.now)
                observed: Any = {"values": got.values(), "ttl_left": remaining}
                why = f"still serves the old answer for {remaining}s more"
            else:
                cached = answer.answer[0].ttl if answer.answer else None
                remaining = _left(answer.neg_ttl if answer.neg_ttl is not None else cached, answer, ev.now)
                observed = {"outcome": answer.outcome, "ttl_left": remaining}
                why = f"still holds a cached {answer.outcome}" + (f" for {remaining}s more" if remaining is not None else "")
            eta = ev.now + timedelta(seconds=remaining) if remaining is not None else None
            out.append(Check("resolver.stale", PENDING, subject, resolver, expected, observed, why, eta))
    return out


# -- the round ------------------------------------------------------------------


def all_checks(ev: Evidence) -> list[Check]:
    return [
        *delegation_checks(ev),
        *auth_checks(ev),
        *record_checks(ev),
        *residue_checks(ev),
        *dnssec_checks(ev),
        *mail_checks(ev),
        *resolver_checks(ev),
    ]


def authoritative_ok(checks: Iterable[Check]) -> bool:
    """The new state is served everywhere authoritative: no authoritative check fails or is unknown."""
    relevant = [c for c in checks if c.id.startswith(AUTHORITATIVE_FAMILIES)]
    return bool(relevant) and all(c.status == PASS for c in relevant)


def classify(checks: Iterable[Check]) -> tuple[str, datetime | None]:
    """The round's status and, when converging, the ETA (the latest pending ETA)."""
    checks = list(checks)
    statuses = {c.status for c in checks}
    if FAIL in statuses or not checks:
        return FAILING, None
    if UNKNOWN in statuses:
        return UNKNOWN, None
    if PENDING in statuses:
        etas = [c.eta for c in checks if c.status == PENDING and c.eta is not None]
        waiting = [c for c in checks if c.status == PENDING and c.eta is None]
        return CONVERGING, (max(etas) if etas and not waiting else None)
    return VERIFIED, None
