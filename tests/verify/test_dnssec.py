"""DNSSEC judgements (migrate.verify.dnssec) and the checks built on them, on hand-made answers.

The signatures are real (dnspython signs with throwaway keys); only the
answers around them are built by hand. Against real Knot and Unbound:
tests/verify/test_round_signed.py.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import dns.dnssec
import dns.name
import dns.rdata
import dns.rrset
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from migrate.verify import checks as C
from migrate.verify import dnssec
from migrate.zone import RRset, txt_rdata_text
from tests.helpers.verify_evidence import D, NOW, ans, evidence, parent, rr

FRESH = (NOW - timedelta(hours=1), NOW + timedelta(days=14))
EXPIRED = (NOW - timedelta(days=8), NOW - timedelta(days=1))


def _key(flags: int):
    private = ec.generate_private_key(ec.SECP256R1())
    return private, dns.dnssec.make_dnskey(private.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, flags=flags)


KSK, ZSK = _key(257), _key(256)
KEYS = RRset(D, "DNSKEY", 300, frozenset(k[1].to_text() for k in (KSK, ZSK)))
DS = dns.dnssec.make_ds(D, KSK[1], "SHA256").to_text()


def rrsig(rrset: RRset, key=ZSK, window=FRESH, signer=D) -> str:
    target = dns.rrset.from_text_list(rrset.name, rrset.ttl, "IN", rrset.rdtype, rrset.sorted_rdatas())
    return dns.dnssec.sign(target, key[0], dns.name.from_text(signer), key[1], inception=window[0], expiration=window[1]).to_text()


def sigs(name: str, *texts: str) -> RRset:
    return RRset(name, "RRSIG", 300, frozenset(texts))


def signed(rrset: RRset, **kw) -> list[RRset]:
    return [rrset, sigs(rrset.name, rrsig(rrset, **kw))]


def judge(rrset: RRset, *texts: str, margin=timedelta(0)) -> dnssec.Verdict:
    return dnssec.judge(rrset, texts, D, KEYS, NOW, margin)


MX = rr(D, "MX", ["10 mx1.mailhost.net."])


def test_a_fresh_signature_validates_and_says_until_when():
    verdict = judge(MX, rrsig(MX))
    assert verdict.ok
    assert verdict.signature.key_tag == dns.dnssec.key_id(ZSK[1]) and verdict.signature.signer == D
    assert "2027-01-29T07:00:00Z" in verdict.detail


def test_an_expired_signature_is_named_with_signer_key_and_window():
    verdict = judge(MX, rrsig(MX, window=EXPIRED))
    assert verdict.status == dnssec.EXPIRED
    tag = dns.dnssec.key_id(ZSK[1])
    for part in (D, f"key {tag}", "ECDSAP256SHA256", "2027-01-07T07:00:00Z to 2027-01-14T07:00:00Z", "expired 1d ago", "SERVFAIL"):
        assert part in verdict.detail
    assert verdict.signature.to_dict() == {"signer": D, "key_tag": tag, "algorithm": "ECDSAP256SHA256",
                                           "inception": "2027-01-07T07:00:00Z", "expiration": "2027-01-14T07:00:00Z"}


def test_a_signature_not_valid_yet_fails():
    verdict = judge(MX, rrsig(MX, window=(NOW + timedelta(days=1), NOW + timedelta(days=15))))
    assert verdict.status == dnssec.NOT_YET_VALID and "not valid yet" in verdict.detail


def test_a_signature_must_outlast_the_margin_the_round_is_relied_on():
    soon = rrsig(MX, window=(NOW - timedelta(days=13), NOW + timedelta(hours=2)))
    assert judge(MX, soon, margin=timedelta(hours=1)).ok
    verdict = judge(MX, soon, margin=timedelta(hours=6))
    assert verdict.status == dnssec.EXPIRING
    assert "expires in 2h" in verdict.detail and "6h" in verdict.detail and "gate.max_age" in verdict.detail


def test_forged_foreign_and_missing_signatures_fail():
    other = rr(D, "MX", ["10 evil.example.net."])
    assert judge(other, rrsig(MX)).status == dnssec.BOGUS  # the data changed after signing
    stranger = judge(MX, rrsig(MX, key=_key(256)))
    assert stranger.status == dnssec.BOGUS and "does not validate" in stranger.detail
    elsewhere = judge(MX, rrsig(MX, signer="example.net."))
    assert elsewhere.status == dnssec.BOGUS and f"not by {D}" in elsewhere.detail
    assert judge(MX).status == dnssec.MISSING
    a = rr(f"www.{D}", "A", ["192.0.2.80"])
    assert judge(MX, rrsig(a)).status == dnssec.MISSING  # a signature over another type covers nothing here


def test_one_valid_signature_among_several_is_enough():
    assert judge(MX, rrsig(MX, window=EXPIRED), rrsig(MX)).ok
    worst_first = judge(MX, rrsig(MX, key=_key(256)), rrsig(MX, window=EXPIRED))
    assert worst_first.status == dnssec.EXPIRED  # the report names the one closest to working


def test_an_algorithm_dnspython_cannot_check_is_unsupported_not_bogus():
    gost = dns.rdata.from_text("IN", "DNSKEY", "256 3 12 " + base64.b64encode(bytes(64)).decode())
    sig = f"MX 12 2 300 20270201000000 20270101000000 {dns.dnssec.key_id(gost)} {D} " + base64.b64encode(bytes(64)).decode()
    verdict = dnssec.judge(MX, [sig], D, RRset(D, "DNSKEY", 300, frozenset([gost.to_text()])), NOW, timedelta(0))
    assert verdict.status == dnssec.UNSUPPORTED


def _keyset_answer(*signers, window=FRESH):
    return ans(D, "DNSKEY", answer=[KEYS, sigs(D, *(rrsig(KEYS, key=k, window=window) for k in signers))])


def test_the_key_set_must_be_signed_by_the_key_the_ds_points_at():
    by_ksk = dnssec.key_set(D, _keyset_answer(KSK), [DS], NOW, timedelta(0))
    assert by_ksk.matched == (DS,) and by_ksk.verdict.ok
    by_zsk = dnssec.key_set(D, _keyset_answer(ZSK), [DS], NOW, timedelta(0))
    assert by_zsk.verdict.status == dnssec.BOGUS  # a valid signature, but not by the key the parent vouches for
    # with no DS yet, any key of the set may sign it (the set a DS would point at)
    assert dnssec.key_set(D, _keyset_answer(ZSK), [], NOW, timedelta(0)).verdict.ok
    assert dnssec.key_set(D, ans(D, "DNSKEY", outcome="nodata"), [DS], NOW, timedelta(0)) is None


def test_a_sha1_ds_still_matches():
    sha1 = dns.dnssec.make_ds(D, KSK[1], "SHA1", policy=dns.dnssec.allow_all_policy).to_text()
    assert dnssec.ds_matches(D, [sha1, DS], KEYS) == [sha1, DS]


SOA = rr(D, "SOA", [f"ns1.newhost.net. hostmaster.{D} 7 3600 600 86400 60"])


def _negative(qname, qtype, outcome, nsec: list[RRset], window=FRESH):
    authority = [*signed(SOA, window=window)]
    for record in nsec:
        authority += signed(record, window=window)
    return ans(qname, qtype, outcome=outcome, rcode="NXDOMAIN" if outcome == "nxdomain" else "NOERROR", authority=authority)


def _nsec(owner, following, types="A RRSIG NSEC"):
    return rr(owner, "NSEC", [f"{following} {types}"])


def _denial(answer):
    return dnssec.judge_denial(answer, D, KEYS, NOW, timedelta(0))


def test_a_removed_name_is_denied_by_signed_nsec_records():
    covering = _nsec(f"_dmarc.{D}", f"www.{D}", "TXT RRSIG NSEC")
    verdict = _denial(_negative(f"autodiscover.{D}", "CNAME", "nxdomain", [covering]))
    assert verdict.ok and "NSEC" in verdict.detail
    # NODATA: the NSEC at the name lists what exists there, not the type asked
    apex = _nsec(D, f"_dmarc.{D}", "NS SOA MX TXT RRSIG NSEC DNSKEY")
    assert _denial(_negative(D, "SRV", "nodata", [apex])).ok
    # an empty non-terminal: names below it, none at it
    ent = _nsec(f"_dmarc.{D}", f"selector1._domainkey.{D}", "TXT RRSIG NSEC")
    assert _denial(_negative(f"_domainkey.{D}", "TXT", "nodata", [ent])).ok


def test_a_denial_without_proof_or_with_bad_signatures_fails():
    missing = _denial(_negative(f"autodiscover.{D}", "CNAME", "nxdomain", []))
    assert missing.status == dnssec.MISSING and "no NSEC or NSEC3" in missing.detail
    covering = _nsec(f"_dmarc.{D}", f"www.{D}", "TXT RRSIG NSEC")
    expired = _denial(_negative(f"autodiscover.{D}", "CNAME", "nxdomain", [covering], window=EXPIRED))
    assert expired.status == dnssec.EXPIRED and "expired" in expired.detail
    # a stale chain: the NSEC does not cover the name, or says the type exists
    assert _denial(_negative(f"zzz.{D}", "CNAME", "nxdomain", [covering])).status == dnssec.BOGUS
    stale = _nsec(f"autodiscover.{D}", f"www.{D}", "CNAME RRSIG NSEC")
    assert _denial(_negative(f"autodiscover.{D}", "CNAME", "nodata", [stale])).status == dnssec.BOGUS


def test_nsec3_denials_need_their_records_and_valid_signatures():
    hashed = rr(f"k2a8b0pnmcutehcr3lhkdcoe5hf3ks5u.{D}", "NSEC3", ["1 0 0 - 1LMM4QMRJ3P2UGDPLB2L4E04F4E0NRAE A RRSIG"])
    assert _denial(_negative(f"autodiscover.{D}", "CNAME", "nxdomain", [hashed])).ok
    assert _denial(_negative(f"autodiscover.{D}", "CNAME", "nxdomain", [hashed], window=EXPIRED)).status == dnssec.EXPIRED


# -- the checks ------------------------------------------------------------------


def _signed_evidence(mx_window=FRESH, **kw):
    """Two new servers serving the desired zone signed, a DS at the parent for the KSK."""
    ev = evidence(parents=[parent("192.0.2.53", ds=[DS])], **kw)
    for view in ev.servers:
        view.dnskey = _keyset_answer(KSK)
        view.soa = ans(D, "SOA", answer=signed(view.soa.answer[0]), server=view.address)
        view.ns = ans(D, "NS", answer=signed(view.ns.answer[0]), server=view.address)
        for key, answer in view.records.items():
            window = mx_window if key == (D, "MX") else FRESH
            view.records[key] = ans(*key, answer=signed(answer.answer[0], window=window), server=view.address)
    return ev


def test_every_answer_of_a_signed_zone_is_validated_per_server():
    checks = C.dnssec_checks(_signed_evidence())
    assert {c.status for c in checks} == {"pass"}
    rrsig_subjects = {c.subject for c in checks if c.id == "dnssec.rrsig"}
    assert rrsig_subjects == {f"{D} SOA", f"{D} NS", f"{D} MX", f"{D} TXT", f"_dmarc.{D} TXT", f"www.{D} A"}
    assert len([c for c in checks if c.id == "dnssec.signature"]) == 2


def test_expired_record_signatures_fail_while_the_key_set_validates():
    checks = C.dnssec_checks(_signed_evidence(mx_window=EXPIRED))
    failed = [c for c in checks if c.status == "fail"]
    assert [(c.id, c.subject) for c in failed] == [("dnssec.rrsig", f"{D} MX")] * 2
    assert failed[0].observed["expiration"] == "2027-01-14T07:00:00Z"
    assert all(c.status == "pass" for c in checks if c.id == "dnssec.signature")
    assert C.classify(C.all_checks(_signed_evidence(mx_window=EXPIRED)))[0] == "failing"


def test_the_margin_comes_from_the_evidence():
    ev = _signed_evidence(mx_window=(NOW - timedelta(days=13), NOW + timedelta(hours=2)))
    assert all(c.status == "pass" for c in C.dnssec_checks(ev))
    ev.signature_margin = timedelta(hours=6)
    assert [c.subject for c in C.dnssec_checks(ev) if c.status == "fail"] == [f"{D} MX"] * 2


def test_removed_names_need_a_signed_denial():
    ev = _signed_evidence(probe_names=[(f"autodiscover.{D}", "CNAME")])
    covering = _nsec(f"_dmarc.{D}", f"www.{D}", "TXT RRSIG NSEC")
    ev.servers[0].probes[(f"autodiscover.{D}", "CNAME")] = _negative(f"autodiscover.{D}", "CNAME", "nxdomain", [covering])
    ev.servers[1].probes[(f"autodiscover.{D}", "CNAME")] = _negative(f"autodiscover.{D}", "CNAME", "nxdomain", [])
    denial = [c for c in C.dnssec_checks(ev) if c.id == "dnssec.denial"]
    assert [c.status for c in denial] == ["pass", "fail"]


def test_a_key_set_that_does_not_validate_stops_the_record_checks():
    ev = _signed_evidence()
    ev.servers[0].dnskey = _keyset_answer(KSK, window=EXPIRED)
    checks = [c for c in C.dnssec_checks(ev) if c.server == ev.servers[0].label]
    assert [(c.id, c.status) for c in checks] == [("dnssec.signature", "fail")]
    assert "expired" in checks[0].detail


def test_an_unsecured_zone_with_keys_is_still_checked():
    ev = _signed_evidence(mx_window=EXPIRED)
    ev.parents = [parent("192.0.2.53")]
    checks = C.dnssec_checks(ev)
    assert [c.status for c in checks if c.id == "dnssec.ds"] == ["pass"]
    assert [c.subject for c in checks if c.status == "fail"] == [f"{D} MX"] * 2


def _servfail(name, rdtype, ede=()):
    return ans(name, rdtype, outcome="servfail", rcode="SERVFAIL", aa=False, server="198.51.100.53", ede=ede)


@pytest.mark.parametrize("expired", [True, False])
def test_a_resolver_servfail_over_bogus_data_is_a_validation_failure(expired):
    ev = _signed_evidence(mx_window=EXPIRED if expired else FRESH, resolver_keys=[(D, "MX")])
    ev.resolvers = {"198.51.100.53": {(D, "MX"): _servfail(D, "MX", ede=((7, "SIGNATURE_EXPIRED"),))}}
    (check,) = C.resolver_checks(ev)
    assert check.id == "resolver.bogus" and check.detail.startswith("DNSSEC validation fails")
    assert "SIGNATURE_EXPIRED (EDE 7)" in check.detail
    # bogus at the authoritative servers: a failure; only the resolver's word: unknown
    assert check.status == ("fail" if expired else "unknown")


def test_a_resolver_servfail_with_nothing_bogus_is_unreachable():
    ev = _signed_evidence(resolver_keys=[(D, "MX")])
    ev.resolvers = {"198.51.100.53": {(D, "MX"): _servfail(D, "MX")}}
    (check,) = C.resolver_checks(ev)
    assert check.id == "resolver.unreachable" and check.status == "unknown"
    # a stale DS makes everything bogus, whatever record is asked
    ev.parents = [parent("192.0.2.53", ds=[dns.dnssec.make_ds(D, _key(257)[1], "SHA256").to_text()])]
    (stale,) = C.resolver_checks(ev)
    assert stale.id == "resolver.bogus" and stale.status == "fail" and "stale DS" in stale.detail


def test_txt_answers_validate_as_served():
    txt = rr(f"mail._domainkey.{D}", "TXT", [txt_rdata_text("v=DKIM1; k=rsa; p=" + "A" * 300)])
    assert judge(txt, rrsig(txt)).ok
