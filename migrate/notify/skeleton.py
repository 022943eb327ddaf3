"""What every notice of one wave in one language shares, made once by the email package itself.

A notice is multipart/alternative, text first, then HTML. Only its To,
Subject, Date and Message-ID and its two bodies differ from one recipient to
the next; the other headers, the MIME structure, the part headers and the
boundaries do not. So they are made once per wave and language: an
EmailMessage built as every notice is, with a marker line for each body,
written by the generator and cut at the markers. A skeleton is that
message's bytes in order, with the name of what each notice fills in where
it goes ("To", "Subject", "Date", "Message-ID", TEXT, HTML).
"""

from __future__ import annotations

import functools
from email.message import EmailMessage

from migrate.errors import MigrateError
from migrate.notify import mailpolicy

# Quoted-printable writes every "=" of the text as "=3D", so "=_" never starts a
# line of either part: one fixed boundary serves every message, where a random
# one per message costs a search of the body (and differs on every render).
BOUNDARY = "=_m365-exit-notice"

TEXT = "text"
HTML = "html"
# One line of letters quoted-printable writes as it is: where a body goes.
_MARKERS = {TEXT: "m365-exit-text-body", HTML: "m365-exit-html-body"}

Skeleton = tuple[bytes | str, ...]


@functools.lru_cache(maxsize=16)
def skeleton(sender: str, reply_to: str | None, wave: str, language: str) -> Skeleton:
    """The shape of a wave's notices in one language; `sender` and `reply_to` are `Name <a@b>` as the spec gives them, cleaned."""
    # RFC 3834 Auto-Submitted: an automatic notice; out-of-office replies should not answer it.
    fixed = [("From", sender), ("Reply-To", reply_to), ("Auto-Submitted", "auto-generated"), ("X-Migrate-Wave", wave)]
    head = {name: mailpolicy.fold(name, value) for name, value in fixed if value}
    proto = EmailMessage(policy=mailpolicy.SMTP)
    # Quoted-printable keeps every line short and 7-bit, whatever the relay supports.
    proto.set_content(_MARKERS[TEXT], subtype="plain", charset="utf-8", cte="quoted-printable")
    proto.make_alternative(boundary=BOUNDARY)
    proto.add_alternative(_MARKERS[HTML], subtype="html", charset="utf-8", cte="quoted-printable")
    # After the parts exist: making the message multipart moves Content-* headers into a part.
    proto["Content-Language"] = language
    for name, value in [*head.items(), *((name, mailpolicy.SMTP.fold_binary(name, value)) for name, value in proto.items())]:
        if not mailpolicy.one_header(value):
            raise MigrateError(f"the {name} header would not stay one header; no message written")
    pieces: list[bytes | str] = [head["From"], "To", head.get("Reply-To", b""), "Subject", "Date", "Message-ID",
                                 head["Auto-Submitted"], head["X-Migrate-Wave"]]
    rest = proto.as_bytes()
    for slot in (TEXT, HTML):
        before, _, rest = rest.partition(_MARKERS[slot].encode("ascii") + b"\r\n")
        pieces += [before, slot]
    return (*pieces, rest)
