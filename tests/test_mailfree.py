"""The mail-free proof's rules, from answers built as the querier records them (the lab test asks real servers)."""

from __future__ import annotations

from migrate import mailfree
from migrate.mailfree import ServerAnswers
from migrate.verify.evidence import ANSWER, CNAME, NODATA, NXDOMAIN, REFERRAL, TIMEOUT, Answer
from migrate.zone import RRset

DOMAIN = "old-brand.dk."
SERVER = "192.0.2.53"


def answer(qname: str, qtype: str, outcome: str = NODATA, values: list[str] = (), *, rdtype: str | None = None, aa: bool = True,
           error: str | None = None) -> Answer:
    rrsets = (RRset.build(qname, rdtype or qtype, 300, list(values)),) if values else ()
    return Answer(server=SERVER, qname=qname, qtype=qtype, rd=False, outcome=outcome, aa=aa, answer=rrsets, error=error)


def quiet(**changes: Answer) -> ServerAnswers:
    """A server that answers every question with authority and nothing of mail, but for `changes` (by qtype)."""
    answers = [changes.get(qtype, answer(qname, qtype, NXDOMAIN if qname != DOMAIN else NODATA)) for qname, qtype in mailfree.questions(DOMAIN)]
    return ServerAnswers("ns1.host.net.", SERVER, tuple(answers))


def test_every_server_answering_without_mail_records_is_proof():
    proof = mailfree.decide(DOMAIN, [quiet(), quiet()])
    assert proof.status == mailfree.PROVEN and proof.domain == "old-brand.dk"
    assert proof.servers == ("ns1.host.net (192.0.2.53)", "ns1.host.net (192.0.2.53)") and not proof.gaps


def test_a_null_mx_says_no_mail_and_an_spf_without_microsoft_is_not_microsofts():
    proof = mailfree.decide(DOMAIN, [quiet(MX=answer(DOMAIN, "MX", ANSWER, ["0 ."]),
                                           TXT=answer(DOMAIN, "TXT", ANSWER, ['"v=spf1 -all"', '"v=spf1 include:_spf.google.com ~all"']))])
    assert proof.status == mailfree.PROVEN


def test_an_mx_autodiscover_or_microsoft_spf_anywhere_carries_mail():
    server = quiet(
        MX=answer(DOMAIN, "MX", ANSWER, ["0 old-brand-dk.mail.protection.outlook.com."]),
        A=answer(f"autodiscover.{DOMAIN}", "A", CNAME, ["autodiscover.outlook.com."], rdtype="CNAME"),
        SRV=answer(f"_autodiscover._tcp.{DOMAIN}", "SRV", ANSWER, ["0 0 443 mail.example.net."]),
        TXT=answer(DOMAIN, "TXT", ANSWER, ['"v=spf1 include:spf.protection.outlook.com -all"']),
    )
    proof = mailfree.decide(DOMAIN, [quiet(), server])
    assert proof.status == mailfree.CARRIES
    assert proof.carries == (
        "MX 0 old-brand-dk.mail.protection.outlook.com. at ns1.host.net (192.0.2.53)",
        "autodiscover.old-brand.dk CNAME autodiscover.outlook.com. at ns1.host.net (192.0.2.53)",
        "_autodiscover._tcp.old-brand.dk SRV 0 0 443 mail.example.net. at ns1.host.net (192.0.2.53)",
        "SPF 'v=spf1 include:spf.protection.outlook.com -all' names Microsoft's senders at ns1.host.net (192.0.2.53)",
    )


def test_an_mx_elsewhere_carries_mail_too():
    proof = mailfree.decide(DOMAIN, [quiet(MX=answer(DOMAIN, "MX", ANSWER, ["10 mx.other.net."]))])
    assert proof.status == mailfree.CARRIES and proof.carries == ("MX 10 mx.other.net. at ns1.host.net (192.0.2.53)",)


def test_a_server_that_does_not_answer_with_authority_leaves_the_proof_unknown():
    silent = quiet(MX=answer(DOMAIN, "MX", TIMEOUT, aa=False, error="timed out after 1s over UDP"))
    lame = quiet(TXT=answer(DOMAIN, "TXT", REFERRAL, aa=False))
    unflagged = quiet(SRV=answer(f"_autodiscover._tcp.{DOMAIN}", "SRV", NXDOMAIN, aa=False))
    proof = mailfree.decide(DOMAIN, [silent, lame, unflagged])
    assert proof.status == mailfree.UNKNOWN
    assert proof.gaps == (
        "ns1.host.net (192.0.2.53): no authoritative answer for old-brand.dk MX (timed out after 1s over UDP)",
        "ns1.host.net (192.0.2.53): no authoritative answer for old-brand.dk TXT (referral without the AA flag)",
        "ns1.host.net (192.0.2.53): no authoritative answer for _autodiscover._tcp.old-brand.dk SRV (nxdomain without the AA flag)",
    )


def test_what_carries_mail_outweighs_what_is_unknown():
    proof = mailfree.decide(DOMAIN, [quiet(MX=answer(DOMAIN, "MX", ANSWER, ["10 mx.other.net."])),
                                     quiet(TXT=answer(DOMAIN, "TXT", TIMEOUT, aa=False))])
    assert proof.status == mailfree.CARRIES and proof.gaps


def test_a_name_server_without_an_address_or_no_server_at_all_is_a_gap():
    assert mailfree.decide(DOMAIN, [quiet()], unresolved=["ns2.gone.net."]).gaps == ("ns2.gone.net: no address found",)
    assert mailfree.decide(DOMAIN, []).status == mailfree.UNKNOWN


def test_not_delegated_is_proof_and_a_walk_without_answers_is_not():
    gone = mailfree.decide(DOMAIN, [], walk_error="dk. says old-brand.dk. does not exist (NXDOMAIN)", not_delegated=True)
    assert gone.status == mailfree.PROVEN and "NXDOMAIN" in gone.detail
    lost = mailfree.decide(DOMAIN, [], walk_error="no server of dk. answered")
    assert lost.status == mailfree.UNKNOWN and lost.gaps == ("no server of dk. answered",)
