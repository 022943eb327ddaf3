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
over TLS (STARTTLS by default, or implicit TLS with `ssl: true`). A login
that fails (refused, unanswered, broken) stops the whole run: every later
message would fail the same way, so they stay unsent for a re-run.

Time is bounded twice: `smtp.timeout` for each command's answer, and a
watchdog for the whole of each step, however the server drips its answers:
SETUP_STEPS timeouts for a connection (connect, greeting, TLS, login) and
MESSAGE_STEPS for one message (MAIL FROM to the answer after the body).
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from migrate import spec as spec_module
from migrate.errors import BadInput, EnvironmentProblem
from migrate.notify import message as message_module
from migrate.notify.ledger import SENT, Ledger
from migrate.notify.recipients import Recipient
from migrate.secrets import scrub
from migrate.spec import Smtp, Spec
from migrate.state import location
from migrate.state.location import Location
from migrate.watchdog import Watchdog

# Outcome statuses, as the command reports them.
DELIVERED = "sent"
ALREADY = "already-sent"
UNCERTAIN = "uncertain"
FAILED = "failed"

# Round trips of each step, each allowed one smtp.timeout: connect, greeting,
# EHLO, STARTTLS, EHLO, and AUTH's two (LOGIN); MAIL, RCPT, DATA, body, answer.
SETUP_STEPS = 7
MESSAGE_STEPS = 5


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


class LoginFailed(EnvironmentProblem):
    """The relay refused or never completed our login: the run stops (exit 1)."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never let a password reach a log or a traceback
        return f"Credentials(username={self.username!r}, password=***)"

    def secrets(self) -> tuple[str, str]:
        """What a server may echo: the password, and AUTH PLAIN's NUL-joined triple (sent base64)."""
        return self.password, f"\0{self.username}\0{self.password}"


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


def _why(exc: BaseException) -> str:
    # An SMTPResponseException prints as a tuple with the reply as bytes: show the reply instead.
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    return str(exc) or type(exc).__name__


def _check(code: int, text: bytes, phase: str) -> None:
    """Turn a reply to MAIL/RCPT/DATA into the failure it means."""
    if 200 <= code < 400:
        return
    detail = f"{phase}: {_reply(code, text)}"
    if 400 <= code < 500:
        # 421: the server is closing the connection.
        raise Temporary(detail, reconnect=code == 421)
    raise Permanent(detail)


def _body(msg: message_module.Message) -> bytes:
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
        smtp = smtplib.SMTP_SSL(timeout=s.timeout, context=self._tls()) if s.ssl else smtplib.SMTP(timeout=s.timeout)
        # Connected by connect(), not by the constructor, so that the watchdog sees the
        # socket before the greeting; TLS checks the certificate against the constructor's
        # host, which is therefore set here.
        smtp._host = s.host
        with Watchdog(SETUP_STEPS * s.timeout, lambda: smtp.sock) as watchdog:
            try:
                code, text = smtp.connect(s.host, s.port)
                if code != 220:
                    raise smtplib.SMTPConnectError(code, text)
            except (OSError, smtplib.SMTPException) as exc:
                smtp.close()
                raise Temporary(f"connect to {self.where()}: {self._late(watchdog) or _why(exc)}", reconnect=True) from None
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
            except ssl.SSLError as exc:
                smtp.close()
                raise EnvironmentProblem(f"notify.smtp: TLS with {self.where()} failed: {exc.reason or exc}") from None
            except (OSError, smtplib.SMTPException) as exc:
                smtp.close()
                raise Temporary(f"greeting {self.where()}: {self._late(watchdog) or _why(exc)}", reconnect=True) from None
            if self.creds:
                self._login(smtp, watchdog)
        self.smtp = smtp
        return smtp

    def _login(self, smtp: smtplib.SMTP, watchdog: Watchdog) -> None:
        try:
            smtp.login(self.creds.username, self.creds.password)
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            smtp.close()
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                why = f"{self.where()} refused the login of SMTP_USERNAME ({_why(exc)})"
            elif isinstance(exc, UnicodeError):
                why = f"SMTP_USERNAME and SMTP_PASSWORD must be ASCII to log in to {self.where()}"
            else:
                why = f"the login of SMTP_USERNAME at {self.where()} failed: {self._late(watchdog) or _why(exc)}"
            raise LoginFailed(self.said(f"notify.smtp: {why}; stopped, the messages not sent yet stay unsent for a re-run")) from None

    def _late(self, watchdog: Watchdog) -> str:
        """The reason a step failed when it was the watchdog that ended it, else ""."""
        return f"no complete answer within {watchdog.seconds:g} s" if watchdog.expired else ""

    def said(self, text: object) -> str:
        """Text a server may have echoed our secrets into, without them (in any encoding)."""
        return scrub(str(text), *(self.creds.secrets() if self.creds else ()))

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

    def transact(self, sender: str, recipient: str, msg: message_module.Message, before_body: Callable[[], None]) -> None:
        smtp = self.open()
        with Watchdog(MESSAGE_STEPS * self.settings.timeout, lambda: smtp.sock) as watchdog:
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
                raise Temporary(f"connection to {self.where()} failed: {self._late(watchdog) or _why(exc)}", reconnect=True) from None
            # The point of no return: from here a broken connection means "maybe delivered".
            before_body()
            try:
                smtp.send(_body(msg))
                code, text = smtp.getreply()
            except (OSError, smtplib.SMTPException) as exc:
                self.drop()
                raise Lost(f"connection to {self.where()} lost during DATA: {self._late(watchdog) or _why(exc)}") from None
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
def exclusive(state: Location | Path) -> Iterator[None]:
    """One sending run per state: a second one would see the first's claims as a dead run's."""
    with location.of(state).exclusive("notify", "another `migrate notify --send` is running with this state"):
        yield


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
    recipients: Iterable[Recipient],
    compose: Callable[[Recipient], message_module.Message],
    state: Location | Path,
    *,
    data_deadline: str | None,
    forced: str | None,
    resend_uncertain: bool = False,
    progress: Callable[[Outcome], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Outcome]:
    """Send each recipient's message (`compose` builds it, only when it goes out) once, in order. Returns one Outcome per recipient.

    The run is recorded first (`Ledger.begin`): the data deadline its messages
    name and, for a send outside the wave's window, that window."""
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

    with exclusive(state), Ledger.open(state) as ledger:
        ledger.begin(wave, data_deadline=data_deadline, forced=forced)
        try:
            for recipient in recipients:
                entry = ledger.get(wave, recipient.key)
                if entry and entry.status == SENT:
                    report(Outcome(recipient.address, ALREADY, f"sent {entry.sent_at:%Y-%m-%d %H:%M} UTC"))
                    continue
                if Ledger.is_uncertain(entry) and not resend_uncertain:
                    why = entry.error or "a run stopped between handing it to the relay and recording the answer"
                    report(Outcome(recipient.address, UNCERTAIN, why))
                    continue
                report(_deliver(ledger, transport, pacer, wave, sender, recipient, compose(recipient), settings, sleep, resend_uncertain, spec))
        finally:
            transport.close()
    return outcomes


def _deliver(ledger, transport, pacer, wave, sender, recipient, msg, settings, sleep, resend_uncertain, spec) -> Outcome:
    if not ledger.claim(wave, recipient.key, msg.message_id, resend_uncertain=resend_uncertain):
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
            last = transport.said(exc)
            if exc.reconnect:
                transport.drop()
            continue
        except Permanent as exc:
            ledger.failed(wave, recipient.key, transport.said(exc), permanent=True)
            return Outcome(recipient.address, FAILED, transport.said(exc), permanent=True)
        except Lost as exc:
            ledger.lost(wave, recipient.key, transport.said(exc))
            return Outcome(recipient.address, UNCERTAIN, transport.said(exc))
        except EnvironmentProblem as exc:
            # Login failed or TLS broken while (re)connecting, before MAIL: not delivered, and
            # neither would the rest be: the run stops here. (Anything else, Ctrl-C included,
            # leaves the claim: uncertain, as it should.)
            ledger.failed(wave, recipient.key, transport.said(exc), permanent=False)
            raise
        ledger.sent(wave, recipient.key)
        return Outcome(recipient.address, DELIVERED)
    error = f"{last} (gave up after {settings.retries + 1} attempts)"
    ledger.failed(wave, recipient.key, error, permanent=False)
    return Outcome(recipient.address, FAILED, error)
