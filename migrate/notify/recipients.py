"""Who gets the notices: the admin center's "Active users" export, filtered.

Microsoft 365 admin center > Users > Active users > Export users writes one
header row with columns such as `Display name`, `First name`, `Last name`,
`User principal name`, `Proxy addresses`, `Licenses`, `Preferred language`,
`Block credential`. Columns are matched by name (never position) and extra or
missing optional columns are fine. The file may start with a byte-order mark,
use CRLF, and, once re-saved by a Danish Excel, use `;` and Windows-1252.

Only licensed users whose address is on the migrated domain are recipients,
each with the Office their licences give them (`plans`). Everything else
(unlicensed, blocked, other domains, duplicates, invalid addresses, malformed
rows) is reported with its line number and never mailed.

Of the rows skipped, those that are mailboxes on the domain are kept aside
(`Roster.mailboxes`): mail to them moves too, and nobody is told. A shared or
resource mailbox is a user account without a licence (Microsoft blocks its
sign-in), so the export shows it as `Unlicensed` with a primary SMTP address
among its proxy addresses; the export does not say which of the two it is. A
licensed user whose sign-in is blocked (someone who left) has a mailbox
nobody reads as well. Without a `Proxy addresses` column the export cannot
say whether a row has a mailbox, so every such row on the domain is kept.

Gate contract: `load(spec) -> list[Recipient]`.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrate import limits, names
from migrate.errors import BadInput
from migrate.notify import plans
from migrate.spec import Spec
from migrate.text import decode_words, header, problem

UPN = "user principal name"
DISPLAY = "display name"
FIRST = "first name"
LAST = "last name"
LICENSES = "licenses"
LANGUAGE = "preferred language"
BLOCKED = "block credential"
PROXIES = "proxy addresses"
OBJECT_ID = "object id"

# RFC 5321 dot-atom local part, ASCII only: the relay may not speak SMTPUTF8.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# Proxy addresses are joined with "+", which may also occur inside an address: split before "type:".
_PROXY_SPLIT = re.compile(r"\+(?=[A-Za-z0-9]+:)")
_MAX_NAME = 200
# One line with its end, split as a file opened with newline="" splits it (csv's
# own rule), one at a time: io.StringIO would hold the whole export at four bytes a character.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


@dataclass(frozen=True)
class Recipient:
    address: str  # local@a-label-domain; the domain in lower case
    display_name: str
    first_name: str
    last_name: str
    language: str  # da | en
    line: int  # where it came from in the CSV
    plan: str = plans.UNKNOWN  # plans.DESKTOP | WEB | UNKNOWN: the Office their licences give them
    # Who the row is (its Object Id, else its user principal name, lower case): one person across exports.
    person: str = ""
    # Their other addresses (SMTP proxy addresses) on the domains read for: mail to these moves too.
    aliases: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The ledger key: addresses compare case-insensitively in practice."""
        return self.address.lower()

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address of theirs that moves, the one written to first."""
        return (self.address, *self.aliases)


@dataclass(frozen=True)
class Skipped:
    line: int
    address: str
    reason: str  # unlicensed | blocked | other-domain | duplicate | invalid-address | malformed
    detail: str = ""
    file: str = ""  # the export it is in, when a roster is read from several

    def __str__(self) -> str:
        who = self.address or "(no address)"
        where = f"{self.file}: " if self.file else ""
        return f"{where}line {self.line}: {who}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


# What a mailbox nobody is told about is.
SHARED_MAILBOX = "shared"  # no licence, a mailbox: a shared or a resource mailbox
BLOCKED_USER = "blocked"  # licensed, sign-in blocked


@dataclass(frozen=True)
class Mailbox:
    """A mailbox on the domain that nobody is told about."""

    line: int
    address: str
    display_name: str  # cleaned as a recipient's is
    kind: str  # SHARED_MAILBOX | BLOCKED_USER


@dataclass
class Roster:
    recipients: list[Recipient] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # fixed things worth knowing (cleaned names)
    mailboxes: list[Mailbox] = field(default_factory=list)  # skipped rows that are mailboxes on the domain
    # Licence names `plans` does not know, as written (decoded, one line), with how many recipients hold each.
    unknown_licences: dict[str, int] = field(default_factory=dict)
    # What was read so far, for the next export read into this roster (`parse(into=...)`):
    # each recipient's address -> (file, line), and each person -> (address, file, line).
    seen: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False)
    people: dict[str, tuple[str, str, int]] = field(default_factory=dict, repr=False)

    def find(self, address: str) -> Recipient | None:
        """The recipient with this address, the one written to or another of theirs that moves."""
        wanted = address.strip().lower()
        for recipient in self.recipients:
            if wanted in (a.lower() for a in recipient.addresses):
                return recipient
        return None


def clean_name(value: str) -> str:
    """A display name safe for a header: encoded-words decoded, then one line of visible text, bounded."""
    return header(value)[:_MAX_NAME]


# Nearly every address of an export is on the same one or two domains: convert each once.
_a_label = functools.lru_cache(maxsize=64)(names.domain)


def normalise_address(text: str) -> str:
    """local@a-label-domain, or ValueError saying why the text is not a usable address."""
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cf") or c.isspace() for c in text):
        raise ValueError("contains spaces, line breaks or control characters")
    if text.count("@") != 1:
        raise ValueError("needs exactly one @")
    local, _, domain = text.partition("@")
    if "=?" in local:
        # An encoded-word: the email package would decode it inside the To header.
        raise ValueError("the part before @ is an RFC 2047 encoded-word, not a mailbox name")
    if not _LOCAL.fullmatch(local) or len(local) > 64:
        raise ValueError("the part before @ is not a plain ASCII mailbox name")
    try:
        a_label = _a_label(domain)
    except BadInput:
        raise ValueError(f"{domain!r} is not a domain name") from None
    if a_label.count(".") < 2:  # "x." is a TLD alone
        raise ValueError(f"{domain!r} is not a domain name")
    return f"{local}@{a_label.rstrip('.')}"


def visible(text: str) -> str:
    """Text for a report line: control characters shown as escapes, letters left alone."""
    return "".join(c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cf") else c for c in text)


def _decode(data: bytes, source: str = "recipients") -> tuple[str, str | None]:
    # Excel's "Unicode text" and PowerShell's Export-Csv -Encoding Unicode write UTF-16 with a BOM.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16; read as such"
        except UnicodeDecodeError:
            raise BadInput(f"{source}: starts like UTF-16 text but is not; save the export as CSV (UTF-8)") from None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        # Excel on a Danish Windows saves "CSV" as Windows-1252.
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise BadInput(f"{source}: not text (neither UTF-8 nor Windows-1252); expected the admin center's Active users export as CSV")
    return text, "not UTF-8; read as Windows-1252 (Excel)"


def _primary(proxies: str) -> str | None:
    """The primary SMTP address: the proxy address written with upper-case `SMTP:`."""
    for item in _PROXY_SPLIT.split(proxies or ""):
        item = item.strip()
        if item.startswith("SMTP:"):
            return item[5:]
    return None


def _aliases(proxies: str, primary: str, wanted: frozenset[str]) -> tuple[str, ...]:
    """The other SMTP addresses (`smtp:`) on the `wanted` domains, normalised; one that is not a usable address is left out."""
    found = []
    for item in _PROXY_SPLIT.split(proxies or ""):
        kind, _, value = item.strip().partition(":")
        if kind != "smtp":
            continue
        try:
            address = normalise_address(value)
        except ValueError:
            continue
        if address.rpartition("@")[2].lower() in wanted and address.lower() != primary.lower() and address not in found:
            found.append(address)
    return tuple(found)


def _language(value: str, default: str) -> str:
    code = (value or "").strip().lower()[:2]
    return code if code in ("da", "en") else default


def parse(text: str, domain: str | tuple[str, ...], default_language: str, source: str = "recipients",
          into: Roster | None = None) -> Roster:
    """Read an export. `domain` is the migrated domain (A-label, trailing dot), or an exit's domains.

    `into`: a roster read from another export of the same tenant, which this
    one adds to: a user it has already (the same address, or the same person)
    is a duplicate here, and its skipped rows name their file.
    """
    roster = into if into is not None else Roster()
    file = source if into is not None else ""
    # Only the first line is needed here: splitting the whole export would copy it.
    end = text.find("\n")
    first = (text if end < 0 else text[:end]).splitlines()
    if not first or not first[0].strip():
        raise BadInput(f"{source}: empty file; expected the admin center's Active users export")
    header_line = first[0]
    # Comma (the admin center), semicolon (a Danish Excel), tab (Excel's "Unicode text").
    delimiter = max((",", ";", "\t"), key=header_line.count)
    reader = csv.reader((match.group() for match in _LINE.finditer(text)), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise BadInput(f"{source}: line 1: not CSV ({exc})") from None
    if UPN not in header:
        raise BadInput(f"{source}: no 'User principal name' column; expected the admin center's Active users export")
    column = {name: header.index(name) for name in header}
    seen = roster.seen
    domains = (domain,) if isinstance(domain, str) else domain
    wanted = frozenset(d.rstrip(".").lower() for d in domains)
    limit = limits.USERS.value()

    def get(row: list[str], name: str) -> str:
        index = column.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    before = len(roster.recipients), len(roster.skipped), len(roster.notes), len(roster.mailboxes)
    while True:
        if len(roster.recipients) + len(roster.skipped) - before[0] - before[1] > limit:
            raise limits.USERS.exceeded(source, f"more than {limit:,} rows")
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            roster.skipped.append(Skipped(reader.line_num, "", "malformed", str(exc)))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            roster.skipped.append(Skipped(line, get(row, UPN), "malformed", f"{len(row)} fields, the header has {len(header)}"))
            continue
        proxies = get(row, PROXIES)
        raw = _primary(proxies) or get(row, UPN)
        try:
            address = normalise_address(raw)
        except ValueError as exc:
            roster.skipped.append(Skipped(line, visible(raw), "invalid-address", str(exc)))
            continue
        licences = plans.names(get(row, LICENSES))
        on_domain = address.rpartition("@")[2].lower() in wanted
        # A row without proxy addresses has no mailbox; without the column, nobody can tell.
        mailbox = on_domain and (PROXIES not in column or _primary(proxies) is not None)
        unread = None
        if LICENSES in column and not licences:
            unread = Skipped(line, address, "unlicensed"), SHARED_MAILBOX
        elif get(row, BLOCKED).lower() == "true":
            unread = Skipped(line, address, "blocked", "sign-in blocked"), BLOCKED_USER
        if unread:
            skipped, kind = unread
            roster.skipped.append(skipped)
            if mailbox:
                roster.mailboxes.append(Mailbox(line, address, clean_name(get(row, DISPLAY)), kind))
            continue
        if not on_domain:
            roster.skipped.append(Skipped(line, address, "other-domain", f"not on {' or '.join(names.unicode(d) for d in domains)}"))
            continue
        key = address.lower()
        if key in seen:
            first, at = seen[key]
            roster.skipped.append(Skipped(line, address, "duplicate", f"first on line {at}" + (f" of {first}" if first != source else "")))
            continue
        person = (get(row, OBJECT_ID) or get(row, UPN) or address).lower()
        known = roster.people.get(person)
        if known is not None and known[1] != source:
            # Two exports that disagree on whom to write to: the person would get two messages, or none at the one they read.
            raise BadInput(f"{source}: line {line}: {visible(person)} is {address} here and {known[0]} in {known[1]} "
                           f"(line {known[2]}); use one export of the tenant's users, or exports made at the same time")
        seen[key] = source, line
        roster.people.setdefault(person, (address, source, line))
        fields = {}
        for name in (DISPLAY, FIRST, LAST):
            value = get(row, name)
            fields[name] = clean_name(value)
            if decode_words(value) != value:
                roster.notes.append(f"line {line}: {address}: {name} was written as RFC 2047 encoded-words; decoded")
            if problem(value):
                roster.notes.append(f"line {line}: {address}: {name} had control characters; cleaned")
        for name in plans.unknown_names(licences):
            shown = clean_name(name)
            roster.unknown_licences[shown] = roster.unknown_licences.get(shown, 0) + 1
        roster.recipients.append(
            Recipient(
                address=address,
                display_name=fields[DISPLAY],
                first_name=fields[FIRST],
                last_name=fields[LAST],
                language=_language(get(row, LANGUAGE), default_language),
                line=line,
                plan=plans.classify(licences),
                person=person,
                aliases=_aliases(proxies, address, wanted),
            )
        )
    if file:
        # Line numbers are each export's own: what this one added names it.
        roster.skipped[before[1]:] = [replace(s, file=file) for s in roster.skipped[before[1]:]]
        roster.notes[before[2]:] = [f"{file}: {note}" for note in roster.notes[before[2]:]]
        listed = {m.address.lower() for m in roster.mailboxes[:before[3]]}
        roster.mailboxes[before[3]:] = [m for m in roster.mailboxes[before[3]:] if m.address.lower() not in listed]
    return roster


def read(path: Path, domain: str | tuple[str, ...], default_language: str, into: Roster | None = None) -> Roster:
    try:
        data = limits.read_bytes(path, limits.USERS_BYTES, "recipients file")
    except FileNotFoundError:
        raise BadInput(f"{path}: recipients file not found") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read recipients ({exc.strerror})") from None
    text, note = _decode(data, str(path))
    first_note = len(into.notes) if into is not None else 0
    roster = parse(text, domain, default_language, str(path), into)
    if note:
        roster.notes.insert(first_note, f"{path}: {note}")
    return roster


def path_of(spec: Spec, override: Path | None = None) -> Path:
    if override is not None:
        return override
    if spec.notify is None or spec.notify.recipients is None:
        raise BadInput(f"{spec.path}: notify.recipients: no recipients file (the admin center's Active users export)")
    return spec.resolve_path(spec.notify.recipients)


def roster(spec: Spec, override: Path | None = None) -> Roster:
    """Recipients and everything skipped, from the spec's file or `override`."""
    language = spec.notify.language if spec.notify else "da"
    return read(path_of(spec, override), spec.domain, language)


def mailboxes(spec: Spec) -> list[Mailbox] | None:
    """The mailboxes on the domain nobody is told about (the cancel runbook lists them); None without an export."""
    if spec.notify is None or spec.notify.recipients is None:
        return None
    return roster(spec).mailboxes


def load(spec: Spec) -> list[Recipient]:
    """The people who must be told (gate contract): licensed users on the domain, deduplicated."""
    return roster(spec).recipients
