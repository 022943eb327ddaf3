"""One notice as an RFC 5322 message: the wave's skeleton, with this recipient's headers and bodies.

Headers are built by the email package, never by pasting strings, from
text made inert by `migrate.text.header` (encoded-words decoded, then no line
break, control or encoded-word left): Subject and Date parsed and folded by
the policy as `message[name] = value` does; To with the display name written
by `email.utils.formataddr` (see `_to`) and the Message-ID as it stands, each
when it is one plain line, else folded by the policy too. A display name or a
subject cannot add a header (no Bcc: injection). That is checked again on
every folded header, so no Python release's folding can undo it.

The message is what the email package writes for the same EmailMessage
(`tests/notify/test_message_equivalence.py` holds it to that: the same
headers and bodies read back, the same bytes but for how To encodes a name);
it is put together from the parts a hundred thousand messages share instead
of being built and generated whole for each (see `skeleton`).

The Message-ID is derived from (domain, wave, recipient, cutover), so the same
notice keeps the same Message-ID across re-renders and re-runs. If an
uncertain message is ever resent on purpose, a receiving system that
deduplicates by Message-ID (Gmail does) shows it once.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, parseaddr

from migrate import text
from migrate.errors import MigrateError
from migrate.notify import mailpolicy, skeleton
from migrate.notify.recipients import Recipient
from migrate.notify.render import Rendered
from migrate.spec import Spec


@functools.lru_cache(maxsize=16)
def address(value: str) -> Address:
    """`Name <a@b>` text (validated by the spec) as an Address object."""
    name, spec_address = parseaddr(value)
    return Address(display_name=text.header(name), addr_spec=spec_address)


def message_id(spec: Spec, wave: str, recipient: Recipient) -> str:
    digest = hashlib.sha256(f"{spec.domain}|{wave}|{recipient.key}|{spec.cutover.isoformat()}".encode()).hexdigest()[:24]
    sender = address(spec.notify.from_)
    return f"<{wave}.{digest}@{sender.domain}>"


# Subject and Date recur message after message: each text is parsed and folded once.
_recurring = functools.lru_cache(maxsize=256)(mailpolicy.fold)


def _to(recipient: Recipient) -> bytes:
    """The To header: `Name <address>`, the name as the email package's `formataddr` writes it when that fits on one line.

    That is the name as it is (atoms), or a quoted-string with `\\` and `"`
    escaped when it holds a special, or, when it is not ASCII, one RFC 2047
    encoded-word (`email.charset`: UTF-8, B or Q, whichever is shorter, Q
    with only the characters RFC 2047 5(3) allows in a phrase). Each reads
    back as the same display name. The policy writes a non-ASCII name as
    words, some encoded, and folds a long one: it does here what does not fit.
    Parsing the header to fold it would cost more than the rest of the message.
    """
    name = text.header(recipient.display_name)
    return (mailpolicy.unfolded("To", formataddr((name, recipient.address)))
            or mailpolicy.fold("To", Address(display_name=name, addr_spec=recipient.address)))


@dataclass
class Message:
    """One recipient's notice: its wave's skeleton, and what this message fills in (folded headers, encoded bodies)."""

    recipient: Recipient
    message_id: str
    shape: skeleton.Skeleton
    fills: dict[str, bytes]

    def set(self, name: str, folded: bytes) -> None:
        if not mailpolicy.one_header(folded):
            raise MigrateError(f"{self.recipient.address}: the {name} header would not stay one header; message not written")
        self.fills[name] = folded

    def as_bytes(self) -> bytes:
        """The message with CRLF line ends, as RFC 5322 wants on disk too."""
        return b"".join(self.fills[piece] if isinstance(piece, str) else piece for piece in self.shape)

    def parsed(self) -> EmailMessage:
        """The message as a mail client reads it."""
        return BytesParser(policy=policy.default).parsebytes(self.as_bytes())


def build(spec: Spec, wave: str, recipient: Recipient, content: Rendered, now: datetime | None = None) -> Message:
    settings = spec.notify
    reply_to = str(address(settings.reply_to)) if settings.reply_to else None
    shape = skeleton.skeleton(str(address(settings.from_)), reply_to, wave, content.language)
    msg = Message(recipient, message_id(spec, wave, recipient), shape,
                  {skeleton.TEXT: mailpolicy.body(content.text), skeleton.HTML: mailpolicy.body(content.html)})
    msg.set("To", _to(recipient))
    msg.set("Subject", _recurring("Subject", text.header(content.subject)))
    stamp(msg, spec, now)
    msg.set("Message-ID", mailpolicy.unfolded("Message-ID", msg.message_id) or mailpolicy.fold("Message-ID", msg.message_id))
    return msg


def stamp(msg: Message, spec: Spec, now: datetime | None = None) -> None:
    """Set Date: the moment of rendering, and again the moment of sending."""
    moment = (now or datetime.now(timezone.utc)).astimezone(spec.tz)
    msg.set("Date", _recurring("Date", format_datetime(moment)))
