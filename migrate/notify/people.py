"""An exit's people: one recipient per person over the specs of a tenant's domains.

A tenant with several domains (`specset`) tells each person once per wave,
however many of its domains their addresses are on:

- Who is told is what each spec alone would tell, together: licensed users
  whose primary SMTP address (else user principal name) is on one of the
  exit's domains. A row whose primary address is on none of them is not
  told, as with one spec.
- A person is one row of the export, known by its `Object Id` (else its user
  principal name). Specs may share a recipients file (read once) or name
  several; a person in two of them is told once, from the first, and two
  exports that give one person different primary addresses are bad input.
- The message goes to the primary address, and names every address of
  theirs on the exit's domains when those are on more than one (`render`).
  Its ledger key is that address, as it is for a run of that address's spec
  alone, so neither a re-run of the exit nor of one spec sends it twice, and
  the gate's notice check of each domain finds each of its users told.
- One email states one date and one provider: the specs must agree on
  everything a message says or is sent with (`agree`); else bad input
  naming the two specs and the key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from migrate.errors import BadInput
from migrate.names import domain_id
from migrate.notify import recipients, waves
from migrate.notify.recipients import Recipient, Roster
from migrate.spec import Spec

# What every spec of an exit must say alike for one email to tell a person of all their domains.
_SAME: tuple[tuple[str, Callable[[Spec, waves.Facts], object]], ...] = (
    ("cutover", lambda s, f: s.cutover),
    ("timezone", lambda s, f: str(s.tz)),
    ("mail.provider", lambda s, f: f.provider),
    ("mail.sign_in_url", lambda s, f: f.sign_in_url),
    ("notify.from", lambda s, f: s.notify.from_),
    ("notify.reply_to", lambda s, f: s.notify.reply_to),
    ("notify.language", lambda s, f: s.notify.language),
    ("notify.organisation", lambda s, f: f.organisation),
    ("notify.help_desk", lambda s, f: f.help_desk),
    ("notify.announce_days", lambda s, f: s.notify.announce_days),
    ("notify.reminder_days", lambda s, f: s.notify.reminder_days),
    ("notify.deadline_notice_days", lambda s, f: s.notify.deadline_notice_days),
    ("notify.data_deadline", lambda s, f: f.data_deadline),
    ("notify.cancel_date", lambda s, f: f.cancel_date),
    ("notify.copy_old_mail", lambda s, f: s.notify.copy_old_mail),
    ("notify.save_to", lambda s, f: s.notify.save_to),
    ("notify.templates", lambda s, f: s.resolve_path(s.notify.templates)),
    ("notify.smtp", lambda s, f: s.notify.smtp),
    ("gate.notice_days", lambda s, f: s.gate.notice_days),
)


def agree(specs: Sequence[Spec]) -> None:
    """BadInput naming the first spec that differs from the first in what a message says or how it is sent."""
    first, *rest = specs
    # The first spec's facts: a spec without notify, or without a date the wave needs, is named by `waves`.
    ours = waves.facts(first)
    for spec in rest:
        theirs = waves.facts(spec)
        for key, value in _SAME:
            if value(first, ours) != value(spec, theirs):
                raise BadInput(f"{spec.path}: {key} differs from {first.path}'s: one email per person states one; "
                               "give the exit's specs the same value")


def roster(specs: Sequence[Spec], override: Path | None = None) -> tuple[Roster, list[Path]]:
    """The exit's recipients, one per person, and the exports read (each once, in the specs' order)."""
    files = list(dict.fromkeys(recipients.path_of(spec, override).resolve() for spec in specs))
    domains = tuple(spec.domain for spec in specs)
    language = specs[0].notify.language
    if len(files) == 1:
        return recipients.read(files[0], domains, language), files
    together = Roster()
    for file in files:
        recipients.read(file, domains, language, into=together)
    return together, files


def home(specs: Sequence[Spec], recipient: Recipient) -> Spec:
    """The spec of the domain the recipient is written to: its Message-ID is the one a run of that spec alone gives."""
    domain = recipient.address.rpartition("@")[2].lower()
    return next(spec for spec in specs if domain_id(spec.domain) == domain)
