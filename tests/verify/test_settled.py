"""Which answers of the previous round stand in for asking again: the pure rules of `verify.settled`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from migrate.endpoint import Endpoint
from migrate.report import Check
from migrate.verify import settled as S
from migrate.verify.evidence import ANSWER, NXDOMAIN, TIMEOUT, Answer
from migrate.verify.query import question
from migrate.zone import RRset

T0 = datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc)
LIMIT = timedelta(hours=3)
SOA = "ns1.newhost.net. hostmaster.example.dk. 7 3600 600 86400 300"


def answer(qname="example.dk.", qtype="MX", ttl=3600, server="192.0.2.1", at=T0, **kw) -> Answer:
    records = kw.pop("records", (RRset(qname, qtype, ttl, frozenset({"10 mx1.mailhost.net."})),))
    return Answer(server=server, qname=qname, qtype=qtype, rd=kw.pop("rd", False), outcome=kw.pop("outcome", ANSWER),
                  rcode="NOERROR", aa=True, answer=records, at=at, **kw)


def test_a_settled_answer_is_reused_until_its_ttl_runs_out():
    mx = answer(ttl=600)
    reused = S.carried("verified", True, [mx], T0 + timedelta(seconds=599), LIMIT)
    assert list(reused.values()) == [replace(mx, carried=True)]
    assert reused[question(Endpoint("192.0.2.1", 53), "example.dk.", "MX")].carried
    assert S.carried("verified", True, [mx], T0 + timedelta(seconds=600), LIMIT) == {}


def test_never_longer_than_the_limit_however_long_the_ttl():
    ns = answer(qtype="NS", ttl=172800)
    assert S.until(ns, LIMIT) == T0 + LIMIT
    assert S.carried("converging", True, [ns], T0 + LIMIT - timedelta(seconds=1), LIMIT)
    assert S.carried("converging", True, [ns], T0 + LIMIT, LIMIT) == {}


def test_the_smallest_ttl_of_an_answer_counts_and_a_negative_answer_its_negative_ttl():
    glue = RRset("ns1.newhost.net.", "A", 60, frozenset({"192.0.2.53"}))
    referral = answer(qtype="NS", ttl=86400, additional=(glue,))
    assert S.ttl_of(referral) == 60
    gone = answer(qname="autodiscover.example.dk.", qtype="CNAME", outcome=NXDOMAIN, records=(), neg_ttl=300,
                  authority=(RRset("example.dk.", "SOA", 3600, frozenset({SOA})),))
    assert S.ttl_of(gone) == 300
    assert S.ttl_of(answer(outcome=NXDOMAIN, records=())) is None  # no negative TTL said: not reusable
    assert S.until(answer(ttl=0), LIMIT) is None


def test_nothing_is_reused_after_a_round_that_did_not_see_the_new_state_everywhere():
    mx = answer()
    now = T0 + timedelta(seconds=1)
    for status, ok in (("failing", False), ("unknown", False), ("converging", False), ("failing", True)):
        assert S.carried(status, ok, [mx], now, LIMIT) == {}, status
    assert S.carried("verified", True, [mx], now, LIMIT)


def test_what_is_no_evidence_is_asked_again():
    silent = Answer(server="192.0.2.1", qname="example.dk.", qtype="MX", rd=False, outcome=TIMEOUT, at=T0)
    assert S.carried("verified", True, [silent], T0 + timedelta(seconds=1), LIMIT) == {}


def test_an_answer_stamped_after_now_is_not_evidence_of_now():
    """A clock that stepped back must not make a later answer stand for an earlier moment."""
    assert S.carried("verified", True, [answer(at=T0 + timedelta(minutes=5))], T0, LIMIT) == {}


def test_a_resolver_that_still_served_the_old_data_is_asked_again_at_its_eta():
    stale = answer(server="192.0.2.53", rd=True, ttl=120)
    assert S.carried("converging", True, [stale], T0 + timedelta(seconds=119), LIMIT)
    assert S.carried("converging", True, [stale], T0 + timedelta(seconds=120), LIMIT) == {}


def test_the_zone_is_the_same_only_when_the_soa_is():
    def soa(text: str) -> Answer:
        return answer(qtype="SOA", records=(RRset("example.dk.", "SOA", 3600, frozenset({text})),))

    assert S.same_zone(soa(SOA), soa(SOA))
    assert not S.same_zone(soa(SOA), soa(SOA.replace(" 7 ", " 8 ")))
    assert not S.same_zone(None, soa(SOA))
    assert not S.same_zone(soa(SOA), answer(qtype="SOA", outcome=TIMEOUT, records=()))


def test_answers_go_through_the_journal_and_back_as_they_were():
    sent = answer(qtype="SOA", tcp=True, tcp_only=True, nsid="n1", ede=((3, "Stale Answer"),), rtt_ms=1.25,
                  records=(RRset("example.dk.", "SOA", 3600, frozenset({SOA})),))
    [back] = S.readable([{"role": "auth", **sent.to_dict()}])
    assert back == sent and back.at == sent.at
    assert S.key_of(back) == question(Endpoint("192.0.2.1", 53), "example.dk.", "SOA", tcp=True)
    # written before answers could be reused (no tcp_only): left out, so it is asked again
    old = sent.to_dict()
    del old["tcp_only"]
    assert S.readable([old]) == []


def test_checks_are_marked_with_the_oldest_answer_they_may_rest_on():
    old_mx = replace(answer(at=T0 - timedelta(minutes=30)), carried=True)
    old_txt = replace(answer(qtype="TXT", at=T0 - timedelta(minutes=10), records=()), carried=True)
    resolver = replace(answer(server="192.0.2.53", rd=True, at=T0 - timedelta(minutes=50)), carried=True)
    fresh_soa = answer(qtype="SOA", records=())
    checks = [
        Check("record.match", "pass", "example.dk. MX", "ns1.newhost.net (192.0.2.1)"),
        Check("record.match", "pass", "example.dk. TXT", "ns1.newhost.net (192.0.2.1)"),
        Check("record.match", "pass", "example.dk. MX", "ns2.newhost.net (192.0.2.2)"),
        Check("auth.soa", "pass", "example.dk.", "ns1.newhost.net (192.0.2.1)"),
        Check("resolver.fresh", "pass", "example.dk. MX", "192.0.2.53"),
        Check("delegation.parent", "pass", "example.dk."),
    ]
    marked = S.mark(checks, [old_mx, old_txt, resolver, fresh_soa])
    assert [c.seen_at for c in marked] == [
        old_mx.at,  # its own answer
        old_txt.at,
        None,  # nothing of ns2 was carried
        old_mx.at,  # the apex at ns1: the oldest carried answer about the domain there
        resolver.at,
        old_mx.at,  # no server named: any carried answer but a resolver's
    ]
    assert marked[0].to_dict()["seen_at"] == old_mx.at
    assert "seen_at" not in marked[2].to_dict()
    assert S.mark(checks, [fresh_soa]) == checks
    assert S.oldest([old_mx, old_txt, fresh_soa]) == old_mx.at
    assert S.oldest([fresh_soa]) is None
