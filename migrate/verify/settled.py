"""Which answers of the previous round may stand in for asking again: pure rules, no I/O.

An hourly verify of a fleet that has settled would otherwise ask every
server every question every hour. A settled answer is asked again only
when it may have changed:

- only after a round that saw the new state at every authoritative server
  (`verified` or `converging`): after a failing or unknown round, every
  question is asked afresh;
- an answer is reused until its TTL runs out (the smallest TTL it carries;
  a negative answer's negative TTL), counted from when it was seen, and
  never longer than `limit` (half of `gate.max_age`: the gate counts a
  round as old as the oldest answer it rests on, so a round on the hour
  keeps it fresh). A resolver that still served the old data is asked
  again when its cache expires: at the round's ETA;
- what carries no evidence (a timeout, a refusal) or no TTL is never reused;
- the round asks each authoritative address for the zone's SOA afresh, and
  reuses nothing of that address when the SOA differs from the one seen
  (`same_zone`): a zone that changed has a new serial.

A reused answer keeps the time it was seen and is marked `carried`; the
checks it leads to are marked with that time (`mark`), so nothing that
was not asked now passes for fresh.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from migrate.endpoint import parse
from migrate.report import Check
from migrate.verify.evidence import ANSWER, NODATA, NXDOMAIN, Answer
from migrate.verify.query import Key, question

SETTLED = ("verified", "converging")


def readable(observations: Iterable[dict]) -> list[Answer]:
    """The journal's observations as answers; one written before answers could be reused is left out."""
    out = []
    for observation in observations:
        try:
            out.append(Answer.from_dict(observation))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def ttl_of(answer: Answer) -> int | None:
    """How long the answer may be cached: its smallest TTL (a negative answer's negative TTL counts); None when it has none."""
    ttls = [r.ttl for section in (answer.answer, answer.authority, answer.additional) for r in section]
    if answer.outcome in (NXDOMAIN, NODATA):
        if answer.neg_ttl is None:
            return None
        ttls.append(answer.neg_ttl)
    return min(ttls) if ttls else None


def until(answer: Answer, limit: timedelta) -> datetime | None:
    """When a settled answer must be asked again; None when it may not be reused at all."""
    if not answer.ok:
        return None
    ttl = ttl_of(answer)
    if ttl is None or ttl <= 0:
        return None
    return answer.at + min(timedelta(seconds=ttl), limit)


def key_of(answer: Answer) -> Key:
    return question(parse(answer.server), answer.qname, answer.qtype, answer.rd, answer.do, answer.tcp_only)


def carried(status: str, authoritative_ok: bool, answers: Iterable[Answer], now: datetime, limit: timedelta) -> dict[Key, Answer]:
    """The previous round's answers that stand in for asking again `now`, marked carried, by question."""
    if not authoritative_ok or status not in SETTLED:
        return {}
    out = {}
    for answer in answers:
        end = until(answer, limit)
        # An answer stamped after `now` (a clock that stepped back) is not evidence of now.
        if end is not None and answer.at <= now < end:
            out[key_of(answer)] = replace(answer, carried=True)
    return out


def same_zone(before: Answer | None, now: Answer) -> bool:
    """The SOA asked now is the one the carried answers were seen with (serial and all)."""
    if before is None or before.outcome != ANSWER or now.outcome != ANSWER:
        return False
    old, new = before.rrset(rdtype="SOA"), now.rrset(rdtype="SOA")
    return old is not None and new is not None and old.rdatas == new.rdatas


def _address(label: str) -> str:
    """The address a check's server names: "ns1.example.net (192.0.2.1)" or a resolver's "192.0.2.53"."""
    if label.endswith(")") and "(" in label:
        return label[label.rindex("(") + 1 : -1]
    return label


def _rested_on(check: Check, at_server: dict[str, list[Answer]], anywhere: list[Answer]) -> list[Answer]:
    """The answers of the round a check may rest on.

    A check that names a server: that server's answers about its subject
    ("name TYPE", else the name), else all of that server's. A check that
    names none (the walk, the name servers' addresses, mail): every answer
    that is not a resolver's.
    """
    if check.server is None:
        return anywhere
    answers = at_server.get(_address(check.server), [])
    name, _, rdtype = check.subject.partition(" ")
    exact = [a for a in answers if a.qname == name and a.qtype == rdtype]
    named = exact or [a for a in answers if a.qname == name]
    return named or answers


def mark(checks: list[Check], answers: Iterable[Answer]) -> list[Check]:
    """Each check that may rest on a carried answer, marked with when the oldest such answer was seen."""
    answers = list(answers)
    if not any(a.carried for a in answers):
        return checks
    at_server: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        at_server[answer.server].append(answer)
    anywhere = [a for a in answers if not a.rd]
    out = []
    for check in checks:
        reused = [a.at for a in _rested_on(check, at_server, anywhere) if a.carried]
        out.append(replace(check, seen_at=min(reused)) if reused else check)
    return out


def oldest(answers: Iterable[Answer]) -> datetime | None:
    """When the oldest carried answer was seen (None when nothing was carried)."""
    return min((a.at for a in answers if a.carried), default=None)
