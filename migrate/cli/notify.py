"""`migrate notify SPEC --wave W`: render one wave to an .eml outbox, and with --send deliver it.

Data (the outbox files, the per-recipient results, a --preview) goes to
stdout; skipped recipients and progress go to stderr. Exit 0 when every
recipient has the message, 1 when some failed or are uncertain, 2 on bad input.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import SpecArg, StateOpt, load, state_dir
from migrate.errors import BadInput
from migrate.notify import ledger as ledger_module
from migrate.notify import message, outbox, recipients, render, send, waves

WaveOpt = Annotated[str, typer.Option("--wave", help=f"Which notice: {', '.join(waves.WAVES)}.", show_default=False)]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Outbox folder for the .eml files (default: STATE/outbox/WAVE).")]
SendOpt = Annotated[bool, typer.Option("--send", help="Send through the spec's SMTP relay, recording each message in the ledger.")]
OnlyOpt = Annotated[str | None, typer.Option("--only", help="Only this recipient (an address from the recipients file).")]
PreviewOpt = Annotated[str | None, typer.Option("--preview", help="Print this recipient's message (headers and text) and stop.")]
RecipientsOpt = Annotated[Path | None, typer.Option("--recipients", help="The admin center's Active users export (default: notify.recipients).")]
ResendOpt = Annotated[bool, typer.Option("--resend-uncertain", help="Send again messages a crashed run may or may not have delivered.")]
ConfirmOpt = Annotated[bool, typer.Option("--confirm-uncertain", help="Record uncertain messages as sent (the relay's log shows them accepted).")]


def _line(text: str) -> None:
    """One line of data on stdout, verbatim (tab-separated results stay tab-separated for scripts)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _pick(roster: recipients.Roster, address: str, option: str, source: Path) -> recipients.Recipient:
    found = roster.find(address)
    if found is None:
        raise BadInput(f"{option}: {address} is not among the recipients in {source}")
    return found


def _preview(msg) -> None:
    out = output.stdout
    for name in ("From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Content-Language"):
        if msg[name] is not None:
            out.print(f"{name}: {msg[name]}", markup=False)
    out.print("", markup=False)
    out.print(msg.get_body(("plain",)).get_content(), markup=False, end="")


def _warn_if_late(spec, wave: str) -> None:
    due = waves.due(spec, wave)
    now = datetime.now(timezone.utc)
    if wave == waves.ANNOUNCE and due is not None and now > due:
        left = spec.cutover - now
        output.message(f"note: the announcement was due {due:%Y-%m-%d}; sent now it gives {max(left.days, 0)} days' notice", style="yellow")


@app.command("notify")
def notify_command(
    spec: SpecArg,
    wave: WaveOpt,
    out: OutOpt = None,
    send_: SendOpt = False,
    only: OnlyOpt = None,
    preview: PreviewOpt = None,
    recipients_file: RecipientsOpt = None,
    state: StateOpt = None,
    resend_uncertain: ResendOpt = False,
    confirm_uncertain: ConfirmOpt = False,
) -> None:
    """Render one wave of user notices to .eml files, and optionally send them."""

    def body() -> int:
        loaded = load(spec)
        facts = waves.require(loaded, waves.check(wave))
        if resend_uncertain and confirm_uncertain:
            raise BadInput("--resend-uncertain and --confirm-uncertain: choose one")
        source = recipients.path_of(loaded, recipients_file)
        roster = recipients.roster(loaded, recipients_file)
        for note in roster.notes:
            output.message(f"note: {note}", style="yellow")
        for skipped in roster.skipped:
            output.message(f"skipped: {skipped}", style="yellow")
        if not roster.recipients:
            raise BadInput(f"{source}: no licensed users on {facts.domain} to notify")
        override = loaded.resolve_path(loaded.notify.templates)

        if preview:
            who = _pick(roster, preview, "--preview", source)
            _preview(message.build(loaded, wave, who, render.render(facts, who, wave, override)))
            return 0

        chosen = [_pick(roster, only, "--only", source)] if only else roster.recipients
        folder = state_dir(loaded, state)
        box = out or folder / "outbox" / wave
        outbox.prepare(box, owned=out is None, clear_old=not only)
        items = []
        for recipient in chosen:
            msg = message.build(loaded, wave, recipient, render.render(facts, recipient, wave, override))
            index = roster.recipients.index(recipient) + 1
            _line(str(outbox.write(box, index, recipient.address, msg)))
            items.append((recipient, msg))
        output.message(f"{len(items)} message(s) for the {wave} wave in {box}")
        if not send_:
            return 0

        _warn_if_late(loaded, wave)
        if confirm_uncertain:
            with send.exclusive(folder), ledger_module.Ledger.open(folder) as book:
                for recipient, _ in items:
                    if ledger_module.Ledger.is_uncertain(book.get(wave, recipient.key)):
                        book.confirm(wave, recipient.key)
                        output.message(f"confirmed as sent: {recipient.address}")

        def progress(outcome: send.Outcome) -> None:
            style = {send.DELIVERED: None, send.ALREADY: "dim", send.UNCERTAIN: "yellow", send.FAILED: "red"}[outcome.status]
            output.message(f"{outcome.status}: {outcome.address}" + (f" ({outcome.detail})" if outcome.detail else ""), style=style)

        outcomes = send.send(loaded, wave, items, folder, resend_uncertain=resend_uncertain, progress=progress)
        counts = {status: sum(1 for o in outcomes if o.status == status) for status in (send.DELIVERED, send.ALREADY, send.UNCERTAIN, send.FAILED)}
        for outcome in outcomes:
            _line(f"{outcome.status}\t{outcome.address}\t{outcome.detail}".rstrip())
        output.message(", ".join(f"{n} {status}" for status, n in counts.items()))
        if counts[send.UNCERTAIN]:
            output.message(
                "uncertain messages may or may not have reached the relay: check its log, then re-run with "
                "--confirm-uncertain (it has them) or --resend-uncertain (it does not)",
                style="yellow",
            )
        return 1 if counts[send.UNCERTAIN] or counts[send.FAILED] else 0

    output.run(body)
