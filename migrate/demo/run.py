"""`migrate demo`: the whole exit of one company, offline, against real servers on loopback.

Nine phases, each the real code a user's run goes through:

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
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console
from rich.text import Text

from migrate import duration, lint, names, plan as planner, report as report_module, spec as spec_module
from migrate.demo import scenario as S
from migrate.endpoint import Endpoint
from migrate.errors import BadInput, EnvironmentProblem, MigrateError
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
_STYLE = {"pass": "green", "fail": "red", "pending": "yellow", "unknown": "magenta",
          "verified": "bold green", "converging": "bold yellow", "failing": "bold red",
          "locked": "bold red", "unlocked": "bold green"}


@dataclass(frozen=True)
class Paths:
    out: Path

    @property
    def spec(self) -> Path:
        return self.out / "migration.yaml"

    @property
    def users(self) -> Path:
        return self.out / "users.csv"

    @property
    def facts(self) -> Path:
        return self.out / "facts.yaml"

    @property
    def zone(self) -> Path:
        return self.out / "zones" / f"{S.DOMAIN.rstrip('.')}.zone"

    @property
    def state(self) -> Path:
        return self.out / "state"

    @property
    def outbox(self) -> Path:
        return self.out / "outbox" / "announce"

    @property
    def relay(self) -> Path:
        return self.out / "relay"

    @property
    def reports(self) -> Path:
        return self.out / "reports"

    @property
    def lab(self) -> Path:
        return self.out / "lab"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _clock(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%H:%M:%S UTC") if value else "-"


def _in(value: datetime | None) -> str:
    if value is None:
        return ""
    left = (value - _now()).total_seconds()
    return f" (in {left:.0f}s)" if left > 0 else ""


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


class Demo:
    def __init__(self, out: Path, keep: bool, console: Console) -> None:
        self.paths = Paths(out)
        self.keep = keep
        self.console = console
        self.phase = 0
        self.started = time.monotonic()
        self.reports: list[Path] = []

    # -- output ---------------------------------------------------------------

    def heading(self) -> None:
        self.phase += 1
        elapsed = time.monotonic() - self.started
        self.console.print()
        self.console.rule(Text(f"{self.phase}/{len(PHASES)} {PHASES[self.phase - 1]}", "bold cyan"), align="left")
        self.console.print(Text(f"t+{elapsed:.1f}s", "dim"))

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(Text(text, style or ""))

    def note(self, text: str) -> None:
        self.console.print(Text(text, "dim"))

    def table(self, rows: list[tuple[str, ...]], styles: dict[str, str], default: str = "") -> None:
        """One line per row, never wrapped: the first cell coloured, the last two cut to the width left."""
        if not rows:
            return
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        widths[1] = min(widths[1], 26)
        room = max(20, self.console.width - sum(widths) - 8)
        value_width = room if not any(r[4] for r in rows) else max(12, room * 3 // 5)
        for row in rows:
            head, name, kind, value, why = row
            text = Text.assemble(
                (f"  {head:<{widths[0]}} ", styles.get(head, default)),
                f"{_cut(name, widths[1]):<{widths[1]}} {kind:<{widths[2]}} ",
                _cut(value, value_width).ljust(value_width if why else 0),
                ("  " + _cut(why, room - value_width), "dim") if why else "",
            )
            self.console.print(text, no_wrap=True, overflow="ellipsis", crop=True)

    def real_world(self, command: str) -> None:
        self.console.print(Text.assemble(("  in a real run: ", "dim"), (command, "dim italic")))

    def save(self, name: str, data: dict) -> Path:
        self.paths.reports.mkdir(parents=True, exist_ok=True)
        path = self.paths.reports / name
        path.write_text(report_module.dumps(data), encoding="utf-8")
        self.reports.append(path)
        return path

    # -- the run ---------------------------------------------------------------

    def run(self) -> int:
        from migrate.demo.relay import Relay
        from migrate.lab.scenario import MigrationWorld

        now = _now()
        self.cutover = S.cutover(now)
        # The lab serves the hosts the new records point at: compute the desired zone first,
        # from the same spec with placeholder addresses (the zone does not depend on them).
        provisional = self.write_spec(rfc2136_server="127.0.0.1", tsig_name="placeholder.", root_hints=["127.0.0.1"],
                                      resolvers=["127.0.0.1"], smtp_port=25, write=False)
        desired = planner.build(provisional, S.old_zone()).desired
        world_spec, meta = S.world_spec(desired)

        self.heading()
        self.say(f"{S.COMPANY} ({S.DOMAIN.rstrip('.')}) has 6 licensed users on Microsoft 365, and Microsoft hosts its DNS.")
        self.say("Mail moves to Simply.com; DNS moves to the company's own name servers (ns1/ns2.newhost.net, Knot, RFC 2136).")
        if self.keep:
            self.paths.lab.mkdir(parents=True, exist_ok=True)
        try:
            world = MigrationWorld.start(world_spec, **meta, timeout=30.0, base_dir=self.paths.lab if self.keep else None,
                                         keep_files=self.keep)
        except EnvironmentProblem as exc:
            raise EnvironmentProblem(_lab_fix(str(exc))) from None
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
        self.summary()
        return 0

    # -- files -----------------------------------------------------------------

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
        from migrate import importer

        world = self.world
        self.note(f"lab started in {world.startup_seconds or 0:.1f}s: real Knot and Unbound processes on loopback")
        for line in world.describe():
            self.note("  " + line)
        tsig = world.new_tsig
        self.spec = self.write_spec(
            rfc2136_server=world.primary_address(world.new_key),
            tsig_name=tsig.name,
            root_hints=world.root_addresses,
            resolvers=world.resolver_addresses,
            smtp_port=self.relay.port,
        )
        # The secret reaches the provider the one way secrets enter: an environment variable.
        os.environ[SECRET_ENV] = tsig.secret
        self.paths.users.write_text(S.USERS_CSV, encoding="utf-8", newline="")
        users = [u for u in S.USERS_CSV.splitlines()[1:] if u]
        self.paths.facts.write_text(
            S.facts_text(now, domain_removed=False, references=[u.split(",")[-1] for u in users]), encoding="utf-8"
        )
        # The current zone as `migrate import SPEC --from axfr` snapshots it, annotated
        # record by record. The lab's copy of Microsoft's servers allows a transfer
        # (Microsoft's do not: there, use --from live).
        old = world.address(world.old_servers[0])
        current = importer.from_axfr(self.spec.domain, Endpoint(old, 53))
        self.paths.zone.parent.mkdir(parents=True, exist_ok=True)
        self.paths.zone.write_text(
            importer.snapshot_text(current, f"AXFR from {S.BDM_NAMESERVERS[0]} ({old}, in the lab)"), encoding="utf-8"
        )
        self.say(f"wrote {_rel(self.paths.spec, self.paths.out)}, users.csv, facts.yaml and "
                 f"{_rel(self.paths.zone, self.paths.out)} ({len(list(current))} RRsets imported from {S.BDM_NAMESERVERS[0].rstrip('.')})")
        self.say("Resolvers warmed: they now cache the OLD mail records, as every resolver on the Internet does:")
        self.warm()

    def warm(self) -> None:
        for name, address in zip(self.world.resolvers, self.world.resolver_addresses):
            response = self.world.query(name, S.DOMAIN, "MX")
            for rrset in response.answer:
                values = ", ".join(sorted(r.to_text() for r in rrset))
                self.say(f"  {name} {address:<13} {S.DOMAIN.rstrip('.')} MX {values}  (TTL {rrset.ttl}s left)")
            if not response.answer:
                raise MigrateError(f"lab: {name} gave no MX for {S.DOMAIN} (rcode {response.rcode()})")

    # -- 2 ---------------------------------------------------------------------

    def plan(self) -> None:
        from migrate.cli.plan import report

        self.heading()
        self.real_world("migrate plan migration.yaml")
        result = planner.build(self.spec)
        findings = lint.lint(result)
        self.desired, self.current = result.desired, result.current
        changes = result.diff()
        # the rule's label ("Outlook Autodiscover to Exchange Online"), not its whole explanation
        reasons = {r.rrset.key: r.reasons[0][1].split(":")[0] if r.reasons else "" for r in result.microsoft365}
        origin = self.spec.domain
        rows: list[tuple[str, str, str, str, str]] = []
        for rrset in changes.removed:
            rows.append(("-", names.relative(rrset.name, origin), rrset.rdtype, ", ".join(rrset.values()), reasons.get(rrset.key, "")))
        for old, new in changes.changed:
            rows.append(("~", names.relative(old.name, origin), old.rdtype, ", ".join(new.values()), reasons.get(old.key, "") or "changed"))
        for rrset in changes.added:
            rows.append(("+", names.relative(rrset.name, origin), rrset.rdtype, ", ".join(rrset.values()), f"{self.spec.mail.display_name} asks for it"))
        self.table(rows, {"-": "red", "~": "yellow", "+": "green"})
        kept = len([r for r in result.desired if r.rdtype not in HOST_MANAGED]) - len(changes.added) - len(changes.changed)
        self.say(f"{len(changes.removed)} removed (Microsoft 365), {len(changes.changed)} changed, {len(changes.added)} added, {kept} kept as they are")
        path = self.save("plan.json", report(result, findings))
        if not findings:
            self.say("lint: no findings", "green")
        for f in findings:
            self.say(f"lint {f.level}: {f.rule} {f.subject}: {f.message}", "red" if f.level == "error" else "yellow")
        if lint.has_errors(findings):
            raise MigrateError(f"plan: lint errors in the demo's desired zone (see {path})")

    # -- 3 ---------------------------------------------------------------------

    def notify(self) -> None:
        from migrate.notify import ledger, message, outbox, recipients, render, send, waves

        self.heading()
        self.real_world("migrate notify migration.yaml --wave announce --send")
        spec = self.spec
        wave = waves.ANNOUNCE
        facts = waves.require(spec, wave)
        roster = recipients.roster(spec)
        for skipped in roster.skipped:
            self.note(f"skipped: {skipped}")
        outbox.clear(self.paths.outbox)
        items = []
        for index, recipient in enumerate(roster.recipients, 1):
            msg = message.build(spec, wave, recipient, render.render(facts, recipient, wave))
            outbox.write(self.paths.outbox, index, recipient.address, msg)
            items.append((recipient, msg))
        outcomes = send.send(spec, wave, items, self.paths.state)
        rows = [(outcome.status, recipient.address, recipient.language, str(msg["Subject"]), "")
                for (recipient, msg), outcome in zip(items, outcomes)]
        self.table(rows, {send.DELIVERED: "green"}, default="red")
        bad = [o for o in outcomes if o.status not in (send.DELIVERED, send.ALREADY)]
        if bad:
            raise MigrateError(f"notify: {bad[0].address} was not delivered to the relay: {bad[0].status} {bad[0].detail}".rstrip())
        self.say(f"{len(items)} messages in {_rel(self.paths.outbox, self.paths.out)}/ and accepted by the SMTP relay "
                 f"(aiosmtpd, 127.0.0.1:{self.relay.port}); the ledger ({_rel(ledger.path(self.paths.state), self.paths.out)}) "
                 "records each delivery time")
        deadline = spec.cutover - timedelta(days=spec.gate.notice_days)
        local = spec.cutover.astimezone(spec.tz)
        self.say(
            f"Timeline: the spec's cutover is {local:%Y-%m-%d %H:%M} Copenhagen time, {S.CUTOVER_DAYS} days from today, "
            f"so the gate's notice check (every user told {spec.gate.notice_days} days ahead, i.e. by "
            f"{deadline.astimezone(spec.tz):%Y-%m-%d %H:%M}) is met by the delivery times the ledger just recorded."
        )
        self.note("The lab then rehearses the cutover day at once; a real run waits for the announced date before phase 5.")

    # -- 4 ---------------------------------------------------------------------

    def apply(self) -> None:
        from migrate.demo.apply import apply

        self.heading()
        self.real_world("pulumi up   (Pulumi.yaml runs stacks/, which picks the RFC 2136 provider from dns.host)")
        world = self.world
        before = world.served(world.new_key)
        self.say(f"the new host serves {len(list(before))} RRsets before (what Knot derives: "
                 f"{', '.join(sorted({r.rdtype for r in before}))})")
        settings = self.spec.dns.rfc2136
        self.say(f"applying the desired zone through the provider's check() and create(): one TSIG-signed UPDATE per RRset "
                 f"to {settings.server} (key {settings.key_name.rstrip('.')}, secret from ${settings.secret_env})")

        def progress(logical: str, inputs: dict) -> None:
            self.note(f"  created {inputs['type']:<5} {names.relative(inputs['name'], self.spec.domain):<24} ttl {inputs['ttl']}")

        count = apply(self.spec, self.desired, progress)
        world.wait_synced(world.new_key)
        for server in world.new_servers:
            served = world.served(world.new_key, server)
            differences = planner.diff(served, self.desired)
            if len(differences):
                first = [*(f"{r.name} {r.rdtype} missing" for r in differences.added),
                         *(f"{r.name} {r.rdtype} not desired" for r in differences.removed),
                         *(f"{o.name} {o.rdtype} {o.ttl} {o.values()} instead of {n.ttl} {n.values()}" for o, n in differences.changed)][0]
                raise MigrateError(f"apply: {server} does not serve the desired zone ({len(differences)} differences, e.g. {first})")
        self.say(f"{count} RRsets created; ns1 and ns2.newhost.net (primary and secondary, by NOTIFY and IXFR) "
                 "now serve exactly the desired zone (read back by AXFR)", "green")

    # -- 5 ---------------------------------------------------------------------

    def move(self) -> None:
        self.heading()
        self.real_world("at the registrar (punktum.dk for .dk): replace the name servers with ns1/ns2.newhost.net")
        self.say("Just before the change, the resolvers still hold the OLD MX:")
        self.warm()
        self.world.move_delegation()
        tld = self.world.parent_addresses(S.DOMAIN)[0]
        response = self.world.query(self._tld_server(), S.DOMAIN, "NS")
        ns = sorted(r.to_text() for rrset in response.authority for r in rrset if rrset.rdtype == 2)
        self.say(f"a.nic.dk ({tld}) now delegates {S.DOMAIN.rstrip('.')} to {', '.join(n.rstrip('.') for n in ns)}", "green")
        if sorted(ns) != sorted(self.world.new_nameservers):
            raise MigrateError(f"lab: the TLD delegates to {', '.join(ns)}, not the new host")
        self.note("The resolvers do not know yet: they keep the cached MX until its TTL runs out.")

    def _tld_server(self) -> str:
        address = self.world.parent_addresses(S.DOMAIN)[0]
        return next(name for name, a in self.world.addresses.items() if a == address)

    # -- 6 ---------------------------------------------------------------------

    def verify(self) -> None:
        from migrate.journal import Journal
        from migrate.verify import report
        from migrate.verify.round import Settings, run_round

        self.heading()
        self.real_world("migrate verify migration.yaml --watch   (and scheduled, e.g. hourly, in CI)")
        settings = Settings.from_spec(self.spec)
        deadline = time.monotonic() + VERIFY_LIMIT
        number = 0
        while True:
            number += 1
            with Journal.open(self.paths.state) as journal:
                result = asyncio.run(run_round(self.spec, settings, desired=self.desired, current=self.current, journal=journal))
            path = self.save(f"verify-{number:02d}.json", report.build(result))
            self.show_round(number, result, path)
            if result.status == "verified":
                self.first_seen = result.first_fully_seen
                return
            if time.monotonic() > deadline:
                problems = [f"{c.id} {c.subject}" for c in result.checks if c.status != "pass"]
                raise MigrateError(f"verify: still {result.status} after {VERIFY_LIMIT:.0f}s ({'; '.join(problems[:3])})")
            pause = 1.0
            if result.eta is not None:
                pause = max(0.5, (result.eta - _now()).total_seconds() + 0.3)
            pause = min(pause, max(0.5, deadline - time.monotonic()))
            self.note(f"  waiting {pause:.1f}s (real time) for the next round")
            time.sleep(pause)

    def show_round(self, number: int, result, path: Path) -> None:
        counts = {s: sum(1 for c in result.checks if c.status == s) for s in ("pass", "fail", "pending", "unknown")}
        line = Text.assemble(
            f"round {number}  ",
            (result.status.upper(), _STYLE.get(result.status, "bold")),
            f"  {counts['pass']} pass, {counts['pending']} pending, {counts['fail']} fail, {counts['unknown']} unknown; "
            f"{result.queries} queries",
        )
        if result.eta:
            line.append(f"; ETA {_clock(result.eta)}{_in(result.eta)}")
        self.console.print(line)
        for check in result.checks:
            if check.status == "pass":
                continue
            where = f" @ {check.server}" if check.server else ""
            self.console.print(Text.assemble(("    ", ""), (f"{check.status:<8}", _STYLE[check.status]),
                                             f"{check.id} {check.subject}{where}: {check.detail}"))
        if result.status == "verified":
            self.say(f"  every parent, authoritative server and resolver serves the new state; old TTLs expired "
                     f"(safe since {_clock(result.safe_after)})", "green")
        self.note(f"  report: {_rel(path, self.paths.out)}")

    # -- 7 and 9 -----------------------------------------------------------------

    def gate(self, expect: str):
        from migrate.gate import engine, runbook, sources

        self.heading()
        self.real_world("migrate gate migration.yaml   (the job that guards the cancellation in CI)")
        now = _now()
        verdict, gathered = engine.decide(self.spec, sources.default(self.spec, self.paths.state, now=now), self.paths.state, now)
        text = runbook.render(self.spec, verdict, gathered.get("licences"), now, lang="en") if verdict.unlocked else None
        number = sum(1 for p in self.reports if p.name.startswith("gate-")) + 1
        path = self.save(f"gate-{number}-{verdict.status}.json", {**verdict.to_dict(), "runbook": text})
        for check in verdict.checks:
            self.console.print(Text.assemble((f"{check.status:<8}", _STYLE[check.status]), f"{check.id}  {check.subject}: {check.observed}"))
            if check.status != "pass" and check.fix:
                self.note(f"         fix: {check.fix}")
        summary = ", ".join(f"{name} {status}" for name, status in verdict.requirements.items())
        self.console.print(Text(f"{verdict.status.upper()}: {summary}", _STYLE[verdict.status]))
        self.note(f"  report: {_rel(path, self.paths.out)}; decision appended to the audit trail in {_rel(self.paths.state, self.paths.out)}/")
        if verdict.status != expect:
            blocking = [f"{c.id}: {c.observed}" for c in verdict.checks if c.status != "pass"]
            raise MigrateError(f"gate: {verdict.status}, expected {expect}" + (f" ({'; '.join(blocking[:3])})" if blocking else ""))
        if text:
            self.console.rule(Text("Cancel runbook", "bold"), align="left")
            self.console.print(text, markup=False, end="")
        return verdict

    # -- 8 ---------------------------------------------------------------------

    def record(self, locked) -> None:
        from migrate.gate import store
        from migrate.names import domain_id

        self.heading()
        now = _now()
        self.real_world("admin center: move the users to fjordbageriet.onmicrosoft.com, remove the domain "
                        "(or `migrate m365 remove-domain migration.yaml` with Graph)")
        self.paths.facts.write_text(S.facts_text(now, domain_removed=True), encoding="utf-8")
        self.say(f"facts.yaml: domain_removed: true, recorded by {S.ATTESTED_BY} (the demo has no Graph tenant to ask)")
        self.real_world(f'migrate attest migration.yaml data-saved --by "{S.ATTESTED_BY}"')
        record = store.attest(self.paths.state, "data-saved", domain_id(self.spec.domain), S.ATTESTED_BY, now,
                              "OneDrive and SharePoint files copied to the company's new storage")
        self.say(f"attested: data-saved by {record.by} at {_clock(record.at)}", "green")
        soak = next((c for c in locked.checks if c.id == "timing.soak" and c.status == "pending"), None)
        if soak is not None and soak.eta is not None:
            wait = (soak.eta - _now()).total_seconds()
            if wait > SOAK_LIMIT:
                raise MigrateError(f"gate: the soak ends at {_clock(soak.eta)}, more than {SOAK_LIMIT:.0f}s away")
            if wait > 0:
                self.say(f"waiting {wait:.1f}s (real time) for the soak: first fully seen + old TTLs + gate.min_soak "
                         f"{duration.format(self.spec.gate.min_soak)}")
                time.sleep(wait + 0.2)
        self.reverify()

    def reverify(self) -> None:
        """One more round, as the scheduled verify would run: the gate wants a fresh, held journal."""
        from migrate.journal import Journal
        from migrate.verify import report
        from migrate.verify.round import Settings, run_round

        number = sum(1 for p in self.reports if p.name.startswith("verify-")) + 1
        with Journal.open(self.paths.state) as journal:
            result = asyncio.run(run_round(self.spec, Settings.from_spec(self.spec), desired=self.desired, current=self.current, journal=journal))
        path = self.save(f"verify-{number:02d}.json", report.build(result))
        self.show_round(number, result, path)

    # -- the end -----------------------------------------------------------------

    def summary(self) -> None:
        elapsed = time.monotonic() - self.started
        self.console.print()
        self.console.rule(Text(f"Done in {elapsed:.0f}s: the gate is unlocked", "bold green"), align="left")
        rows = [
            ("spec", self.paths.spec),
            ("emails (.eml)", self.paths.outbox),
            ("as the relay got them", self.paths.relay),
            ("reports (JSON)", self.paths.reports),
            ("verify journal", self.paths.state / "journal.sqlite"),
            ("ledger, gate audit", self.paths.state),
        ]
        if self.keep:
            rows.append(("lab files", self.paths.lab))
        for label, path in rows:
            self.say(f"  {label:<22} {path}")
        self.note(f"  {len([p for p in self.reports if p.name.startswith('verify-')])} verify rounds, "
                  f"{len([p for p in self.reports if p.name.startswith('gate-')])} gate decisions: "
                  + ", ".join(p.name for p in self.reports))
        self.note(f"  see the decisions: migrate gate {_rel(self.paths.spec, Path.cwd())} --state {_rel(self.paths.state, Path.cwd())} --explain")


SECRET_ENV = "M365_EXIT_DEMO_TSIG_SECRET"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _userns_works() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    try:
        return subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _fix_command() -> str:
    return "unshare -rn make demo" if _userns_works() else "sudo make demo"


def _lab_fix(message: str) -> str:
    if os.geteuid() != 0 and ("permission denied" in message or "cannot bind" in message):
        return f"the demo's DNS lab needs port 53 on loopback: run `{_fix_command()}`"
    return message


def preflight() -> None:
    """Fail before any work when the lab cannot start, naming the one command that fixes it."""
    from migrate.lab import env

    env.check_binaries()
    try:
        # 127.53.0.0/24 is never a world's slot (those are 127.53.1-254.0), so the probe collides with nobody
        env.check_port_53("127.53.0.254")
    except EnvironmentProblem as exc:
        raise EnvironmentProblem(_lab_fix(str(exc))) from None


def prepare(out: Path | None) -> Path:
    if out is None:
        return Path(tempfile.mkdtemp(prefix="m365-exit-demo-"))  # made now, empty, ours
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out}: not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise BadInput(f"--out {out}: the folder is not empty (the demo's journal and ledger must start empty); choose a new one")
    return out


def run(out: Path | None = None, keep: bool = False, console: Console | None = None) -> int:
    from migrate.cli import output

    folder = prepare(out)
    preflight()  # before anything is written: a lab that cannot start leaves no half-made folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--out {folder}: cannot create the folder ({exc.strerror})") from None
    return Demo(folder, keep, console or output.stdout).run()
