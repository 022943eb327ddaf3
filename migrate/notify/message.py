"""One notice as an RFC 5322 message: multipart/alternative, text first, then HTML.

Headers are built with `email.headerregistry.Address`, never by pasting
strings, from text made inert by `migrate.text.header` (encoded-words decoded,
then no line break, control or encoded-word left): a display name or a
subject cannot add a header (no Bcc: injection). That is checked again on the
folded headers, so no Python release's folding can undo it.

The Message-ID is derived from (domain, wave, recipient, cutover), so the same
notice keeps the same Message-ID across re-renders and re-runs. If an
uncertain message is ever resent on purpose, a receiving system that
deduplicates by Message-ID (Gmail does) shows it once.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from migrate import text
from migrate.errors import MigrateError
from migrate.notify import mailpolicy
from migrate.notify.recipients import Recipient
from migrate.notify.render import Rendered
from migrate.spec import Spec


# Quoted-printable writes every "=" of the text as "=3D", so "=_" never starts a
# line of either part: one fixed boundary serves every message, where a random
# one per message costs a search of the body (and differs on every render).
BOUNDARY = "=_m365-exit-notice"


@functools.lru_cache(maxsize=16)
def address(value: str) -> Address:
    """`Name <a@b>` text (validated by the spec) as an Address object."""
    name, spec_address = parseaddr(value)
    return Address(display_name=text.header(name), addr_spec=spec_address)


def message_id(spec: Spec, wave: str, recipient: Recipient) -> str:
    digest = hashlib.sha256(f"{spec.domain}|{wave}|{recipient.key}|{spec.cutover.isoformat()}".encode()).hexdigest()[:24]
    sender = address(spec.notify.from_)
    return f"<{wave}.{digest}@{sender.domain}>"


def build(spec: Spec, wave: str, recipient: Recipient, content: Rendered, now: datetime | None = None) -> EmailMessage:
    settings = spec.notify
    msg = EmailMessage(policy=mailpolicy.SMTP)
    # As text, the same for every message, so the policy parses it once.
    msg["From"] = str(address(settings.from_))
    msg["To"] = Address(display_name=text.header(recipient.display_name), addr_spec=recipient.address)
    if settings.reply_to:
        msg["Reply-To"] = str(address(settings.reply_to))
    msg["Subject"] = text.header(content.subject)
    stamp(msg, spec, now)
    msg["Message-ID"] = message_id(spec, wave, recipient)
    # RFC 3834: an automatic notice; out-of-office replies should not answer it.
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Migrate-Wave"] = wave
    # Quoted-printable keeps every line short and 7-bit, whatever the relay supports.
    msg.set_content(content.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.make_alternative(boundary=BOUNDARY)
    msg.add_alternative(content.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the parts exist: making the message multipart moves Content-* headers into a part.
    msg["Content-Language"] = content.language
    _one_header_each(msg, recipient)
    return msg


def _one_header_each(msg: EmailMessage, recipient: Recipient) -> None:
    """Refuse a message whose folded headers would read as more headers than were set."""
    for name, value in msg.items():
        folded = msg.policy.fold_binary(name, value)
        # Folding may continue a header on lines that start with white space; nothing else.
        lines = folded.split(b"\r\n")
        broken = any(b"\r" in part or b"\n" in part for part in lines)
        if broken or lines[-1] or any(part[:1] not in (b" ", b"\t") for part in lines[1:-1]):
            raise MigrateError(f"{recipient.address}: the {name} header would not stay one header; message not written")


def stamp(msg: EmailMessage, spec: Spec, now: datetime | None = None) -> None:
    """Set Date: the moment of rendering, and again the moment of sending."""
    moment = (now or datetime.now(timezone.utc)).astimezone(spec.tz)
    del msg["Date"]
    msg["Date"] = format_datetime(moment)
