"""The gate's `tenant` requirement: cancelling ends mail for every domain of the tenant, not only the spec's (pure).

Every domain the tenant holds, other than Microsoft's own `*.onmicrosoft.com`,
must be covered by a spec of this exit (that spec's own requirements are
judged beside this one: the exit unlocks only when every spec's do), or be
listed in a spec's `gate.parked` and then be both removed from the tenant
and proven mail-free (`migrate.mailfree`). A domain removed from the tenant
and named nowhere is not the gate's concern: cancelling changes nothing for it.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

from migrate import mailfree
from migrate.gate.checks import SHOW, from_the_future, some
from migrate.gate.evidence import TenantDomain, TenantEvidence
from migrate.mailfree import Proof
from migrate.report import Check

SUBJECT = "tenant"
# Entra ID holds at most 5,000 domain names per tenant: a longer list is not one tenant's.
MAX_DOMAINS = 5000
# Where Microsoft names a tenant's own domains (the initial domain; Germany, 21Vianet): they go with the tenant.
MICROSOFT_OWN = (".onmicrosoft.com", ".onmicrosoft.de", ".partner.onmschina.cn")
EXPECTED = "every domain of the tenant covered by a spec of this exit, or parked: proven mail-free and removed"
REMOVE = "remove it from the tenant (admin center: Settings > Domains > the domain > Remove domain)"


def microsoft_own(domain: TenantDomain) -> bool:
    return domain.initial or domain.name.endswith(MICROSOFT_OWN)


def _services(domain: TenantDomain | None) -> str:
    if domain is None:
        return ""
    shown = ", ".join(s[:40] for s in domain.services[:SHOW])
    notes = [f"services: {shown}" if shown else "", "" if domain.verified else "not verified"]
    return "; ".join(filter(None, notes))


def tenant(ev: TenantEvidence, now: datetime | None = None, tz: tzinfo = timezone.utc) -> list[Check]:
    future = from_the_future("tenant.domains", SUBJECT, ev.as_of, now, tz)
    if future:
        return future
    held = {d.name: d for d in ev.held} if ev.held is not None else None
    results = [_covered(name, spec, held, ev.source) for name, spec in sorted(ev.covered.items())]
    if held is None:
        results.append(
            Check(
                id="tenant.domains",
                status="unknown",
                subject=SUBJECT,
                expected="the list of every domain the tenant holds",
                observed="no source lists them",
                detail=f"source: {ev.source}",
                fix="add `domains:` to the facts file (every name on the admin center's Settings > Domains page), "
                "or set up source.graph",
            )
        )
    else:
        for name, domain in sorted(held.items()):
            if microsoft_own(domain):
                results.append(Check(id="tenant.initial", status="pass", subject=name, expected="Microsoft's own domain",
                                     observed="the tenant's *.onmicrosoft.com domain: it goes with the tenant", detail=f"source: {ev.source}"))
            elif name not in ev.covered and name not in ev.parked:
                results.append(_uncovered(domain, ev.source))
    results += [_parked(proof, held, ev.source) for _, proof in sorted(ev.parked.items())]
    return results


def _covered(name: str, spec: str, held: dict[str, TenantDomain] | None, source: str) -> Check:
    where = "" if held is None else "in the tenant; " if name in held else "no longer in the tenant; "
    return Check(
        id="tenant.covered",
        status="pass",
        subject=name,
        expected=EXPECTED,
        observed=f"{where}covered by {spec}",
        detail="; ".join(filter(None, [_services((held or {}).get(name)), f"source: {source}"])),
    )


def _uncovered(domain: TenantDomain, source: str) -> Check:
    return Check(
        id="tenant.uncovered",
        status="fail",
        subject=domain.name,
        expected=EXPECTED,
        observed="in the tenant; no spec of this exit covers it: cancelling would end its mail too",
        detail="; ".join(filter(None, [_services(domain), f"source: {source}"])),
        fix=f"migrate it too: write a spec for {domain.name} and pass it to the gate with the others (or their folder); "
        f"or, if it must carry no mail, delete its MX, autodiscover and Microsoft SPF records, add it to gate.parked, "
        f"and {REMOVE}",
    )


def _parked(proof: Proof, held: dict[str, TenantDomain] | None, source: str) -> Check:
    servers = f"{len(proof.servers)} server address{'es' if len(proof.servers) != 1 else ''}"
    if proof.status == mailfree.PROVEN:
        shown = f"no MX, autodiscover or Microsoft SPF at {servers}" if proof.servers else proof.detail
    elif proof.status == mailfree.CARRIES:
        shown = f"still carries mail or sign-in: {some(list(proof.carries))}"
    else:
        shown = f"not proven mail-free: {some(list(proof.gaps))}"
    common = dict(id="tenant.parked", subject=proof.domain, expected="parked: removed from the tenant and proven mail-free (gate.parked)",
                  detail="; ".join(filter(None, [", ".join(proof.servers[:SHOW]), f"source: {source}"])))
    fixes = {mailfree.CARRIES: "delete those records at its DNS host (or write a spec for it and migrate it instead)",
             mailfree.UNKNOWN: "check the servers named and run the gate again"}
    if held is None:
        return Check(status="fail" if proof.status == mailfree.CARRIES else "unknown", observed=f"not known to have left the tenant; {shown}",
                     fix=fixes.get(proof.status, "list the tenant's domains (see tenant.domains)"), **common)
    if proof.domain in held:
        return Check(status="fail", observed=f"still in the tenant; {shown}", fix="; ".join(filter(None, [fixes.get(proof.status), REMOVE])),
                     **common)
    status = {mailfree.PROVEN: "pass", mailfree.CARRIES: "fail"}.get(proof.status, "unknown")
    return Check(status=status, observed=f"removed from the tenant; {shown}", fix=fixes.get(proof.status), **common)
