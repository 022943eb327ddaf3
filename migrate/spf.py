"""SPF record text (RFC 7208): the few operations a mail move needs."""

from __future__ import annotations

import re

_SPF = re.compile(r"^v=spf1(\s|$)", re.IGNORECASE)
# Mechanisms and modifiers that cost a DNS lookup (RFC 7208 §4.6.4).
_LOOKUP = re.compile(r"^[+?~-]?(include:|a$|a:|a/|mx$|mx:|mx/|ptr$|ptr:|exists:|redirect=)", re.IGNORECASE)
_ALL = re.compile(r"^[+?~-]?all$", re.IGNORECASE)

# Lookups hidden inside well-known includes, as published when this table was
# written; an include not listed counts as one (the verifier resolves the rest).
NESTED_LOOKUPS = {
    "_spf.google.com": 3,
    "spf.protection.outlook.com": 0,
    "spf.messagingengine.com": 0,
    "_spf.protonmail.ch": 0,
}


def is_spf(text: str) -> bool:
    return bool(_SPF.match(text))


def terms(text: str) -> list[str]:
    return text.split()[1:]


def includes(text: str) -> list[str]:
    return [term.split(":", 1)[1].lower().rstrip(".") for term in terms(text) if term.lower().lstrip("+?~-").startswith("include:")]


def lookup_count(text: str) -> int:
    """DNS lookups the record costs, counting known nested includes."""
    count = 0
    for term in terms(text):
        if _LOOKUP.match(term):
            count += 1
            if term.lower().lstrip("+?~-").startswith("include:"):
                count += NESTED_LOOKUPS.get(term.split(":", 1)[1].lower().rstrip("."), 0)
    return count


def add_include(text: str, domain: str) -> str:
    """The record with `include:domain` before its `all` or `redirect=` term (once)."""
    if domain.lower() in includes(text):
        return text
    parts = terms(text)
    at = next((i for i, term in enumerate(parts) if _ALL.match(term) or term.lower().startswith("redirect=")), len(parts))
    parts.insert(at, f"include:{domain}")
    return " ".join(["v=spf1", *parts])


def new(include: str, qualifier: str = "~") -> str:
    return f"v=spf1 include:{include} {qualifier}all"
