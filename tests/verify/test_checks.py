"""Pure verifier logic with hand-made observations: checks, classification, timing, report."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from cryptography.hazmat.primitives.asymmetric import ec

from migrate.verify import checks as C
from migrate.verify import timing
from migrate.verify.delegation import Addresses, Walk
from migrate.zone import RRset, Zone, txt_rdata_text
from tests.helpers.verify_evidence import D, NEW, NOW, OLD, ans, desired, evidence, parent, rr, server, statuses


def test_everything_right_passes_every_authoritative_check():
    checks = C.all_checks(evidence())
    assert C.authoritative_ok(checks)
    assert {c.status for c in checks} == {"pass"}
    assert C.classify(checks) == ("verified", None)


def test_a_missing_record_and_a_stale_extra_value_fail_per_server():
    ev = evidence()
    ev.servers[0].records[(f"www.{D}", "A")] = ans(f"www.{D}", "A", outcome="nxdomain", rcode="NXDOMAIN", neg_ttl=60)
    ev.servers[1].records[(D, "MX")] = ans(D, "MX", answer=[rr(D, "MX", ["10 mx1.mailhost.net.", "0 x.mail.protection.outlook.com."])])
    checks = C.record_checks(ev)
    (missing,) = [c for c in checks if c.id == "record.missing"]
    assert missing.server == "ns1.newhost.net (192.0.2.1)" and "negative TTL 60" in missing.detail
    (mismatch,) = [c for c in checks if c.id == "record.mismatch"]
    assert "unexpected 0 x.mail.protection.outlook.com." in mismatch.detail
    assert C.classify(checks)[0] == "failing"


def test_a_ttl_difference_alone_is_reported_not_failed():
    ev = evidence()
    ev.servers[0].records[(f"www.{D}", "A")] = ans(f"www.{D}", "A", answer=[rr(f"www.{D}", "A", ["192.0.2.80"], ttl=60)])
    cell = [c for c in C.record_checks(ev) if c.subject == f"www.{D} A" and c.server.startswith("ns1")][0]
    assert cell.status == "pass" and "TTL 60, desired 300" in cell.detail and cell.observed["ttl"] == 60


def test_timeouts_are_unknown_never_pass_and_refused_is_lame():
    ev = evidence()
    ev.servers[0].soa = ans(D, "SOA", outcome="timeout", rcode=None, aa=False, error="timed out after 1s over TCP")
    ev.servers[1].soa = ans(D, "SOA", outcome="refused", rcode="REFUSED", aa=False)
    checks = C.auth_checks(ev)
    assert statuses(checks, "auth.unreachable") == ["unknown"]
    assert statuses(checks, "auth.lame") == ["fail"]
    assert not C.authoritative_ok(checks + C.record_checks(ev))


def test_an_answer_without_aa_is_lame():
    ev = evidence()
    ev.servers[0].soa = ans(D, "SOA", answer=ev.servers[0].soa.answer, aa=False)
    assert statuses(C.auth_checks(ev), "auth.lame") == ["fail"]


def test_soa_serials_that_differ_over_the_same_data_are_a_note():
    """Providers that number each node, or two providers serving one zone: the data decides."""
    ev = evidence()
    ev.servers[1] = server(NEW[1], "192.0.2.2", ev.desired, serial=2026010101)
    checks = C.all_checks(ev)
    (check,) = [c for c in checks if c.id == "auth.soa-serial"]
    assert check.status == "pass" and check.detail.startswith("note: the SOA serials differ")
    assert sorted(check.observed.values()) == [7, 2026010101]
    assert C.authoritative_ok(checks)


def test_data_that_differs_fails_naming_the_server_whatever_the_serials():
    ev = evidence()
    stale = ev.desired.copy()
    stale.put(rr(f"www.{D}", "A", ["192.0.2.99"]))
    ev.servers[1] = server(NEW[1], "192.0.2.2", stale, serial=6)
    checks = C.all_checks(ev)
    (mismatch,) = [c for c in checks if c.id == "record.mismatch"]
    assert mismatch.status == "fail" and mismatch.server == "ns2.newhost.net (192.0.2.2)"
    assert statuses(checks, "auth.soa-serial") == ["pass"]
    assert not C.authoritative_ok(checks)


def test_parent_still_at_the_old_host_and_disagreeing_parent_servers():
    ev = evidence(parents=[parent("192.0.2.53", ns=OLD), parent("192.0.2.54", ns=NEW)])
    checks = C.delegation_checks(ev)
    parent_ns = [c for c in checks if c.id == "delegation.parent-ns"]
    assert [c.status for c in parent_ns] == ["fail", "pass"]
    assert "old host" in parent_ns[0].detail
    assert statuses(checks, "delegation.parent-consistent") == ["fail"]
    assert statuses(checks, "delegation.child-ns") == ["fail", "fail"]


def test_a_parent_answer_without_aa_is_unknown_not_a_missing_domain():
    """A hotel network answers for the parent: its NXDOMAIN (no AA) says nothing about the registry."""
    intercepted = parent("192.0.2.54")
    intercepted.ns = ans(D, "NS", outcome="nxdomain", aa=False, server="192.0.2.54", rcode="NXDOMAIN")
    ev = evidence(parents=[parent("192.0.2.53"), intercepted])
    cells = [c for c in C.delegation_checks(ev) if c.id == "delegation.parent-ns"]
    assert [c.status for c in cells] == ["pass", "unknown"]
    assert cells[1].detail == "DNS answers here are not from the servers asked (intercepted?): nxdomain without the AA flag"
    assert not any("does not exist" in c.detail for c in cells)


def test_a_child_ns_set_different_from_the_delegation_fails():
    ev = evidence()
    ev.servers[0].ns = ans(D, "NS", answer=[rr(D, "NS", [*NEW, "ns3.newhost.net."])])
    ev.hosts["ns3.newhost.net."] = Addresses("ns3.newhost.net.", ["192.0.2.3"])
    checks = C.delegation_checks(ev)
    assert statuses(checks, "delegation.child-ns") == ["fail", "pass"]


def test_name_server_problems_cname_single_and_glue():
    ev = evidence()
    ev.hosts[NEW[1]] = Addresses(NEW[1], ["192.0.2.1"], cname="elsewhere.net.")
    ev.parents = [C.ParentView("a.nic.dk.", "192.0.2.53", ans(D, "NS", outcome="referral", aa=False,
                  authority=[rr(D, "NS", NEW)], additional=[rr(NEW[0], "A", ["198.51.100.1"])]), None)]
    checks = C.delegation_checks(ev)
    assert statuses(checks, "delegation.ns-cname") == ["fail"]
    assert statuses(checks, "delegation.ns-count") == ["fail"]  # two names, one address
    assert statuses(checks, "delegation.glue") == ["fail"]


def test_walk_failures_are_fail_or_unknown():
    assert statuses(C.delegation_checks(evidence(walk=Walk(D, error="dk. says example.dk. does not exist"))), "delegation.parent") == ["fail"]
    assert statuses(C.delegation_checks(evidence(walk=Walk(D, error="no answer", unknown=True))), "delegation.parent") == ["unknown"]


def test_microsoft_365_residue_is_classified_by_the_footprint():
    ev = evidence(probe_names=[(f"autodiscover.{D}", "CNAME"), (D, "TXT")])
    for view in ev.servers:
        view.probes[(f"autodiscover.{D}", "CNAME")] = ans(f"autodiscover.{D}", "CNAME", answer=[rr(f"autodiscover.{D}", "CNAME", ["autodiscover.outlook.com."])])
        view.probes[(D, "TXT")] = ans(D, "TXT", answer=[rr(D, "TXT", [txt_rdata_text("MS=ms12345678"), txt_rdata_text("v=spf1 -all")])])
    checks = C.residue_checks(ev)
    residue = [c for c in checks if c.id == "m365.residue"]
    assert len(residue) == 4
    assert any(c.observed == ["MS=ms12345678"] for c in residue)


def _signed_zone_key():
    key = ec.generate_private_key(ec.SECP256R1())
    dnskey = dns.dnssec.make_dnskey(key.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, flags=257)
    name = dns.name.from_text(D)
    keyset = dns.rrset.from_rdata(name, 300, dnskey)
    sig = dns.dnssec.sign(keyset, key, name, dnskey, inception=NOW - timedelta(days=1), expiration=NOW + timedelta(days=7))
    return dnskey, keyset, sig


def test_dnssec_ds_must_match_a_key_that_signs_the_key_set():
    dnskey, keyset, sig = _signed_zone_key()
    ds = dns.dnssec.make_ds(D, dnskey, "SHA256").to_text()
    keys = RRset(D, "DNSKEY", 300, frozenset(r.to_text() for r in keyset))
    sigs = RRset(D, "RRSIG", 300, frozenset([sig.to_text()]))
    ev = evidence(parents=[parent("192.0.2.53", ds=[ds])])
    ev.servers[0].dnskey = ans(D, "DNSKEY", answer=[keys, sigs])
    checks = [c for c in C.dnssec_checks(ev) if c.id.startswith("dnssec.ds")]
    assert [c.id for c in checks] == ["dnssec.ds", "dnssec.ds-stale"]  # the second server publishes no key
    assert [c.status for c in checks] == ["pass", "fail"]
    # a DS for another key is stale even where a key is published
    other, _, _ = _signed_zone_key()
    ev.parents = [parent("192.0.2.53", ds=[dns.dnssec.make_ds(D, other, "SHA256").to_text()])]
    assert statuses(C.dnssec_checks(ev), "dnssec.ds-stale") == ["fail", "fail"]
    # no DS: unsigned, a pass that says so
    ev.parents = [parent("192.0.2.53")]
    (unsigned,) = [c for c in C.dnssec_checks(ev) if c.id == "dnssec.ds"]
    assert unsigned.status == "pass" and "unsigned" in unsigned.detail


def test_spf_lookups_are_counted_through_includes_and_limits_enforced():
    txt = {}
    for i in range(6):
        name = f"i{i}.net."
        txt[name] = ans(name, "TXT", answer=[rr(name, "TXT", [txt_rdata_text("v=spf1 a mx -all")])])
    record = "v=spf1 " + " ".join(f"include:i{i}.net" for i in range(6)) + " -all"
    count, problems = C.spf_lookups(record, txt)
    assert count == 18 and problems == []
    zone = desired()
    zone.put(rr(D, "TXT", [txt_rdata_text(record)]))
    (check,) = [c for c in C.mail_checks(evidence(zone=zone, spf_txt=txt)) if c.id == "mail.spf"]
    assert check.status == "fail" and "18 DNS lookups" in check.detail
    # an include that cannot be read is unknown, not pass
    (unknown,) = [c for c in C.mail_checks(evidence(spf_txt={})) if c.id == "mail.spf"]
    assert unknown.status == "unknown"


def test_two_spf_records_a_bad_dmarc_and_a_cname_mx_target_fail():
    zone = desired()
    zone.put(rr(D, "TXT", [txt_rdata_text("v=spf1 -all"), txt_rdata_text("v=spf1 mx -all")]))
    zone.put(rr(f"_dmarc.{D}", "TXT", [txt_rdata_text("v=DMARC1; rua=mailto:x@example.dk")]))
    ev = evidence(zone=zone)
    ev.hosts["mx1.mailhost.net."] = Addresses("mx1.mailhost.net.", ["192.0.2.25"], cname="mx.other.net.")
    checks = C.mail_checks(ev)
    assert statuses(checks, "mail.spf") == ["fail"]
    assert statuses(checks, "mail.dmarc") == ["fail"]
    assert statuses(checks, "mail.mx-cname") == ["fail"]


def test_resolvers_stale_fresh_negative_and_unreachable():
    ev = evidence(resolver_keys=[(D, "MX"), (f"_dmarc.{D}", "TXT"), (f"www.{D}", "A")])
    ev.resolvers = {
        "198.51.100.53": {
            (D, "MX"): ans(D, "MX", answer=[rr(D, "MX", ["0 x.mail.protection.outlook.com."], ttl=1234)], aa=False),
            (f"_dmarc.{D}", "TXT"): ans(f"_dmarc.{D}", "TXT", outcome="nxdomain", rcode="NXDOMAIN", neg_ttl=50, aa=False),
            (f"www.{D}", "A"): ans(f"www.{D}", "A", answer=[rr(f"www.{D}", "A", ["192.0.2.80"])], aa=False),
        },
        "198.51.100.54": {(D, "MX"): ans(D, "MX", outcome="timeout", rcode=None, aa=False, error="timed out")},
    }
    checks = C.resolver_checks(ev)
    by = {(c.server, c.subject): c for c in checks}
    mx = by[("198.51.100.53", f"{D} MX")]
    assert mx.id == "resolver.stale" and mx.status == "pending" and mx.eta == NOW + timedelta(seconds=1234)
    assert by[("198.51.100.53", f"_dmarc.{D} TXT")].eta == NOW + timedelta(seconds=50)
    assert by[("198.51.100.53", f"www.{D} A")].status == "pass"
    assert by[("198.51.100.54", f"{D} MX")].status == "unknown"
    assert by[("198.51.100.54", f"www.{D} A")].id == "resolver.deferred"
    assert C.classify(checks) == ("unknown", None)
    status, eta = C.classify([c for c in checks if c.server == "198.51.100.53"])
    assert status == "converging" and eta == NOW + timedelta(seconds=1234)


def test_resolvers_are_asked_only_when_parent_and_servers_agree():
    ev = evidence()
    assert C.agreed(ev, (D, "MX"))
    ev.parents = [parent("192.0.2.53", ns=OLD)]
    assert not C.agreed(ev, (D, "MX"))
    ev = evidence()
    ev.servers[1].records[(D, "MX")] = ans(D, "MX", outcome="nodata")
    assert not C.agreed(ev, (D, "MX"))


def test_classify_orders_fail_unknown_pending_pass():
    p = C.Check("x", "pass", D)
    f = C.Check("x", "fail", D)
    u = C.Check("x", "unknown", D)
    w = C.Check("x", "pending", D, eta=NOW)
    assert C.classify([p, f, u, w])[0] == "failing"
    assert C.classify([p, u, w])[0] == "unknown"
    assert C.classify([p, w]) == ("converging", NOW)
    assert C.classify([p, C.Check("x", "pending", D)]) == ("converging", None)  # no ETA when one wait is open-ended
    assert C.classify([])[0] == "failing"  # nothing checked proves nothing


# -- timing -------------------------------------------------------------------


def old_view(zone: Zone, address="198.51.100.1", **records) -> C.ServerView:
    view = C.ServerView(name=OLD[0], address=address)
    view.ns = ans(D, "NS", answer=[zone.get(D, "NS")], server=address)
    for r in C.compared(zone, D):
        view.records[r.key] = ans(r.name, r.rdtype, answer=[r], server=address)
    return view


def test_old_ttls_are_measured_from_old_answers_that_differ():
    old = Zone(D, [rr(D, "NS", OLD, 172800), rr(D, "MX", ["0 x.mail.protection.outlook.com."], 3600), rr(f"www.{D}", "A", ["192.0.2.80"], 86400)])
    ev = evidence()
    view = old_view(old)
    view.records[(f"_dmarc.{D}", "TXT")] = ans(f"_dmarc.{D}", "TXT", outcome="nxdomain", rcode="NXDOMAIN", neg_ttl=300, server=view.address)
    view.records[(D, "TXT")] = ans(D, "TXT", answer=[ev.desired.get(D, "TXT").with_ttl(7200)], server=view.address)
    ev.old_servers = [view]
    measured = timing.measure(ev, delegation_moved=True)
    kinds = {(m.kind, m.subject): m.ttl for m in measured}
    assert kinds[("parent-ns", D)] == 7200
    assert kinds[("child-ns", D)] == 172800
    assert kinds[("record", f"{D} MX")] == 3600
    assert kinds[("negative", f"_dmarc.{D} TXT")] == 300
    assert kinds[("same", f"www.{D} A")] == 0  # identical data: no cache of it can be wrong
    assert kinds[("same", f"{D} TXT")] == 0
    ttls = timing.relevant(ev, measured, delegation_moved=True)
    assert max(t.ttl for t in ttls) == 172800
    assert all(t.measured for t in ttls)
    assert timing.safe_after(NOW, ttls) == NOW + timedelta(seconds=172800)


def test_unmeasurable_ttls_take_conservative_defaults():
    ev = evidence()
    ttls = timing.relevant(ev, [], delegation_moved=True)
    by = {(t.kind, t.subject): t for t in ttls}
    assert by[("parent-ns", D)].ttl == timing.DEFAULT_PARENT_NS_TTL and not by[("parent-ns", D)].measured
    assert by[("child-ns", D)].ttl == timing.DEFAULT_TTL
    assert by[("record", f"{D} MX")].ttl == timing.DEFAULT_TTL
    # no move: the NS TTLs do not count
    assert {t.kind for t in timing.relevant(ev, [], delegation_moved=False)} == {"record"}


def test_new_servers_serving_new_data_do_not_count_as_old_measurements():
    ev = evidence()
    assert timing.measure(ev, delegation_moved=False) == []


def test_soak_is_pending_until_the_safe_time_then_passes():
    ttls = [timing.OldTTL("record", f"{D} MX", 600, "198.51.100.1")]
    ev = evidence()
    pending = timing.old_ttls_check(ev, NOW - timedelta(seconds=100), ttls)
    assert pending.status == "pending" and pending.eta == NOW + timedelta(seconds=500)
    ev.now = NOW + timedelta(seconds=500)
    assert timing.old_ttls_check(ev, NOW - timedelta(seconds=100), ttls).status == "pass"
    unseen = timing.old_ttls_check(ev, None, ttls)
    assert unseen.status == "pending" and unseen.eta is None


def test_a_stale_answer_reused_from_an_earlier_round_is_due_when_the_cache_it_saw_runs_out():
    ev = evidence(resolver_keys=[(D, "MX")])
    seen = NOW - timedelta(seconds=200)
    stale = ans(D, "MX", answer=[rr(D, "MX", ["0 x.mail.protection.outlook.com."], ttl=1234)], aa=False)
    ev.resolvers = {"198.51.100.53": {(D, "MX"): replace(stale, at=seen, carried=True)}}
    (cell,) = C.resolver_checks(ev)
    assert cell.id == "resolver.stale" and cell.eta == seen + timedelta(seconds=1234)
    assert cell.observed["ttl_left"] == 1034
