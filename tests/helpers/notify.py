"""Helpers for the notify tests: a spec on disk and a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.helpers.examples import EXAMPLE_USERS  # noqa: F401 - the notify tests take it from here
from tests.helpers.ports import free_port

DOMAIN = "nordlys-tekstil.dk"
TZ = ZoneInfo("Europe/Copenhagen")
# The spec's cutover 30 days from today at 07:00: the announce wave can be sent now (its
# window closes 14 days before the cutover), whatever day the tests run.
SOON = dt.datetime.combine(dt.datetime.now(TZ).date() + dt.timedelta(days=30), dt.time(7, 0), tzinfo=TZ)
# Users save their data by 38 days after the cutover; the subscription is cancelled 45 days after it.
DATA_DEADLINE_AFTER = dt.timedelta(days=38)
CANCEL_AFTER = dt.timedelta(days=45)

USERS_CSV = (
    "\ufeffBlock credential,Display name,First name,Last name,Licenses,Preferred language,User principal name\r\n"
    "False,Anne Sørensen,Anne,Sørensen,Microsoft 365 Business Standard,da-DK,anne@nordlys-tekstil.dk\r\n"
    "False,Søren Ærø,Søren,Ærø,Microsoft 365 Business Basic,,soren@nordlys-tekstil.dk\r\n"
    "False,Emma Clarke,Emma,Clarke,Microsoft 365 Business Standard,en-GB,emma@nordlys-tekstil.dk\r\n"
    "False,Jens Østergaard,Jens,Østergaard,Microsoft 365 Business Basic,da-DK,jens@nordlys-tekstil.dk\r\n"
    "False,Mette Højgaard,Mette,Højgaard,Microsoft 365 Business Basic,da-DK,mette@nordlys-tekstil.dk\r\n"
    "False,Lager,,,Unlicensed,,lager@nordlys-tekstil.dk\r\n"
)
ADDRESSES = [
    "anne@nordlys-tekstil.dk",
    "soren@nordlys-tekstil.dk",
    "emma@nordlys-tekstil.dk",
    "jens@nordlys-tekstil.dk",
    "mette@nordlys-tekstil.dk",
]


# One tenant's two domains: Anne's addresses are on both, Emma's on the .com alone, Jens's on the .dk alone.
OTHER_DOMAIN = "nordlys-tekstil.com"
TENANT_CSV = (
    "Block credential,Display name,First name,Last name,Licenses,Object Id,Preferred language,Proxy addresses,User principal name\r\n"
    "False,Anne Sørensen,Anne,Sørensen,Microsoft 365 Business Standard,0a1b-anne,da-DK,"
    "SMTP:anne@nordlys-tekstil.dk+smtp:anne@nordlys-tekstil.com+smtp:anne@nordlys.onmicrosoft.com,anne@nordlys-tekstil.dk\r\n"
    "False,Emma Clarke,Emma,Clarke,Microsoft 365 Business Basic,0a1b-emma,en-GB,SMTP:emma@nordlys-tekstil.com,emma@nordlys-tekstil.com\r\n"
    "False,Jens Østergaard,Jens,Østergaard,Microsoft 365 Business Basic,0a1b-jens,da-DK,SMTP:jens@nordlys-tekstil.dk,jens@nordlys-tekstil.dk\r\n"
)


def write_tenant(folder: Path, *, smtp: dict | None = None, com: dict | None = None) -> tuple[Path, Path]:
    """The tenant's two specs side by side (`dk.yaml`, `com.yaml`), sharing `users.csv` (TENANT_CSV); `com` changes the .com spec's notify."""
    dk = write_spec(folder, users=TENANT_CSV, smtp=smtp, name="dk.yaml")
    return dk, write_spec(folder, users=None, smtp=smtp, domain=OTHER_DOMAIN, notify=com, name="com.yaml")


def write_spec(folder: Path, *, users: str | None = USERS_CSV, notify: dict | None = None, smtp: dict | None = None, domain: str = DOMAIN,
               cutover: dt.datetime = SOON, name: str = "migration.yaml") -> Path:
    """A valid spec (Google Workspace preset) with a notify section; returns its path.

    The data deadline and the cancellation are whole days `DATA_DEADLINE_AFTER` and `CANCEL_AFTER` after `cutover`."""
    if users is not None:
        (folder / "users.csv").write_text(users, encoding="utf-8", newline="")
    settings = {
        "language": "da",
        "from": "Nordlys IT <it@nordlys-tekstil.dk>",
        "recipients": "users.csv",
        "help_desk": "it@nordlys-tekstil.dk, tlf. 70 20 30 40",
        # dates, as a user writes them (unquoted YAML): whole days
        "cancel_date": (cutover + CANCEL_AFTER).date(),
        "data_deadline": (cutover + DATA_DEADLINE_AFTER).date(),
        "smtp": {"host": "127.0.0.1", "port": 25, "starttls": False, "rate_per_minute": 600000, "retry_delay": 0, "timeout": 10, **(smtp or {})},
        **(notify or {}),
    }
    data = {
        "version": 1,
        "domain": domain,
        "cutover": cutover.isoformat(),
        "timezone": "Europe/Copenhagen",
        "mail": {"provider": "google-workspace", "verification": "abc123", "dkim": [{"name": "google._domainkey", "type": "TXT", "value": "v=DKIM1; k=rsa; p=MIIB"}]},
        "dns": {"host": "cloudflare", "nameservers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]},
        "notify": settings,
    }
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Arrival:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class Script:
    """What the server answers. Lists of replies are used up one per attempt; then 250."""

    rcpt: dict[str, list[str]] = field(default_factory=dict)
    data: dict[str, list[str]] = field(default_factory=dict)
    # Hold the transaction for this address (at RCPT or after the body) until released.
    hold_rcpt: str | None = None
    hold_data: str | None = None
    after_hold: str = "250 OK"


class Recorder:
    """An aiosmtpd handler that records every accepted message and follows a Script."""

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        self.arrivals: list[Arrival] = []
        self.rcpt_attempts: dict[str, int] = {}
        self.holding = threading.Event()
        self.release = threading.Event()
        self.logins: list[str] = []
        self.lock = threading.Lock()

    async def _hold(self) -> None:
        self.holding.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
        queue = self.script.rcpt.get(address)
        if queue:
            return queue.pop(0)
        if self.script.hold_rcpt == address:
            await self._hold()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        rcpt = envelope.rcpt_tos[0]
        queue = self.script.data.get(rcpt)
        if queue:
            return queue.pop(0)
        if self.script.hold_data == rcpt:
            # The server has the whole message; the client waits for our answer.
            if self.script.after_hold.startswith("250"):
                self._record(envelope)
            await self._hold()
            return self.script.after_hold
        self._record(envelope)
        return "250 OK queued"

    def _record(self, envelope) -> None:
        with self.lock:
            self.arrivals.append(Arrival(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))

    def count(self, address: str) -> int:
        return sum(1 for a in self.arrivals if address in a.rcpt_tos)


class SmtpServer:
    def __init__(self, handler: Recorder, **kwargs) -> None:
        self.handler = handler
        self.kwargs = kwargs

    def __enter__(self) -> SmtpServer:
        # The port is free when chosen; another process may take it before the server binds it.
        for attempt in range(5):
            self.port = free_port()
            self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **self.kwargs)
            try:
                self.controller.start()
                return self
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def __exit__(self, *exc) -> None:
        self.handler.release.set()
        self.controller.stop()


def certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path
