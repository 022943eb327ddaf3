"""What to do about each verify check that does not pass, by check id (the README's verify table, in short).

Verify's checks carry what was seen (`detail`), not what to do: the gate's
carry a `fix` of their own. The report shows the two side by side.
"""

from __future__ import annotations

_FIXES = {
    "delegation.parent": "register or delegate the domain; check verify.root_hints; when answers are intercepted, "
    "run verify from a network that lets port 53 through",
    "delegation.parent-ns": "change the name servers at the registrar to exactly dns.nameservers",
    "delegation.parent-consistent": "wait for, or chase, the registry's publication",
    "delegation.child-ns": "make the apex NS at the new host equal dns.nameservers (and the registrar's set)",
    "delegation.ns-address": "publish the name server's addresses",
    "delegation.ns-cname": "use the name server's canonical host name",
    "delegation.ns-count": "add a second name server",
    "delegation.glue": "update the glue at the registrar",
    "auth.lame": "load the zone on that server, or remove it from the NS set",
    "auth.unreachable": "check the server and the path to it (firewall, anycast)",
    "auth.tcp": "open TCP/53: truncated answers are retried over TCP",
    "auth.recursion": "turn recursion off on the authoritative server",
    "auth.soa-serial": "make the TCP back end serve the same zone as UDP",
    "record.mismatch": "correct the record at the new host (re-run `pulumi up`)",
    "record.missing": "add the record at the new host (re-run `pulumi up`)",
    "record.unknown": "see the auth.* checks of that server; re-run verify",
    "m365.residue": "delete the Microsoft 365 record at the new host",
    "m365.unknown": "re-run verify",
    "dnssec.ds": "re-run verify; check the parent's servers",
    "dnssec.ds-stale": "remove the DS at the registrar, or publish the new host's DS",
    "dnssec.signature": "fix signing at the new host, or publish the DS of the key that signs the key set",
    "dnssec.rrsig": "re-sign the zone at the new host before its signatures expire; check the signer's clock",
    "dnssec.denial": "re-sign the zone at the new host; regenerate a stale NSEC chain",
    "mail.mx": "configure mail in the spec",
    "mail.mx-target": "publish the MX target's A/AAAA, or fix the MX",
    "mail.mx-cname": "point the MX at the canonical host",
    "mail.spf": "merge SPF records; flatten includes",
    "mail.dmarc": "set mail.dmarc in the spec",
    "resolver.stale": "wait until its ETA (or flush that resolver's cache)",
    "resolver.deferred": "fix the authoritative failures first",
    "resolver.unreachable": "check the resolver, or drop it from verify.resolvers",
    "resolver.bogus": "fix the dnssec.* failures; the resolver forgets the failure after its bogus TTL",
    "timing.old-ttls": "wait until its ETA",
}


def fix(check_id: str) -> str:
    """What to do about a verify check that does not pass; "" for an id without one."""
    return _FIXES.get(check_id, "")
