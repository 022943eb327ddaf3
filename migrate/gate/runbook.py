"""The cancel runbook printed when the gate unlocks: templates/runbook/<lang>.md.j2.

Everything the template prints is computed here: the dates (from `now`, the
spec and the data deadline users were given), in the spec's time zone, the
subscriptions split into admin-center and partner ones (from the licence
evidence the gate rested on), the mailboxes nobody was told about (from the
users export), and the language.

The dates cannot disagree: the data deadline is the one the emails named
(the gate's evidence), written as the emails write it, and flagged when it
has not ended yet; deletion may start 30 days after cancelling today (the
earliest date any Microsoft page gives, beside the 90 most of them give)
and is complete after 180.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import jinja2

from migrate import TEMPLATES as TEMPLATE_ROOT, names, text
from migrate.errors import BadInput
from migrate.gate.evidence import Deadline, LicenceEvidence
from migrate.gate.result import Verdict
from migrate.notify import dates, promise
from migrate.notify.recipients import Mailbox

TEMPLATES = TEMPLATE_ROOT / "runbook"
LANGUAGES = ("da", "en")

# Microsoft: data left behind "might be deleted after 90 days" (one page: 30)
# "and will be deleted no later than 180 days after cancellation".
DELETE_EARLY = timedelta(days=30)
DELETE_USUAL = timedelta(days=90)
DELETE_LATEST = timedelta(days=180)


def language(spec) -> str:
    return spec.notify.language if spec.notify is not None else "en"


def context(specs, verdict: Verdict, licences: LicenceEvidence | None, now: datetime, lang: str, deadline: Deadline | None = None,
            mailboxes: Sequence[Mailbox] | None = None) -> dict:
    """The template's values; `specs` are the exit's (the first one's time zone and language rule)."""
    spec = specs[0]
    local_now = now.astimezone(spec.tz)
    admin, partner = [], []
    for sub in (licences.subscriptions if licences else ()):
        if not sub.active:
            continue
        row = {
            # A product name from Graph or the facts file: one line, or it could write its own runbook lines.
            "label": text.line(sub.label),
            "licences": sub.total_licenses,
            "trial": sub.is_trial,
            "product_key": sub.id in licences.product_keys,
        }
        (partner if sub.is_partner(licences.own_tenant_id) else admin).append(row)
    return {
        "domain": ", ".join(names.unicode(s.domain).rstrip(".") for s in specs),
        "generated_at": dates.moment(verdict.generated_at.astimezone(spec.tz), lang),
        "requirements": ", ".join(verdict.requirements),
        "moves": [
            {"domain": names.unicode(s.domain).rstrip("."), "provider": s.mail.display_name,
             "cutover": dates.moment(s.cutover.astimezone(spec.tz), lang)}
            for s in specs
        ],
        # Where the mailboxes below must exist: every new provider of the exit, each once.
        "provider": ", ".join(dict.fromkeys(s.mail.display_name for s in specs)),
        "data_deadline": dates.moment(spec.local(promise.parse(deadline.named)), lang) if deadline else None,
        "deadline_ahead": deadline is not None and deadline.ends > now,
        "today": dates.day(local_now, lang),
        "delete_from": dates.day(local_now + DELETE_EARLY, lang),
        "delete_usual": dates.day(local_now + DELETE_USUAL, lang),
        "delete_by": dates.day(local_now + DELETE_LATEST, lang),
        "admin_center": admin,
        "partner": partner,
        # None: no users export to read them from (the section is left out).
        "mailboxes": None if mailboxes is None else [
            {"address": m.address, "name": text.line(m.display_name), "kind": m.kind} for m in mailboxes
        ],
    }


def render(specs, verdict: Verdict, licences: LicenceEvidence | None, now: datetime, lang: str | None = None,
           deadline: Deadline | None = None, mailboxes: Sequence[Mailbox] | None = None) -> str:
    """The runbook for a spec, or the specs of an exit (every domain's move, the tenant's subscriptions);
    `deadline` is the data deadline users were given (the gate's evidence; of an exit, the latest),
    `mailboxes` the users export's mailboxes nobody was told about (None: there is no export)."""
    specs = list(specs) if isinstance(specs, (list, tuple)) else [specs]
    lang = lang or language(specs[0])
    if lang not in LANGUAGES:
        raise BadInput(f"language {lang!r}: the runbook exists in {', '.join(LANGUAGES)}")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    try:
        return env.get_template(f"{lang}.md.j2").render(**context(specs, verdict, licences, now, lang, deadline, mailboxes))
    except jinja2.TemplateError as exc:
        raise BadInput(f"{TEMPLATES / (lang + '.md.j2')}: {exc}") from None
