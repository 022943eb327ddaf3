"""Hand-made observations for the verifier's pure checks: a desired zone for
example.dk., servers and parents that answer it, and the Evidence they make.

Each builder gives the "everything right" case; a test changes one thing.
"""

from __future__ import annotations

from datetime import datetime, timezone

from migrate.verify import checks as C
from migrate.verify.delegation import Addresses, Cut, Walk
from migrate.verify.evidence import Answer
from migrate.zone import RRset, Zone, txt_rdata_text

D = "example.dk."
NOW = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)
NEW = ["ns1.newhost.net.", "ns2.newhost.net."]
OLD = ["ns1.bdm.microsoftonline.com.", "ns2.bdm.microsoftonline.com."]


def rr(name, rdtype, values, ttl=300):
    return RRset.build(name, rdtype, ttl, values)


def ans(qname, qtype, outcome="answer", answer=(), authority=(), additional=(), aa=True, server="192.0.2.1", **kw):
    return Answer(server=server, qname=qname, qtype=qtype, rd=False, outcome=outcome, rcode=kw.pop("rcode", "NOERROR"),
                  aa=aa, answer=tuple(answer), authority=tuple(authority), additional=tuple(additional), at=NOW, **kw)


def desired() -> Zone:
    return Zone(D, [
        rr(D, "NS", NEW),
        rr(D, "MX", ["10 mx1.mailhost.net."]),
        rr(D, "TXT", [txt_rdata_text("v=spf1 include:_spf.mailhost.net -all")]),
        rr(f"_dmarc.{D}", "TXT", [txt_rdata_text("v=DMARC1; p=quarantine")]),
        rr(f"www.{D}", "A", ["192.0.2.80"]),
    ])


def server(name, address, zone: Zone, serial=7, **override) -> C.ServerView:
    view = C.ServerView(name=name, address=address)
    soa = rr(D, "SOA", [f"{name} hostmaster.{D} {serial} 3600 600 86400 60"])
    view.soa = ans(D, "SOA", answer=[soa], server=address)
    view.soa_tcp = ans(D, "SOA", answer=[soa], server=address, tcp=True)
    view.ns = ans(D, "NS", answer=[zone.get(D, "NS")], server=address)
    view.dnskey = ans(D, "DNSKEY", outcome="nodata", server=address)
    for r in C.compared(zone, D):
        view.records[r.key] = ans(r.name, r.rdtype, answer=[r], server=address)
    for key, value in override.items():
        setattr(view, key, value)
    return view


def parent(address, ns=NEW, ds=None) -> C.ParentView:
    referral = ans(D, "NS", outcome="referral", aa=False, authority=[rr(D, "NS", ns, 7200)], server=address)
    ds_answer = ans(D, "DS", answer=[rr(D, "DS", ds, 3600)], server=address) if ds else ans(D, "DS", outcome="nodata", server=address)
    return C.ParentView("a.nic.dk.", address, referral, ds_answer)


def evidence(**kw) -> C.Evidence:
    zone = kw.pop("zone", desired())
    ev = C.Evidence(domain=D, now=NOW, desired=zone, expected_ns=NEW, old_ns=OLD)
    ev.walk = Walk(D, parent=Cut("dk.", {"a.nic.dk.": []}))
    ev.parents = [parent("192.0.2.53")]
    ev.hosts = {n: Addresses(n, [f"192.0.2.{i}"]) for i, n in enumerate(NEW, 1)}
    ev.hosts["mx1.mailhost.net."] = Addresses("mx1.mailhost.net.", ["192.0.2.25"])
    ev.servers = [server(n, f"192.0.2.{i}", zone) for i, n in enumerate(NEW, 1)]
    ev.spf_txt = {"_spf.mailhost.net.": ans("_spf.mailhost.net.", "TXT", answer=[rr("_spf.mailhost.net.", "TXT", [txt_rdata_text("v=spf1 ip4:192.0.2.0/24 -all")])])}
    for key, value in kw.items():
        setattr(ev, key, value)
    return ev


def statuses(checks, check_id):
    return [c.status for c in checks if c.id == check_id]
