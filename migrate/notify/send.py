"""SMTP delivery of one wave, through the ledger, so nothing goes out twice.

Per message: claim it in the ledger (`sending`, on disk), run the SMTP
transaction, record `sent` or `failed`. The transaction is driven command by
command (MAIL, RCPT, DATA, body) so we know which side of the point of no
return a failure fell on: before the server said 354 to DATA, nothing was
delivered (retry or report); after the body started, a dropped connection
leaves the message *uncertain* and it is never retried automatically.

Temporary failures (4xx replies, a connection that cannot be made or drops
before DATA) are retried `smtp.retries` times with a doubling delay; 5xx is
permanent for that recipient. A rate limit spaces transactions out.
Credentials come from SMTP_USERNAME / SMTP_PASSWORD and are only ever sent
over TLS (STARTTLS by default, or implicit TLS with `ssl: true`).
"""

from __future__ import annotations

import fcntl
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from migrate import spec as spec_module
from migrate.errors import BadInput, EnvironmentProblem
from migrate.notify import message as message_module
from migrate.notify.ledger import SENT, Ledger
from migrate.notify.recipients import Recipient
from migrate.spec import Smtp, Spec

# Outcome statuses, as the command reports them.
DELIVERED = "sent"
ALREADY = "already-sent"
UNCERTAIN = "uncertain"
FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    address: str
    status: str
    detail: str = ""
    permanent: bool = False


class Temporary(Exception):
    """Not delivered; worth trying again. `reconnect`: the connection is unusable."""

    def __init__(self, text: str, reconnect: bool = False) -> None:
        super().__init__(text)
        self.reconnect = reconnect


class Permanent(Exception):
    """Not delivered; the server refused this recipient or message for good (5xx)."""


class Lost(Exception):
    """The connection failed after the message body started: the server may have it."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never let a password reach a log or a traceback
        return f"Credentials(username={self.username!r}, password=***)"


def credentials(settings: Smtp) -> Credentials | None:
    username = spec_module.secret("SMTP_USERNAME")
    password = spec_module.secret("SMTP_PASSWORD")
    if not username and not password:
        return None
    if not username or not password:
        raise BadInput("SMTP_USERNAME and SMTP_PASSWORD: set both or neither")
    if not (settings.starttls or settings.ssl):
        raise BadInput("notify.smtp: refusing to send SMTP_PASSWORD in clear; turn on starttls or ssl")
    return Credentials(username, password)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def _check(code: int, text: bytes, phase: str) -> None:
    """Turn a reply to MAIL/RCPT/DATA into the failure it means."""
    if 200 <= code < 400:
        return
    detail = f"{phase}: {_reply(code, text)}"
    if 400 <= code < 500:
        # 421: the server is closing the connection.
        raise Temporary(detail, reconnect=code == 421)
    raise Permanent(detail)


def _body(msg: EmailMessage) -> bytes:
    """The message as DATA wants it: CRLF line ends, dot-stuffed, ending in CRLF.CRLF."""
    data = re.sub(rb"\r?\n|\r", b"\r\n", msg.as_bytes())
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class Transport:
    """One SMTP connection, opened lazily and reopened after it breaks."""

    def __init__(self, settings: Smtp, creds: Credentials | None, ca_file: Path | None = None) -> None:
        self.settings = settings
        self.creds = creds
        self.ca_file = ca_file
        self.smtp: smtplib.SMTP | None = None

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)

    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def open(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        s = self.settings
        try:
            if s.ssl:
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise Temporary(f"connect to {self.where()}: {exc}", reconnect=True) from None
        try:
            smtp.ehlo()
            if s.starttls and not s.ssl:
                if not smtp.has_extn("starttls"):
                    smtp.close()
                    raise EnvironmentProblem(
                        f"notify.smtp: {self.where()} does not offer STARTTLS; set starttls: false only for a trusted local relay"
                    )
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if self.creds:
                smtp.login(self.creds.username, self.creds.password)
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise EnvironmentProblem(f"notify.smtp: {self.where()} refused the login of SMTP_USERNAME ({exc.smtp_code})") from None
        except ssl.SSLError as exc:
            smtp.close()
            raise EnvironmentProblem(f"notify.smtp: TLS with {self.where()} failed: {exc.reason or exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()
            raise Temporary(f"greeting {self.where()}: {exc}", reconnect=True) from None
        self.smtp = smtp
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def transact(self, sender: str, recipient: str, msg: EmailMessage, before_body: Callable[[], None]) -> None:
        smtp = self.open()
        try:
            code, text = smtp.mail(sender)
            _check(code, text, "MAIL FROM")
            code, text = smtp.rcpt(recipient)
            _check(code, text, "RCPT TO")
            code, text = smtp.docmd("DATA")
            if code != 354:
                _check(code if code >= 400 else 554, text, "DATA")
        except (Temporary, Permanent):
            self._reset()
            raise
        except (OSError, smtplib.SMTPException) as exc:
            # Before the body: nothing was delivered.
            self.drop()
            raise Temporary(f"connection to {self.where()} failed: {exc}", reconnect=True) from None
        # The point of no return: from here a broken connection means "maybe delivered".
        before_body()
        try:
            smtp.send(_body(msg))
            code, text = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.drop()
            raise Lost(f"connection to {self.where()} lost during DATA: {exc}") from None
        try:
            _check(code, text, "end of DATA")
        except (Temporary, Permanent):
            self._reset()
            raise

    def _reset(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.drop()


@contextmanager
def exclusive(state_dir: Path) -> Iterator[None]:
    """One sending run per state folder: a second one would see the first's claims as a dead run's."""
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(state_dir) / "notify.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EnvironmentProblem(f"{state_dir}: another `migrate notify --send` is running with this state folder") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Pacer:
    """At most `per_minute` transactions a minute: a fixed gap between their starts."""

    def __init__(self, per_minute: float, sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
        self.gap = 60.0 / per_minute
        self.sleep = sleep
        self.clock = clock
        self.last: float | None = None

    def wait(self) -> None:
        if self.last is not None:
            remaining = self.last + self.gap - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self.last = self.clock()


def send(
    spec: Spec,
    wave: str,
    items: list[tuple[Recipient, EmailMessage]],
    state_dir: Path,
    *,
    resend_uncertain: bool = False,
    progress: Callable[[Outcome], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Outcome]:
    """Send each message once, in order. Returns one Outcome per item."""
    settings = spec.notify.smtp if spec.notify else None
    if settings is None:
        raise BadInput(f"{spec.path}: notify.smtp: --send needs an SMTP relay (host, port)")
    creds = credentials(settings)
    transport = Transport(settings, creds, spec.resolve_path(settings.ca_file))
    pacer = Pacer(settings.rate_per_minute, sleep, clock)
    sender = parseaddr(spec.notify.from_)[1]
    outcomes: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if progress:
            progress(outcome)

    with exclusive(state_dir), Ledger.open(state_dir) as ledger:
        try:
            for recipient, msg in items:
                entry = ledger.get(wave, recipient.key)
                if entry and entry.status == SENT:
                    report(Outcome(recipient.address, ALREADY, f"sent {entry.sent_at:%Y-%m-%d %H:%M} UTC"))
                    continue
                if Ledger.is_uncertain(entry) and not resend_uncertain:
                    why = entry.error or "a run stopped between handing it to the relay and recording the answer"
                    report(Outcome(recipient.address, UNCERTAIN, why))
                    continue
                report(_deliver(ledger, transport, pacer, wave, sender, recipient, msg, settings, sleep, resend_uncertain, spec))
        finally:
            transport.close()
    return outcomes


def _deliver(ledger, transport, pacer, wave, sender, recipient, msg, settings, sleep, resend_uncertain, spec) -> Outcome:
    if not ledger.claim(wave, recipient.key, msg["Message-ID"], resend_uncertain=resend_uncertain):
        # The row changed between our look and our claim (the lock makes this rare): report what it says.
        entry = ledger.get(wave, recipient.key)
        if Ledger.is_uncertain(entry):
            return Outcome(recipient.address, UNCERTAIN, entry.error or "uncertain")
        return Outcome(recipient.address, ALREADY, "recorded as sent")
    delay = settings.retry_delay.total_seconds()
    last = ""
    for attempt in range(settings.retries + 1):
        if attempt:
            sleep(delay * 2 ** (attempt - 1))
        pacer.wait()
        message_module.stamp(msg, spec)
        try:
            transport.transact(sender, recipient.address, msg, lambda: ledger.body(wave, recipient.key))
        except Temporary as exc:
            last = str(exc)
            if exc.reconnect:
                transport.drop()
            continue
        except Permanent as exc:
            ledger.failed(wave, recipient.key, str(exc), permanent=True)
            return Outcome(recipient.address, FAILED, str(exc), permanent=True)
        except Lost as exc:
            ledger.lost(wave, recipient.key, str(exc))
            return Outcome(recipient.address, UNCERTAIN, str(exc))
        except EnvironmentProblem as exc:
            # Login refused or TLS broken while (re)connecting, before MAIL: not delivered.
            # (Anything else, Ctrl-C included, leaves the claim: uncertain, as it should.)
            ledger.failed(wave, recipient.key, str(exc), permanent=False)
            raise
        ledger.sent(wave, recipient.key)
        return Outcome(recipient.address, DELIVERED)
    error = f"{last} (gave up after {settings.retries + 1} attempts)"
    ledger.failed(wave, recipient.key, error, permanent=False)
    return Outcome(recipient.address, FAILED, error)
