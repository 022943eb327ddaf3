"""The admin's copy of a wave: who gets which version, and the mailboxes nobody is told about.

Written beside the wave's messages as `admin-copy.txt` (OUTBOX/WAVE), in the
spec's language, from `templates/email/<lang>/admin-copy.txt` (overridable as
any template). The users never see it. It lists:

- how many recipients get the desktop, the web-only and the both-ways
  version of the instructions (`plans`), and each recipient with theirs;
- licence names the plan table does not know (their holders get both);
- the mailboxes on the domain that are nobody's to read (shared and
  resource mailboxes, users whose sign-in is blocked): mail to them moves
  too, and only the admin can set them up at the new provider and save
  their old mail;
- every other row the export had that is not mailed, and why.

Everything from the export reaches the file as one inert line.
"""

from __future__ import annotations

from datetime import datetime, timezone

from migrate import text
from migrate.notify import plans
from migrate.notify.recipients import Roster
from migrate.notify.waves import Facts

NAME = "admin-copy.txt"


def context(facts: Facts, wave: str, roster: Roster, now: datetime | None = None) -> dict:
    """What the admin's copy says; `roster` as the wave read it."""
    now = now or datetime.now(timezone.utc)
    listed = {m.line for m in roster.mailboxes}
    return {
        **facts.context(),
        "wave": wave,
        "generated_at": now.astimezone(facts.cutover.tzinfo),
        "counts": {plan: sum(1 for r in roster.recipients if r.plan == plan) for plan in plans.PLANS},
        "people": roster.recipients,
        "unknown_licences": sorted(roster.unknown_licences.items()),
        "mailboxes": roster.mailboxes,
        # Each of these is in `mailboxes` already: the rest of what was not mailed.
        "skipped": [text.line(str(s)) for s in roster.skipped if s.line not in listed],
    }
