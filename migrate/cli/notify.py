"""`migrate notify SPEC --wave W`: render one wave to an .eml outbox, and with --send deliver it.

Data (the outbox files, the per-recipient results, a --preview) goes to
stdout; skipped recipients and progress go to stderr. Exit 0 when every
recipient has the message, 1 when some failed or are uncertain, 2 on bad input.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from migrate.cli import output
from migrate.cli.app import app
from migrate.cli.options import SpecArg, StateOpt, load, state_dir
from migrate.errors import BadInput
from migrate.notify import send, wave as wave_module, waves

WaveOpt = Annotated[str, typer.Option("--wave", help=f"Which notice: {', '.join(waves.WAVES)}.", show_default=False)]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Outbox folder for the .eml files (default: STATE/outbox/WAVE).")]
SendOpt = Annotated[bool, typer.Option("--send", help="Send through the spec's SMTP relay, recording each message in the ledger.")]
OnlyOpt = Annotated[str | None, typer.Option("--only", help="Only this recipient (an address from the recipients file).")]
PreviewOpt = Annotated[str | None, typer.Option("--preview", help="Print this recipient's message (headers and text) and stop.")]
RecipientsOpt = Annotated[Path | None, typer.Option("--recipients", help="The admin center's Active users export (default: notify.recipients).")]
ResendOpt = Annotated[bool, typer.Option("--resend-uncertain", help="Send again messages a crashed run may or may not have delivered.")]
ConfirmOpt = Annotated[bool, typer.Option("--confirm-uncertain", help="Record uncertain messages as sent (the relay's log shows them accepted).")]


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
        if resend_uncertain and confirm_uncertain:
            raise BadInput("--resend-uncertain and --confirm-uncertain: choose one")
        for flag, given in (("--resend-uncertain", resend_uncertain), ("--confirm-uncertain", confirm_uncertain)):
            if given and not send_:
                raise BadInput(f"{flag} needs --send: it settles uncertain messages while sending the wave")
        loaded = load(spec)
        notice = wave_module.load(loaded, wave, recipients_file, on_note=_note)
        if preview:
            _preview(notice.message(notice.pick(preview, "--preview")).parsed())
            return 0

        single = notice.pick(only, "--only") if only else None
        folder = state_dir(loaded, state)
        box = out or folder / "outbox" / wave
        letters = wave_module.write(notice, box, owned=out is None, only=single)
        for letter in letters:
            output.record(str(letter.path))
        output.message(f"{len(letters)} message(s) for the {wave} wave in {box}")
        if not send_:
            return 0

        late = wave_module.late(notice, datetime.now(timezone.utc))
        if late:
            _note("note", late)
        if confirm_uncertain:
            for recipient in wave_module.confirm_uncertain(notice, letters, folder):
                output.message(f"confirmed as sent: {recipient.address}")
        delivery = wave_module.send(notice, letters, folder, resend_uncertain=resend_uncertain, progress=_progress)
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
