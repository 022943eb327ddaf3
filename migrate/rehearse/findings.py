"""What a rehearsal found, in the user's terms: pure rules over what the real parts answered.

Each rule takes the output of the component that judged it (lint, the plan,
the staging, a verify round, the notify windows, the gate) and says, in one
line, what would go wrong or take longer than planned, with what to do.
Nothing here asks a server or reads a file.

The ids are stable (the README lists them):

  lint.error          the plan has a lint error
  host.lacks-record   the new DNS host would not serve a record of the desired zone
  m365.residue        the new host would still serve a Microsoft 365 record
  verify.failing      another verify check that never passed in the lab
  timing.ttl-wait     old TTLs keep mail on Microsoft 365 past the data deadline users are given
  notice.too-short    the announcement, sent today, cannot give the notice the gate requires
  notify.nobody       the waves would reach nobody
  notify.wave         a wave that cannot go out as planned
  gate.locked         the gate stays locked for another reason
  timing.cancel-date  the gate unlocks only after the planned cancellation date
  rehearse.incomplete the rehearsal stopped before the gate could unlock (a wait longer than it runs)
"""

from __future__ import annotations

from collections.abc import Iterable

import dns.exception
import dns.name
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from migrate import duration, localtime, names
from migrate.lint import Finding as LintFinding
from migrate.plan import UNSUPPORTED, Plan
from migrate.report import FAIL, PASS, PENDING, UNKNOWN, Check
from migrate.zone import RRset

LINT = "lint.error"
LACKS = "host.lacks-record"
RESIDUE = "m365.residue"
VERIFY = "verify.failing"
TTL_WAIT = "timing.ttl-wait"
NOTICE = "notice.too-short"
NOBODY = "notify.nobody"
WAVE = "notify.wave"
LOCKED = "gate.locked"
CANCEL_DATE = "timing.cancel-date"
INCOMPLETE = "rehearse.incomplete"
IDS = (LINT, LACKS, RESIDUE, VERIFY, TTL_WAIT, NOTICE, NOBODY, WAVE, LOCKED, CANCEL_DATE, INCOMPLETE)

# Verify checks whose failure is a record the new host lacks or serves otherwise.
_RECORD_CHECKS = {"record.missing", "record.mismatch", "record.unknown"}
# The gate's checks each finding already explains: not reported a second time.
_GATE_COVERED_BY = {
    "notice.delivered": (NOTICE, NOBODY),
    "dns.verified": (LACKS, RESIDUE, VERIFY),
    "dns.held": (LACKS, RESIDUE, VERIFY),
    "timing.soak": (LACKS, RESIDUE, VERIFY),
    # the rehearsal attests as soon as verify's safe time has passed: it waits on verify
    "attest.data-saved": (LACKS, RESIDUE, VERIFY),
}


@dataclass(frozen=True)
class Finding:
    id: str
    subject: str
    message: str  # what would happen, in the user's terms
    fix: str = ""
    source: str = ""  # the part that found it: lint, plan, stage, verify, notify, gate

    def to_dict(self) -> dict:
        return {"id": self.id, "subject": self.subject, "message": self.message, "fix": self.fix, "source": self.source}


def _at(value: datetime, tz: tzinfo) -> str:
    return localtime.format(value, tz)


def lint_errors(findings: Iterable[LintFinding]) -> list[Finding]:
    return [Finding(LINT, f"{f.rule} {f.subject}", f.message, "fix it in the spec or the zone file; `migrate plan SPEC` shows it", "lint")
            for f in findings if f.level == "error"]


def dropped(plan: Plan) -> list[Finding]:
    """Record sets the plan leaves out because the new host cannot hold them."""
    domain = plan.spec.domain
    return [Finding(LACKS, f"{names.relative(d.rrset.name, domain)} {d.rrset.rdtype}",
                    f"the new host would not serve it: {d.reason}",
                    "replace it with a type the host holds (an SPF-type record becomes TXT), or drop it from the zone file", "plan")
            for d in plan.dropped if d.rule == UNSUPPORTED]


def refused(name: str, rdtype: str, why: str, domain: str) -> Finding:
    """A record set the new host refused when it was staged (the provider's check, or the server's answer)."""
    return Finding(LACKS, f"{names.relative(name, domain)} {rdtype}", f"staging it failed, so the new host would not serve it: {why}",
                   "correct the record in the spec or the zone file", "stage")


def dangling(rrset: RRset, target: str, domain: str) -> Finding:
    """A record of the desired zone points at a name inside it that the new host gives no address."""
    return Finding(LACKS, f"{names.relative(target, domain)} A/AAAA",
                   f"{names.relative(rrset.name, domain)} {rrset.rdtype} points at {names.unicode(target)}, "
                   "but the new host would give no address for it",
                   f"add the A (or AAAA) record of {names.unicode(target)} to the zone file or dns.records", "stage")


def _subject(text: str, domain: str) -> str:
    """A check's subject with its owner name written as in the zone file (`www CNAME`)."""
    first, _, rest = text.partition(" ")
    try:
        inside = first.endswith(".") and dns.name.from_text(first).is_subdomain(dns.name.from_text(domain))
    except dns.exception.DNSException:
        inside = False
    return " ".join(filter(None, [names.relative(first, domain) if inside else first, rest]))


def from_verify(checks: Iterable[Check], domain: str) -> list[Finding]:
    """What the last verify round still failed or could not establish, one finding per check and subject."""
    failed: dict[tuple[str, str], list[Check]] = {}
    for check in checks:
        if check.status in (FAIL, UNKNOWN):
            failed.setdefault((check.id, _subject(check.subject, domain)), []).append(check)
    out = []
    for (check_id, subject), group in failed.items():
        first = group[0]
        servers = [c.server for c in group if c.server]
        where = f" (at {servers[0]}" + (f" and {len(servers) - 1} more" if len(servers) > 1 else "") + ")" if servers else ""
        why = f"{first.detail or first.observed}".strip() + where
        if check_id == "m365.residue":
            out.append(Finding(RESIDUE, subject, f"the new host would still serve Microsoft 365's record: {why}",
                               "remove it from dns.records (or the zone file): Microsoft 365 no longer answers for the domain", "verify"))
        elif check_id in _RECORD_CHECKS:
            out.append(Finding(LACKS, subject, f"the new host would not serve it as desired ({check_id}): {why}",
                               "add the record it needs to the zone file or dns.records", "verify"))
        else:
            out.append(Finding(VERIFY, f"{check_id} {subject}", f"verify {first.status}: {why}",
                               "see the check in the README's verify table", "verify"))
    return out


def still_converging(last: Check | None, rounds: int) -> list[Finding]:
    """Verify never passed and never failed: it kept waiting (a clock the lab could not compress)."""
    if last is None:
        return []
    return [Finding(VERIFY, f"{last.id} {last.subject}", f"verify still waits after {rounds} rounds: {last.detail}",
                    "see the check in the README's verify table", "verify")]


def notice(refusal: str | None, today: datetime, cutover: datetime, days: int, tz: tzinfo) -> list[Finding]:
    """The announcement, sent today, falls outside its window (`windows.window(...).refusal(today)`)."""
    if refusal is None:
        return []
    given = cutover - today
    left = f"{duration.format(given)} before the cutover" if given.total_seconds() > 0 else "after the cutover"
    return [Finding(NOTICE, "announce", f"sent today ({_at(today, tz)}) the announcement reaches users {left}; "
                    f"the gate requires {days} days (gate.notice_days): {refusal}",
                    f"move the cutover to {_at(today + timedelta(days=days), tz)} or later, "
                    "or lower gate.notice_days and accept the shorter notice", "notify")]


def nobody(source: str, why: str) -> list[Finding]:
    return [Finding(NOBODY, source, f"every wave would reach nobody: {why}",
                    "point notify.recipients at the admin center's Active users export of licensed users on the domain", "notify")]


def wave_problem(wave: str, why: str, fix: str) -> Finding:
    return Finding(WAVE, wave, why, fix, "notify")


def ttl_wait(mail_moved: datetime | None, dns_ready: datetime | None, deadline_ends: datetime | None, deadline_named: str,
             basis: str, min_soak, tz: tzinfo) -> list[Finding]:
    """Mail may reach Microsoft 365, or the gate cannot yet trust that it no longer does, after the data deadline.

    `mail_moved` is verify's safe time (the old TTLs run out), `dns_ready` the
    gate's earliest pass of its `dns` requirement (safe time + gate.min_soak).
    Users are told to have saved their data, mail included, by the deadline.
    """
    if deadline_ends is None or dns_ready is None or dns_ready <= deadline_ends:
        return []
    moved = f"mail can reach the old mailboxes until {_at(mail_moved, tz)} ({basis})" if mail_moved else "mail may reach the old mailboxes"
    return [Finding(TTL_WAIT, "data deadline",
                    f"{moved}, and the gate trusts that it stopped only from {_at(dns_ready, tz)} (gate.min_soak "
                    f"{duration.format(min_soak)}), after the data deadline users are given (until {_at(deadline_ends, tz)}, "
                    f"{deadline_named}): what arrives after it is not saved",
                    f"lower the TTLs at the old host well before the cutover, or move notify.data_deadline to "
                    f"{dns_ready.astimezone(tz):%Y-%m-%d} or later", "verify, gate")]


def cancel_late(unlocked: datetime | None, cancel_ends: datetime | None, cancel_named: str, tz: tzinfo) -> list[Finding]:
    if unlocked is None or cancel_ends is None or unlocked <= cancel_ends:
        return []
    return [Finding(CANCEL_DATE, "cancel date", f"the gate unlocks at {_at(unlocked, tz)}, after the planned cancellation "
                    f"({cancel_named}): the subscription cannot be cancelled as planned",
                    f"move notify.cancel_date to {unlocked.astimezone(tz):%Y-%m-%d} or later", "gate")]


def gate_input(why: str, found: Iterable[Finding]) -> list[Finding]:
    """The gate stops on the spec's input (as `migrate gate` exits 2), unless a finding already says why."""
    if any(why in f.message for f in found):
        return []
    return [Finding(LOCKED, "gate", f"the gate stops on bad input: {why}", "fix the spec key or file it names", "gate")]


def incomplete(until: datetime, rounds: float, limit: int, max_age: timedelta, tz: tzinfo) -> Finding:
    return Finding(INCOMPLETE, "rehearsal", f"the rehearsal stopped: reaching {_at(until, tz)} takes {rounds:.0f} verify rounds "
                   f"on gate.max_age's schedule ({duration.format(max_age)}), more than the {limit} it runs",
                   "check the dates (a data deadline or a soak that long is rarely meant), or raise gate.max_age", "rehearse")


def gate_locked(checks: Iterable[Check], found: Iterable[Finding]) -> list[Finding]:
    """The gate's blocking checks that no other finding explains (a pending one with an ETA only waits)."""
    ids = {f.id for f in found}
    out = []
    for check in checks:
        if check.status == PASS or (check.status == PENDING and check.eta is not None):
            continue
        if ids.intersection(_GATE_COVERED_BY.get(check.id, ())):
            continue
        out.append(Finding(LOCKED, f"{check.id} {check.subject}", f"the gate stays locked ({check.status}): {check.observed}"
                           + (f"; {check.detail}" if check.detail else ""), check.fix or "", "gate"))
    return out
