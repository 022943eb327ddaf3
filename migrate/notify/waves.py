"""The five waves of user notices, the facts they tell, and when each is due.

Microsoft's guide asks the admin to tell users the date their mail moves and
the new provider's name before MX changes, to have them save OneDrive and
SharePoint files before cancelling (data left behind may be deleted after 90
days, one Microsoft page says 30, and is deleted at the latest after 180),
and to have them remove Office afterwards (it runs read-only, unlicensed).
Everything a template may print is computed here, once, from the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from migrate import names
from migrate.errors import BadInput
from migrate.spec import Notify, Spec

ANNOUNCE = "announce"
REMINDER = "reminder"
CUTOVER = "cutover"
DATA_DEADLINE = "data-deadline"
AFTER_CANCEL = "after-cancel"
WAVES = (ANNOUNCE, REMINDER, CUTOVER, DATA_DEADLINE, AFTER_CANCEL)

OLD_PROVIDER = "Microsoft 365"
# Where users read their old mailbox until the cancellation takes effect.
OLD_WEBMAIL = "https://outlook.office.com"
# Microsoft: data left behind "might be deleted after 90 days" (one page: 30)
# "and will be deleted no later than 180 days after cancellation".
DELETE_MAY_START = timedelta(days=30)
DELETE_MAY_START_USUAL = timedelta(days=90)
DELETE_AT_LATEST = timedelta(days=180)


def check(wave: str) -> str:
    if wave not in WAVES:
        raise BadInput(f"--wave: unknown wave {wave!r} (known: {', '.join(WAVES)})")
    return wave


def _settings(spec: Spec) -> Notify:
    if spec.notify is None:
        raise BadInput(f"{spec.path}: notify: the spec has no notify section (from, recipients, smtp)")
    return spec.notify


def _as_datetime(value: date | datetime, spec: Spec) -> datetime:
    """For arithmetic and due times: a whole day starts at midnight in the display zone."""
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=spec.tz)


@dataclass(frozen=True)
class Facts:
    """What every wave may say. Dates are local to the spec's time zone; a `date` is a whole day."""

    domain: str  # Unicode form, as users write it (blåbær.dk)
    provider: str
    sign_in_url: str
    old_provider: str
    old_webmail: str
    organisation: str
    help_desk: str
    cutover: datetime
    announce_due: datetime
    reminder_due: datetime
    copy_old_mail: bool
    save_to: str | None  # where users put their saved files (notify.save_to)
    data_deadline: date | datetime | None
    cancel_date: date | datetime | None
    delete_may_start: date | datetime | None
    delete_may_start_usual: date | datetime | None
    delete_at_latest: date | datetime | None

    def context(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def facts(spec: Spec) -> Facts:
    settings = _settings(spec)
    display, address = parseaddr(settings.from_)
    cutover = spec.cutover.astimezone(spec.tz)
    cancel = spec.local(settings.cancel_date) if settings.cancel_date is not None else None
    deadline = spec.local(settings.data_deadline) if settings.data_deadline is not None else cancel
    return Facts(
        domain=names.unicode(spec.domain),
        provider=spec.mail.display_name,
        sign_in_url=spec.mail.sign_in_url or (spec.mail.preset.sign_in_url if spec.mail.preset else ""),
        old_provider=OLD_PROVIDER,
        old_webmail=OLD_WEBMAIL,
        organisation=settings.organisation or display or address,
        help_desk=settings.help_desk or address,
        cutover=cutover,
        announce_due=cutover - timedelta(days=settings.announce_days),
        reminder_due=cutover - timedelta(days=settings.reminder_days),
        copy_old_mail=settings.copy_old_mail,
        save_to=settings.save_to,
        data_deadline=deadline,
        cancel_date=cancel,
        delete_may_start=cancel + DELETE_MAY_START if cancel is not None else None,
        delete_may_start_usual=cancel + DELETE_MAY_START_USUAL if cancel is not None else None,
        delete_at_latest=cancel + DELETE_AT_LATEST if cancel is not None else None,
    )


def require(spec: Spec, wave: str) -> Facts:
    """The facts for a wave, or BadInput naming the spec key the wave cannot do without."""
    check(wave)
    result = facts(spec)
    if wave in (DATA_DEADLINE, AFTER_CANCEL) and result.cancel_date is None:
        raise BadInput(f"{spec.path}: notify.cancel_date: the {wave} wave needs the planned cancellation date")
    if not result.sign_in_url:
        raise BadInput(f"{spec.path}: mail.sign_in_url: the notices need the new provider's sign-in address")
    return result


def due(spec: Spec, wave: str) -> datetime | None:
    """When a wave should go out (None when the spec lacks the date it hangs on)."""
    settings = _settings(spec)
    f = facts(spec)
    if wave == ANNOUNCE:
        return f.announce_due
    if wave == REMINDER:
        return f.reminder_due
    if wave == CUTOVER:
        return f.cutover
    if wave == DATA_DEADLINE:
        if f.data_deadline is None:
            return None
        return _as_datetime(f.data_deadline, spec) - timedelta(days=settings.deadline_notice_days)
    if wave == AFTER_CANCEL:
        return _as_datetime(f.cancel_date, spec) if f.cancel_date is not None else None
    raise BadInput(f"--wave: unknown wave {wave!r}")
