"""The verifier's pure checks on servers that contradict themselves (hand-made observations):
worlds the lab cannot easily build."""

from __future__ import annotations

from migrate.verify import checks as C
from tests.helpers.verify_evidence import D, NEW, ans, desired, evidence, rr, server


def test_a_server_whose_tcp_path_serves_another_serial_is_unknown():
    """UDP and TCP reach different back ends (a load balancer, an anycast node). Resolvers use TCP
    for every truncated answer, but records are compared over UDP: that back end's data is unknown."""
    zone = desired()
    stale = server(NEW[1], "192.0.2.2", zone)
    stale.soa_tcp = ans(D, "SOA", answer=[rr(D, "SOA", [f"{NEW[1]} hostmaster.{D} 6 3600 600 86400 60"])], server="192.0.2.2", tcp=True)
    ev = evidence(servers=[server(NEW[0], "192.0.2.1", zone), stale])
    found = C.all_checks(ev)
    serial = [c for c in found if c.id == "auth.soa-serial"]
    assert [c.status for c in serial] == ["unknown"]
    assert serial[0].observed["ns2.newhost.net (192.0.2.2) over TCP"] == 6
    assert "ns2.newhost.net (192.0.2.2) (7 over UDP, 6 over TCP)" in serial[0].detail
    assert not C.authoritative_ok(found)


def test_a_record_answered_without_authority_is_not_a_match():
    """The server is authoritative for the SOA but answers one record from a cache (AA=0):
    that data is not the zone's, so it cannot prove the record is published."""
    zone = desired()
    odd = server(NEW[1], "192.0.2.2", zone)
    www = zone.get(f"www.{D}", "A")
    odd.records[www.key] = ans(www.name, "A", answer=[www], server="192.0.2.2", aa=False)
    ev = evidence(servers=[server(NEW[0], "192.0.2.1", zone), odd])
    found = C.all_checks(ev)
    cells = [c for c in found if c.subject == f"www.{D} A" and c.server.endswith("(192.0.2.2)")]
    assert [c.status for c in cells] == ["fail"] and "authority" in cells[0].detail
    assert not C.authoritative_ok(found)
