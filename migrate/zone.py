"""The zone model: RRsets with canonical names and rdata, and BIND zone files.

Every RRset holds its owner as an absolute lower-case A-label and each rdata
as canonical presentation text, so that two zones compare with `==` and a
round trip through a zone file changes nothing. dnspython does the parsing;
this module only decides what "the same record" means:

- names in rdata are absolute and lower-case (RFC 4034 canonical form);
- the data of TXT and the other types made of character-strings (SPF, AVC,
  RESINFO, WALLET...) is the exact sequence of strings: `"ab" "c"` and
  `"a" "bc"` are two records, `""` is data (DNS-SD reads each string as one
  key=value pair). Readers that want one text (SPF, DKIM, DMARC) join the
  strings themselves (`txt_value`); a value is split at 255 bytes only when it
  is written as one string (`txt_rdata_text`);
- TTLs are kept but are not part of an RRset's identity in a diff.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.grange
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rdtypes.txtbase
import dns.tokenizer
import dns.transaction
import dns.zone
import dns.zonefile

from migrate import limits, names, zone_reader
from migrate.errors import BadInput

_TXT_CHUNK = 255
# One record's data travels with a 16-bit length (RFC 1035 §3.2.1).
MAX_RDATA = 65535

# What a signing host writes itself; records of these types in the old zone are
# the old host's signatures, denial proofs and keys (RFC 4034, 5155, 7344).
DNSSEC = frozenset({"RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY"})
# What the DNS host writes itself: its own SOA and, when it signs, the DNSSEC
# records. Never carried over from the old zone, never declared by the spec.
HOST_MANAGED = DNSSEC | {"SOA"}


@functools.lru_cache(maxsize=None)
def is_txt_like(rdtype: str) -> bool:
    """True for a type whose data is a sequence of character-strings, as TXT's is
    (dnspython's TXTBase: TXT, SPF, AVC, RESINFO, WALLET, ... as it knows them)."""
    try:
        cls = dns.rdata.get_rdata_class(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype))
    except dns.rdatatype.UnknownRdatatype:
        return False
    return issubclass(cls, dns.rdtypes.txtbase.TXTBase)


def txt_rdata_text(value: str | bytes) -> str:
    """Presentation text of a value written as ONE string, split into 255-byte strings.

    The one place strings are split by choice: a long value a person or a
    preset writes as one (a DKIM key, an SPF the plan rewrites) must become
    several to fit in DNS.
    """
    data = value.encode("utf-8") if isinstance(value, str) else value
    chunks = [data[i : i + _TXT_CHUNK] for i in range(0, len(data), _TXT_CHUNK)] or [b""]
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks).to_text()


def canonical(rdtype: str, rdata: dns.rdata.Rdata) -> str:
    """The canonical presentation text of one rdata (character-strings kept as they are)."""
    wire = rdata.to_digestable(dns.name.root)
    lowered = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), wire, 0, len(wire))
    return lowered.to_text(origin=None, relativize=False)


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _unreadable(source: str, text: str, reader: zone_reader.Reader, exc: dns.exception.SyntaxError) -> str:
    """One line for a zone file dnspython cannot read: the file, the line, the record and why."""
    filename, line = reader.tok.where()
    reason = str(exc).removeprefix(f"{filename}:{line}: ")
    if reason == "Missing default TTL value":
        reason = "no TTL: the file has no $TTL and states none before this record (BIND refuses it too)"
    if reader.record_line is None:  # a directive
        return f"{source}:{line}: not a valid zone file: {reason}"
    lines = text.split("\n")
    record = _short(lines[reader.record_line - 1].strip()) if reader.record_line <= len(lines) else ""
    return (
        f"{source}:{reader.record_line}: dnspython cannot read the record {record!r}: {reason}; "
        "fix it, or comment it out (README: a record dnspython refuses)"
    )


def check_length(rdtype: str, rdata: dns.rdata.Rdata, what: str) -> None:
    """Data a DNS message cannot carry is bad input, not a failure at the DNS host."""
    size = len(rdata.to_wire())
    if size > MAX_RDATA:
        raise BadInput(f"{what}: {rdtype} data is {size} bytes; one record holds at most {MAX_RDATA}")


def parse_rdata(rdtype: str, text: str, origin: str = ".") -> str:
    """Parse one rdata from presentation text (names relative to `origin`).

    A quoted string over 255 bytes, which some DNS hosts export and DNS cannot
    carry, is split into 255-byte strings; every other string stays as written.
    """
    try:
        fitted = _split_line(text) if is_txt_like(rdtype) else text
        rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, fitted, origin=dns.name.from_text(origin), relativize=False)
    except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
        raise BadInput(f"{rdtype} value {_short(text)!r} is not valid: {exc}") from None
    check_length(rdtype, rdata, f"{rdtype} value {_short(text)!r}")
    return canonical(rdtype, rdata)


def txt_value(rdata_text: str) -> str:
    """The strings of a TXT-like rdata joined, as SPF, DKIM and DMARC readers see them."""
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, rdata_text)
    return b"".join(rdata.strings).decode("utf-8", errors="replace")


@dataclass(frozen=True, order=True)
class RRset:
    """One owner name and type, with its TTL and the set of its rdata."""

    name: str
    rdtype: str
    ttl: int = field(compare=False)
    rdatas: frozenset[str]

    @classmethod
    def build(cls, name: str, rdtype: str, ttl: int, values: Iterable[str], origin: str = ".") -> RRset:
        rdtype = rdtype.upper()
        try:
            dns.rdatatype.from_text(rdtype)
        except dns.rdatatype.UnknownRdatatype:
            raise BadInput(f"{rdtype!r} is not a DNS record type") from None
        rdatas = frozenset(parse_rdata(rdtype, value, origin) for value in values)
        if not rdatas:
            raise BadInput(f"{name} {rdtype} has no value")
        if not 0 <= int(ttl) <= 2**31 - 1:
            raise BadInput(f"{name} {rdtype} has TTL {ttl} outside 0..2147483647")
        return cls(name=name.lower(), rdtype=rdtype, ttl=int(ttl), rdatas=rdatas)

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.rdtype)

    def rdata_objects(self) -> list[dns.rdata.Rdata]:
        return [dns.rdata.from_text(dns.rdataclass.IN, self.rdtype, text) for text in self.sorted_rdatas()]

    def sorted_rdatas(self) -> list[str]:
        return sorted(self.rdatas)

    def values(self) -> list[str]:
        """The values as readers take them: a TXT-like record's strings joined, the rdata text otherwise."""
        if is_txt_like(self.rdtype):
            return [txt_value(text) for text in self.sorted_rdatas()]
        return self.sorted_rdatas()

    def with_ttl(self, ttl: int) -> RRset:
        return RRset(self.name, self.rdtype, ttl, self.rdatas)

    def with_rdatas(self, rdatas: Iterable[str]) -> RRset:
        return RRset(self.name, self.rdtype, self.ttl, frozenset(rdatas))

    def same_as(self, other: RRset) -> bool:
        """Same data and same TTL."""
        return self == other and self.ttl == other.ttl

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.rdtype, "ttl": self.ttl, "values": self.sorted_rdatas()}


def _rrset_of(owner: str, rdtype: str, rdataset, source: str) -> RRset:
    """One RRset from dnspython's rdataset, checked as the spec's records are."""
    if rdataset.ttl > 2**31 - 1:
        raise BadInput(f"{source}: {owner} {rdtype} has TTL {rdataset.ttl}, over the maximum of 2147483647 (RFC 2181 §8)")
    for rdata in rdataset:
        check_length(rdtype, rdata, f"{source}: {owner}")
    return RRset(name=owner, rdtype=rdtype, ttl=rdataset.ttl, rdatas=frozenset(canonical(rdtype, rdata) for rdata in rdataset))


def _split_long_strings(text: str) -> str:
    """Zone text with every quoted string over 255 bytes split into several.

    Some DNS hosts export a long DKIM key as one string, which no DNS message
    can carry (at most 255 bytes per character-string, and dnspython refuses
    it); the host served it split at 255 bytes. Only such a string is split:
    every other string, and so every boundary written, stays. Comments and
    escapes are respected; a line without an overlong string is left as it is.
    """
    if '"' not in text:
        return text
    return "".join(_split_line(line) for line in text.splitlines(keepends=True))


def _split_line(line: str) -> str:
    out: list[str] = []
    units: list[str] = []  # the current quoted string, one escape or character per unit
    size = 0
    quoted = False
    i = 0
    while i < len(line):
        char = line[i]
        if not quoted:
            if char == ";":
                out.append(line[i:])
                break
            if char == '"':
                quoted, units, size = True, [], 0
            else:
                out.append(char)
            i += 1
            continue
        if char == "\\" and i + 1 < len(line):
            unit = line[i : i + 4] if line[i + 1 : i + 4].isdigit() and len(line[i + 1 : i + 4]) == 3 else line[i : i + 2]
            units.append(unit)
            size += len(unit[1:].encode("utf-8")) if not unit[1:].isdigit() else 1
            i += len(unit)
            continue
        if char == '"':
            out.append(_quoted_chunks(units) if size > _TXT_CHUNK else '"' + "".join(units) + '"')
            quoted = False
        else:
            units.append(char)
            size += len(char.encode("utf-8"))
        i += 1
    if quoted:  # unterminated: leave it for the parser to report
        out.append('"' + "".join(units))
    return "".join(out)


def _quoted_chunks(units: list[str]) -> str:
    chunks, current, size = [], [], 0
    for unit in units:
        length = 1 if unit.startswith("\\") and unit[1:].isdigit() else len(unit.removeprefix("\\").encode("utf-8"))
        if size + length > _TXT_CHUNK:
            chunks.append(current)
            current, size = [], 0
        current.append(unit)
        size += length
    chunks.append(current)
    return " ".join('"' + "".join(chunk) + '"' for chunk in chunks)


@functools.lru_cache(maxsize=65536)
def _name_order(name: str, origin: str) -> tuple:
    # Parsing names is the costly part of sorting a zone: once per name.
    return tuple(reversed(dns.name.from_text(name).relativize(dns.name.from_text(origin)).labels))


def _sort_key(origin: str):
    def key(rrset: RRset) -> tuple:
        order = {"SOA": 0, "NS": 1}.get(rrset.rdtype, 2)
        return (_name_order(rrset.name, origin), order, rrset.rdtype)

    return key


# A `$GENERATE` directive starts a line (indented, the reader takes it for a record).
_GENERATE = re.compile(r'^\$GENERATE[ \t]+"?([0-9/-]+)', re.IGNORECASE | re.MULTILINE)


def _generated(text: str) -> int:
    """How many records the `$GENERATE` lines of zone text make, counted before any is made."""
    total = 0
    for match in _GENERATE.finditer(text):
        try:
            start, stop, step = dns.grange.from_text(match.group(1))
        except (dns.exception.SyntaxError, ValueError, AssertionError):
            continue  # the reader reports a range it cannot read, with its line
        if step >= 1:  # grange asserts it, but `python -O` drops asserts
            total += (stop - start) // step + 1
    return total


class BoundedZone(dns.zone.Zone):
    """dnspython's zone, refusing records past limits.ZONE_RECORDS as they are added.

    A zone file's reader and a zone transfer both write through writer(), one
    record set at a time: counting there refuses a zone that never ends (a
    `$GENERATE` miscounted, a server that keeps sending) before it is in memory.
    """

    def __init__(self, origin: str, source: str) -> None:
        super().__init__(origin, relativize=False)
        self.source = source

    def writer(self, replacement: bool = False) -> dns.transaction.Transaction:
        txn = super().writer(replacement)
        limit = limits.ZONE_RECORDS.value()
        count = 0

        def check(txn: dns.transaction.Transaction, name: dns.name.Name, rdataset) -> None:
            nonlocal count
            # The rdataset put is the whole set at that name and type, merged or replaced.
            before = txn.get(name, rdataset.rdtype, rdataset.covers)
            count += len(rdataset) - (len(before) if before is not None else 0)
            if count > limit:
                raise limits.ZONE_RECORDS.exceeded(self.source)

        txn.check_put_rdataset(check)
        return txn


class Zone:
    """The RRsets of one zone, keyed by (owner, type)."""

    def __init__(self, origin: str, rrsets: Iterable[RRset] = ()) -> None:
        self.origin = names.domain(origin) if not origin.endswith(".") else origin.lower()
        self._rrsets: dict[tuple[str, str], RRset] = {}
        # The types present at each owner, so that at() and names() need not scan
        # (and sort) the whole zone: lint asks per name, and zones can be big.
        self._types: dict[str, set[str]] = {}
        for rrset in rrsets:
            self.add(rrset)

    # -- building -----------------------------------------------------------

    def add(self, rrset: RRset) -> None:
        """Add an RRset, merging rdata with one already there (the lower TTL wins)."""
        if not dns.name.from_text(rrset.name).is_subdomain(dns.name.from_text(self.origin)):
            raise BadInput(f"{rrset.name} {rrset.rdtype} is outside the zone {self.origin}")
        existing = self._rrsets.get(rrset.key)
        if existing is not None:
            rrset = RRset(rrset.name, rrset.rdtype, min(existing.ttl, rrset.ttl), existing.rdatas | rrset.rdatas)
        self.put(rrset)

    def put(self, rrset: RRset) -> None:
        """Set an RRset, replacing any with the same owner and type."""
        self._rrsets[rrset.key] = rrset
        self._types.setdefault(rrset.name, set()).add(rrset.rdtype)

    def discard(self, name: str, rdtype: str) -> RRset | None:
        removed = self._rrsets.pop((name, rdtype), None)
        if removed is not None:
            types = self._types[name]
            types.discard(rdtype)
            if not types:
                del self._types[name]
        return removed

    def copy(self) -> Zone:
        return Zone(self.origin, self)

    # -- reading ------------------------------------------------------------

    def get(self, name: str, rdtype: str) -> RRset | None:
        return self._rrsets.get((name, rdtype))

    def at(self, name: str) -> list[RRset]:
        """The RRsets at one owner name, in zone-file order."""
        found = [self._rrsets[(name, rdtype)] for rdtype in self._types.get(name, ())]
        return sorted(found, key=_sort_key(self.origin))

    def names(self) -> list[str]:
        return sorted(self._types)

    def __iter__(self) -> Iterator[RRset]:
        return iter(sorted(self._rrsets.values(), key=_sort_key(self.origin)))

    def __len__(self) -> int:
        return len(self._rrsets)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._rrsets

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Zone):
            return NotImplemented
        return self.origin == other.origin and {r.key: (r.rdatas, r.ttl) for r in self} == {
            r.key: (r.rdatas, r.ttl) for r in other
        }

    __hash__ = None  # type: ignore[assignment]

    # -- zone files ---------------------------------------------------------

    @classmethod
    def from_text(cls, text: str, origin: str, source: str = "<zone>") -> Zone:
        """Parse BIND zone file text. Every record must lie inside `origin`.

        dnspython's zone reader silently drops records outside the zone (a stray
        `$ORIGIN`, an export of the wrong zone), which would make the plan lose
        them without a word; here they are read like any other record and refused
        by name. `$INCLUDE` is refused (a spec must not read arbitrary files).
        A record that states no TTL gets the one BIND would give it
        (`zone_reader`); a record dnspython cannot read is refused by line.
        """
        origin = names.domain(origin)
        text = text.removeprefix("\ufeff")
        generated = _generated(text)
        if generated > limits.ZONE_RECORDS.value():
            raise limits.ZONE_RECORDS.exceeded(source, f"its $GENERATE lines make {generated:,} records")
        text = _split_long_strings(text)
        parsed = BoundedZone(origin, source)
        tokenizer = dns.tokenizer.Tokenizer(text, source, idna_codec=dns.name.IDNA_2008_Practical)
        reader = None

        def where() -> str:
            # The record being added: the reader has already read past its line end.
            owner = reader.last_name.to_text().lower() if reader and reader.last_name else "a record"
            return f"{source}: {owner}"

        try:
            with parsed.writer(True) as txn:
                reader = zone_reader.Reader(tokenizer, dns.rdataclass.IN, txn, allow_directives={"$ORIGIN", "$TTL", "$GENERATE"})
                # The reader skips, without a word, every record outside its zone
                # origin; with the root as that origin it passes them on, and the
                # zone refuses them (KeyError below), naming the record.
                reader.zone_origin = dns.name.root
                reader.read()
        except dns.zonefile.CNAMEAndOtherData:
            raise BadInput(f"{where()} has a CNAME beside other data; a CNAME must stand alone (RFC 1034 §3.6.2)") from None
        except KeyError:
            raise BadInput(f"{where()} is outside the zone {origin} (check $ORIGIN and the file's zone)") from None
        except ValueError as exc:
            if "non-origin SOA" in str(exc):
                raise BadInput(f"{where()} SOA is outside the zone {origin} (check $ORIGIN and the file's zone)") from None
            raise BadInput(f"{source}: not a valid zone file for {origin}: {exc}") from None
        except dns.exception.SyntaxError as exc:
            raise BadInput(_unreadable(source, text, reader, exc)) from None
        except (dns.exception.DNSException, UnicodeError) as exc:
            raise BadInput(f"{source}: not a valid zone file for {origin}: {exc}") from None
        zone = cls(origin)
        for name, rdataset in parsed.iterate_rdatasets():
            rdtype = dns.rdatatype.to_text(rdataset.rdtype)
            zone.add(_rrset_of(name.to_text().lower(), rdtype, rdataset, source))
        return zone

    @classmethod
    def from_dnspython(cls, parsed: dns.zone.Zone) -> Zone:
        """A zone from dnspython's own model (a parsed file or a transfer)."""
        zone = cls(parsed.origin.to_text().lower())
        for name, rdataset in parsed.iterate_rdatasets():
            rdtype = dns.rdatatype.to_text(rdataset.rdtype)
            zone.add(_rrset_of(name.to_text().lower(), rdtype, rdataset, zone.origin))
        return zone

    @classmethod
    def from_file(cls, path: Path | str, origin: str) -> Zone:
        path = Path(path)
        try:
            text = limits.read_text(path, limits.ZONE_BYTES, "zone file")
        except OSError as exc:
            raise BadInput(f"{path}: cannot read zone file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise BadInput(f"{path}: zone file is not UTF-8 text") from None
        return cls.from_text(text, origin, source=str(path))

    def to_text(self, comments: dict[tuple, str] | None = None) -> str:
        """BIND zone file text: $ORIGIN, one line per rdata, with an optional comment
        keyed by (name, type, rdata) or by (name, type)."""
        comments = comments or {}
        lines = [f"$ORIGIN {self.origin}"]
        for rrset in self:
            owner = names.relative(rrset.name, self.origin)
            for rdata in rrset.sorted_rdatas():
                note = comments.get((*rrset.key, rdata), comments.get(rrset.key))
                line = f"{owner:<30} {rrset.ttl:>6} IN {rrset.rdtype:<6} {rdata}"
                lines.append(f"{line} ; {note}" if note else line)
        return "\n".join(lines) + "\n"

    def write(self, path: Path | str, comments: dict[tuple, str] | None = None) -> None:
        Path(path).write_text(self.to_text(comments), encoding="utf-8")
