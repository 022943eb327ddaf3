"""Helpers for the report tests: a known history written through the stores' own writers, and the page read back.

`write_history(state, spec)` records, for the gate helper's spec
(nordlys-tekstil.dk), three verify rounds an hour apart (before the
registrar change, resolvers still caching the old MX, verified), the
old host answering in each, a sent announce wave, a data-saved
attestation and a gate decision (require: dns): what `KNOWN` says the
timeline must show. `hostile=True` puts markup, line breaks and a bidi
override where outside text lands (a server name from DNS, a detail, an
attester's name and note).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from migrate.gate import run as gate_run
from migrate.gate import store
from migrate.journal import Journal, Observation
from migrate.notify.ledger import Ledger
from migrate.spec import Spec

NEW_NS = ["ada.ns.cloudflare.com.", "bob.ns.cloudflare.com."]
OLD_NS = ["ns1.bdm.microsoftonline.com.", "ns2.bdm.microsoftonline.com."]
PARENT = "a.nic.dk (192.0.2.53)"
ADA = "ada.ns.cloudflare.com (192.0.2.8)"
RESOLVER = "198.51.100.1"
OLD_ADDRESS = "192.0.2.4"
HOSTILE_SERVER = "<script>alert(1)</script>\u202e (192.0.2.66)"
HOSTILE_BY = "Mette\r\nUNLOCKED: <b>everything</b>\u202e"


@dataclass(frozen=True)
class Expected:
    """What the timeline of `write_history` shows: rows by group, and each row's transitions (before, after, round)."""

    rows: dict[str, list[str]]
    transitions: dict[str, list[tuple[str, str, int]]]


KNOWN = Expected(
    rows={"parent": [PARENT], "new host": [ADA], "old host": [f"ns1.bdm.microsoftonline.com ({OLD_ADDRESS})"], "resolver": [RESOLVER]},
    transitions={PARENT: [("old", "new", 2)], ADA: [], f"ns1.bdm.microsoftonline.com ({OLD_ADDRESS})": [],
                 RESOLVER: [("waiting", "old", 2), ("old", "new", 3)]},
)


def _check(check_id: str, status: str, server: str | None, subject: str, **extra) -> dict:
    return {"id": check_id, "status": status, "subject": subject, "server": server, "expected": extra.pop("expected", None),
            "observed": extra.pop("observed", None), "detail": extra.pop("detail", ""), "eta": extra.pop("eta", None)}


def _old_answer(at: datetime) -> list[Observation]:
    answer = {"server": OLD_ADDRESS, "qname": "nordlys-tekstil.dk.", "qtype": "MX", "rd": False, "outcome": "answer",
              "rcode": "NOERROR", "aa": True, "truncated": False, "tcp": False, "at": at.isoformat(),
              "answer": [{"name": "nordlys-tekstil.dk.", "type": "MX", "ttl": 3600, "values": ["0 nordlys-tekstil-dk.mail.protection.outlook.com."]}]}
    walk = {"server": "192.0.2.1", "qname": OLD_NS[0], "qtype": "A", "rd": False, "outcome": "answer", "rcode": "NOERROR",
            "aa": True, "truncated": False, "tcp": False, "at": at.isoformat(),
            "answer": [{"name": OLD_NS[0], "type": "A", "ttl": 3600, "values": [OLD_ADDRESS]}]}
    return [Observation("old", answer), Observation("walk", walk)]


def write_history(state, spec: Spec, *, now: datetime | None = None, hostile: bool = False) -> list[datetime]:
    """The known history (see the module docstring); the three rounds' finish times."""
    now = now or datetime.now(timezone.utc)
    times = [now - timedelta(hours=h) for h in (3, 2, 1)]
    safe = times[1] + timedelta(hours=1)
    parent_old = _check("delegation.parent-ns", "fail", PARENT, spec.domain, observed=OLD_NS, expected=NEW_NS,
                        detail="the parent still delegates to the old host")
    parent_new = _check("delegation.parent-ns", "pass", PARENT, spec.domain, observed=NEW_NS, expected=NEW_NS)
    record = _check("record.match", "pass", ADA, f"{spec.domain} MX")
    ttls = {"ttls": [{"kind": "record", "subject": f"{spec.domain} MX", "ttl": 3600, "server": OLD_ADDRESS},
                     {"kind": "parent-ns", "subject": spec.domain, "ttl": 1800, "server": "192.0.2.53"}]}
    rounds = [
        ("failing", False, None, [parent_old, record, _check("resolver.deferred", "pending", RESOLVER, f"{spec.domain} MX")]),
        ("converging", True, safe, [parent_new, record,
                                    _check("resolver.stale", "pending", RESOLVER, f"{spec.domain} MX", eta=safe,
                                           detail="still serves the old answer for 3599s more"),
                                    _check("timing.old-ttls", "pending", None, spec.domain, observed=ttls, eta=safe)]),
        ("verified", True, safe, [parent_new, record, _check("resolver.fresh", "pass", RESOLVER, f"{spec.domain} MX"),
                                  _check("timing.old-ttls", "pass", None, spec.domain, observed=ttls)]),
    ]
    if hostile:
        rounds[2][3].append(_check("record.mismatch", "fail", HOSTILE_SERVER, f"{spec.domain} TXT",
                                   detail="unexpected \"</style><script>alert(2)</script>\"\nUNLOCKED"))
    with Journal.open(state) as journal:
        for at, (status, ok, safe_after, checks) in zip(times, rounds):
            journal.record_round(domain=spec.domain, started_at=at - timedelta(seconds=5), finished_at=at, status=status,
                                 authoritative_ok=ok, eta=safe_after if status == "converging" else None, safe_after=safe_after,
                                 checks=checks, observations=_old_answer(at), old_servers=OLD_NS)
    with Ledger.open(state) as ledger:
        ledger.begin("announce", data_deadline="2027-02-22", forced=None)
        for user in ("anne", "bo"):
            assert ledger.claim("announce", f"{user}@nordlys-tekstil.dk", f"<{user}@example>")
            ledger.sent("announce", f"{user}@nordlys-tekstil.dk", at=times[0] - timedelta(days=20))
    store.attest(state, "data-saved", "nordlys-tekstil.dk", HOSTILE_BY if hostile else "Mette Jensen", times[2],
                 "</td><img src=http://192.0.2.9/x>" if hostile else "copied to the new drive")
    gate_run.run(spec, state, now=now)
    return times


class Page(HTMLParser):
    """The page's elements as parsed: the style sheet, the CSP, each timeline row and its transitions, all text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.style = ""
        self.csp = ""
        self.rows: list[dict] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self._in: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self._in.append(tag)
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = attrs.get("content") or ""
        if tag == "tr" and attrs.get("class") == "row":
            self.rows.append({"group": attrs["data-group"], "name": "", "transitions": []})
        if tag == "li" and attrs.get("class") == "transition":
            self.rows[-1]["transitions"].append((attrs["data-before"], attrs["data-after"]))

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        if self._in and self._in[-1] == "style":
            self.style += data
        elif self._in and self._in[-1] == "th" and self.rows and not self.rows[-1]["name"] and "tr" in self._in:
            self.rows[-1]["name"] = data
        else:
            self.text.append(data)

    def style_hash(self) -> str:
        return re.search(r"style-src '(sha256-[^']+)'", self.csp).group(1)
