"""One notice as an RFC 5322 message: multipart/alternative, text first, then HTML.

Headers are built with `email.headerregistry.Address`, never by pasting
strings, and names were already cleaned of CR/LF and control characters by
recipients.clean_name: a display name cannot add a header (no Bcc: injection).

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

from migrate.notify import mailpolicy
from migrate.notify.recipients import Recipient, clean_name
from migrate.notify.render import Rendered
from migrate.spec import Spec


# Quoted-printable writes every "=" of the text as "=3D", so "=_" never starts a
# line of either part: one fixed boundary serves every message, where a random
# one per message costs a search of the body (and differs on every render).
BOUNDARY = "=_m365-exit-notice"


@functools.lru_cache(maxsize=16)
def address(text: str) -> Address:
    """`Name <a@b>` text (validated by the spec) as an Address object."""
    name, spec_address = parseaddr(text)
    return Address(display_name=clean_name(name), addr_spec=spec_address)


def message_id(spec: Spec, wave: str, recipient: Recipient) -> str:
    digest = hashlib.sha256(f"{spec.domain}|{wave}|{recipient.key}|{spec.cutover.isoformat()}".encode()).hexdigest()[:24]
    sender = address(spec.notify.from_)
    return f"<{wave}.{digest}@{sender.domain}>"


def build(spec: Spec, wave: str, recipient: Recipient, content: Rendered, now: datetime | None = None) -> EmailMessage:
    settings = spec.notify
    msg = EmailMessage(policy=mailpolicy.SMTP)
    # As text, the same for every message, so the policy parses it once.
    msg["From"] = str(address(settings.from_))
    msg["To"] = Address(display_name=clean_name(recipient.display_name), addr_spec=recipient.address)
    if settings.reply_to:
        msg["Reply-To"] = str(address(settings.reply_to))
    msg["Subject"] = clean_name(content.subject)
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
    return msg


def stamp(msg: EmailMessage, spec: Spec, now: datetime | None = None) -> None:
    """Set Date: the moment of rendering, and again the moment of sending."""
    moment = (now or datetime.now(timezone.utc)).astimezone(spec.tz)
    del msg["Date"]
    msg["Date"] = format_datetime(moment)
