"""Helpers for the gate tests: a spec on disk, a controlled clock, evidence that holds,
an announcement recorded in the notify ledger, a verify round in the journal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from migrate import spec as spec_module
from migrate.gate import sources as sources_module
from migrate.gate.evidence import DnsEvidence
from migrate.graph import GraphClient
from migrate.journal import Journal, Observation
from migrate.notify.ledger import Ledger

DOMAIN = "nordlys-tekstil.dk"
TIMEZONE = "Europe/Copenhagen"
TZ = ZoneInfo(TIMEZONE)  # the spec's: the gate's lines show times in it
CUTOVER = datetime(2027, 1, 15, 7, 0, tzinfo=timezone(timedelta(hours=1)))
NOW = datetime(2027, 1, 20, 12, 0, tzinfo=timezone.utc)
ALL = ["dns", "notice", "licences", "domain_removed", "data_saved"]
SENT_AT = CUTOVER - timedelta(days=20)  # the announcement, well before the notice deadline

USERS_CSV = (
    "\ufeffBlock credential,Display name,First name,Last name,Licenses,Preferred language,User principal name\r\n"
    "False,Anne Holm,Anne,Holm,Microsoft 365 Business Standard,da-DK,anne@nordlys-tekstil.dk\r\n"
    "False,Bo Ravn,Bo,Ravn,Microsoft 365 Business Standard,,bo@nordlys-tekstil.dk\r\n"
    "False,Printer,,,Unlicensed,,printer@nordlys-tekstil.dk\r\n"
)


def write_spec(folder: Path, *, graph: dict | None = None, require: list[str] | None = None, facts: dict | None = None, language: str = "da",
               domain: str = DOMAIN, name: str = "migration.yaml", parked: list[str] = ()) -> Path:
    """A spec in `folder` (as `name`), with the users export beside it and, given `facts`, the facts file."""
    (folder / "users.csv").write_text(USERS_CSV, encoding="utf-8")
    data = {
        "version": 1,
        "domain": domain,
        "cutover": CUTOVER.isoformat(),
        "timezone": TIMEZONE,
        "source": {"provider": "microsoft365", "tenant": "nordlystekstil"},
        "mail": {"provider": "custom", "name": "Nyt Mail", "mx": [{"priority": 10, "host": "mx1.example.net"}]},
        "dns": {"host": "cloudflare", "nameservers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]},
        "notify": {"language": language, "from": "IT <it@nordlys-tekstil.dk>", "recipients": "users.csv"},
        "gate": {"min_soak": "48h", "require": ALL if require is None else require, **({"parked": list(parked)} if parked else {})},
    }
    if graph is not None:
        data["source"]["graph"] = graph
    if facts is not None:
        (folder / "facts.yaml").write_text(yaml.safe_dump(facts, allow_unicode=True), encoding="utf-8")
        data["gate"]["facts"] = "facts.yaml"
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def load(path: Path):
    return spec_module.load(path)


def dns_evidence(first: datetime, latest: datetime, *, ttl: timedelta = timedelta(hours=1), status: str = "verified",
                 every: timedelta = timedelta(hours=1), now: datetime = NOW, **changes) -> DnsEvidence:
    """Journal evidence as `migrate.journal` builds it: rounds `every` apart, all fully seen, from `first` to `latest`.

    `safe_after` is `first` + `ttl` (the verifier's TTL-derived time for that run).
    """
    times = [first]
    while times[-1] + every < latest:
        times.append(times[-1] + every)
    if latest > first:
        times.append(latest)
    values = dict(
        domain=DOMAIN + ".", latest_status=status, latest_at=latest, latest_round=len(times), first_fully_seen=first,
        first_ever_fully_seen=first, held=True, safe_after=first + ttl, eta=None, digest="0" * 64,
        rounds=len(times), now=now, streak=tuple(times),
    )
    return DnsEvidence(**{**values, **changes})


def dns_holding(now: datetime = NOW) -> DnsEvidence:
    """Verified ten minutes ago, held (hourly rounds) since an hour after the cutover: soak long done."""
    return dns_evidence(CUTOVER + timedelta(hours=1), now - timedelta(minutes=10), now=now)


def sources_for(spec, state: Path, *, dns: DnsEvidence | None = None, sleeps: list | None = None):
    """The real sources (Graph or facts, gate.sqlite, notify ledger), with the dns evidence supplied."""
    sleeps = sleeps if sleeps is not None else []
    src = sources_module.default(spec, state, graph_factory=lambda s: GraphClient.from_spec(s, sleep=sleeps.append, timeout=5))
    src.dns = lambda: dns
    return src


def announce(state: Path, addresses=("anne@nordlys-tekstil.dk", "bo@nordlys-tekstil.dk"), at: datetime = SENT_AT) -> None:
    """The notify ledger under `state` records the announcement as delivered to `addresses` at `at`."""
    with Ledger.open(state) as ledger:
        for address in addresses:
            ledger.claim("announce", address, f"<{address}.announce@test>")
            ledger.sent("announce", address, at=at)


def mail_moved(state: Path, at: datetime) -> None:
    """The verify journal under `state` holds one round that saw the new state everywhere, with `at` as its
    safe time: from then on no cache could still deliver mail to Microsoft 365."""
    seen = at - timedelta(hours=1)
    observation = Observation("auth", {"server": "192.0.2.1", "qname": DOMAIN + ".", "qtype": "MX", "rd": False, "outcome": "answer",
                                       "rcode": "NOERROR", "aa": True, "truncated": False, "tcp": False,
                                       "answer": [{"name": DOMAIN + ".", "type": "MX", "ttl": 300, "values": ["10 mx1.example.net."]}],
                                       "authority": [], "additional": [], "at": seen.isoformat()})
    with Journal.open(state) as journal:
        journal.record_round(domain=DOMAIN + ".", started_at=seen, finished_at=seen, status="converging", authoritative_ok=True,
                             eta=at, safe_after=at, checks=[{"id": "timing.old-ttls", "status": "pending"}], observations=[observation])
