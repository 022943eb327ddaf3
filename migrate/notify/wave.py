"""One wave, prepared and sent: what `migrate notify` and the demo both run.

`load` reads who is told (what it skips or fixes goes to `on_note`, for the
caller to show), `load_exit` the same for a tenant's specs together, one
message per person (`people`), `write` renders the messages into an outbox under the
outbox's ownership rules, `permit` holds a send to the wave's window
(`windows`), `confirm_uncertain` and `send` go through the ledger. Nothing
here prints.

Before sending, the ledger must still hold what the newest gate decision
saw of it: a ledger verifies on its own against rows deleted from it, but
not against the whole file emptied or deleted (heads and all), which would
make every message go out again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import NamedTuple

from migrate.errors import BadInput
from migrate.gate import store
from migrate.gate.anchors import Anchors
from migrate.names import domain_id, unicode
from migrate.notify import admincopy, ledger, message, outbox, people, promise, recipients, render, send as smtp, waves, windows, workers
from migrate.notify.ledger import Ledger
from migrate.notify.recipients import Recipient
from migrate.spec import Spec


@dataclass(frozen=True)
class Wave:
    spec: Spec  # an exit's first spec: its settings are every spec's (`people.agree`)
    name: str
    facts: waves.Facts  # an exit's: `domain` names every domain
    roster: recipients.Roster
    source: str  # the recipients file(s), named in messages about them
    templates: Path | None  # the spec's folder of template overrides
    exit: tuple[Spec, ...] = ()  # a tenant's specs told together (`load_exit`); empty for one spec

    @property
    def specs(self) -> tuple[Spec, ...]:
        return self.exit or (self.spec,)

    def pick(self, address: str, option: str) -> Recipient:
        """The recipient an option names, or BadInput."""
        found = self.roster.find(address)
        if found is None:
            raise BadInput(f"{option}: {address} is not among the recipients in {self.source}")
        return found

    def message(self, recipient: Recipient) -> message.Message:
        spec = people.home(self.exit, recipient) if self.exit else self.spec
        return message.build(spec, self.name, recipient, render.render(self.facts, recipient, self.name, self.templates))


class Letter(NamedTuple):
    recipient: Recipient
    path: Path  # its .eml in the outbox; sending builds the message again, the same but for its Date


@dataclass(frozen=True)
class Delivery:
    outcomes: list[smtp.Outcome]

    def counts(self) -> dict[str, int]:
        return {status: sum(1 for o in self.outcomes if o.status == status)
                for status in (smtp.DELIVERED, smtp.ALREADY, smtp.UNCERTAIN, smtp.FAILED)}

    @property
    def missing(self) -> list[smtp.Outcome]:
        """The messages the recipients may not have: failed, or uncertain."""
        return [o for o in self.outcomes if o.status in (smtp.UNCERTAIN, smtp.FAILED)]


def load(spec: Spec, name: str, recipients_file: Path | None = None,
         on_note: Callable[[str, str], None] = lambda kind, text: None) -> Wave:
    """The wave's facts and recipients; `on_note(kind, text)` hears of each fixed ("note") and skipped row."""
    facts = waves.require(spec, waves.check(name))
    source = recipients.path_of(spec, recipients_file)
    return _told(Wave(spec, name, facts, recipients.roster(spec, recipients_file), str(source), spec.resolve_path(spec.notify.templates)),
                 on_note)


def load_exit(specs: Sequence[Spec], name: str, recipients_file: Path | None = None,
              on_note: Callable[[str, str], None] = lambda kind, text: None) -> Wave:
    """`load` for a tenant's specs together: each person once (`people`); BadInput when the specs disagree on what a message says.

    An exit of one spec is that spec's wave, as `load` reads it."""
    if len(specs) == 1:
        return load(specs[0], name, recipients_file, on_note)
    waves.check(name)
    people.agree(specs)
    first = specs[0]
    facts = waves.require(first, name)
    roster, files = people.roster(specs, recipients_file)
    facts = replace(facts, domain=render.and_list([unicode(s.domain) for s in specs], first.notify.language))
    return _told(Wave(first, name, facts, roster, ", ".join(map(str, files)), first.resolve_path(first.notify.templates), tuple(specs)),
                 on_note)


def _told(wave: Wave, on_note: Callable[[str, str], None]) -> Wave:
    """The wave once its notes are heard; BadInput when it would tell nobody."""
    for note in wave.roster.notes:
        on_note("note", note)
    for skipped in wave.roster.skipped:
        on_note("skipped", str(skipped))
    if not wave.roster.recipients:
        raise BadInput(f"{wave.source}: no licensed users on {wave.facts.domain} to notify")
    if wave.facts.save_to is None:
        on_note("note", f"{wave.spec.path}: notify.save_to is not set: the emails tell users to keep their saved files on their "
                        "computer or ask the help desk; name where the company keeps files from now on")
    return wave


def write(wave: Wave, box: Path, *, owned: bool, only: Recipient | None = None) -> list[Letter]:
    """Render every recipient's message (or `only` one) into the outbox folder `box`, and with
    every one the admin's copy (`admincopy.NAME`).

    `owned`: `box` is the tool's own folder (the default inside the state
    folder), so an earlier render's files in it are cleared; any other folder
    must be new, empty, or an outbox the tool made. Rendering one recipient
    leaves the others' files, each numbered by its place in the roster. A
    second render into the same folder waits for the first to finish.
    """
    people = [only] if only else wave.roster.recipients
    first = wave.roster.recipients.index(only) + 1 if only else 1
    # One message in each language and plan first, in this process: a broken template is found before
    # an earlier outbox is cleared, and every message (sent ones too) uses the templates as read now.
    for recipient in {(recipient.language, recipient.plan): recipient for recipient in people}.values():
        wave.message(recipient)
    copy = None if only else render.admin_copy(wave.facts, wave.name, wave.roster, wave.spec.notify.language, wave.templates)
    with outbox.prepared(box, owned=owned, clear_old=only is None):
        paths = workers.run(partial(_write, wave, box), list(enumerate(people, start=first)))
        if copy is not None:
            outbox.write_text(box, admincopy.NAME, copy)
    return [Letter(recipient, path) for recipient, path in zip(people, paths)]


def _write(wave: Wave, box: Path, item: tuple[int, Recipient]) -> Path:
    index, recipient = item
    return outbox.write(box, index, recipient.address, wave.message(recipient))


def window(wave: Wave, state_dir: Path, spec: Spec | None = None) -> windows.Window:
    """The wave's window for `spec` (default the wave's); after-cancel's from what the gate store says of its gate and cancellation."""
    spec = spec or wave.spec
    if wave.name != waves.AFTER_CANCEL:
        return windows.window(spec, wave.name)
    domain = domain_id(spec.domain)
    cancelled = [a.at for a in store.attestations(state_dir, domain) if a.kind == store.CANCELLED]
    return windows.window(spec, wave.name, unlocked_at=store.first_unlocked(state_dir, domain), cancelled_at=min(cancelled, default=None))


@dataclass(frozen=True)
class Permit:
    """Leave to send a wave now (`send` takes nothing else): inside its window, or outside it with --force."""

    forced: str | None  # the window it is outside of, for the ledger


def permit(wave: Wave, state_dir: Path, now: datetime, *, force: bool = False) -> Permit:
    """Leave to send now, or BadInput naming the window (unless `force`: then the ledger records it).

    An exit's specs agree on the dates, so their windows differ only for
    after-cancel (each domain's gate and cancellation): every one must be open."""
    refusal = next(filter(None, (window(wave, state_dir, spec).refusal(now) for spec in wave.specs)), None)
    if refusal and not force:
        raise BadInput(f"{refusal} (--force sends it anyway and the ledger records that)")
    return Permit(refusal)


def confirm_uncertain(wave: Wave, letters: list[Letter], state_dir: Path) -> list[Recipient]:
    """Record as sent the letters a crashed run left uncertain (the relay's log shows them); returns their recipients."""
    confirmed = []
    with smtp.exclusive(state_dir), Ledger.open(state_dir) as book:
        for letter in letters:
            if Ledger.is_uncertain(book.get(wave.name, letter.recipient.key)):
                book.confirm(wave.name, letter.recipient.key)
                confirmed.append(letter.recipient)
    return confirmed


def send(wave: Wave, letters: list[Letter], state_dir: Path, permit: Permit, *, resend_uncertain: bool = False,
         progress: Callable[[smtp.Outcome], None] | None = None) -> Delivery:
    """Send each letter once through the spec's relay, recording the run (the data deadline its
    messages name, and why it was forced) and each message in the ledger.

    BrokenChain, and nothing sent, when the ledger does not verify or no longer extends what the gate saw.
    """
    chain = ledger.events_chain(state_dir)
    # Each domain's newest gate decision saw the ledger: it must still extend what each saw.
    for decision in store.latest(state_dir, [spec.domain.rstrip(".") for spec in wave.specs]).values():
        anchors = Anchors()
        anchors.expect(decision)
        anchors.saw(chain)
    people = (letter.recipient for letter in letters)
    deadline = promise.named(wave.facts, wave.name)
    return Delivery(smtp.send(wave.spec, wave.name, people, wave.message, state_dir,
                              data_deadline=promise.text(deadline) if deadline is not None else None,
                              forced=permit.forced, resend_uncertain=resend_uncertain, progress=progress))
