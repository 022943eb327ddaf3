"""The migration spec (`migration.yaml`): one validated source of truth.

pydantic validates the shape; every failure becomes one line naming the file
and the key (`migration.yaml: dns.records[2].value: ...`), exit 2. Names are
resolved here once (IDN to A-label, `@` and relative names to absolute), so
nothing downstream handles user spelling again.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from migrate import duration, limits, mailauth, names, presets, text
from migrate.endpoint import parse as parse_endpoint
from migrate.errors import BadInput
from migrate.zone import HOST_MANAGED, RRset, is_txt_like, txt_rdata_text


def _check(func):
    """Run a names.* check inside a pydantic validator, turning BadInput into ValueError."""

    def validate(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        try:
            return func(value)
        except BadInput as exc:
            raise ValueError(str(exc)) from None

    return validate


DomainName = Annotated[str, BeforeValidator(_check(names.domain))]
HostName = Annotated[str, BeforeValidator(_check(names.host))]


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    try:
        return duration.parse(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _moment(value: Any) -> Any:
    # pydantic would read a number as seconds since 1970 (cutover: 12345 is 1970-01-01).
    if isinstance(value, (int, float)):
        raise ValueError("must be a date and time like 2027-01-15T07:00:00+01:00, not a number")
    # YAML gives a datetime for an unquoted timestamp, a string when quoted.
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date and time like 2027-01-15T07:00:00+01:00") from None
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone offset, e.g. 2027-01-15T07:00:00+01:00")
    return value


# Microsoft 365 began in 2011: a date outside these years is a typo (0001, 9999).
# Within them, every moment the tool computes (a date plus ten years of durations,
# or a 68-year TTL) stays far from datetime's limits, years 1 and 9999.
YEARS = range(2000, 3000)


def _plausible(value: date) -> date:
    if value.year not in YEARS:
        raise ValueError(f"{value.isoformat()} is not in the years {YEARS[0]} to {YEARS[-1]}")
    return value


# A moment in time with its UTC offset: when something happens or was observed.
Moment = Annotated[datetime, BeforeValidator(_moment), AfterValidator(_aware), AfterValidator(_plausible)]
# A date (a whole day), or a date and time.
Day = Annotated[datetime | date, AfterValidator(_plausible)]


def _endpoint(value: Any) -> str:
    """IP or IP:PORT ([v6]:PORT for IPv6): validated, kept as text."""
    if not isinstance(value, str):
        raise ValueError("must be an address like 192.0.2.1 or 192.0.2.1:5353")
    parse_endpoint(value)
    return value


Endpoint = Annotated[str, BeforeValidator(_endpoint)]


def _not_bool(value: Any) -> Any:
    # pydantic reads `ttl: true` as 1; a yes/no where a number belongs is a mistake.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


Number = BeforeValidator(_not_bool)


def _one_line(value: str) -> str:
    # Checked decoded: the email package would decode an encoded-word in a header (RFC 2047).
    if problem := text.problem(value):
        raise ValueError(f"contains {problem} (encoded-words are read decoded); write it as one line of visible text")
    return value


# Text that reaches a mail header or a message: a line break in it could add a header.
OneLine = Annotated[str, AfterValidator(_one_line)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _secure_url(value: Any) -> str:
    """An https URL; plain http only to this machine (the loopback Graph of the tests).

    The client secret is posted to the authority, and the token sent to the
    endpoint: neither may travel in clear over a network.
    """
    from urllib.parse import urlsplit

    if not isinstance(value, str):
        raise ValueError("must be a URL like https://graph.microsoft.com/v1.0")
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError(f"{value!r} is not a URL like https://graph.microsoft.com/v1.0") from None
    if not host or parts.scheme not in ("https", "http") or any(c.isspace() for c in value.strip()):
        raise ValueError(f"{value!r} is not a URL like https://graph.microsoft.com/v1.0")
    if parts.scheme == "http" and not _loopback(host):
        raise ValueError(f"{value!r} is plain http; the secret and tokens need https (http only to 127.0.0.1/localhost)")
    return value.strip()


SecureUrl = Annotated[str, BeforeValidator(_secure_url)]


class Graph(Strict):
    # A directory (tenant) id or a domain: it becomes one path segment of the sign-in URL.
    tenant_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]*$")
    client_id: str = Field(min_length=1)
    endpoint: SecureUrl = "https://graph.microsoft.com/v1.0"
    authority: SecureUrl = "https://login.microsoftonline.com"
    # All the Graph work of one command (a gate run, a remove-domain), retries included.
    deadline: Duration = Field(default=timedelta(minutes=3), ge=timedelta(seconds=1), le=timedelta(hours=1))


class Source(Strict):
    provider: Literal["microsoft365"] = "microsoft365"
    tenant: str | None = None
    nameservers: list[HostName] = []
    graph: Graph | None = None


class MX(Strict):
    priority: Annotated[int, Number] = Field(ge=0, le=65535)
    host: HostName


class Record(Strict):
    """A record as written in the spec: `name` relative to the domain, `value` in zone-file syntax.

    Host names inside values are absolute whether or not they end with a dot,
    as people write them in a DNS host's web form.
    """

    name: str
    type: str
    value: str | list[str]
    ttl: Annotated[int | None, Number] = Field(default=None, ge=0, le=2**31 - 1)
    proxied: bool = False

    def values(self) -> list[str]:
        return [self.value] if isinstance(self.value, str) else list(self.value)

    def rrset(self, domain: str, default_ttl: int) -> RRset:
        """The RRset this record declares. A TXT-like value not starting with a quote is
        one string (split at 255 bytes); other values are zone-file rdata with absolute
        names, their character-strings kept as written."""
        owner = names.owner(self.name, domain)
        values = [
            txt_rdata_text(value) if is_txt_like(self.type) and not value.lstrip().startswith('"') else value
            for value in self.values()
        ]
        return RRset.build(owner, self.type, default_ttl if self.ttl is None else self.ttl, values)

    @field_validator("type")
    @classmethod
    def _upper(cls, value: str) -> str:
        value = value.strip().upper()
        if value in HOST_MANAGED:
            raise ValueError(f"{value} records are written by the DNS host itself (its SOA, its DNSSEC signatures); leave them out")
        return value

    @field_validator("value")
    @classmethod
    def _not_empty(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and not value:
            raise ValueError("needs at least one value")
        return value


class Mail(Strict):
    provider: str
    mx: list[MX] = []
    spf: str | None = None
    dkim: list[Record] = []
    dmarc: str | None = None
    verification: str | None = None
    dkim_id: str | None = None
    # For `custom`, and to override a preset's wording in the notifications.
    name: OneLine | None = None
    sign_in_url: OneLine | None = None

    @field_validator("provider")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in presets.ids():
            raise ValueError(f"unknown preset {value!r} (known: {', '.join(presets.ids())})")
        return value

    @field_validator("spf")
    @classmethod
    def _spf(cls, value: str | None) -> str | None:
        if value is not None and not mailauth.is_spf(value):
            raise ValueError(f"{value!r} does not start with v=spf1")
        return value

    @field_validator("dmarc")
    @classmethod
    def _dmarc(cls, value: str | None) -> str | None:
        # Refused here rather than failed by verify after the cutover (mail.dmarc).
        problem = None if value is None else mailauth.dmarc_problem(value)
        if problem:
            raise ValueError(f"{value!r}: {problem}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Mail:
        if self.provider == presets.CUSTOM:
            if not self.mx:
                raise ValueError("mx: a custom provider needs at least one MX record")
            return self
        if self.mx:
            raise ValueError(f"mx: only a custom provider takes MX records; {self.provider} sets its own")
        preset = presets.PRESETS[self.provider]
        needed = dict(preset.needs)
        if self.dkim:
            needed.pop("dkim_id", None)
        for template in (*(() if self.dkim else preset.dkim), *filter(None, [preset.verification])):
            for param in template.params():
                needed.setdefault(param, f"a value for {{{param}}}")
        have = {"dkim": bool(self.dkim), "verification": bool(self.verification), "dkim_id": bool(self.dkim_id)}
        for param, how in needed.items():
            if not have.get(param):
                raise ValueError(f"{param}: {self.provider} needs {how}")
        return self

    @property
    def preset(self) -> presets.Preset | None:
        return presets.PRESETS.get(self.provider)

    @property
    def display_name(self) -> str:
        return self.name or (self.preset.display_name if self.preset else "your new mail provider")


class Cloudflare(Strict):
    zone_id: str | None = None


class RFC2136(Strict):
    """A server that takes RFC 2136 updates signed with a TSIG key (BIND, Knot, PowerDNS).

    The secret itself never appears here: only the name of the environment
    variable that holds it (base64, as `tsig-keygen`/`keymgr` print it).
    """

    server: Endpoint
    zone: DomainName | None = None  # default: the spec's domain
    key_name: HostName  # the TSIG key's name, as the server's config spells it
    key_algorithm: Literal["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5"] = "hmac-sha256"
    secret_env: str = Field(default="M365_EXIT_TSIG_SECRET", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout: float = Field(default=10.0, gt=0, le=300)


class DNS(Strict):
    host: Literal["cloudflare", "rfc2136"]
    nameservers: list[HostName] = Field(min_length=1)
    zone_file: Path | None = None
    records: list[Record] = []
    default_ttl: Annotated[int, Number] = Field(default=3600, ge=0, le=2**31 - 1)
    cloudflare: Cloudflare = Cloudflare()
    # Checked even when absent (validate_default), so the error names dns.rfc2136.
    rfc2136: RFC2136 | None = Field(default=None, validate_default=True)

    @field_validator("rfc2136")
    @classmethod
    def _rfc2136_for_its_host(cls, value: RFC2136 | None, info: ValidationInfo) -> RFC2136 | None:
        if value is None and info.data.get("host") == "rfc2136":
            raise ValueError("required when host is rfc2136 (at least server and key_name)")
        return value


class Smtp(Strict):
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False  # implicit TLS (port 465); starttls is then not used
    timeout: float = Field(default=30.0, gt=0, le=duration.LONGEST.total_seconds())
    rate_per_minute: float = Field(default=60.0, gt=0)
    # Temporary (4xx) failures and dropped connections are retried this often,
    # waiting retry_delay, then twice as long, and so on.
    retries: int = Field(default=3, ge=0, le=30)
    retry_delay: Duration = timedelta(seconds=30)
    # A CA bundle to trust instead of the system's, for a relay with an internal CA.
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _waits(self) -> Smtp:
        # Each wait doubles the one before: retry_delay × (2^retries − 1) in all.
        if self.retry_delay.total_seconds() * (2**self.retries - 1) > duration.LONGEST.total_seconds():
            raise ValueError(f"retries: {self.retries} retries from a retry_delay of {duration.format(self.retry_delay)} wait longer than ten years in all")
        return self


class Notify(Strict):
    language: Literal["da", "en"] = "da"
    from_: OneLine = Field(alias="from")
    reply_to: OneLine | None = None
    recipients: Path | None = None
    smtp: Smtp | None = None
    help_desk: OneLine | None = None
    # Who signs the messages; default: the display name in `from`.
    organisation: OneLine | None = None
    announce_days: int = Field(default=14, ge=1, le=duration.LONGEST.days)
    reminder_days: int = Field(default=1, ge=0, le=duration.LONGEST.days)
    # The data-deadline wave is due this many days before data_deadline.
    deadline_notice_days: int = Field(default=7, ge=0, le=duration.LONGEST.days)
    # A date (whole day) or a date and time; without an offset it is read in the spec's time zone.
    data_deadline: Day | None = None
    cancel_date: Day | None = None
    # True when IT copies the old mailboxes to the new provider; the cutover wave says so.
    copy_old_mail: bool = False
    # Where users put the files they save from OneDrive and SharePoint, as the emails name it
    # ("Google Drive, the folder Company"). Unset: the emails tell them to download to their computer.
    save_to: OneLine | None = None
    # A folder of templates that override the built-in ones (same layout: <lang>/<wave>.*).
    templates: Path | None = None

    @field_validator("from_", "reply_to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from email.utils import parseaddr

        _, address = parseaddr(value)
        local, _, domain = (address or "").rpartition("@")
        try:
            # An IDN domain (it@blåbær.dk) is written as its A-label, as SMTP needs it.
            ascii_address = f"{local}@{names.host(domain).rstrip('.')}" if local and domain else address
        except BadInput:
            ascii_address = address
        # parseaddr mends some damage (spaces inside the address): only a value it reads as written counts.
        # An encoded-word in the address itself would be decoded inside the header.
        well_formed = bool(address) and address in value and "=?" not in address
        if not well_formed or not re.fullmatch(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+", ascii_address):
            raise ValueError(f"{value!r} is not an address like \"IT <it@example.dk>\"")
        return value.replace(address, ascii_address)

    @model_validator(mode="after")
    def _order(self) -> Notify:
        if self.data_deadline is not None and self.cancel_date is not None:
            deadline = self.data_deadline.date() if isinstance(self.data_deadline, datetime) else self.data_deadline
            cancel = self.cancel_date.date() if isinstance(self.cancel_date, datetime) else self.cancel_date
            if deadline > cancel:
                raise ValueError("data_deadline: must not be after cancel_date (users lose access at cancellation)")
        return self


class Verify(Strict):
    resolvers: list[Endpoint] = ["8.8.8.8", "1.1.1.1", "9.9.9.9", "208.67.222.222"]
    root_hints: list[Endpoint] = []
    timeout: Duration = timedelta(seconds=3)
    retries: int = Field(default=2, ge=0)
    # Packets in flight at once, per process (each holds a socket: at most 512; the rates are what servers see).
    concurrency: int = Field(default=64, ge=1, le=512)
    # Queries a second to one address (verify/budget.py): a public resolver (they rate-limit per client),
    # one of the domains' own authoritative servers, and any other (root, TLD and parent servers, shared by all).
    resolver_rate: float = Field(default=5.0, gt=0)
    server_rate: float = Field(default=50.0, gt=0)
    parent_rate: float = Field(default=10.0, gt=0)
    interval: Duration = timedelta(seconds=60)
    # Ask a settled answer again only once its TTL may have run out (verify/settled.py); false: every question every round.
    reuse_settled: bool = True


GateCheck = Literal["dns", "notice", "licences", "domain_removed", "data_saved", "tenant"]


class Gate(Strict):
    min_soak: Duration = timedelta(hours=48)
    max_age: Duration = timedelta(hours=6)
    notice_days: int = Field(default=14, ge=0, le=duration.LONGEST.days)
    # `tenant`: cancelling ends mail for every domain of the tenant, not only this one.
    require: list[GateCheck] = ["dns", "notice", "licences", "domain_removed", "data_saved", "tenant"]
    facts: Path | None = None
    # Domains of the tenant this exit leaves without mail: each must be proven mail-free and removed.
    parked: list[DomainName] = Field(default=[], max_length=5000)


class Spec(Strict):
    version: Literal[1]
    domain: DomainName
    cutover: Moment
    timezone: str | None = None
    source: Source = Source()
    mail: Mail
    dns: DNS
    notify: Notify | None = None
    verify: Verify = Verify()
    gate: Gate = Gate()

    _path: Path = PrivateAttr(default=Path("migration.yaml"))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Copenhagen") from None
        return value

    # -- derived ------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def tz(self):
        return ZoneInfo(self.timezone) if self.timezone else self.cutover.tzinfo

    def local(self, value: date | datetime) -> date | datetime:
        """A moment in the display time zone (a naive one is read in it); a date stays a whole day."""
        if isinstance(value, datetime):
            return value.replace(tzinfo=self.tz) if value.tzinfo is None else value.astimezone(self.tz)
        return value

    def resolve_path(self, value: Path | None) -> Path | None:
        """A path from the spec, relative to the spec file's folder."""
        if value is None:
            return None
        return value if value.is_absolute() else self.path.parent / value

    def default_state(self) -> Path:
        return self.path.parent / ".migrate"


def _location(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(("function-", "tagged-union")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _problem(error: dict) -> str:
    where = _location(error["loc"])
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    # A model-level check names its own key ("mx: ..."): fold it into the path.
    inner = re.match(r"^([a-z_]+): (.*)$", message)
    if error["type"] == "value_error" and inner:
        where, message = f"{where}.{inner.group(1)}", inner.group(2)
    return f"{where}: {message}"


def _record_errors(spec: Spec) -> list[str]:
    """Record values parsed as DNS data: reported with their key, all at once."""
    errors = []
    groups = [("dns.records", spec.dns.records), ("mail.dkim", spec.mail.dkim)]
    for key, records in groups:
        for index, record in enumerate(records):
            try:
                rrset = record.rrset(spec.domain, spec.dns.default_ttl)
            except BadInput as exc:
                errors.append(f"{key}[{index}]: {exc}")
                continue
            if rrset.key == (spec.domain, "NS"):
                # It would silently replace dns.nameservers, which verify and the registrar change use.
                errors.append(f"{key}[{index}]: the apex NS set is dns.nameservers; set it there, not as a record")
            if key == "mail.dkim" and (problem := _dkim_problem(rrset)):
                errors.append(f"{key}[{index}]: {problem}")
    return errors


def _dkim_problem(rrset: RRset) -> str | None:
    """Why receivers would not find this mail.dkim record as a DKIM key, or None."""
    if not mailauth.is_dkim_owner(rrset.name):
        return f"{rrset.name} is not a DKIM key's name; write <selector>._domainkey"
    for value in rrset.values() if rrset.rdtype == "TXT" else ():
        if problem := mailauth.parse_dkim_key(value).problem:
            return f"{value!r} is not a DKIM key record: {problem}"
    return None


def parse(data: Any, path: Path) -> Spec:
    if not isinstance(data, dict):
        raise BadInput(f"{path}: the spec must be a mapping of keys (version, domain, cutover, ...)")
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e) for e in exc.errors()]
        raise BadInput(f"{path}: " + "; ".join(problems)) from None
    spec._path = path
    problems = _record_errors(spec)
    if problems:
        raise BadInput(f"{path}: " + "; ".join(problems))
    return spec


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml.safe_load that refuses a key written twice in one mapping.

    Plain YAML keeps the last of two equal keys, so a second `domain:` pasted at
    the end of the file would silently move the migration to another domain.
    Keys merged in with `<<: *anchor` may still be overridden, as YAML intends.
    """

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: the constructor reports it
                    continue
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first on line {first})", key_node.start_mark
                    )
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def yaml_data(text: str, path: Path) -> Any:
    """Parse YAML text (safe tags only, no duplicate keys); errors name the file and line."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise BadInput(f"{path}: not valid YAML{where}: {problem}") from None


def load(path: Path | str) -> Spec:
    """Read and validate a spec file; every problem is a BadInput naming the file and key."""
    path = Path(path)
    try:
        text = limits.read_text(path, limits.SPEC_BYTES, "spec file")
    except FileNotFoundError:
        raise BadInput(f"{path}: spec file not found") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read spec ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: spec is not UTF-8 text") from None
    return parse(yaml_data(text, path), path)


def secret(name: str) -> str | None:
    """A secret from the environment; the only place secrets enter the program."""
    value = os.environ.get(name)
    return value or None
