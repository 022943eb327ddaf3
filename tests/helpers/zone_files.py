"""Zone files other people wrote (tests/data/zones, sources in its README) and
dnspython's own reading of them: the reference the import, the plan and the
Pulumi programs are held to, record by record, as canonical wire data."""

from __future__ import annotations

import re
from pathlib import Path

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone
import yaml

from migrate import spec as spec_module
from migrate.zone import RRset
from tests.helpers.examples import EXAMPLE, ROOT

ZONES = ROOT / "tests" / "data" / "zones"

# A zone of this project's own with what the strings of TXT-like records can
# be: DNS-SD key=value pairs (RFC 6763 §6), empty strings, two records that
# differ only in where one string ends, a DKIM key in two strings, an SPF in
# two strings the move keeps, RESINFO (RFC 9606), WALLET and AVC. No $TTL: the
# SOA minimum is the default (RFC 2308); records stating a TTL keep it.
STRINGS_DOMAIN = "example.dk."
STRINGS = """\
$ORIGIN example.dk.
@                   IN SOA     ns1.example.net. hostmaster.example.dk. 1 7200 3600 1209600 1800
_ipp._tcp           IN PTR     printer._ipp._tcp
printer._ipp._tcp   IN TXT     "txtvers=1" "rp=queue1" "note=2nd floor" "pdl=application/pdf,image/urf"
printer._ipp._tcp   IN SRV     0 0 631 printer
printer             IN A       192.0.2.31
empty               IN TXT     ""
empties             IN TXT     "" "a" ""
pair                IN TXT     "ab" "c"
pair                IN TXT     "a" "bc"
@           86400   IN NS      ns1.example.net.
@           86400   IN NS      ns2.example.net.
@           3600    IN MX      10 mx.example.net.
@           3600    IN TXT     "v=spf1 include:_spf.google.com" " ip4:192.0.2.0/24 -all"
@           3600    IN TXT     "v=verify1" "=" "token"
k1._domainkey 600   IN TXT     "v=DKIM1; k=rsa; " "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7"
resolver    300     IN RESINFO qnamemin exterr=15,16,17 infourl=https://resolver.example.dk/guide
wallet      300     IN WALLET  "BTC" "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
app         300     IN AVC     "app-name:WebEx|app-class:OAM|business=yes"
"""
# What Cloudflare cannot hold of it (the rest it can).
STRINGS_UNHELD = {("resolver.example.dk.", "RESINFO"), ("wallet.example.dk.", "WALLET"), ("app.example.dk.", "AVC")}

# (owner, type) → (TTL, canonical wire of each rdata)
Reference = dict[tuple[str, str], tuple[int, frozenset[bytes]]]


def dnspython_example() -> str:
    """dnspython's test zone for `example.`, moved to `example.test.`: a migration is of a
    registrable domain (two labels at least); every record stays as written."""
    text = (ZONES / "dnspython-example.zone").read_text()
    text = re.sub(r"\bexample\.(?=\s)", "example.test.", text)
    return re.sub(r"(?m)^example(?=\s)", "example.test", text)


def reference(text: str, origin: str) -> Reference:
    """The zone as dnspython reads it (RRSIGs of all covered types as one set, as the zone model keeps them)."""
    parsed = dns.zone.from_text(text, origin, relativize=False, check_origin=False)
    out: Reference = {}
    for name, rdataset in parsed.iterate_rdatasets():
        key = (name.to_text().lower(), dns.rdatatype.to_text(rdataset.rdtype))
        ttl, data = out.get(key, (rdataset.ttl, frozenset()))
        out[key] = (min(ttl, rdataset.ttl), data | {rdata.to_digestable(dns.name.root) for rdata in rdataset})
    return out


def wire(rdtype: str, rdatas) -> frozenset[bytes]:
    return frozenset(dns.rdata.from_text(dns.rdataclass.IN, rdtype, text).to_digestable(dns.name.root) for text in rdatas)


def as_reference(rrset: RRset) -> tuple[int, frozenset[bytes]]:
    return rrset.ttl, wire(rrset.rdtype, rrset.rdatas)


def written_by_the_move(domain: str) -> set[tuple[str, str]]:
    """The sets the example spec writes itself: the apex NS (dns.nameservers), the
    provider's MX, the apex TXT (its SPF and verification join the set), mail.dmarc, mail.dkim."""
    return {(domain, "NS"), (domain, "MX"), (domain, "TXT"), ("_dmarc." + domain, "TXT"), ("google._domainkey." + domain, "TXT")}


def assert_carried(result, ref: Reference) -> None:
    """Every record of the input is in the desired zone as dnspython read it (data and TTL),
    or listed as dropped with a reason, or is the SOA or a set the move writes itself."""
    dropped = {d.rrset.key: d for d in result.dropped}
    moved = written_by_the_move(result.spec.domain)
    for key, want in ref.items():
        if key in dropped:
            assert dropped[key].reason and as_reference(dropped[key].rrset) == want, key
        elif key[1] != "SOA" and key not in moved:
            got = result.desired.get(*key)
            assert got is not None and as_reference(got) == want, key


def spec_for(tmp_path: Path, text: str, domain: str, host: str = "cloudflare"):
    """The example spec moved to `domain`, with `text` as its zone file, no overrides, at `host`."""
    data = yaml.safe_load(EXAMPLE.read_text())
    (tmp_path / "current.zone").write_text(text)
    data["domain"] = domain
    data["dns"].update(zone_file="current.zone", records=[], host=host)
    if host == "rfc2136":
        data["dns"]["rfc2136"] = {"server": "192.0.2.53:5353", "key_name": "m365-exit-update"}
    data["notify"]["recipients"] = str(EXAMPLE.parent / data["notify"]["recipients"])
    data["gate"]["facts"] = str(EXAMPLE.parent / data["gate"]["facts"])
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return spec_module.load(path)
