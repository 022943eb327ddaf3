"""The delegation walk: its decisions on hand-made answers, and its loop against a fake querier.

The lab tests cover the same walk against real Knot and Unbound; these pin
down each decision on its own (referral or not, lame, which cut and server
to ask, when the walk is done or has failed, what an address answer adds).
"""

from __future__ import annotations

import asyncio

import pytest

from migrate.endpoint import Endpoint
from migrate.verify import delegation as W
from migrate.verify.delegation import Addresses, Cut
from migrate.verify.evidence import ANSWER, CNAME, INTERCEPTED, NODATA, NXDOMAIN, REFERRAL, TIMEOUT, Answer
from migrate.zone import RRset

D = "example.dk."
ROOT, DK, NET = "192.0.2.1", "192.0.2.10", "192.0.2.20"


def ep(ip: str) -> Endpoint:
    return Endpoint(ip, 53)


def answer(server: str, qname: str, qtype: str, outcome: str, *, answer=(), authority=(), additional=(), aa=False,
           error=None) -> Answer:
    return Answer(server=server, qname=qname, qtype=qtype, rd=False, outcome=outcome, aa=aa, answer=tuple(answer),
                  authority=tuple(authority), additional=tuple(additional), error=error)


def referral(server: str, qname: str, qtype: str, zone: str, ns: list[str], glue: dict[str, str] | None = None) -> Answer:
    glued = [RRset.build(name, "A", 172800, [ip]) for name, ip in (glue or {}).items()]
    return answer(server, qname, qtype, REFERRAL, authority=[RRset.build(zone, "NS", 172800, ns)], additional=glued)


def address(server: str, name: str, ip: str) -> Answer:
    return answer(server, name, "A", ANSWER, answer=[RRset.build(name, "A", 300, [ip])], aa=True)


def nodata(server: str, name: str, qtype: str) -> Answer:
    return answer(server, name, qtype, NODATA, aa=True)


def timeout(server: str, qname: str, qtype: str) -> Answer:
    return answer(server, qname, qtype, TIMEOUT, error="timed out after 3s over UDP")


ROOT_TO_DK = referral(ROOT, D, "NS", "dk.", ["a.nic.dk."], {"a.nic.dk.": DK})
DK_TO_DOMAIN = referral(DK, D, "NS", D, ["ns2.newhost.net.", "ns1.newhost.net."])


def root_cut() -> Cut:
    return Cut(".", {W.ROOT_HINTS: [ep(ROOT)]})


def dk_cut() -> Cut:
    return Cut("dk.", {"a.nic.dk.": [ep(DK)]}, 172800)


# -- what a referral says ----------------------------------------------------------


def test_a_referral_names_its_zone_servers_ttl_and_glue_for_those_servers_only():
    with_stray = referral(ROOT, D, "NS", "dk.", ["b.nic.dk.", "a.nic.dk."], {"a.nic.dk.": DK, "elsewhere.net.": "192.0.2.99"})
    cut = W.referred_cut(with_stray)
    assert cut.zone == "dk." and cut.ns_ttl == 172800
    assert cut.servers == {"a.nic.dk.": [ep(DK)], "b.nic.dk.": []}
    assert W.glue(with_stray) == {"a.nic.dk.": [DK], "elsewhere.net.": ["192.0.2.99"]}


def test_a_referral_without_an_ns_set_names_no_zone():
    assert W.referred_cut(answer(ROOT, D, "NS", REFERRAL)).zone == ""


@pytest.mark.parametrize(
    "cut, given, down",
    [
        (root_cut(), ROOT_TO_DK, True),
        (dk_cut(), DK_TO_DOMAIN, True),
        (dk_cut(), referral(DK, D, "NS", ".", ["a.root-servers.net."]), False),  # upwards
        (dk_cut(), referral(DK, D, "NS", "se.", ["a.ns.se."]), False),  # sideways
        (dk_cut(), referral(DK, D, "NS", "dk.", ["a.nic.dk."]), False),  # to itself: would loop
        (dk_cut(), answer(DK, D, "NS", REFERRAL), False),  # no NS set
        (dk_cut(), nodata(DK, D, "NS"), False),  # not a referral
        (dk_cut(), None, False),  # no answer
    ],
)
def test_only_a_referral_to_a_zone_below_the_cut_leads_down(cut, given, down):
    assert W.leads_down(cut, given) is down
    assert W.lookup_step(cut, given).kind == (W.FOLLOW if down else W.DONE)


# -- which cut and which server to ask ----------------------------------------------------


def test_the_closest_cut_is_the_deepest_known_one_with_addresses():
    glueless = Cut(D, {"ns1.newhost.net.": []})
    cuts = {".": root_cut(), "dk.": dk_cut(), D: glueless}
    assert W.closest_cut(cuts, f"www.{D}") is cuts["dk."]  # the domain's cut has no address to ask
    assert W.closest_cut(cuts, "example.se.") is cuts["."]
    assert W.closest_cut(cuts, "www.EXAMPLE.dk.") is cuts["dk."]


def test_the_search_for_the_parent_starts_above_the_domains_own_cut():
    cuts = {".": root_cut(), "dk.": dk_cut(), D: Cut(D, {"ns1.newhost.net.": [ep("192.0.2.53")]})}
    assert W.closest_cut(cuts, D) is cuts[D]
    assert W.parent_search_start(cuts, D) is cuts["dk."]


def test_a_referral_to_a_known_cut_reuses_it_else_takes_the_referrals_own():
    known = dk_cut()
    assert W.next_cut({".": root_cut(), "dk.": known}, ROOT_TO_DK) is known
    unresolved = Cut("dk.", {"a.nic.dk.": []})
    fresh = W.next_cut({".": root_cut(), "dk.": unresolved}, ROOT_TO_DK)
    assert fresh is not unresolved and fresh.servers == {"a.nic.dk.": [ep(DK)]}


def test_glueless_servers_are_resolved_unless_the_lookups_nest_too_deep():
    glueless = W.referred_cut(DK_TO_DOMAIN)
    assert W.needs_server_addresses(glueless, 0)
    assert not W.needs_server_addresses(glueless, W.MAX_DEPTH)
    assert not W.needs_server_addresses(dk_cut(), 0)


def test_servers_that_timed_out_are_asked_last_and_once_when_all_have():
    a, b, c = ep("192.0.2.1"), ep("192.0.2.2"), ep("192.0.2.3")
    assert W.ask_order([a, b, c], set()) == [a, b, c]
    assert W.ask_order([a, b, c], {a}) == [b, c, a]
    assert W.ask_order([a, b], {a, b}) == [a]
    assert W.ask_order([], set()) == []


# -- when the walk to the parent is done or has failed ----------------------------------------


def test_the_parent_is_the_cut_that_refers_the_domain_itself():
    assert W.parent_step(dk_cut(), D, DK_TO_DOMAIN) == W.Step(W.DONE)


def test_a_referral_further_down_is_followed():
    assert W.parent_step(root_cut(), D, ROOT_TO_DK) == W.Step(W.FOLLOW)


def test_a_server_holding_parent_and_child_answers_with_authority_and_is_the_parent():
    held = answer(DK, D, "NS", ANSWER, answer=[RRset.build(D, "NS", 3600, ["ns1.newhost.net."])], aa=True)
    assert W.parent_step(dk_cut(), D, held) == W.Step(W.DONE)


def test_a_lame_referral_ends_the_walk_as_a_failure_not_an_unknown():
    step = W.parent_step(dk_cut(), D, referral(DK, D, "NS", ".", ["a.root-servers.net."]))
    assert step.kind == W.FAILED and not step.unknown
    assert step.error == f"{DK} (dk.) gave a bad referral to ."


def test_nxdomain_and_no_delegation_are_definite_failures():
    gone = W.parent_step(dk_cut(), D, answer(DK, D, "NS", NXDOMAIN, aa=True))
    assert gone.kind == W.FAILED and not gone.unknown and "does not exist (NXDOMAIN)" in gone.error
    empty = W.parent_step(dk_cut(), D, nodata(DK, D, "NS"))
    assert empty.kind == W.FAILED and not empty.unknown
    assert empty.error == f"dk. holds no delegation for {D} (nodata from {DK})"


def test_no_answer_with_evidence_is_an_unknown_failure_naming_why():
    silent = W.parent_step(dk_cut(), D, timeout(DK, D, "NS"))
    assert silent == W.Step(W.FAILED, f"no server of dk. answered for {D} NS ({DK}: timed out after 3s over UDP)", unknown=True)
    nobody = W.parent_step(dk_cut(), D, None)
    assert nobody == W.Step(W.FAILED, f"no server of dk. answered for {D} NS", unknown=True)


# -- what an address answer adds -------------------------------------------------------------


def test_address_answers_add_addresses_aliases_and_failures():
    host = "ns1.newhost.net."
    found = Addresses(host)
    assert W.note_address_answer(found, host, "A", address(NET, host, "192.0.2.53")) is None
    assert W.note_address_answer(found, host, "AAAA", nodata(NET, host, "AAAA")) is None
    assert found.addresses == ["192.0.2.53"] and len(found.answers) == 2 and found.error is None

    alias = answer(NET, host, "A", CNAME, answer=[RRset.build(host, "CNAME", 300, ["real.newhost.net."])], aa=True)
    assert W.note_address_answer(Addresses(host), host, "A", alias) == "real.newhost.net."

    missing = Addresses(host)
    W.note_address_answer(missing, host, "A", answer(NET, host, "A", NXDOMAIN, aa=True))
    assert missing.error == f"{host} does not exist (NXDOMAIN)" and not missing.unknown

    silent = Addresses(host)
    W.note_address_answer(silent, host, "A", timeout(NET, host, "A"))
    assert silent.unknown and silent.error == f"{NET} gave timeout for {host} A"
    W.note_address_answer(silent, host, "AAAA", None)
    assert silent.unknown and silent.error == f"no server answered for {host} AAAA" and len(silent.answers) == 1


def test_an_alias_is_followed_only_while_the_host_has_no_address_and_the_first_is_noted():
    found = Addresses("mx.example.net.")
    assert W.alias_to_follow(found, None) is None
    assert W.alias_to_follow(found, "a.example.net.") == "a.example.net."
    assert W.alias_to_follow(found, "b.example.net.") == "b.example.net."
    assert found.cname == "a.example.net."
    found.addresses.append("192.0.2.25")
    assert W.alias_to_follow(found, "c.example.net.") is None


def test_any_address_found_outweighs_failures_on_the_way():
    found = Addresses("ns1.newhost.net.", ["192.0.2.53"], error="192.0.2.20 gave timeout", unknown=True)
    assert W.settle(found) == Addresses("ns1.newhost.net.", ["192.0.2.53"])
    assert W.settle(Addresses("x.example.net.")).error == "x.example.net. has no A or AAAA record"
    still = W.settle(Addresses("x.example.net.", error="no server answered", unknown=True))
    assert still.unknown and still.error == "no server answered"


def test_a_parent_servers_addresses_are_its_glue_and_what_iteration_found_once_each():
    merged = W.merged_addresses([ep("192.0.2.11"), ep("192.0.2.10")], ["192.0.2.12", "192.0.2.10"])
    assert merged == [ep("192.0.2.10"), ep("192.0.2.11"), ep("192.0.2.12")]


# -- the loop, against a fake querier ---------------------------------------------------------


class FakeQuerier:
    """Answers from a table keyed by (address, name, type); anything not in it times out."""

    def __init__(self, *answers: Answer) -> None:
        self.table = {(a.server, a.qname, a.qtype): a for a in answers}
        self.asked: list[tuple[str, str, str]] = []

    async def ask(self, server: Endpoint, qname: str, qtype: str, *, dnssec: bool = False) -> Answer:
        self.asked.append((server.host, qname, qtype))
        return self.table.get((str(server), qname, qtype)) or timeout(str(server), qname, qtype)


def walker(querier: FakeQuerier, *hints: str) -> W.Walker:
    return W.Walker(querier, [ep(ip) for ip in hints or (ROOT,)])


def test_the_walk_follows_glue_to_the_zone_that_refers_the_domain():
    querier = FakeQuerier(ROOT_TO_DK, DK_TO_DOMAIN)
    walk = asyncio.run(walker(querier).find_parent(D))
    assert walk.error is None and walk.parent.zone == "dk."
    assert walk.parent.servers == {"a.nic.dk.": [ep(DK)]}
    assert walk.referral is DK_TO_DOMAIN and walk.steps == [ROOT_TO_DK, DK_TO_DOMAIN]


def test_a_glueless_parent_has_its_server_names_resolved_from_the_root():
    ns = "ns.dk-servers.net."
    querier = FakeQuerier(
        referral(ROOT, D, "NS", "dk.", [ns]),
        referral(ROOT, ns, "A", "net.", ["a.gtld.net."], {"a.gtld.net.": NET}),
        referral(ROOT, ns, "AAAA", "net.", ["a.gtld.net."], {"a.gtld.net.": NET}),
        address(NET, ns, DK),
        nodata(NET, ns, "AAAA"),
        DK_TO_DOMAIN,
    )
    w = walker(querier)
    walk = asyncio.run(w.find_parent(D))
    assert walk.error is None and walk.parent.servers == {ns: [ep(DK)]}
    servers = asyncio.run(w.parent_servers(walk))
    assert servers == {ns: [ep(DK)]}


def test_mutually_glueless_servers_end_as_unknown_instead_of_looping():
    a, b = "ns.a.test.", "ns.b.test."
    querier = FakeQuerier(
        *(referral(ROOT, name, t, "test.", ["ns.test."], {"ns.test.": "192.0.2.30"}) for name in (a, b) for t in ("A", "AAAA")),
        *(referral("192.0.2.30", b, t, "b.test.", [a]) for t in ("A", "AAAA")),
        *(referral("192.0.2.30", a, t, "a.test.", [b]) for t in ("A", "AAAA")),
    )
    found = asyncio.run(walker(querier).addresses(b))
    assert not found.resolved and found.unknown
    assert len(querier.asked) == len(set(querier.asked))  # no question twice: the loop was cut, not run out


def test_a_lame_referral_at_the_parent_is_a_failed_walk():
    querier = FakeQuerier(ROOT_TO_DK, referral(DK, D, "NS", ".", ["a.root-servers.net."]))
    walk = asyncio.run(walker(querier).find_parent(D))
    assert walk.parent is None and not walk.unknown
    assert walk.error == f"{DK} (dk.) gave a bad referral to ."


def test_a_silent_server_is_asked_last_from_then_on_and_silence_everywhere_is_unknown():
    querier = FakeQuerier(nodata("192.0.2.2", D, "NS"), nodata("192.0.2.2", "example.se.", "NS"))
    w = walker(querier, "192.0.2.1", "192.0.2.2")
    asyncio.run(w.lookup(D, "NS"))
    asyncio.run(w.lookup("example.se.", "NS"))
    assert [(ip, name) for ip, name, _ in querier.asked] == [
        ("192.0.2.1", D), ("192.0.2.2", D), ("192.0.2.2", "example.se."),
    ]

    walk = asyncio.run(walker(FakeQuerier()).find_parent(D))
    assert walk.unknown and walk.parent is None
    assert walk.error == f"no server of . answered for {D} NS ({ROOT}: timed out after 3s over UDP)"


def test_a_host_that_is_an_alias_gets_its_targets_addresses_and_notes_the_alias():
    host, real = "mx.example.net.", "mail.example.net."
    alias = [RRset.build(host, "CNAME", 300, [real])]
    querier = FakeQuerier(
        answer(ROOT, host, "A", CNAME, answer=alias, aa=True),
        answer(ROOT, host, "AAAA", CNAME, answer=alias, aa=True),
        address(ROOT, real, "192.0.2.25"),
        nodata(ROOT, real, "AAAA"),
    )
    found = asyncio.run(walker(querier).addresses(host))
    assert found.addresses == ["192.0.2.25"] and found.cname == real and found.error is None


# -- answers that are not from the servers asked ---------------------------------------------


@pytest.mark.parametrize(
    "given, fits",
    [
        (ROOT_TO_DK, True),  # a referral: no AA
        (answer(DK, D, "NS", NXDOMAIN, aa=True), True),
        (nodata(DK, D, "NS"), True),
        (answer(DK, D, "NS", NXDOMAIN), False),  # a hotel network's "does not exist"
        (answer(DK, D, "NS", NODATA), False),
        (answer(DK, D, "NS", ANSWER, answer=[RRset.build(D, "NS", 300, ["ns1.newhost.net."])]), False),  # a cache's copy
    ],
)
def test_only_replies_with_the_flags_of_what_they_claim_are_from_the_server(given, fits):
    assert W.from_the_server(given) is fits
    heard = W.as_heard(dk_cut(), given)
    if fits:
        assert heard is given
    else:
        assert heard.outcome == INTERCEPTED and not heard.ok
        assert heard.error.startswith("DNS answers here are not from the servers asked (intercepted?): ")
        assert f"{DK}, asked as a server of dk., answered {D} NS with {given.outcome} without the AA flag" in heard.error


def test_no_evidence_stays_as_it_was():
    silent = timeout(DK, D, "NS")
    assert W.as_heard(dk_cut(), silent) is silent


def test_an_nxdomain_without_aa_is_an_unknown_walk_not_an_unregistered_domain():
    step = W.parent_step(dk_cut(), D, W.as_heard(dk_cut(), answer(DK, D, "NS", NXDOMAIN)))
    assert step.kind == W.FAILED and step.unknown
    assert step.error.startswith(W.NOT_FROM_THE_SERVERS) and "not registered" not in step.error


def test_an_address_answer_without_aa_adds_nothing_and_says_why():
    host = "ns1.newhost.net."
    found = Addresses(host)
    heard = W.as_heard(root_cut(), answer(ROOT, host, "A", NXDOMAIN))
    assert "asked as a root server" in heard.error
    assert W.note_address_answer(found, host, "A", heard) is None
    assert not found.addresses and found.unknown and found.error == heard.error


def test_the_walk_asks_the_next_server_past_an_interceptor_and_is_unknown_when_all_are():
    second = "192.0.2.11"
    two_dk = referral(ROOT, D, "NS", "dk.", ["a.nic.dk.", "b.nic.dk."], {"a.nic.dk.": DK, "b.nic.dk.": second})
    intercepted = answer(DK, D, "NS", NXDOMAIN)
    walk = asyncio.run(walker(FakeQuerier(two_dk, intercepted, referral(second, D, "NS", D, ["ns1.newhost.net."]))).find_parent(D))
    assert walk.parent is not None and walk.parent.zone == "dk." and walk.error is None

    walk = asyncio.run(walker(FakeQuerier(ROOT_TO_DK, intercepted)).find_parent(D))
    assert walk.parent is None and walk.unknown
    assert walk.error.startswith(W.NOT_FROM_THE_SERVERS) and "not registered" not in walk.error
