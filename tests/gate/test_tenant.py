"""The tenant requirement's checks (pure): every domain of the tenant covered, or parked, proven mail-free and removed."""

from __future__ import annotations

from datetime import timedelta

from migrate import mailfree
from migrate.gate.evidence import TenantDomain, TenantEvidence
from migrate.gate.tenant import tenant
from migrate.mailfree import Proof
from tests.helpers.gate import NOW, TZ

HELD = (TenantDomain("firma.onmicrosoft.com", initial=True), TenantDomain("firma.dk", services=("Email",)),
        TenantDomain("firma.com", services=("Email", "OfficeCommunicationsOnline")))
PROVEN = Proof("kampagne.dk", mailfree.PROVEN, servers=("ns1.host.net (192.0.2.1)", "ns2.host.net (192.0.2.2)"))


def checks(**changes):
    values = dict(held=HELD, source="graph", covered={"firma.dk": "exit/firma.dk.yaml"}, parked={})
    return {(c.id, c.subject): c for c in tenant(TenantEvidence(**{**values, **changes}), NOW, TZ)}


def test_a_domain_no_spec_covers_fails_naming_it_and_what_to_do():
    found = checks()
    assert found[("tenant.covered", "firma.dk")].status == "pass"
    assert found[("tenant.covered", "firma.dk")].observed == "in the tenant; covered by exit/firma.dk.yaml"
    assert found[("tenant.initial", "firma.onmicrosoft.com")].status == "pass"
    forgotten = found[("tenant.uncovered", "firma.com")]
    assert forgotten.status == "fail" and "cancelling would end its mail too" in forgotten.observed
    assert forgotten.detail == "services: Email, OfficeCommunicationsOnline; source: graph"
    assert "write a spec for firma.com" in forgotten.fix and "gate.parked" in forgotten.fix and "Remove domain" in forgotten.fix


def test_every_domain_covered_passes_and_a_covered_domain_gone_from_the_tenant_is_fine():
    found = checks(covered={"firma.dk": "a.yaml", "firma.com": "b.yaml", "gammel.dk": "c.yaml"})
    assert {c.status for c in found.values()} == {"pass"}
    assert found[("tenant.covered", "gammel.dk")].observed == "no longer in the tenant; covered by c.yaml"


def test_onmicrosoft_names_go_with_the_tenant_even_when_graph_does_not_flag_them_initial():
    found = checks(held=(TenantDomain("firma.onmicrosoft.com"), TenantDomain("firma.dk")))
    assert found[("tenant.initial", "firma.onmicrosoft.com")].status == "pass"


def test_a_parked_domain_must_be_removed_and_proven_mail_free():
    removed = checks(parked={"kampagne.dk": PROVEN})[("tenant.parked", "kampagne.dk")]
    assert removed.status == "pass" and removed.observed == "removed from the tenant; no MX, autodiscover or Microsoft SPF at 2 server addresses"
    still = checks(held=HELD + (TenantDomain("kampagne.dk"),), parked={"kampagne.dk": PROVEN})
    assert ("tenant.uncovered", "kampagne.dk") not in still
    assert still[("tenant.parked", "kampagne.dk")].status == "fail" and "Remove domain" in still[("tenant.parked", "kampagne.dk")].fix
    carries = Proof("kampagne.dk", mailfree.CARRIES, carries=("MX 10 mx.other.net. at ns1.host.net (192.0.2.1)",))
    found = checks(parked={"kampagne.dk": carries})[("tenant.parked", "kampagne.dk")]
    assert found.status == "fail" and "MX 10 mx.other.net." in found.observed and "delete those records" in found.fix
    unknown = Proof("kampagne.dk", mailfree.UNKNOWN, gaps=("ns1.host.net (192.0.2.1): no authoritative answer",))
    assert checks(parked={"kampagne.dk": unknown})[("tenant.parked", "kampagne.dk")].status == "unknown"


def test_not_delegated_is_mail_free():
    gone = Proof("kampagne.dk", mailfree.PROVEN, detail="dk. says kampagne.dk. does not exist (NXDOMAIN)")
    found = checks(parked={"kampagne.dk": gone})[("tenant.parked", "kampagne.dk")]
    assert found.status == "pass" and found.observed.endswith("does not exist (NXDOMAIN)")


def test_without_the_tenants_domains_the_requirement_is_unknown_with_the_fix():
    found = checks(held=None, source="no domains: in facts.yaml", parked={"kampagne.dk": PROVEN})
    listed = found[("tenant.domains", "tenant")]
    assert listed.status == "unknown" and "add `domains:` to the facts file" in listed.fix and "source.graph" in listed.fix
    assert found[("tenant.parked", "kampagne.dk")].status == "unknown"


def test_facts_dated_in_the_future_are_unknown():
    (only,) = checks(as_of=NOW + timedelta(days=1)).values()
    assert only.id == "tenant.domains" and only.status == "unknown" and "in the future" in only.observed
