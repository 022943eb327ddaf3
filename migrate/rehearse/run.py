"""`migrate rehearse SPEC`: the user's own cutover, offline, in the lab, on a compressed clock.

The real path, each step the library calls the commands make:

1. plan: the desired zone from the user's spec and zone file, and its lint;
2. the lab: the domain on its old name servers under its TLD, the new host
   empty, the resolvers' caches holding today's answers (`world`);
3. stage: the desired zone on the lab's new host through the Pulumi RFC 2136
   provider (`pulumi up`'s code; it stands in for Cloudflare too);
4. notify: every wave rendered for the user's recipients and sent to the
   lab's SMTP relay, each at the time it is due (the announcement today);
5. the registrar change at the cutover: the TLD delegates to the new host;
6. verify rounds on the compressed clock (`clock`) until verified;
7. the gate with the spec's requirements, facts and attestations simulated
   (`simulated`), verify running on schedule meanwhile, until it unlocks;
   then the after-cancel wave.

Every finding comes from what a real part answered (`findings`); the
timeline's times are the real clock's, read off verify and the gate.
Nothing leaves the lab: no credentials, no network beyond loopback; the
state goes to a folder of its own (OUT/state), never the user's.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dns.rdatatype

from migrate import duration, lint, localtime, names, plan as planner, report as report_module, spec as spec_module
from migrate.errors import BadInput, EnvironmentProblem
from migrate.gate import run as gate_run
from migrate.gate import sources, store
from migrate.history import run as history
from migrate.journal import Journal
from migrate.lab import preflight
from migrate.notify import promise, recipients, wave as wave_module, waves
from migrate.rehearse import findings as F
from migrate.rehearse import host, labspec, simulated, world as lab_world
from migrate.rehearse.clock import Clock
from migrate.rehearse.result import (
    CANCEL_DATE, CUTOVER, DATA_DEADLINE, DNS_TRUSTED, GATE_UNLOCKS, MAIL_MOVED, NOTICE_DEADLINE, TODAY, VERIFY_PASSES, Event,
    Rehearsal,
)
from migrate.report import PASS, PENDING
from migrate.state import location
from migrate.verify.round import RoundResult, Settings, run_round
from migrate.verify.timing import PARENT_NS

CONVERGING_WAITS = 12  # waits for the ETA verify names before the rehearsal stops waiting for it to pass
GATE_DECISIONS = 12  # gate decisions, each at the earliest unlock of the one before
# The scheduled verify runs at least this much more often than gate.max_age, so no gap between
# two rounds ever counts as unwatched time (the rounds themselves take a moment of the clock).
SCHEDULE_MARGIN = timedelta(minutes=1)
# Verify rounds in one rehearsal at most (about a year and a half of the default gate.max_age's schedule,
# a quarter of an hour here): past it, the rehearsal says where it stopped rather than run on.
ROUNDS = 2000
JUMP_PAST = timedelta(seconds=1)  # caches count down in whole seconds


def rehearse(spec_path: Path, out: Path | None, progress: Callable[[str], None]) -> Rehearsal:
    """Rehearse the spec's cutover; the state stays in `out` when given, else in a folder removed at the end."""
    began = time.monotonic()
    user = spec_module.load(spec_path)
    if user.dns.zone_file is None:
        raise BadInput(f"{spec_path}: dns.zone_file: the rehearsal serves today's zone from the old name servers; "
                       "write it with `migrate import SPEC --from zonefile|axfr|live --out FILE` and name it here")
    built = planner.build(user)
    nameservers = lab_world.old_nameservers(user, built.current)
    held = simulated.tenant(user)  # a broken facts file stops here, before the lab starts
    written = labspec.raw(spec_path)
    preflight.check_lab(f"migrate rehearse {spec_path}")  # before any folder is made: nothing half-made is left
    folder = preflight.prepare(out, "m365-exit-rehearse-", "the rehearsal's journal and ledger must start empty")
    preflight.create(folder)
    try:
        run = Run(user, built, written, nameservers, held, folder, progress)
        result = run.go()
        result.seconds = time.monotonic() - began
        result.folder = folder if out is not None else None
        (folder / "rehearsal.json").write_text(report_module.dumps(result.to_dict()), encoding="utf-8")
        # The page `migrate report` draws, as of the rehearsal's last moment on its clock.
        (folder / "report.html").write_text(history.report(run.lab, location.Folder(run.state), now=run.clock.now()), encoding="utf-8")
        return result
    finally:
        if out is None:
            shutil.rmtree(folder, ignore_errors=True)


class Run:
    def __init__(self, user, built, written: dict, nameservers: list[str], held: simulated.Tenant, folder: Path,
                 progress: Callable[[str], None]) -> None:
        self.user, self.built, self.written = user, built, written
        self.nameservers, self.held, self.folder, self.say = nameservers, held, folder, progress
        self.state = folder / "state"
        self.tz = user.tz
        self.today = datetime.now(timezone.utc)
        self.result = Rehearsal(domain=names.domain_id(user.domain), generated_at=self.today, tz=self.tz)
        self.result.simulated.extend(held.labels)
        self.found = self.result.findings
        self.last: RoundResult | None = None
        self.verified: RoundResult | None = None
        self.roster_ok = False
        # (resolver, question) -> when its stale cached answer runs out, as first seen
        self.expiry: dict[tuple[str | None, str], datetime | None] = {}
        self.dns_ready: datetime | None = None
        self.unlocked_at: datetime | None = None
        self.verdict = None  # the last gate decision
        # the cutover the lab rehearses: the spec's, or now when that has passed
        self.cutover = max(user.cutover, self.today)

    def at(self, value: datetime) -> str:
        return localtime.format(value, self.tz)

    # -- the whole run ----------------------------------------------------------------

    def go(self) -> Rehearsal:
        from migrate.lab.relay import Relay
        from migrate.lab.scenario import MigrationWorld

        self.plan()
        world_spec, meta = lab_world.spec(self.user, self.built.current, self.built.desired, self.nameservers)
        try:
            world = MigrationWorld.start(world_spec, **meta, timeout=30.0)
        except EnvironmentProblem as exc:
            raise EnvironmentProblem(preflight.lab_fix(str(exc), f"migrate rehearse {self.user.path}")) from None
        secret = os.environ.get(labspec.SECRET_ENV)
        with world, Relay(self.folder / "relay") as relay:
            self.world = world
            try:
                self.start_lab(relay)
                self.stage()
                self.notify()
                self.switch()
                self.verify()
                self.gate()
            finally:
                if secret is None:
                    os.environ.pop(labspec.SECRET_ENV, None)
                else:
                    os.environ[labspec.SECRET_ENV] = secret
            self.result.messages = len(relay.received)
        self.conclude()
        return self.result

    # -- 1, 2 --------------------------------------------------------------------------

    def plan(self) -> None:
        found = lint.lint(self.built)
        self.found += F.lint_errors(found) + F.dropped(self.built)
        self.result.notes += [f"lint {f.level}: {f.rule} {f.subject}: {f.message}" for f in found if f.level != "error"]
        self.say(f"plan: {len(list(self.built.desired))} record sets at the new host, {len(self.built.microsoft365)} "
                 f"Microsoft 365 record sets removed; lint: {len(found) or 'no'} finding{'' if len(found) == 1 else 's'}")

    def start_lab(self, relay) -> None:
        world = self.world
        self.say(f"lab: {len(world.addresses)} servers on loopback in {world.startup_seconds or 0:.1f} s; "
                 f"{self.result.domain} on {', '.join(n.rstrip('.') for n in self.nameservers)}")
        for line in lab_world.ready(world, self.built.desired):
            self.say(f"  {line}")
        lab = labspec.Lab(rfc2136_server=world.primary_address(world.new_key), tsig_name=world.new_tsig.name,
                          root_hints=world.root_addresses, resolvers=world.resolver_addresses, smtp_port=relay.port,
                          old_nameservers=self.nameservers)
        self.lab = labspec.write(self.folder, labspec.data(self.written, self.user, lab, self.folder), self.user)
        # The provider reads the TSIG secret the one way secrets enter: an environment variable.
        os.environ[labspec.SECRET_ENV] = world.new_tsig.secret
        self.settings = Settings.from_spec(self.lab)
        ttl = self.world.delegations[self.world.domain].ttl
        tld = "." + self.result.domain.rsplit(".", 1)[-1]
        self.result.simulated.append(f"the {tld} TLD delegates with an NS TTL of {ttl} s, as verify assumes when it cannot "
                                     "measure a TLD's: the real one counts on the day")

    # -- 3 -----------------------------------------------------------------------------

    def stage(self) -> None:
        from migrate.lab.stage import apply

        def refused(inputs: dict, why: str) -> None:
            self.found.append(F.refused(inputs["name"], inputs["type"], why, self.user.domain))

        zone, proxied = host.stand_in(self.user, self.built.desired)
        count = apply(self.lab, zone, refused=refused)
        self.world.wait_synced(self.world.new_key)  # the secondaries have it too, as days before a real cutover
        self.say(f"stage: {count} record sets created on the new host by the Pulumi RFC 2136 provider")
        if self.user.dns.host != "rfc2136":
            self.result.simulated.append(f"the new host is the lab's Knot, filled by the Pulumi RFC 2136 provider, "
                                         f"standing in for {self.user.dns.host}")
        if proxied:
            self.result.simulated.append(f"{', '.join(names.relative(n, self.user.domain) for n in proxied)}: proxied, "
                                         f"answered with the lab's address {host.EDGE} as the proxy answers with its own")
        primary = self.world.new_servers[0]
        for rrset, target in host.inside_targets(self.built.desired):
            answers = [self.world.query(primary, target, rdtype) for rdtype in ("A", "AAAA")]
            if not any(r.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) for answer in answers for r in answer.answer):
                self.found.append(F.dangling(rrset, target, self.user.domain))

    # -- 4 -----------------------------------------------------------------------------

    def notify(self) -> None:
        """Every wave due before the gate, each at its due time (the announcement today)."""
        try:
            roster = recipients.roster(self.lab)
        except BadInput as exc:
            self.found += F.nobody("notify.recipients", str(exc))
            return
        if not roster.recipients:
            self.found += F.nobody(str(recipients.path_of(self.lab).name), "no licensed users on the domain in it")
            return
        languages = Counter(person.language for person in roster.recipients)
        self.result.notes.append(f"{len(roster.recipients)} recipients ({', '.join(f'{n} {lang}' for lang, n in sorted(languages.items()))}); "
                                 f"{len(roster.skipped)} rows of the export not mailed (unlicensed, blocked, other domains, ...)")
        self.roster_ok = True
        for name in (waves.ANNOUNCE, waves.REMINDER, waves.CUTOVER, waves.DATA_DEADLINE):
            self.send(name)
        self.result.simulated.append("the waves went to the lab's SMTP relay, not to users; the announcement today, "
                                     "the others at their due times (the ledger records the real time of sending)")

    def send(self, name: str, at: datetime | None = None) -> None:
        try:
            wave = wave_module.load(self.lab, name)
            due = self.today if name == waves.ANNOUNCE else at or waves.due(self.lab, name)
        except BadInput as exc:
            self.found.append(F.wave_problem(name, f"the {name} wave cannot go out: {exc}", "set the spec key it names"))
            return
        # Sent whatever its window says (the ledger records that it was outside): the rest of the run needs it.
        permit = wave_module.permit(wave, self.state, due, force=True)
        if name == waves.ANNOUNCE:
            self.found += F.notice(permit.forced, self.today, self.user.cutover, self.user.gate.notice_days, self.tz)
        elif permit.forced:
            self.found.append(F.wave_problem(name, f"at its due time ({self.at(due)}) the wave would be refused: {permit.forced}",
                                             "check notify.announce_days, reminder_days and deadline_notice_days against the dates"))
        letters = wave_module.write(wave, self.folder / "outbox" / name, owned=False)
        delivery = wave_module.send(wave, letters, self.state, permit)
        for missed in delivery.missing:
            self.found.append(F.wave_problem(name, f"{missed.address} was not accepted by the lab's SMTP relay: {missed.detail}",
                                             "check the address in the recipients file"))
        self.say(f"notify: {name} wave, {len(letters)} messages to the lab's SMTP relay (due {self.at(due)})")

    # -- 5, 6 --------------------------------------------------------------------------

    def switch(self) -> None:
        self.clock = Clock(self.cutover)
        self.world.move_delegation()
        self.say(f"cutover {self.at(self.clock.now())}: the TLD now delegates to "
                 f"{', '.join(n.rstrip('.') for n in self.user.dns.nameservers)}")

    def round(self) -> RoundResult:
        with Journal.open(self.state) as journal:
            result = asyncio.run(run_round(self.lab, self.settings, desired=self.built.desired, current=self.built.current,
                                           journal=journal, clock=self.clock.now))
        self.result.verify_rounds += 1
        self.last = result
        return result

    def expire_caches(self) -> None:
        """What the clock's jump skipped, the lab does at once: a resolver whose stale answers have all
        run out by now forgets them.

        When each runs out is what the round that first saw it stale said: the
        lab's caches count down on the wall clock, so later rounds, minutes of
        it later, would each say "a day from now" again.
        """
        for check in self.last.checks if self.last else []:
            if check.id == "resolver.stale":
                self.expiry.setdefault((check.server, check.subject), check.eta)
        now = self.clock.now()
        expired = []
        for name in self.world.resolvers:
            address = self.world.address(name)
            mine = [eta for (server, _), eta in self.expiry.items() if server == address]
            if mine and all(eta is not None and eta <= now for eta in mine):
                expired.append(name)
                self.expiry = {k: v for k, v in self.expiry.items() if k[0] != address}
        if expired:
            self.world.flush_resolvers(expired)

    def step(self) -> timedelta:
        return max(self.lab.gate.max_age - SCHEDULE_MARGIN, self.lab.gate.max_age / 2)

    def too_far(self, until: datetime) -> bool:
        """Reaching `until` on schedule would take the rehearsal past its rounds: say so instead."""
        needed = self.result.verify_rounds + (until - self.clock.now()) / self.step()
        if needed <= ROUNDS:
            return False
        self.found.append(F.incomplete(until, needed, ROUNDS, self.lab.gate.max_age, self.tz))
        return True

    def advance(self, until: datetime, *, until_verified: bool = False) -> RoundResult:
        """The scheduled verify, as CI runs it, from now until `until` (or the first verified round):
        a round at least every gate.max_age, so the gate never counts a gap as unwatched time."""
        step = self.step()
        while True:
            moment = min(self.clock.now() + step, until + JUMP_PAST)
            self.clock.jump(moment)
            self.expire_caches()
            result = self.round()
            if moment >= until + JUMP_PAST or (until_verified and result.status == "verified"):
                return result

    def verify(self) -> None:
        """Rounds from the cutover until verified, each wait the one the last round named."""
        result = self.round()
        for _ in range(CONVERGING_WAITS):
            self.say(f"verify {self.at(result.finished_at)}: {result.status.upper()}"
                     + (f", ETA {self.at(result.eta)}" if result.eta else ""))
            if result.status == "verified":
                self.verified = result
                return
            waits = [c.eta for c in result.checks if c.status == PENDING and c.eta is not None]
            if not waits:
                return  # failing, and waiting would not fix it
            if self.too_far(max(waits)):
                return
            result = self.advance(max(waits), until_verified=True)

    # -- 7 -----------------------------------------------------------------------------

    def gate(self) -> None:
        now = self.clock.now()
        simulated.write_facts(self.folder / labspec.FACTS, now, self.held)
        self.result.simulated.append(f"the domain's removal from the tenant, recorded at {self.at(now)}")
        if lab_world.microsoft_hosted(self.user.domain, self.nameservers):
            # Removing the domain removes the zone Microsoft's name servers serve: from now on they refuse it.
            for server in self.world.old_servers:
                self.world.refuse(server, self.world.old_key)
            self.result.simulated.append("from then on Microsoft's name servers refuse the zone, as they do once the domain is removed")
        domain = names.domain_id(self.user.domain)
        if self.verified is not None:
            store.attest(self.state, "data-saved", domain, simulated.BY, now, "simulated")
            self.result.simulated.append(f"the data-saved attestation, at {self.at(now)} (verify's safe time has passed)")
        expected = None  # the earliest unlock the last locked decision named
        for decision in range(GATE_DECISIONS):
            try:
                outcome = gate_run.run(self.lab, self.state, now=self.clock.now())
            except BadInput as exc:
                # the real gate stops here too (exit 2), on the spec the user wrote: a finding, with the rest
                self.found += F.gate_input(str(exc), self.found)
                return
            verdict = outcome.verdict
            self.result.gate_decisions += 1
            self.verdict = verdict
            if decision == 0:
                self.dns_ready = self.ready("dns", verdict)
            self.say(f"gate {self.at(verdict.generated_at)}: {verdict.status.upper()}"
                     + (f", earliest unlock {self.at(verdict.earliest_unlock)}" if verdict.earliest_unlock else ""))
            if verdict.unlocked:
                self.result.unlocked = True
                # the rehearsal got here a moment past the time the gate named: that time is when it can unlock
                self.unlocked_at = expected or verdict.generated_at
                if outcome.runbook:
                    (self.folder / "runbook.md").write_text(outcome.runbook, encoding="utf-8")
                self.after_cancel(verdict.generated_at)
                return
            if verdict.earliest_unlock is None:
                return
            expected = verdict.earliest_unlock
            if self.too_far(expected):
                return
            self.say(f"verify on schedule until {self.at(expected)}, a round every {duration.format(self.step())} of the clock")
            self.advance(expected)

    def ready(self, requirement: str, verdict) -> datetime | None:
        """When the gate's `requirement` can first pass, by its own checks: now, their latest ETA, or never (None)."""
        blocking = [c for c in verdict.checks if c.requirement == requirement and c.status != PASS]
        if any(c.eta is None for c in blocking):
            return None
        return max((c.eta for c in blocking), default=verdict.generated_at)

    def after_cancel(self, unlocked: datetime) -> None:
        """The cancellation (simulated) right after the gate unlocks, then the wave that follows it."""
        store.attest(self.state, store.CANCELLED, names.domain_id(self.user.domain), simulated.BY, unlocked, "simulated")
        self.result.simulated.append(f"the cancellation, attested at {self.at(unlocked)} when the gate unlocked")
        if self.roster_ok:
            self.send(waves.AFTER_CANCEL, unlocked)

    # -- findings and the timeline -----------------------------------------------------------

    def conclude(self) -> None:
        spec, result = self.user, self.result
        if self.last is not None and self.verified is None:
            found = F.from_verify(self.last.checks, spec.domain)
            waiting = next((c for c in self.last.checks if c.status == PENDING), None)
            self.found += found or F.still_converging(waiting, result.verify_rounds)
        elif self.verified is not None:
            self.found += F.from_verify(self.verified.checks, spec.domain)
        deadline = sources.promised_deadline(self.lab, self.state)
        mail_moved = self.verified.safe_after if self.verified else None
        self.found += F.ttl_wait(mail_moved, self.dns_ready, deadline.ends if deadline else None,
                                 deadline.source if deadline else "", self.basis(), spec.gate.min_soak, self.tz)
        unlocked = self.unlocked_at
        cancel = spec.notify.cancel_date if spec.notify else None
        cancel_ends = promise.ends(spec.local(cancel), self.tz) if cancel is not None else None
        self.found += F.cancel_late(unlocked, cancel_ends, f"notify.cancel_date {cancel}", self.tz)
        if not result.unlocked and self.verdict is not None:
            self.found += F.gate_locked(self.verdict.checks, self.found)
        result.skipped = self.clock.skipped.total_seconds()
        result.simulated.insert(0, f"the clock: it starts at the cutover and jumps to each time verify and the gate name, "
                                   f"{duration.format(self.clock.skipped)} in all; at each jump the lab's resolvers are "
                                   "flushed instead of waiting their TTLs out")
        # in time order; at the same time, in the order things happen (a deadline ends, then the gate unlocks)
        events = self.events(mail_moved, deadline, unlocked, cancel_ends)
        result.timeline = sorted(events, key=lambda e: (e.at is None, e.at or self.cutover, events.index(e)))

    def basis(self) -> str:
        ttls = self.verified.old_ttls if self.verified else []
        longest = max(ttls, key=lambda t: t.ttl, default=None)
        if longest is None:
            return "no old TTL"
        name, _, rdtype = longest.subject.partition(" ")
        what = "the TLD's NS TTL (assumed)" if longest.kind == PARENT_NS else f"the old {rdtype or 'NS'} TTL of {names.unicode(name)}"
        return f"{what}, {duration.format(timedelta(seconds=longest.ttl))}"

    def events(self, mail_moved, deadline, unlocked, cancel_ends) -> list[Event]:
        spec = self.user
        notice = spec.cutover - timedelta(days=spec.gate.notice_days)
        out = [
            Event(TODAY, self.today, "the rehearsal sends the announcement"),
            Event(NOTICE_DEADLINE, notice, f"last moment for the announcement to give {spec.gate.notice_days} days' notice"),
            Event(CUTOVER, self.cutover, "the cutover: MX and the delegation switch to the new host"),
            Event(VERIFY_PASSES, self.verified.finished_at if self.verified else None, "verify first passes"),
            Event(MAIL_MOVED, mail_moved, f"no cache can still send mail to Microsoft 365 ({self.basis()})"),
            Event(DNS_TRUSTED, self.dns_ready, f"the gate's dns requirement can pass (gate.min_soak {duration.format(spec.gate.min_soak)})"),
        ]
        if deadline is not None:
            out.append(Event(DATA_DEADLINE, deadline.ends, f"the data deadline users are given ends ({deadline.named})"))
        out.append(Event(GATE_UNLOCKS, unlocked, "the gate first unlocks: cancelling is allowed"))
        if cancel_ends is not None:
            out.append(Event(CANCEL_DATE, cancel_ends, f"the planned cancellation date ends ({spec.notify.cancel_date})"))
        return out
