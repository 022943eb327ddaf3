"""Domain names as the rest of the package sees them: absolute, lower-case A-labels.

A user may write `blåbær.dk`, `Example.DK.` or `www`; inside the package a
name is always the absolute, lower-case, IDNA 2008 A-label text with its
trailing dot (`xn--blbr-roac.dk.`), so names compare as plain strings.
"""

from __future__ import annotations

import ipaddress
import re

import dns.name
import idna

from migrate.errors import BadInput

_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Owner names may carry underscore labels (_dmarc, _sip._tls) and a leading
# wildcard; host names (the domain itself, MX and NS targets) may not.
_OWNER_LABEL = re.compile(r"^(\*|_?[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?|_[a-z0-9_-]{1,62})$")


def _to_name(text: str, origin: dns.name.Name | None) -> dns.name.Name:
    try:
        return dns.name.from_text(text.strip(), origin=origin, idna_codec=dns.name.IDNA_2008_Practical)
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        raise BadInput(f"{text!r} is not a valid DNS name ({exc})") from None


def _check_a_label(label: str, text: str) -> None:
    """An `xn--` label must be real punycode of a label IDNA 2008 allows, or people
    cannot be shown the name (notify, the runbook) and registries would not take it."""
    try:
        u_label = idna.decode(label)
        valid = idna.encode(u_label).decode("ascii").lower() == label
    except (idna.IDNAError, UnicodeError, ValueError):
        valid = False
    if not valid:
        raise BadInput(f"{text!r} is not a valid domain name: {label!r} is not a valid IDNA A-label")


def domain(text: str) -> str:
    """The registrable domain a migration is about, as an absolute A-label."""
    if not isinstance(text, str) or not text.strip() or text.strip() in {".", "@"}:
        raise BadInput(f"{text!r} is not a domain name")
    if any(ch.isspace() for ch in text.strip()):
        raise BadInput(f"{text!r} is not a domain name: it contains white space")
    name = _to_name(text, dns.name.root)
    labels = [label.decode("ascii").lower() for label in name.labels[:-1]]
    if len(labels) < 2:
        raise BadInput(f"{text!r} is not a domain name: it needs at least two labels")
    for label in labels:
        if not _LDH_LABEL.match(label):
            raise BadInput(f"{text!r} is not a valid domain name: label {label!r} is not letters, digits and inner hyphens")
        if label.startswith("xn--"):
            _check_a_label(label, text)
    if labels[-1].isdigit():
        raise BadInput(f"{text!r} is not a domain name: the top-level label is numeric")
    return ".".join(labels) + "."


def owner(text: str, origin: str) -> str:
    """An owner name inside the zone: `@` is the apex, relative names join the origin.

    An absolute name (trailing dot) must lie inside the zone.
    """
    text = text.strip()
    base = dns.name.from_text(origin)
    name = base if text in {"@", ""} else _to_name(text, base)
    if not name.is_subdomain(base):
        raise BadInput(f"{text!r} is outside the zone {origin}")
    labels = name.relativize(base).labels
    for index, label in enumerate(labels):
        if not _OWNER_LABEL.match(label.decode("ascii").lower()):
            raise BadInput(f"{text!r} is not a valid owner name")
        # `*` is a wildcard only as the leftmost label (RFC 4592); elsewhere it is a literal
        # label nobody means.
        if label == b"*" and index > 0:
            raise BadInput(f"{text!r} is not a valid owner name: a wildcard `*` must be the leftmost label")
    return name.to_text().lower()


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip().strip("[]").rstrip("."))
    except ValueError:
        return False
    return True


def host(text: str) -> str:
    """A host name that a record points at (MX, NS, CNAME, SRV target): always absolute.

    Not an IP address (an MX or NS holds a name; `10 192.0.2.1` names a host called
    192.0.2.1) and not the root (`""` or `.` would make a null MX, "no mail here").
    """
    if not isinstance(text, str) or text.strip() in {"", "."}:
        raise BadInput(f"{text!r} is not a host name")
    if _is_address(text):
        raise BadInput(f"{text!r} is an IP address; a host name is needed here (give the server's name)")
    name = _to_name(text, dns.name.root)
    return name.to_text().lower()


def relative(name: str, origin: str) -> str:
    """The name as written inside its zone file: `@` for the apex, else relative."""
    rel = dns.name.from_text(name).relativize(dns.name.from_text(origin))
    return rel.to_text()


def domain_id(name: str) -> str:
    """The domain as Graph, the audit trail and attestations key it: no trailing dot."""
    return name.rstrip(".").lower()


def unicode(name: str) -> str:
    """The name as people read it (U-labels), without the trailing dot."""
    return dns.name.from_text(name).to_unicode(omit_final_dot=True, idna_codec=dns.name.IDNA_2008_Practical)
