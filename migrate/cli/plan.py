"""`migrate plan SPEC [--json]`: the desired zone, its lint, and the diff."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.table import Table
from rich.text import Text

from migrate import lint, names, plan as planner
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import JsonOpt, SpecArg, StateOpt, load


def report(result: planner.Plan, findings: list[lint.Finding]) -> dict:
    return {
        "domain": result.spec.domain,
        "status": "lint-errors" if lint.has_errors(findings) else "ok",
        "generated_at": datetime.now(timezone.utc),
        "desired": [r.to_dict() for r in result.desired],
        "lint": [f.to_dict() for f in findings],
        "diff": result.diff().to_dict(),
        "microsoft365": [r.to_dict() for r in result.microsoft365],
    }


def _short(values: list[str], width: int = 72) -> str:
    return "\n".join(v if len(v) <= width else v[: width - 1] + "…" for v in values)


def _show(result: planner.Plan, findings: list[lint.Finding]) -> None:
    out = output.stdout
    out.rule(f"Desired zone for {result.spec.domain}")
    out.print(result.desired.to_text(), markup=False, end="")
    changes = result.diff()
    reasons = {r.rrset.key: "; ".join(why for _, why in r.reasons) for r in result.microsoft365}
    out.rule(f"Changes against the current zone ({len(changes)})")
    table = Table(show_header=True, header_style="bold", expand=True)
    for column, ratio in (("", None), ("name", 2), ("type", None), ("ttl", None), ("value", 4), ("why", 3)):
        table.add_column(column, overflow="fold", ratio=ratio)
    origin = result.spec.domain
    for rrset in changes.removed:
        table.add_row(Text("-", "red"), names.relative(rrset.name, origin), rrset.rdtype, str(rrset.ttl), _short(rrset.values()), reasons.get(rrset.key, ""))
    for old, new in changes.changed:
        ttl = str(new.ttl) if old.ttl == new.ttl else f"{old.ttl}→{new.ttl}"
        lines = [*("- " + v for v in sorted(set(old.values()) - set(new.values()))), *("+ " + v for v in sorted(set(new.values()) - set(old.values())))]
        table.add_row(Text("~", "yellow"), names.relative(old.name, origin), old.rdtype, ttl, _short(lines), reasons.get(old.key, ""))
    for rrset in changes.added:
        table.add_row(Text("+", "green"), names.relative(rrset.name, origin), rrset.rdtype, str(rrset.ttl), _short(rrset.values()), "")
    out.print(table)
    out.rule("Lint")
    if not findings:
        out.print("no findings", style="green")
    for f in findings:
        out.print(Text.assemble((f"{f.level:<8}", "red" if f.level == "error" else "yellow"), f"{f.rule:<22} {f.subject}: {f.message}"))


@app.command("plan")
def plan_command(spec: SpecArg, state: StateOpt = None, json: JsonOpt = False) -> None:
    """Compute the desired zone, lint it, and show the diff against the current zone."""

    def body() -> int:
        result = planner.build(load(spec))
        findings = lint.lint(result)
        if json:
            output.emit_json(report(result, findings))
        else:
            _show(result, findings)
        return 1 if lint.has_errors(findings) else 0

    output.run(body)
