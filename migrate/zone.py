"""The zone model: RRsets with canonical names and rdata, and BIND zone files.

Every RRset holds its owner as an absolute lower-case A-label and each rdata
as canonical presentation text, so that two zones compare with `==` and a
round trip through a zone file changes nothing. dnspython does the parsing;
this module only decides what "the same record" means:

- names in rdata are absolute and lower-case (RFC 4034 canonical form);
- TXT character-strings are joined and re-split at 255 bytes, because SPF and
  DKIM readers concatenate them: `"ab" "cd"` and `"abcd"` are one record;
- TTLs are kept but are not part of an RRset's identity in a diff.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.txtbase
import dns.tokenizer
import dns.zone

from migrate import names
from migrate.errors import BadInput

_TXT_CHUNK = 255
# One record's data travels with a 16-bit length (RFC 1035 §3.2.1).
MAX_RDATA = 65535

# What the DNS host writes itself: its own SOA and, when it signs, the DNSSEC
# records. Never carried over from the old zone, never declared by the spec.
HOST_MANAGED = frozenset({"SOA", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY"})


def _txt_strings(data: bytes) -> list[bytes]:
    if not data:
        return [b""]
    return [data[i : i + _TXT_CHUNK] for i in range(0, len(data), _TXT_CHUNK)]


def txt_rdata_text(value: str | bytes) -> str:
    """Presentation text for one TXT value, split into 255-byte strings."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return " ".join(_quote(chunk) for chunk in _txt_strings(data))


def _quote(chunk: bytes) -> str:
    out = []
    for byte in chunk:
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def canonical(rdtype: str, rdata: dns.rdata.Rdata) -> str:
    """The canonical presentation text of one rdata."""
    if isinstance(rdata, dns.rdtypes.txtbase.TXTBase):
        return txt_rdata_text(b"".join(rdata.strings))
    wire = rdata.to_digestable(dns.name.root)
    lowered = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), wire, 0, len(wire))
    return lowered.to_text(origin=None, relativize=False)


def _txt_bytes(text: str) -> bytes:
    """The joined character-strings of TXT presentation text, any string length."""
    tokenizer = dns.tokenizer.Tokenizer(text)
    data = b""
    while True:
        token = tokenizer.get()
        if token.is_eol_or_eof():
            return data
        if not (token.is_quoted_string() or token.is_identifier()):
            raise dns.exception.SyntaxError(f"unexpected {token.value!r}")
        data += token.unescape_to_bytes().value


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def check_length(rdtype: str, rdata: dns.rdata.Rdata, what: str) -> None:
    """Data a DNS message cannot carry is bad input, not a failure at the DNS host."""
    size = len(rdata.to_wire())
    if size > MAX_RDATA:
        raise BadInput(f"{what}: {rdtype} data is {size} bytes; one record holds at most {MAX_RDATA}")


def parse_rdata(rdtype: str, text: str, origin: str = ".") -> str:
    """Parse one rdata from presentation text (names relative to `origin`).

    TXT strings longer than 255 bytes, which some DNS hosts export, are accepted
    and re-split.
    """
    try:
        if rdtype in ("TXT", "SPF"):
            canonical_text = txt_rdata_text(_txt_bytes(text))
            rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, canonical_text)
        else:
            rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, text, origin=dns.name.from_text(origin), relativize=False)
    except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
        raise BadInput(f"{rdtype} value {_short(text)!r} is not valid: {exc}") from None
    check_length(rdtype, rdata, f"{rdtype} value {_short(text)!r}")
    return canonical_text if rdtype in ("TXT", "SPF") else canonical(rdtype, rdata)


def txt_value(rdata_text: str) -> str:
    """The joined string of a canonical TXT rdata, as SPF and DKIM readers see it."""
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
        """Human values: the joined string for TXT, the rdata text otherwise."""
        if self.rdtype in ("TXT", "SPF"):
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


def _sort_key(origin: str):
    def key(rrset: RRset) -> tuple:
        labels = tuple(reversed(dns.name.from_text(rrset.name).relativize(dns.name.from_text(origin)).labels))
        order = {"SOA": 0, "NS": 1}.get(rrset.rdtype, 2)
        return (labels, order, rrset.rdtype)

    return key


class Zone:
    """The RRsets of one zone, keyed by (owner, type)."""

    def __init__(self, origin: str, rrsets: Iterable[RRset] = ()) -> None:
        self.origin = names.domain(origin) if not origin.endswith(".") else origin.lower()
        self._rrsets: dict[tuple[str, str], RRset] = {}
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
        self._rrsets[rrset.key] = rrset

    def put(self, rrset: RRset) -> None:
        """Set an RRset, replacing any with the same owner and type."""
        self._rrsets[rrset.key] = rrset

    def discard(self, name: str, rdtype: str) -> RRset | None:
        return self._rrsets.pop((name, rdtype), None)

    def copy(self) -> Zone:
        return Zone(self.origin, self)

    # -- reading ------------------------------------------------------------

    def get(self, name: str, rdtype: str) -> RRset | None:
        return self._rrsets.get((name, rdtype))

    def at(self, name: str) -> list[RRset]:
        return [rrset for rrset in self if rrset.name == name]

    def names(self) -> list[str]:
        return sorted({rrset.name for rrset in self})

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
        origin = names.domain(origin)
        try:
            parsed = dns.zone.from_text(
                text, origin=origin, relativize=False, check_origin=False, allow_include=False
            )
        except dns.exception.DNSException as exc:
            raise BadInput(f"{source}: not a valid zone file for {origin}: {exc}") from None
        return cls.from_dnspython(parsed)

    @classmethod
    def from_dnspython(cls, parsed: dns.zone.Zone) -> Zone:
        """A zone from dnspython's own model (a parsed file or a transfer)."""
        zone = cls(parsed.origin.to_text().lower())
        for name, rdataset in parsed.iterate_rdatasets():
            rdtype = dns.rdatatype.to_text(rdataset.rdtype)
            zone.add(
                RRset(
                    name=name.to_text().lower(),
                    rdtype=rdtype,
                    ttl=rdataset.ttl,
                    rdatas=frozenset(canonical(rdtype, rdata) for rdata in rdataset),
                )
            )
        return zone

    @classmethod
    def from_file(cls, path: Path | str, origin: str) -> Zone:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
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
