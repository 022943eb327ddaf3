"""`migrate notify SPEC... --wave W`: render one wave to an .eml outbox, and with --send deliver it.

Several specs, or a folder of them, are one tenant's exit: one message per
person however many of its domains their addresses are on (`notify.people`),
in the exit's one state and outbox.

Data (the outbox files, the per-recipient results, a --preview) goes to
stdout; skipped recipients and progress go to stderr. Exit 0 when every
recipient has the message, 1 when some failed or are uncertain, 2 on bad input
(a --send outside the wave's window without --force among it).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from migrate import specset
from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import SpecsArg, StateOpt, exit_state, local_folder
from migrate.errors import BadInput
from migrate.notify import admincopy, send, wave as wave_module, waves

WaveOpt = Annotated[str, typer.Option("--wave", help=f"Which notice: {', '.join(waves.WAVES)}.", show_default=False)]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Outbox folder: the .eml files go to OUT/WAVE (default: STATE/outbox/WAVE).")]
SendOpt = Annotated[bool, typer.Option("--send", help="Send through the spec's SMTP relay, recording each message in the ledger.")]
OnlyOpt = Annotated[str | None, typer.Option("--only", help="Only this recipient (an address from the recipients file).")]
PreviewOpt = Annotated[str | None, typer.Option("--preview", help="Print this recipient's message (headers and text) and stop.")]
RecipientsOpt = Annotated[Path | None, typer.Option("--recipients", help="The admin center's Active users export (default: notify.recipients).")]
ResendOpt = Annotated[bool, typer.Option("--resend-uncertain", help="Send again messages a crashed run may or may not have delivered.")]
ConfirmOpt = Annotated[bool, typer.Option("--confirm-uncertain", help="Record uncertain messages as sent (the relay's log shows them accepted).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Send even outside the wave's window; the ledger records that it was forced.")]


def _preview(msg) -> None:
    for name in ("From", "To", "Reply-To", "Subject", "Date", "Message-ID", "Content-Language"):
        if msg[name] is not None:
            # Read back from the message: a Subject folded after its colon keeps that space.
            output.line(f"{name}: {str(msg[name]).strip()}")
    output.stdout.print()
    output.stdout.print(msg.get_body(("plain",)).get_content(), end="")


def _note(kind: str, text: str) -> None:
    output.message(f"{kind}: {text}", style="yellow")


def _progress(outcome: send.Outcome) -> None:
    style = {send.DELIVERED: None, send.ALREADY: "dim", send.UNCERTAIN: "yellow", send.FAILED: "red"}[outcome.status]
    output.message(f"{outcome.status}: {outcome.address}" + (f" ({outcome.detail})" if outcome.detail else ""), style=style)


@app.command("notify")
def notify_command(
    specs: SpecsArg,
    wave: WaveOpt,
    out: OutOpt = None,
    send_: SendOpt = False,
    only: OnlyOpt = None,
    preview: PreviewOpt = None,
    recipients_file: RecipientsOpt = None,
    state: StateOpt = None,
    resend_uncertain: ResendOpt = False,
    confirm_uncertain: ConfirmOpt = False,
    force: ForceOpt = False,
) -> None:
    """Render one wave of user notices to .eml files, and optionally send them."""

    def body() -> int:
        if resend_uncertain and confirm_uncertain:
            raise BadInput("--resend-uncertain and --confirm-uncertain: choose one")
        for flag, given in (("--resend-uncertain", resend_uncertain), ("--confirm-uncertain", confirm_uncertain)):
            if given and not send_:
                raise BadInput(f"{flag} needs --send: it settles uncertain messages while sending the wave")
        if force and not send_:
            raise BadInput("--force needs --send: rendering is allowed at any time, only sending has a window")
        told = specset.load(specs)
        notice = wave_module.load_exit(told.specs, wave, recipients_file, on_note=_note)
        if preview:
            _preview(notice.message(notice.pick(preview, "--preview")).parsed())
            return 0

        single = notice.pick(only, "--only") if only else None
        loaded = notice.spec
        folder = exit_state(told, state)
        # Refused before anything is written: outside its window a wave is only rendered without --send.
        permit = wave_module.permit(notice, folder, datetime.now(timezone.utc), force=force) if send_ else None
        # One folder per wave, also under --out: a wave never replaces another's files.
        box = (out or local_folder(loaded, folder) / "outbox") / wave
        letters = wave_module.write(notice, box, owned=out is None, only=single)
        for letter in letters:
            output.record(str(letter.path))
        output.message(f"{len(letters)} message(s) for the {wave} wave in {box}")
        if single is None:
            unread = len(notice.roster.mailboxes)
            output.message(f"the admin's copy (who gets which instructions; {unread} mailbox(es) nobody is told about): "
                           f"{box / admincopy.NAME}", style="yellow" if unread else None)
        if not send_:
            return 0

        if permit.forced:
            output.message(f"--force: {permit.forced}; sending anyway, and the ledger records it", style="yellow")
        if confirm_uncertain:
            for recipient in wave_module.confirm_uncertain(notice, letters, folder):
                output.message(f"confirmed as sent: {recipient.address}")
        delivery = wave_module.send(notice, letters, folder, permit, resend_uncertain=resend_uncertain, progress=_progress)
        for outcome in delivery.outcomes:
            output.record(*filter(None, (outcome.status, outcome.address, outcome.detail)))
        counts = delivery.counts()
        output.message(", ".join(f"{n} {status}" for status, n in counts.items()))
        if counts[send.UNCERTAIN]:
            output.message(
                "uncertain messages may or may not have reached the relay: check its log, then re-run with "
                "--confirm-uncertain (it has them) or --resend-uncertain (it does not)",
                style="yellow",
            )
        return 1 if delivery.missing else 0

    output.run(body)
