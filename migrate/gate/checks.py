"""The gate's checks: pure functions from evidence (and `now`) to `report.Check`s.

No I/O here. Each check says what it expected, what it saw, what to do about
it and, where time is the only thing missing, the earliest time it can pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone, tzinfo

from migrate import duration, localtime
from migrate.gate.evidence import Attestation, Deadline, DnsEvidence, DomainEvidence, LicenceEvidence, NoticeEvidence
from migrate.report import Check

# Microsoft's self-service limit: "25 or fewer licenses" in the subscription.
SELF_SERVICE_MAX = 25
SHOW = 20  # how many names a detail line lists before "and N more"


def _at(value: datetime, tz: tzinfo) -> str:
    return localtime.format(value, tz)


def some(items: list[str]) -> str:
    shown = ", ".join(items[:SHOW])
    return shown + (f" and {len(items) - SHOW} more" if len(items) > SHOW else "")


def from_the_future(check_id: str, subject: str, as_of: datetime | None, now: datetime | None, tz: tzinfo) -> list[Check]:
    """Facts dated after `now` describe nothing yet observed (a typo, a wrong clock): unknown, never pass."""
    if as_of is None or now is None or as_of <= now:
        return []
    return [
        Check(
            id=check_id,
            status="unknown",
            subject=subject,
            expected=f"facts read off the admin center before now ({_at(now, tz)})",
            observed=f"as_of {_at(as_of, tz)} is in the future",
            fix="set as_of in the facts file to when you read the admin center (with its time zone), or check this machine's clock",
        )
    ]


# -- licences ---------------------------------------------------------------------


def licences(ev: LicenceEvidence, now: datetime | None = None, tz: tzinfo = timezone.utc) -> list[Check]:
    """Every active subscription can be cancelled online: ≤ 25 licences, or it is the partner's to cancel."""
    future = from_the_future("licences.subscriptions", "tenant", ev.as_of, now, tz)
    if future:
        return future
    active = [s for s in ev.subscriptions if s.active]
    ignored = len(ev.subscriptions) - len(active)
    if not active:
        return [
            Check(
                id="licences.subscriptions",
                status="unknown",
                subject="tenant",
                expected="at least one active subscription to cancel",
                observed=f"none active ({ignored} deleted)" if ignored else "no subscriptions",
                detail=f"source: {ev.source}",
                fix="check that source.graph (or gate.facts) names the tenant that pays for Microsoft 365",
            )
        ]
    by_subscription = {sid: sku for sku in ev.skus for sid in sku.subscription_ids}
    sibling_count: dict[str, int] = {}
    for sub in active:
        sibling_count[sub.sku_part_number] = sibling_count.get(sub.sku_part_number, 0) + 1
    results = []
    for sub in active:
        notes = []
        sku = by_subscription.get(sub.id)
        if sku is not None:
            across = f" across {len(sku.subscription_ids)} subscriptions" if len(sku.subscription_ids) > 1 else ""
            notes.append(f"{sku.sku_part_number}{across}: {sku.consumed_units} assigned, {sku.prepaid_enabled} enabled")
        elif sibling_count[sub.sku_part_number] > 1:
            notes.append(f"one of {sibling_count[sub.sku_part_number]} subscriptions of {sub.sku_part_number}")
        if sub.status != "Enabled":
            notes.append(f"status {sub.status}")
        if sub.is_trial:
            notes.append("trial: turn off recurring billing or let it expire")
        if sub.id in ev.product_keys:
            notes.append("bought with a product key: can be cancelled but not refunded")
        notes.append(f"source: {ev.source}")
        if sub.is_partner(ev.own_tenant_id):
            results.append(
                Check(
                    id="licences.partner",
                    status="pass",
                    subject=sub.label,
                    expected="cancelled by the partner that sold it",
                    observed=f"created by partner tenant {sub.owner_tenant_id}; {sub.total_licenses} licences",
                    detail="; ".join(["CSP subscription: cancel through your partner, not the admin center", *notes]),
                    fix="ask your Microsoft partner (CSP) to cancel it; new-commerce subscriptions can only be cancelled within 7 days of purchase or renewal",
                )
            )
        else:
            fits = sub.total_licenses <= SELF_SERVICE_MAX
            results.append(
                Check(
                    id="licences.seats",
                    status="pass" if fits else "fail",
                    subject=sub.label,
                    expected=f"≤ {SELF_SERVICE_MAX} licences",
                    observed=f"{sub.total_licenses} licences",
                    detail="; ".join(notes),
                    fix=None if fits else f"unassign and remove licences until this subscription has {SELF_SERVICE_MAX} or fewer "
                    "(admin center: Billing > Your products > the subscription > Add/remove licenses), or call Microsoft support to cancel",
                )
            )
    return results


# -- domain_removed ------------------------------------------------------------------


def domain_removed(ev: DomainEvidence, now: datetime | None = None, tz: tzinfo = timezone.utc) -> list[Check]:
    future = from_the_future("m365.domain-removed", ev.domain, ev.as_of, now, tz)
    if future:
        return future
    if not ev.exists:
        return [
            Check(
                id="m365.domain-removed",
                status="pass",
                subject=ev.domain,
                expected="domain not in the tenant",
                observed="not found (404)" if ev.source == "graph" else "removed (facts)",
                detail=f"source: {ev.source}",
            )
        ]
    refs = [str(r) for r in ev.references]
    if refs:
        fix = (
            f"move {_count(len(refs), 'object')} to another domain (users, groups, shared mailboxes, apps), "
            f"then run `migrate m365 remove-domain SPEC`"
        )
        observed = f"still in the tenant; {_count(len(refs), 'object')} reference{'s' if len(refs) == 1 else ''} it"
    else:
        fix = "remove it: `migrate m365 remove-domain SPEC` (or admin center: Settings > Domains > Remove domain)"
        observed = "still in the tenant; nothing references it"
    return [
        Check(
            id="m365.domain-removed",
            status="fail",
            subject=ev.domain,
            expected="domain not in the tenant",
            observed=observed,
            detail="; ".join(filter(None, [f"references: {some(refs)}" if refs else "", f"source: {ev.source}"])),
            fix=fix,
        )
    ]


# -- data_saved ----------------------------------------------------------------------


def data_saved(attestations: Iterable[Attestation], domain: str, *, mail_moved: datetime | None = None, now: datetime | None = None,
               tz: tzinfo = timezone.utc) -> list[Check]:
    """Someone attested that users saved their data, after the last mail reached Microsoft 365.

    Until the verifier's safe time (`mail_moved`) a cached MX can still deliver
    to the old mailboxes, so an attestation made before it does not cover that
    mail: it is pending, never a pass, and so is one made while no verify
    round has seen the new state (nothing says when mail stopped yet). An
    attestation dated after `now` (a wrong clock) proves nothing.
    """
    mine = sorted((a for a in attestations if a.kind == "data-saved" and (now is None or a.at <= now)), key=lambda a: a.at)
    future = [a for a in attestations if a.kind == "data-saved" and now is not None and a.at > now]
    if future and not mine:
        return [
            Check(
                id="attest.data-saved",
                status="unknown",
                subject=domain,
                expected="an attestation made before now",
                observed=f"attested by {future[0].by} at {_at(future[0].at, tz)}, in the future",
                fix="check the clock of the machine that ran `migrate attest`, then attest again",
            )
        ]
    if mine and (mail_moved is None or mine[-1].at < mail_moved):
        return [_early(mine[-1], domain, mail_moved, now, tz)]
    if not mine:
        return [
            Check(
                id="attest.data-saved",
                status="fail",
                subject=domain,
                expected="an attestation that users saved their OneDrive, SharePoint and mail data",
                observed="no attestation",
                fix="once users have saved their data: `migrate attest SPEC data-saved --by NAME`",
            )
        ]
    last = mine[-1]
    return [
        Check(
            id="attest.data-saved",
            status="pass",
            subject=domain,
            expected="an attestation that users saved their data",
            observed=f"attested by {last.by} at {_at(last.at, tz)}",
            detail=(last.note or "") + (f" ({len(mine)} attestations)" if len(mine) > 1 else ""),
        )
    ]


def _early(last: Attestation, domain: str, mail_moved: datetime | None, now: datetime | None, tz: tzinfo) -> Check:
    """An attestation made before mail stopped reaching Microsoft 365 (or before anything showed when): pending."""
    again = "`migrate attest SPEC data-saved --by NAME` again"
    if mail_moved is None:
        expected = "an attestation made after verify's safe time, when no cache could still deliver mail to Microsoft 365"
        detail = "made before mail stopped reaching Microsoft 365: no verify round has seen the new state yet, so nothing shows when that was"
        fix = (f"run `migrate verify SPEC` with the same --state until it sees the new state everywhere; once its safe time "
               f"has passed and users have saved their data: {again}")
    else:
        expected = f"an attestation made after {_at(mail_moved, tz)} (verify's safe time), when no cache could still deliver mail to Microsoft 365"
        detail = "made before mail stopped reaching Microsoft 365: mail that reached the old mailboxes after it is not covered"
        fix = f"once users have saved the mail that arrived until {_at(mail_moved, tz)}: {again}"
    return Check(
        id="attest.data-saved",
        status="pending",
        subject=domain,
        expected=expected,
        observed=f"attested by {last.by} at {_at(last.at, tz)}",
        detail=detail,
        # The earliest a new attestation can count; once it has passed, only attesting again helps.
        eta=mail_moved if mail_moved is not None and (now is None or mail_moved > now) else None,
        fix=fix,
    )


def data_deadline(deadline: Deadline | None, now: datetime, tz: tzinfo = timezone.utc) -> list[Check]:
    """Not before the end of the data deadline users were given: until then they were promised their files."""
    subject = "data deadline"
    if deadline is None:
        return [
            Check(
                id="timing.data-deadline",
                status="pass",
                subject=subject,
                expected="now after the data deadline users were given",
                observed="no deadline given: no sent email named one, and notify.data_deadline and cancel_date are unset",
            )
        ]
    expected = f"now ≥ {_at(deadline.ends, tz)}, the end of the deadline users were given ({deadline.named}, from {deadline.source})"
    if now < deadline.ends:
        return [
            Check(
                id="timing.data-deadline",
                status="pending",
                subject=subject,
                expected=expected,
                observed=f"{duration.format(deadline.ends - now)} to go",
                eta=deadline.ends,
                fix=f"wait until {_at(deadline.ends, tz)}: users were told they have until then to save their files, "
                "and cancelling deletes what they have not saved",
            )
        ]
    return [Check(id="timing.data-deadline", status="pass", subject=subject, expected=expected, observed="the deadline has passed")]


# -- notice --------------------------------------------------------------------------


def notice(ev: NoticeEvidence, cutover: datetime, days: int, now: datetime, tz: tzinfo = timezone.utc) -> list[Check]:
    """Every recipient got the announcement at least `days` days before the cutover."""
    deadline = cutover - timedelta(days=days)
    subject = f"wave {ev.wave}"
    expected = f"every recipient reached by {_at(deadline, tz)} ({days} days before the cutover)"
    if not ev.recipients:
        return [
            Check(
                id="notice.delivered",
                status="unknown",
                subject=subject,
                expected=expected,
                observed="no recipients",
                fix="set notify.recipients to the admin center's user export",
            )
        ]
    wanted = {r.lower() for r in ev.recipients}
    delivered = {a.lower(): t for a, t in ev.delivered.items()}
    missing = sorted(a for a in wanted if a not in delivered)
    late = sorted(a for a in wanted if a in delivered and delivered[a] > deadline)
    on_time = len(wanted) - len(missing) - len(late)
    observed = f"{on_time} of {len(wanted)} on time" + (f", {len(missing)} not reached" if missing else "") + (f", {len(late)} late" if late else "")
    if not missing and not late:
        return [Check(id="notice.delivered", status="pass", subject=subject, expected=expected, observed=observed)]
    details, fixes = [], []
    if missing:
        details.append(f"not reached: {some(missing)}")
        if now <= deadline:
            fixes.append(f"send the wave before {_at(deadline, tz)}: `migrate notify SPEC --wave {ev.wave} --send`")
        else:
            fixes.append(f"the deadline has passed: send the wave now and move the cutover to at least {days} days later")
    if late:
        latest = max(delivered[a] for a in late)
        details.append(f"reached after the deadline: {some(late)}")
        fixes.append(f"move the cutover to {_at(latest + timedelta(days=days), tz)} or later, or accept the shorter notice by removing `notice` from gate.require")
    return [
        Check(
            id="notice.delivered",
            status="fail",
            subject=subject,
            expected=expected,
            observed=observed,
            detail="; ".join(details),
            fix="; ".join(fixes),
        )
    ]


# -- dns -----------------------------------------------------------------------------

JOURNAL = "verify journal"


def _rounds(n: int) -> str:
    return f"{n} round{'s' if n != 1 else ''}"


def dns(ev: DnsEvidence | None, *, min_soak: timedelta, max_age: timedelta, now: datetime, tz: tzinfo = timezone.utc) -> list[Check]:
    """The new DNS, judged from the verify journal (`evidence.DnsEvidence`).

    - `dns.verified`: the newest round is `verified` (pass); `converging`
      is pending with the verifier's ETA; `failing` fails; `unknown`
      (timeouts, refusals) is unknown.
    - `dns.fresh`: the newest round is at most `gate.max_age` old.
    - `dns.held`: the newest round saw the new state at every authoritative
      server, so there is a current unbroken run of such rounds (it began
      at `first_fully_seen`). A flap ends a run and the next good round
      starts a new one: it restarts the soak, it never locks for good (how
      many times the state was lost since first seen is a detail). A gap
      longer than `gate.max_age` between two rounds of the run is time
      nobody watched: continuity counts from the first round after the last
      such gap (`continuous_since`), which also restarts the soak.
    - `timing.soak`: now ≥ `safe_after` + `gate.min_soak`, where `safe_after`
      is the verifier's TTL-derived time (run start + the largest relevant
      old TTL, `verify.timing`), moved later by as much as a gap moved the
      start of continuity. Pending until then, with that time as its ETA.

    A journal altered after verify wrote it never gets here: reading it
    raises `BrokenChain`, and the engine fails the requirement with it.
    """
    if ev is None or ev.latest_at is None:
        return [
            Check(
                id="dns.verified",
                status="unknown",
                subject=JOURNAL,
                expected="a verified round",
                observed="no verify rounds recorded",
                fix="run `migrate verify SPEC` (scheduled, e.g. hourly) with the same --state",
            )
        ]
    latest = f"round {ev.latest_round} {ev.latest_status} at {_at(ev.latest_at, tz)}"
    results = [_verified(ev, latest), _fresh(ev, max_age, now)]
    since = ev.continuous_since(max_age)
    if since is None:
        history = ""
        if ev.first_ever_fully_seen is not None:
            history = f"first fully seen at {_at(ev.first_ever_fully_seen, tz)}, lost since"
        results.append(
            Check(
                id="dns.held",
                status="fail",
                subject=JOURNAL,
                expected="the new state at every authoritative server in every round since it was first fully seen",
                observed=f"not fully seen in {latest}",
                detail=history,
                fix="fix what `migrate verify SPEC` reports; the soak starts again at the first round that sees the new state everywhere",
            )
        )
        return results
    results.append(_held(ev, since, max_age, tz))
    results.append(_soak(ev, since, min_soak, now, tz))
    return results


def _verified(ev: DnsEvidence, latest: str) -> Check:
    detail = f"observations sha256:{ev.digest}"
    if ev.problems:
        detail = f"not passing: {some(list(ev.problems))}; {detail}"
    status = {"verified": "pass", "converging": "pending", "failing": "fail"}.get(ev.latest_status or "", "unknown")
    fix = {
        "pending": "nothing to fix: caches still hold the old data; the scheduled verify confirms it after the ETA",
        "fail": "fix what `migrate verify SPEC` reports, then let the scheduled verify run again",
        "unknown": "verify could not establish everything (timeouts, refusals): run `migrate verify SPEC` and "
        "check the servers and resolvers it names",
    }.get(status, "")
    return Check(
        id="dns.verified",
        status=status,
        subject=JOURNAL,
        expected="latest round verified",
        observed=latest,
        detail=detail,
        eta=ev.eta if status == "pending" else None,
        fix=fix,
    )


def _fresh(ev: DnsEvidence, max_age: timedelta, now: datetime) -> Check:
    age = now - ev.latest_at
    expected = f"a round in the last {duration.format(max_age)} (gate.max_age)"
    if age < timedelta(0):
        return Check(
            id="dns.fresh",
            status="unknown",
            subject=JOURNAL,
            expected="a round in the past",
            observed=f"latest round is {duration.format(-age)} in the future",
            fix="check the clocks of the machines running verify and gate",
        )
    if age > max_age:
        return Check(
            id="dns.fresh",
            status="fail",
            subject=JOURNAL,
            expected=expected,
            observed=f"latest round {duration.format(age)} old",
            fix="run `migrate verify SPEC` again (the scheduled job may have stopped); "
            "the gap counts as unwatched time, so the soak starts again",
        )
    return Check(id="dns.fresh", status="pass", subject=JOURNAL, expected=expected, observed=f"latest round {duration.format(age)} old")


def _held(ev: DnsEvidence, since: datetime, max_age: timedelta, tz: tzinfo) -> Check:
    watched = sum(1 for t in ev.streak if t >= since)
    notes = []
    if since != ev.first_fully_seen:
        notes.append(
            f"fully seen since {_at(ev.first_fully_seen, tz)}, but rounds were more than {duration.format(max_age)} "
            f"(gate.max_age) apart: continuity counts from {_at(since, tz)}"
        )
    if ev.lost:
        times = "once" if ev.lost == 1 else f"{ev.lost} times"
        notes.append(
            f"the new state was lost {times} since first seen at {_at(ev.first_ever_fully_seen, tz)}; "
            f"the soak restarted at {_at(ev.first_fully_seen, tz)}"
        )
    return Check(
        id="dns.held",
        status="pass",
        subject=JOURNAL,
        expected=f"the new state at every authoritative server in every round, no two rounds more than {duration.format(max_age)} apart",
        observed=f"held since {_at(since, tz)} ({_rounds(watched)}, largest gap {duration.format(ev.largest_gap)})",
        detail="; ".join(notes),
    )


def _soak(ev: DnsEvidence, since: datetime, min_soak: timedelta, now: datetime, tz: tzinfo) -> Check:
    expected = "now ≥ safe after (TTL-derived) + gate.min_soak"
    if ev.safe_after is None or ev.safe_after < ev.first_fully_seen:
        return Check(
            id="timing.soak",
            status="unknown",
            subject="soak",
            expected=expected,
            observed="no safe time recorded" if ev.safe_after is None else f"safe time {_at(ev.safe_after, tz)} precedes the run it belongs to",
            detail=f"round {ev.latest_round} did not record a TTL-derived safe time for the run starting {_at(ev.first_fully_seen, tz)}",
            fix="run `migrate verify SPEC` again with the same --state",
        )
    ttl_wait = ev.safe_after - ev.first_fully_seen
    earliest = since + ttl_wait + min_soak
    wait = (
        f"held since {_at(since, tz)} + TTL wait {duration.format(ttl_wait)} (the verifier's safe time {_at(ev.safe_after, tz)}"
        f"{'' if since == ev.first_fully_seen else ', moved with the start of continuity'}) + gate.min_soak {duration.format(min_soak)}"
    )
    if now < earliest:
        return Check(
            id="timing.soak",
            status="pending",
            subject="soak",
            expected=f"now ≥ {_at(earliest, tz)}",
            observed=f"{duration.format(earliest - now)} to go",
            detail=wait,
            eta=earliest,
            fix=f"wait until {_at(earliest, tz)} with the scheduled verify still passing",
        )
    return Check(id="timing.soak", status="pass", subject="soak", expected=f"now ≥ {_at(earliest, tz)}", observed="soak complete", detail=wait)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
