"""The demo's company: Fjordbageriet ApS, a bakery in Roskilde on Microsoft 365.

Plain data and the functions that turn it into files: the zone Microsoft's
name servers serve today (the whole Microsoft 365 footprint beside the
records that must survive), the admin center's user export, the facts file
the admin writes instead of Graph, and the spec. Every TTL is a few seconds
so the lab's resolvers forget the old state while the demo watches.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import yaml

from migrate import names
from migrate.lab.model import WorldSpec
from migrate.lab.scenario import BDM_NAMESERVERS, NEW_NAMESERVERS, cutover_spec
from migrate.zone import RRset, Zone

DOMAIN = "fjordbageriet.dk."
COMPANY = "Fjordbageriet ApS"
TENANT = "fjordbageriet"
TIMEZONE = "Europe/Copenhagen"
PROVIDER = "simply"  # Simply.com, a Danish mail host: a preset that needs no account-specific values

# Every record, old and new, and everything the lab derives (SOA, delegation NS,
# glue) lives 4 s: caches that hold the old MX forget it within seconds.
OLD_TTL = 4
LAB_TTL = 4
NEW_TTL = 4

# The announcement goes out today; the spec's cutover is 15 days away at 07:00,
# so the notice the gate requires (14 days, its default) is really given.
CUTOVER_DAYS = 15
CUTOVER_TIME = time(7, 0)
NOTICE_DAYS = 14
MIN_SOAK = "10s"

_LABEL = DOMAIN.rstrip(".").replace(".", "-")

# (owner, type, values): how the zone looks after years on Microsoft 365.
OLD_RECORDS: list[tuple[str, str, list[str]]] = [
    ("@", "NS", list(BDM_NAMESERVERS)),
    ("@", "MX", [f"0 {_LABEL}.mail.protection.outlook.com."]),
    ("@", "TXT", ['"MS=ms73920514"', '"v=spf1 include:spf.protection.outlook.com -all"']),
    ("@", "A", ["203.0.113.40"]),
    ("@", "CAA", ['0 issue "letsencrypt.org"']),
    ("www", "CNAME", [DOMAIN]),
    ("shop", "A", ["203.0.113.41"]),
    ("vpn", "A", ["198.51.100.7"]),
    ("_dmarc", "TXT", [f'"v=DMARC1; p=none; rua=mailto:dmarc@{DOMAIN.rstrip(".")}"']),
    ("autodiscover", "CNAME", ["autodiscover.outlook.com."]),
    ("selector1._domainkey", "CNAME", [f"selector1-{_LABEL}._domainkey.{TENANT}.onmicrosoft.com."]),
    ("selector2._domainkey", "CNAME", [f"selector2-{_LABEL}._domainkey.{TENANT}.onmicrosoft.com."]),
    ("sip", "CNAME", ["sipdir.online.lync.com."]),
    ("lyncdiscover", "CNAME", ["webdir.online.lync.com."]),
    ("_sip._tls", "SRV", ["100 1 443 sipdir.online.lync.com."]),
    ("_sipfederationtls._tcp", "SRV", ["100 1 5061 sipfed.online.lync.com."]),
    ("enterpriseregistration", "CNAME", ["enterpriseregistration.windows.net."]),
    ("enterpriseenrollment", "CNAME", ["enterpriseenrollment.manage.microsoft.com."]),
]

# The new provider's SPF include must be readable, or the verifier cannot count SPF lookups.
# The admin center's "Active users" export, as it comes (BOM, comma-separated, '+' between licences).
USERS_CSV = (
    "\ufeffBlock credential,City,Country/Region,Department,Display name,First name,Last name,Licenses,"
    "Preferred language,Proxy addresses,Title,Usage location,User principal name\r\n"
    "False,Roskilde,Denmark,Ledelse,Karen Fjord,Karen,Fjord,Microsoft 365 Business Standard,da-DK,"
    "SMTP:karen@fjordbageriet.dk+smtp:karen@fjordbageriet.onmicrosoft.com,Indehaver,DK,karen@fjordbageriet.dk\r\n"
    "False,Roskilde,Denmark,Bageriet,Mads Kjær,Mads,Kjær,Microsoft 365 Business Basic,da-DK,"
    "SMTP:mads@fjordbageriet.dk,Bagermester,DK,mads@fjordbageriet.dk\r\n"
    "False,Roskilde,Denmark,Butikken,Sofie Ærenlund,Sofie,Ærenlund,Microsoft 365 Business Basic,,"
    "SMTP:sofie@fjordbageriet.dk,Butiksleder,DK,sofie@fjordbageriet.dk\r\n"
    "False,Roskilde,Denmark,Økonomi,Henrik Bøgh,Henrik,Bøgh,Microsoft 365 Business Standard,da-DK,"
    "SMTP:henrik@fjordbageriet.dk,Bogholder,DK,henrik@fjordbageriet.dk\r\n"
    "False,Roskilde,Denmark,Salg,Olivia Hart,Olivia,Hart,Microsoft 365 Business Standard,en-GB,"
    "SMTP:olivia@fjordbageriet.dk,Cafe sales,GB,olivia@fjordbageriet.dk\r\n"
    "False,Roskilde,Denmark,Bageriet,Jonas Østergård,Jonas,Østergård,Microsoft 365 Business Basic,da-DK,"
    "SMTP:jonas@fjordbageriet.dk,Bager,DK,jonas@fjordbageriet.dk\r\n"
    "False,Roskilde,Denmark,Butikken,Bestillinger,,,Unlicensed,,"
    "SMTP:bestil@fjordbageriet.dk,,DK,bestil@fjordbageriet.dk\r\n"
    "True,Roskilde,Denmark,Bageriet,Lars Holm,Lars,Holm,Microsoft 365 Business Basic,da-DK,"
    "SMTP:lars@fjordbageriet.dk,Bager (fratrådt),DK,lars@fjordbageriet.dk\r\n"
)

SUBSCRIPTIONS = [
    {"product": "Microsoft 365 Business Standard", "licences": 3},
    {"product": "Microsoft 365 Business Basic", "licences": 5},
]
ATTESTED_BY = "Karen Fjord"


def old_zone() -> Zone:
    """The zone Microsoft's ns1-4.bdm.microsoftonline.com serve today."""
    return Zone(
        DOMAIN,
        [RRset.build(names.owner(owner, DOMAIN), rdtype, OLD_TTL, values) for owner, rdtype, values in OLD_RECORDS],
    )


def cutover(now: datetime) -> datetime:
    """07:00 Copenhagen time, CUTOVER_DAYS days after today: at least 14 days and 7 hours away."""
    tz = ZoneInfo(TIMEZONE)
    day: date = now.astimezone(tz).date() + timedelta(days=CUTOVER_DAYS)
    return datetime.combine(day, CUTOVER_TIME, tzinfo=tz)


def world_spec(desired: Zone) -> tuple[WorldSpec, dict]:
    """The lab: Microsoft's servers with the old zone; the new host with an empty zone
    (the demo fills it through RFC 2136); the hosts both zones point at."""
    return cutover_spec(DOMAIN, old_zone(), desired, old_nameservers=BDM_NAMESERVERS, new_nameservers=NEW_NAMESERVERS,
                        resolvers=2, ttl=LAB_TTL)


def spec_data(*, cutover_at: datetime, rfc2136_server: str, tsig_name: str, secret_env: str,
              root_hints: list[str], resolvers: list[str], smtp_port: int) -> dict:
    """migration.yaml for the demo: the real schema, pointing at lab addresses."""
    domain = DOMAIN.rstrip(".")
    return {
        "version": 1,
        "domain": domain,
        "cutover": cutover_at.isoformat(),
        "timezone": TIMEZONE,
        "source": {"provider": "microsoft365", "tenant": TENANT, "nameservers": [n.rstrip(".") for n in BDM_NAMESERVERS]},
        "mail": {"provider": PROVIDER, "dmarc": f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}"},
        "dns": {
            "host": "rfc2136",
            "nameservers": [n.rstrip(".") for n in NEW_NAMESERVERS],
            "zone_file": f"zones/{domain}.zone",
            "default_ttl": NEW_TTL,
            "rfc2136": {"server": rfc2136_server, "key_name": tsig_name, "secret_env": secret_env, "timeout": 5},
        },
        "notify": {
            "language": "da",
            "from": f"Fjordbageriet IT <it@{domain}>",
            "recipients": "users.csv",
            "help_desk": f"it@{domain}, tlf. 46 35 12 12",
            "save_to": "Dropbox, i mappen Fjordbageriet",
            "announce_days": NOTICE_DAYS,
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "starttls": False, "timeout": 10,
                     "rate_per_minute": 6000, "retries": 1, "retry_delay": "1s"},
        },
        "verify": {
            "resolvers": resolvers,
            "root_hints": root_hints,
            "timeout": "1s",
            "retries": 1,
            "resolver_rate": 200,
            "server_rate": 500,
            "parent_rate": 500,  # the lab's root and TLDs are ours: no need to be polite to them
            # --watch waits for a round's ETA, at most this long: longer than the lab's TTLs,
            # so the rounds follow the caches' ETA instead of polling every second
            "interval": "10s",
        },
        "gate": {
            "min_soak": MIN_SOAK,
            "notice_days": NOTICE_DAYS,
            "require": ["dns", "notice", "licences", "domain_removed", "data_saved", "tenant"],
            "facts": "facts.yaml",
        },
    }


def spec_text(data: dict) -> str:
    header = (
        f"# {COMPANY} leaves Microsoft 365 for Simply.com; DNS moves to a server that takes RFC 2136 updates.\n"
        "# Written by `migrate demo`: the addresses are the lab's, on loopback.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def facts_text(now: datetime, *, domain_removed: bool, references: list[str] = ()) -> str:
    """gate.facts as the admin writes it after reading the admin center (no Graph in the demo)."""
    data = {
        "version": 1,
        "as_of": now.astimezone(ZoneInfo(TIMEZONE)).replace(microsecond=0).isoformat(),
        "recorded_by": ATTESTED_BY,
        "subscriptions": [dict(s) for s in SUBSCRIPTIONS],
        "domain_removed": domain_removed,
        "domain_references": list(references),
        # Settings > Domains: the bakery has no other domain; the tenant's own goes with the tenant.
        "domains": [f"{TENANT}.onmicrosoft.com", *([] if domain_removed else [DOMAIN.rstrip(".")])],
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
