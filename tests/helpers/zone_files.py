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
