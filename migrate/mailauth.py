"""Mail-authentication records: SPF (RFC 7208), DMARC (RFC 7489) and DKIM keys (RFC 6376).

Every rule about what these records say lives here, as pure functions on the
record text (a TXT value as receivers read it: the strings joined). The spec,
the footprint, the plan, lint and verify all ask this module, so they cannot
disagree about what a valid record is.

Case, as the RFCs have it (tests/test_mailauth.py pins each line):

- SPF: `v=spf1` and mechanism and modifier names are case-insensitive (RFC 7208
  §4.6.1, and its ABNF in §12 quotes them, which RFC 5234 §2.3 makes
  case-insensitive); the version is followed by a space or the end of the record
  (§4.5), and terms are separated by spaces.
- DMARC: tag names and the p= values are case-insensitive (the quoted strings of
  RFC 7489 §6.4's ABNF); the version value is not: `DMARC1` is written in hex in
  that ABNF and "MUST match precisely" (§6.3), so `v=dmarc1` is no DMARC record.
- DKIM keys: tag names are case-sensitive (RFC 6376 §3.2), `v=DKIM1` too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

# -- SPF (RFC 7208) --------------------------------------------------------------

_SPF_VERSION = re.compile(r"v=spf1(?: |$)", re.IGNORECASE)
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9._-]*)=(.*)", re.DOTALL)
# A mechanism's value follows ":"; `a/24` carries a prefix length and no value.
_MECHANISM = re.compile(r"([+?~-]?)([^:/]*)(?::(.*)|/.*)?", re.DOTALL)
_LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})

# Lookups hidden inside well-known includes, as published when this table was
# written; an include not listed counts as one (the verifier resolves the rest).
NESTED_LOOKUPS = {
    "_spf.google.com": 3,
    "spf.protection.outlook.com": 0,
    "spf.messagingengine.com": 0,
    "_spf.protonmail.ch": 0,
}


@dataclass(frozen=True)
class SpfTerm:
    """One term of an SPF record: a mechanism with its qualifier, or a modifier (name=value)."""

    text: str  # as written
    name: str  # lower-case: "include", "all", "ip4", "redirect", ...
    value: str  # after ":" (mechanism) or "=" (modifier), as written; "" when there is none
    qualifier: str  # "+", "?", "~" or "-" for a mechanism ("+" when not written); "" for a modifier

    @property
    def modifier(self) -> bool:
        return not self.qualifier

    @property
    def is_all(self) -> bool:
        return self.name == "all" and not self.modifier

    @property
    def is_include(self) -> bool:
        return self.name == "include" and not self.modifier

    @property
    def is_redirect(self) -> bool:
        return self.name == "redirect" and self.modifier

    @property
    def target(self) -> str | None:
        """The domain whose SPF record this term reads (include:, redirect=), as an absolute name."""
        return _absolute(self.value) if self.is_include or self.is_redirect else None

    @property
    def costs_lookup(self) -> bool:
        """The term counts against the limit of 10 DNS lookups (RFC 7208 §4.6.4)."""
        return self.is_redirect or (self.name in _LOOKUP_MECHANISMS and not self.modifier)


def _absolute(domain: str) -> str:
    return domain.strip().lower().rstrip(".") + "."


def _term(text: str) -> SpfTerm:
    modifier = _MODIFIER.fullmatch(text)
    if modifier:
        return SpfTerm(text, modifier.group(1).lower(), modifier.group(2), "")
    qualifier, name, value = _MECHANISM.fullmatch(text).groups()
    return SpfTerm(text, name.lower(), value or "", qualifier or "+")


def is_spf(text: str) -> bool:
    """True for an SPF record: `v=spf1` (any case) followed by a space or nothing (RFC 7208 §4.5)."""
    return bool(_SPF_VERSION.match(text))


def spf_terms(text: str) -> tuple[SpfTerm, ...]:
    """The terms after the version, in order (an SPF record is assumed; see `is_spf`)."""
    return tuple(_term(part) for part in text.split(" ")[1:] if part)


def spf_includes(text: str) -> list[str]:
    """The include: domains, as absolute names."""
    return [term.target for term in spf_terms(text) if term.is_include]


def spf_targets(text: str) -> list[str]:
    """The domains whose SPF records this one reads (include: and redirect=), as absolute names."""
    return [term.target for term in spf_terms(text) if term.target]


def spf_all(text: str) -> SpfTerm | None:
    """The `all` term (the first: evaluation stops there), or None."""
    return next((term for term in spf_terms(text) if term.is_all), None)


def spf_lookup_count(text: str) -> int:
    """DNS lookups the record costs, counting the known nested ones of `NESTED_LOOKUPS`."""
    count = 0
    for term in spf_terms(text):
        if term.costs_lookup:
            count += 1
            if term.is_include:
                count += NESTED_LOOKUPS.get(term.target.rstrip("."), 0)
    return count


def spf_names_no_sender(text: str) -> bool:
    """True when the record names no sender of its own: nothing but an `all` term and exp=."""
    return all(term.is_all or (term.name == "exp" and term.modifier) for term in spf_terms(text))


def _spf_text(text: str, terms: list[str]) -> str:
    # The version as the record spells it, so a rewrite changes only the terms.
    return " ".join([text[: len("v=spf1")], *terms])


def spf_add_include(text: str, domain: str) -> str:
    """The record with `include:domain` before its `all` or `redirect=` term (once)."""
    if _absolute(domain) in spf_includes(text):
        return text
    terms = spf_terms(text)
    at = next((i for i, term in enumerate(terms) if term.is_all or term.is_redirect), len(terms))
    parts = [term.text for term in terms]
    parts.insert(at, f"include:{domain}")
    return _spf_text(text, parts)


def spf_new(include: str, qualifier: str = "~") -> str:
    """A record that authorises one provider's senders and ends in `<qualifier>all`."""
    return f"v=spf1 include:{include} {qualifier}all"


def spf_without(text: str, drop: Callable[[str], bool], redirect_all: str) -> str | None:
    """The record without its include:/redirect= terms whose target `drop` accepts; None if `text` is not SPF.

    Every other term is kept as written. A dropped redirect= is replaced by
    `redirect_all` (the `all` term the redirected record ends in, so the rest of
    the policy behaves as before), unless the record has an `all` term: that one
    already overrides redirect= (RFC 7208 §6.1). Text without such a term comes
    back unchanged.
    """
    if not is_spf(text):
        return None
    terms = spf_terms(text)
    dropped = [term for term in terms if term.target is not None and drop(term.target)]
    if not dropped:
        return text
    parts = [term.text for term in terms if term not in dropped]
    if any(term.is_redirect for term in dropped) and spf_all(text) is None:
        parts.append(redirect_all)
    return _spf_text(text, parts)


# -- tag lists (DMARC and DKIM keys share the syntax of RFC 6376 §3.2) -------------

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Tags:
    """A tag list: the name=value tags in order (values as written) and its first syntax problem.

    Tags are read up to the first problem: a part that is not name=value, or a
    name given twice (which makes the whole list invalid, RFC 6376 §3.2).
    """

    tags: tuple[tuple[str, str], ...]
    syntax: str | None

    @classmethod
    def parse(cls, text: str, fold: bool) -> Self:
        """`fold`: tag names are case-insensitive, and kept lower-case."""
        tags: list[tuple[str, str]] = []
        for part in text.split(";"):
            if not part.strip():
                continue  # the optional ";" at the end
            name, equals, value = part.partition("=")
            name = name.strip().lower() if fold else name.strip()
            if not equals or not _TAG_NAME.fullmatch(name):
                return cls(tuple(tags), f"{part.strip()!r} is not a tag (name=value)")
            if any(name == seen for seen, _ in tags):
                return cls(tuple(tags), f"the tag {name}= appears more than once")
            tags.append((name, value.strip()))
        return cls(tuple(tags), None)

    def tag(self, name: str) -> str | None:
        return next((value for tag, value in self.tags if tag == name), None)


# -- DMARC (RFC 7489) --------------------------------------------------------------

POLICIES = ("none", "quarantine", "reject")


class Dmarc(Tags):
    """A DMARC record (tag names lower-case)."""

    @property
    def policy(self) -> str | None:
        """none, quarantine or reject (lower-case); None when p= is missing or invalid."""
        value = (self.tag("p") or "").lower()
        return value if value in POLICIES else None

    @property
    def problem(self) -> str | None:
        """Why receivers would take no policy from this record, or None."""
        if self.syntax:
            return self.syntax
        if self.tag("p") is None:
            return "it has no p= policy (none, quarantine or reject)"
        if self.policy is None:
            return f"p={self.tag('p')} is not none, quarantine or reject"
        return None


def parse_dmarc(text: str) -> Dmarc | None:
    """The record, or None when `text` is no DMARC record: its first tag must be v=DMARC1 (RFC 7489 §6.3)."""
    record = Dmarc.parse(text, fold=True)
    return record if record.tags[:1] == (("v", "DMARC1"),) else None


def is_dmarc(text: str) -> bool:
    return parse_dmarc(text) is not None


def dmarc_problem(text: str) -> str | None:
    """Why `text` is not a DMARC record with a policy, or None when it is one."""
    record = parse_dmarc(text)
    if record is None:
        return "it is no DMARC record: the first tag must be v=DMARC1, spelt exactly so (RFC 7489 §6.3)"
    return record.problem


# -- DKIM keys (RFC 6376) ----------------------------------------------------------


class DkimKey(Tags):
    """A DKIM key record (tag names case-sensitive)."""

    @property
    def problem(self) -> str | None:
        """Why this is not a DKIM key record, or None (RFC 6376 §3.6.1).

        v= may be left out; when present it is the first tag and says DKIM1.
        p= is required (empty: a revoked key).
        """
        if self.syntax:
            return self.syntax
        if self.tag("v") is not None and self.tags[0] != ("v", "DKIM1"):
            return "a v= tag must come first and say DKIM1"
        if self.tag("p") is None:
            return "it has no p= tag (the public key)"
        return None


def parse_dkim_key(text: str) -> DkimKey:
    return DkimKey.parse(text, fold=False)


def is_dkim_owner(name: str) -> bool:
    """True for the owner of a DKIM key: `<selector>._domainkey.<domain>` (RFC 6376 §3.6.2.1)."""
    return "_domainkey" in name.lower().rstrip(".").split(".")[1:]
