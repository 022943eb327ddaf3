"""Domain names as the rest of the package sees them: absolute, lower-case A-labels.

A user may write `blåbær.dk`, `Example.DK.` or `www`; inside the package a
name is always the absolute, lower-case, IDNA 2008 A-label text with its
trailing dot (`xn--blbr-roac.dk.`), so names compare as plain strings.
"""

from __future__ import annotations

import re

import dns.name

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
    for label in name.relativize(base).labels:
        if not _OWNER_LABEL.match(label.decode("ascii").lower()):
            raise BadInput(f"{text!r} is not a valid owner name")
    return name.to_text().lower()


def host(text: str) -> str:
    """A host name that a record points at (MX, NS, CNAME, SRV target): always absolute."""
    name = _to_name(text, dns.name.root)
    if name == dns.name.root:
        return "."
    return name.to_text().lower()


def relative(name: str, origin: str) -> str:
    """The name as written inside its zone file: `@` for the apex, else relative."""
    rel = dns.name.from_text(name).relativize(dns.name.from_text(origin))
    return rel.to_text()


def unicode(name: str) -> str:
    """The name as people read it (U-labels), without the trailing dot."""
    return dns.name.from_text(name).to_unicode(omit_final_dot=True, idna_codec=dns.name.IDNA_2008_Practical)
