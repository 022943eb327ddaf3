"""`migrate import SPEC --from zonefile FILE | axfr SERVER | live`: a snapshot of the current zone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from migrate import endpoint, importer
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import SpecArg, StateOpt, load
from migrate.errors import BadInput


@app.command("import")
def import_command(
    spec: SpecArg,
    source: Annotated[str, typer.Option("--from", help="zonefile FILE | axfr SERVER | live", show_default=False)],
    where: Annotated[str | None, typer.Argument(help="The zone file, or the AXFR server (IP[:PORT]).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the snapshot here instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    root_hint: Annotated[list[str] | None, typer.Option("--root-hint", help="Root server IP[:PORT] for --from live (repeatable).")] = None,
    state: StateOpt = None,
) -> None:
    """Take a snapshot of the current zone, each record marked Microsoft 365 or keep."""

    def body() -> int:
        loaded = load(spec)
        kind, target = importer.parse_source(source, where)
        if kind == "zonefile":
            zone, described = importer.from_zonefile(loaded.domain, Path(target)), f"zone file {target}"
        elif kind == "axfr":
            try:
                server = endpoint.parse(target)
            except ValueError as exc:
                raise BadInput(f"axfr server: {exc}") from None
            zone, described = importer.from_axfr(loaded.domain, server, loaded.verify.timeout.total_seconds() * 3), f"AXFR from {server}"
        else:
            try:
                hints = endpoint.root_hints(root_hint or loaded.verify.root_hints)
            except ValueError as exc:
                raise BadInput(f"--root-hint: {exc}") from None
            zone, problems = importer.from_live(loaded.domain, hints, loaded.verify.timeout.total_seconds(), loaded.verify.retries)
            described = "live DNS (authoritative servers, probed by name)"
            for problem in problems:
                output.message(f"warning: not answered: {problem}", style="yellow")
        text = importer.snapshot_text(zone, described)
        if out is None:
            output.document(text)
        else:
            output.write_file(out, text, replace=force, example="current.zone")
            output.message(f"wrote {len(zone)} record sets to {out}")
        return 0

    output.run(body)
