"""`migrate plan SPEC... [--json]`: the desired zone, its lint, and the diff; for several specs or a folder,
each domain in turn and a summary line (exit 1 when any domain has a lint error)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from migrate import lint, names, plan as planner, plan_report, text
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import JsonOpt, SpecsArg, StateOpt, load_set

_MARKS = {plan_report.REMOVED: "red", plan_report.CHANGED: "yellow", plan_report.ADDED: "green"}


def _short(values: list[str], width: int = 72) -> str:
    return "\n".join(v if len(v) <= width else v[: width - 1] + "…" for v in map(text.line, values))


def _show(result: planner.Plan, findings: list[lint.Finding]) -> None:
    out = output.stdout
    out.rule(f"Desired zone for {result.spec.domain}")
    out.print(result.desired.to_text(), markup=False, end="")
    changes = plan_report.changes(result)
    out.rule(f"Changes against the current zone ({len(changes)})")
    table = Table(show_header=True, header_style="bold", expand=True)
    for column, ratio in (("", None), ("name", 2), ("type", None), ("ttl", None), ("value", 4), ("why", 3)):
        table.add_column(column, overflow="fold", ratio=ratio)
    for change in changes:
        old, new = change.old, change.new
        # The rdata as in the zone file: TXT strings quoted one by one, so a change of boundaries shows.
        if old and new:
            ttl = str(new.ttl) if old.ttl == new.ttl else f"{old.ttl}→{new.ttl}"
            values = [*("- " + v for v in sorted(old.rdatas - new.rdatas)), *("+ " + v for v in sorted(new.rdatas - old.rdatas))]
        else:
            ttl, values = str(change.rrset.ttl), change.rrset.sorted_rdatas()
        cells = (names.relative(change.rrset.name, result.spec.domain), change.rrset.rdtype, ttl)
        # Values from the zone file, one per line in the cell: each value folded to one line first.
        table.add_row(Text(change.mark, _MARKS[change.mark]), *map(output.inert, cells), Text(_short(values)), output.inert(change.why))
    out.print(table)
    out.rule("Lint")
    if not findings:
        out.print("no findings", style="green")
    for f in findings:
        output.line((f"{f.level:<8}", "red" if f.level == "error" else "yellow"), f"{f.rule:<22} {f.subject}: {f.message}")


@app.command("plan")
def plan_command(specs: SpecsArg, state: StateOpt = None, json: JsonOpt = False) -> None:
    """Compute the desired zone, lint it, and show the diff against the current zone."""

    def body() -> int:
        loaded, single = load_set(specs)
        plans = []
        for spec in loaded.specs:
            result = planner.build(spec)
            plans.append((result, lint.lint(result)))
        if json:
            output.emit_json(plan_report.build(*plans[0]) if single else plan_report.build_set(plans))
        else:
            for result, findings in plans:
                _show(result, findings)
        errors = sum(1 for _, findings in plans if lint.has_errors(findings))
        if not single and not json:
            output.line((f"{len(plans)} domains: ", "bold"), f"{len(plans) - errors} ok, {errors} with lint errors")
        return 1 if errors else 0

    output.run(body)
