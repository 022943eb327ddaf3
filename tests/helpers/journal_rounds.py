"""Verify rounds written into a journal by hand: one observation each, minutes after T0."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from migrate.journal import Journal, Observation

D = "example.dk."
T0 = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)


def obs(i: int) -> Observation:
    return Observation("auth", {"server": "192.0.2.1", "qname": D, "qtype": "MX", "rd": False, "outcome": "answer",
                                "rcode": "NOERROR", "aa": True, "truncated": False, "tcp": False,
                                "answer": [{"name": D, "type": "MX", "ttl": 300, "values": [f"{i} mx.example.net."]}],
                                "authority": [], "additional": [], "at": T0.isoformat()})


def add(journal: Journal, minutes: int, status: str, ok: bool, safe: datetime | None = None, **kw):
    at = T0 + timedelta(minutes=minutes)
    return journal.record_round(domain=D, started_at=at, finished_at=at, status=status, authoritative_ok=ok, eta=None,
                                safe_after=safe, checks=[{"id": "x", "status": "pass"}], observations=[obs(minutes)], **kw)
