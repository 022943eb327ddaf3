"""`migrate demo`: the whole exit of one company, offline, against real servers on loopback.

Nine phases, each the library functions a user's run goes through (the
commands call the same ones):

1. a lab world starts: root, TLDs, Microsoft's four bdm name servers serving
   the company's Microsoft 365 zone, a new host (Knot, empty), the hosts the
   records point at, and two Unbound resolvers whose caches are warmed with
   the OLD mail records;
2. the plan: desired zone, diff against the zone imported by AXFR, lint;
3. the announcement is rendered to an .eml outbox and sent through a real
   SMTP server (aiosmtpd) on loopback; the notify ledger records each delivery;
4. the desired zone is written to the new host by the Pulumi RFC 2136
   provider's own check()/create(), TSIG-signed, and read back by AXFR;
5. the TLD delegates the domain to the new host (the registrar change);
6. verify rounds, on the real clock, until the resolvers have forgotten the
   old MX and every old TTL has run out;
7. the gate, locked, and why;
8. the admin records what the gate needs (domain removed; data saved);
9. the gate, unlocked, and the cancel runbook.

Every report is kept as JSON under OUT/reports; the journal, the ledger and
the gate's audit trail are the SQLite files under OUT/state.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console

from migrate import duration, importer, lint, names, plan as planner, plan_report, report as report_module, spec as spec_module
from migrate.demo import scenario as S
from migrate.demo.show import Screen, clock, rel
from migrate.endpoint import Endpoint
from migrate.errors import EnvironmentProblem, MigrateError
from migrate.gate import run as gate_run
from migrate.gate import store
from migrate.history import run as history
from migrate.lab import preflight
from migrate.notify import admincopy, ledger, send, wave as wave_module, waves
from migrate.state import location
from migrate.verify import report as verify_report, watch as watcher
from migrate.verify.round import Settings
from migrate.zone import HOST_MANAGED

PHASES = (
    "Start the lab: a Danish company on Microsoft 365",
    "Plan the new zone",
    "Tell the users",
    "Stage the zone at the new DNS host (RFC 2136)",
    "Move the delegation (the registrar change)",
    "Verify until the old state has expired everywhere",
    "The cancel gate: locked",
    "Record what the gate needs",
    "The cancel gate: unlocked",
)
VERIFY_LIMIT = 60.0  # seconds of verify rounds before the demo gives up
SOAK_LIMIT = 60.0  # longest wait for the gate's soak the demo accepts
SECRET_ENV = "M365_EXIT_DEMO_TSIG_SECRET"
FIX_COMMAND = "make demo"  # how a user starts the demo, run as root or in a namespace when port 53 is refused
_MARKS = {plan_report.REMOVED: "red", plan_report.CHANGED: "yellow", plan_report.ADDED: "green"}


class Paths:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.spec = out / "migration.yaml"
        self.users = out / "users.csv"
        self.facts = out / "facts.yaml"
        self.zone = out / "zones" / f"{S.DOMAIN.rstrip('.')}.zone"
        self.state = out / "state"
        self.outbox = out / "outbox" / waves.ANNOUNCE
        self.relay = out / "relay"
        self.reports = out / "reports"
        self.page = out / "report.html"
        self.lab = out / "lab"


class Demo:
    def __init__(self, out: Path, keep: bool, console: Console) -> None:
        self.paths = Paths(out)
        self.keep = keep
        self.screen = Screen(console, PHASES)
        self.reports: list[Path] = []

    def save(self, name: str, data: dict) -> Path:
        self.paths.reports.mkdir(parents=True, exist_ok=True)
        path = self.paths.reports / name
        path.write_text(report_module.dumps(data), encoding="utf-8")
        self.reports.append(path)
        return path

    def saved(self, prefix: str) -> list[Path]:
        return [p for p in self.reports if p.name.startswith(prefix)]

    def run(self) -> int:
        from migrate.lab.relay import Relay
        from migrate.lab.scenario import MigrationWorld

        now = datetime.now(timezone.utc)
        self.cutover = S.cutover(now)
        # The lab serves the hosts the new records point at: compute the desired zone first,
        # from the same spec with placeholder addresses (the zone does not depend on them).
        provisional = self.write_spec(rfc2136_server="127.0.0.1", tsig_name="placeholder.", root_hints=["127.0.0.1"],
                                      resolvers=["127.0.0.1"], smtp_port=25, write=False)
        world_spec, meta = S.world_spec(planner.build(provisional, S.old_zone()).desired)

        self.screen.heading()
        self.screen.say(f"{S.COMPANY} ({S.DOMAIN.rstrip('.')}) has 6 licensed users on Microsoft 365, and Microsoft hosts its DNS.")
        self.screen.say("Mail moves to Simply.com; DNS moves to the company's own name servers (ns1/ns2.newhost.net, Knot, RFC 2136).")
        if self.keep:
            self.paths.lab.mkdir(parents=True, exist_ok=True)
        try:
            world = MigrationWorld.start(world_spec, **meta, timeout=30.0, base_dir=self.paths.lab if self.keep else None,
                                         keep_files=self.keep)
        except EnvironmentProblem as exc:
            raise EnvironmentProblem(preflight.lab_fix(str(exc), FIX_COMMAND)) from None
        with world, Relay(self.paths.relay) as relay:
            self.world, self.relay = world, relay
            self.start_lab(now)
            self.plan()
            self.notify()
            self.apply()
            self.move()
            self.verify()
            locked = self.gate(expect="locked")
            self.record(locked)
            self.gate(expect="unlocked")
        # What `migrate report` draws, from the state the run left: the page people look at.
        self.paths.page.write_text(history.report(self.spec, location.Folder(self.paths.state)), encoding="utf-8")
        self.summary()
        return 0

    def write_spec(self, *, rfc2136_server: str, tsig_name: str, root_hints: list[str], resolvers: list[str],
                   smtp_port: int, write: bool = True):
        data = S.spec_data(cutover_at=self.cutover, rfc2136_server=rfc2136_server, tsig_name=tsig_name,
                           secret_env=SECRET_ENV, root_hints=root_hints, resolvers=resolvers, smtp_port=smtp_port)
        if not write:
            return spec_module.parse(data, self.paths.spec)
        self.paths.spec.write_text(S.spec_text(data), encoding="utf-8")
        return spec_module.load(self.paths.spec)

    # -- 1 ---------------------------------------------------------------------

    def start_lab(self, now: datetime) -> None:
        world, paths, screen = self.world, self.paths, self.screen
        screen.note(f"lab started in {world.startup_seconds or 0:.1f}s: real Knot and Unbound processes on loopback")
        for line in world.describe():
            screen.note("  " + line)
        tsig = world.new_tsig
        self.spec = self.write_spec(rfc2136_server=world.primary_address(world.new_key), tsig_name=tsig.name,
                                    root_hints=world.root_addresses, resolvers=world.resolver_addresses, smtp_port=self.relay.port)
        # The secret reaches the provider the one way secrets enter: an environment variable.
        os.environ[SECRET_ENV] = tsig.secret
        paths.users.write_text(S.USERS_CSV, encoding="utf-8", newline="")
        users = [u for u in S.USERS_CSV.splitlines()[1:] if u]
        paths.facts.write_text(S.facts_text(now, domain_removed=False, references=[u.split(",")[-1] for u in users]), encoding="utf-8")
        # The current zone as `migrate import SPEC --from axfr` snapshots it, annotated
        # record by record. The lab's copy of Microsoft's servers allows a transfer
        # (Microsoft's do not: there, use --from live).
        old = world.address(world.old_servers[0])
        current = importer.from_axfr(self.spec.domain, Endpoint(old, 53))
        paths.zone.parent.mkdir(parents=True, exist_ok=True)
        paths.zone.write_text(importer.snapshot_text(current, f"AXFR from {S.BDM_NAMESERVERS[0]} ({old}, in the lab)"), encoding="utf-8")
        screen.say(f"wrote {rel(paths.spec, paths.out)}, users.csv, facts.yaml and {rel(paths.zone, paths.out)} "
                   f"({len(list(current))} RRsets imported from {S.BDM_NAMESERVERS[0].rstrip('.')})")
        screen.say("Resolvers warmed: they now cache the OLD mail records, as every resolver on the Internet does:")
        self.warm()

    def warm(self) -> None:
        for name, _, response in self.world.warm([(S.DOMAIN, "MX")]):
            address = self.world.address(name)
            for rrset in response.answer:
                values = ", ".join(sorted(r.to_text() for r in rrset))
                self.screen.say(f"  {name} {address:<13} {S.DOMAIN.rstrip('.')} MX {values}  (TTL {rrset.ttl}s left)")
            if not response.answer:
                raise MigrateError(f"lab: {name} gave no MX for {S.DOMAIN} (rcode {response.rcode()})")

    # -- 2 ---------------------------------------------------------------------

    def plan(self) -> None:
        screen = self.screen
        screen.heading()
        screen.real_world("migrate plan migration.yaml")
        result = planner.build(self.spec)
        findings = lint.lint(result)
        self.desired, self.current = result.desired, result.current
        changes = plan_report.changes(result)
        screen.table([(c.mark, names.relative(c.rrset.name, self.spec.domain), c.rrset.rdtype, ", ".join((c.new or c.old).values()),
                       self.why(c)) for c in changes], _MARKS)
        count = {mark: sum(1 for c in changes if c.mark == mark) for mark in _MARKS}
        kept = len([r for r in result.desired if r.rdtype not in HOST_MANAGED]) - count[plan_report.ADDED] - count[plan_report.CHANGED]
        screen.say(f"{count[plan_report.REMOVED]} removed (Microsoft 365), {count[plan_report.CHANGED]} changed, "
                   f"{count[plan_report.ADDED]} added, {kept} kept as they are")
        path = self.save("plan.json", plan_report.build(result, findings))
        if not findings:
            screen.say("lint: no findings", "green")
        for f in findings:
            screen.say(f"lint {f.level}: {f.rule} {f.subject}: {f.message}", "red" if f.level == "error" else "yellow")
        if lint.has_errors(findings):
            raise MigrateError(f"plan: lint errors in the demo's desired zone (see {path})")

    def why(self, change: plan_report.Change) -> str:
        """The rule's purpose in a few words, not its whole explanation."""
        if change.reasons:
            return change.reasons[0].purpose
        if change.dropped:
            return change.dropped
        if change.mark == plan_report.ADDED:
            return f"{self.spec.mail.display_name} asks for it"
        return "changed" if change.mark == plan_report.CHANGED else ""

    # -- 3 ---------------------------------------------------------------------

    def notify(self) -> None:
        screen, spec, paths = self.screen, self.spec, self.paths
        screen.heading()
        screen.real_world("migrate notify migration.yaml --wave announce --send")
        notice = wave_module.load(spec, waves.ANNOUNCE, on_note=lambda kind, text: screen.note(f"{kind}: {text}"))
        permit = wave_module.permit(notice, paths.state, datetime.now(timezone.utc))
        screen.note(f"--send is refused outside the wave's window: the announce wave goes out {wave_module.window(notice, paths.state).rule}")
        letters = wave_module.write(notice, paths.outbox, owned=False)
        delivery = wave_module.send(notice, letters, paths.state, permit)
        # The last column is the Office the export's licences give each user: the instructions differ by it.
        screen.table([(outcome.status, letter.recipient.address, letter.recipient.language, str(notice.message(letter.recipient).parsed()["Subject"]).strip(),
                       letter.recipient.plan) for letter, outcome in zip(letters, delivery.outcomes)], {send.DELIVERED: "green"}, default="red")
        if delivery.missing:
            bad = delivery.missing[0]
            raise MigrateError(f"notify: {bad.address} was not delivered to the relay: {bad.status} {bad.detail}".rstrip())
        screen.say(f"{len(letters)} messages in {rel(paths.outbox, paths.out)}/ and accepted by the SMTP relay "
                   f"(aiosmtpd, 127.0.0.1:{self.relay.port}); the ledger ({rel(ledger.path(paths.state), paths.out)}) "
                   "records each delivery time")
        unread = ", ".join(m.address for m in notice.roster.mailboxes)
        screen.say(f"the admin's copy ({rel(paths.outbox / admincopy.NAME, paths.out)}): who gets which instructions, and the "
                   f"mailboxes nobody is told about: {unread or 'none'}")
        deadline = spec.cutover - timedelta(days=spec.gate.notice_days)
        screen.say(
            f"Timeline: the spec's cutover is {spec.cutover.astimezone(spec.tz):%Y-%m-%d %H:%M} Copenhagen time, "
            f"{S.CUTOVER_DAYS} days from today, so the gate's notice check (every user told {spec.gate.notice_days} days "
            f"ahead, i.e. by {deadline.astimezone(spec.tz):%Y-%m-%d %H:%M}) is met by the delivery times the ledger just recorded."
        )
        screen.note("The lab then rehearses the cutover day at once; a real run waits for the announced date before phase 5.")

    # -- 4 ---------------------------------------------------------------------

    def apply(self) -> None:
        from migrate.lab.stage import apply, check_served

        screen, world = self.screen, self.world
        screen.heading()
        screen.real_world("pulumi up   (Pulumi.yaml runs stacks/, which picks the RFC 2136 provider from dns.host)")
        before = world.served(world.new_key)
        screen.say(f"the new host serves {len(list(before))} RRsets before (what Knot derives: {', '.join(sorted({r.rdtype for r in before}))})")
        settings = self.spec.dns.rfc2136
        screen.say(f"applying the desired zone through the provider's check() and create(): one TSIG-signed UPDATE per RRset "
                   f"to {settings.server} (key {settings.key_name.rstrip('.')}, secret from ${settings.secret_env})")

        def progress(logical: str, inputs: dict) -> None:
            screen.note(f"  created {inputs['type']:<5} {names.relative(inputs['name'], self.spec.domain):<24} ttl {inputs['ttl']}")

        count = apply(self.spec, self.desired, progress)
        check_served(world, self.desired)
        screen.say(f"{count} RRsets created; ns1 and ns2.newhost.net (primary and secondary, by NOTIFY and IXFR) "
                   "now serve exactly the desired zone (read back by AXFR)", "green")

    # -- 5 ---------------------------------------------------------------------

    def move(self) -> None:
        screen, world = self.screen, self.world
        screen.heading()
        screen.real_world("at the registrar (punktum.dk for .dk): replace the name servers with ns1/ns2.newhost.net")
        screen.say("Just before the change, the resolvers still hold the OLD MX:")
        self.warm()
        world.move_delegation()
        tld = world.parent_addresses(S.DOMAIN)[0]
        server = next(name for name, address in world.addresses.items() if address == tld)
        response = world.query(server, S.DOMAIN, "NS")
        ns = sorted(r.to_text() for rrset in response.authority for r in rrset if rrset.rdtype == 2)
        screen.say(f"a.nic.dk ({tld}) now delegates {S.DOMAIN.rstrip('.')} to {', '.join(n.rstrip('.') for n in ns)}", "green")
        if ns != sorted(world.new_nameservers):
            raise MigrateError(f"lab: the TLD delegates to {', '.join(ns)}, not the new host")
        screen.note("The resolvers do not know yet: they keep the cached MX until its TTL runs out.")

    # -- 6 ---------------------------------------------------------------------

    def verify(self) -> None:
        self.screen.heading()
        self.screen.real_world("migrate verify migration.yaml --watch   (and scheduled, e.g. hourly, in CI)")
        result = watcher.watch(self.verify_round, interval=self.spec.verify.interval.total_seconds(), timeout=VERIFY_LIMIT,
                               on_round=self.keep_round,
                               on_wait=lambda result, seconds, next_round: self.screen.note(
                                   f"  waiting {seconds:.1f}s (real time) {'for the next round' if next_round else 'until the time limit'}")).last
        if result is None:
            raise MigrateError(f"verify: no round completed in {VERIFY_LIMIT:.0f}s")
        if result.status != "verified":
            problems = [f"{c.id} {c.subject}" for c in result.checks if c.status != "pass"]
            raise MigrateError(f"verify: still {result.status} after {VERIFY_LIMIT:.0f}s ({'; '.join(problems[:3])})")

    def verify_round(self):
        return watcher.recorded_round(self.spec, Settings.from_spec(self.spec), self.paths.state, desired=self.desired, current=self.current)

    def keep_round(self, result) -> None:
        number = len(self.saved("verify-")) + 1
        path = self.save(f"verify-{number:02d}.json", verify_report.build(result))
        self.screen.verify_round(number, result, rel(path, self.paths.out))

    # -- 7 and 9 -----------------------------------------------------------------

    def gate(self, expect: str):
        screen = self.screen
        screen.heading()
        screen.real_world("migrate gate migration.yaml   (the job that guards the cancellation in CI)")
        outcome = gate_run.run(self.spec, self.paths.state)
        verdict = outcome.verdict
        path = self.save(f"gate-{len(self.saved('gate-')) + 1}-{verdict.status}.json", outcome.to_dict())
        screen.verdict(verdict)
        screen.note(f"  report: {rel(path, self.paths.out)}; decision appended to the audit trail in {rel(self.paths.state, self.paths.out)}/")
        if verdict.status != expect:
            blocking = [f"{c.id}: {c.observed}" for c in verdict.checks if c.status != "pass"]
            raise MigrateError(f"gate: {verdict.status}, expected {expect}" + (f" ({'; '.join(blocking[:3])})" if blocking else ""))
        if outcome.runbook:
            screen.document("Cancel runbook", outcome.runbook)
        return verdict

    # -- 8 ---------------------------------------------------------------------

    def record(self, locked) -> None:
        screen = self.screen
        screen.heading()
        now = datetime.now(timezone.utc)
        screen.real_world("admin center: move the users to fjordbageriet.onmicrosoft.com, remove the domain "
                          "(or `migrate m365 remove-domain migration.yaml` with Graph)")
        self.paths.facts.write_text(S.facts_text(now, domain_removed=True), encoding="utf-8")
        screen.say(f"facts.yaml: domain_removed: true, recorded by {S.ATTESTED_BY} (the demo has no Graph tenant to ask)")
        screen.real_world(f'migrate attest migration.yaml data-saved --by "{S.ATTESTED_BY}"')
        record = store.attest(self.paths.state, "data-saved", names.domain_id(self.spec.domain), S.ATTESTED_BY, now,
                              "OneDrive and SharePoint files copied to the company's new storage")
        screen.say(f"attested: data-saved by {record.by} at {clock(record.at)}", "green")
        soak = next((c for c in locked.checks if c.id == "timing.soak" and c.status == "pending"), None)
        if soak is not None and soak.eta is not None:
            wait = (soak.eta - datetime.now(timezone.utc)).total_seconds()
            if wait > SOAK_LIMIT:
                raise MigrateError(f"gate: the soak ends at {clock(soak.eta)}, more than {SOAK_LIMIT:.0f}s away")
            if wait > 0:
                screen.say(f"waiting {wait:.1f}s (real time) for the soak: first fully seen + old TTLs + gate.min_soak "
                           f"{duration.format(self.spec.gate.min_soak)}")
                time.sleep(wait + 0.2)
        # One more round, as the scheduled verify would run: the gate wants a fresh, held journal.
        self.keep_round(asyncio.run(self.verify_round()))

    # -- the end -----------------------------------------------------------------

    def summary(self) -> None:
        screen, paths = self.screen, self.paths
        screen.console.print()
        screen.rule(f"Done in {screen.elapsed():.0f}s: the gate is unlocked", "bold green")
        rows = [
            ("spec", paths.spec),
            ("emails (.eml)", paths.outbox),
            ("as the relay got them", paths.relay),
            ("reports (JSON)", paths.reports),
            ("the report page", paths.page),
            ("verify journal", paths.state / "journal.sqlite"),
            ("ledger, gate audit", paths.state),
        ]
        if self.keep:
            rows.append(("lab files", paths.lab))
        for label, path in rows:
            screen.say(f"  {label:<22} {path}")
        screen.note(f"  {len(self.saved('verify-'))} verify rounds, {len(self.saved('gate-'))} gate decisions: "
                    + ", ".join(p.name for p in self.reports))
        screen.note(f"  see the decisions: migrate gate {rel(paths.spec, Path.cwd())} --state {rel(paths.state, Path.cwd())} --explain")


def run(out: Path | None, keep: bool, console: Console) -> int:
    folder = preflight.prepare(out, "m365-exit-demo-", "the demo's journal and ledger must start empty")
    preflight.check_lab(FIX_COMMAND)  # before anything is written: a lab that cannot start leaves no half-made folder
    preflight.create(folder)
    return Demo(folder, keep, console).run()
