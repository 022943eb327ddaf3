"""The one scrubber: every secret the project handles, removed from text in any form a server echoes it in.

A server that repeats what it was sent shows a secret the way it travelled:
raw, URL-encoded in a posted form (`quote` or `quote_plus`, upper- or
lower-case hex, or only partly encoded), base64 (SMTP AUTH, HTTP basic auth;
standard or URL-safe alphabet, padded or not), or JSON-escaped inside an
error text. Each secret becomes one pattern in which every character may be
spelled any of those ways, so mixtures (a base64 TSIG secret URL-encoded, a
JSON-escaped slash in a base64 form) are caught as well.
"""

from __future__ import annotations

import base64
import functools
import os
import re

MASK = "***"

# Every variable a secret enters the program through; a spec may name another
# one for the TSIG secret (dns.rfc2136.secret_env), which callers pass along.
ENVIRONMENT = ("GRAPH_CLIENT_SECRET", "SMTP_PASSWORD", "M365_EXIT_TSIG_SECRET", "CLOUDFLARE_API_TOKEN", "M365_EXIT_STATE_KEY",
               "PGPASSWORD")

_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _hex(data: bytes, prefix: str) -> str:
    # Encoders differ in the case of hex digits (%C3 or %c3, \u00E6 or \u00e6).
    return "".join(re.escape(prefix) + f"(?i:{byte:02x})" for byte in data)


def _char(char: str) -> str:
    """Every spelling of one character: raw, percent-encoded, `+` for a space, JSON escapes."""
    spellings = [re.escape(char), _hex(char.encode("utf-8"), "%")]
    if char == " ":
        spellings.append(r"\+")
    units = char.encode("utf-16-be")  # JSON writes a character beyond U+FFFF as two \u escapes
    spellings.append("".join(r"\\u" + f"(?i:{units[i]:02x}{units[i + 1]:02x})" for i in range(0, len(units), 2)))
    if char in _JSON_SHORT:
        spellings.append(re.escape(_JSON_SHORT[char]))
    return "(?:" + "|".join(spellings) + ")"


def _spelled(text: str) -> str:
    return "".join(_char(c) for c in text)


@functools.lru_cache(maxsize=32)
def _pattern(secret: str) -> re.Pattern[str]:
    data = secret.encode("utf-8")
    encoded = {encode(data).decode("ascii").rstrip("=") for encode in (base64.b64encode, base64.urlsafe_b64encode)}
    padding = f"(?:{_char('=')}){{0,2}}"
    forms = [_spelled(secret)] + [_spelled(form) + padding for form in sorted(encoded)]
    return re.compile("|".join(forms))


def scrub(text: str, *secrets: str | None) -> str:
    """`text` with every given secret, in every form above, replaced by ***."""
    # Longest first: a secret that contains another is masked whole.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = _pattern(secret).sub(MASK, text)
    return text


def from_environment(*names: str) -> tuple[str, ...]:
    """The values of the secret variables (ENVIRONMENT and `names`) that are set now."""
    return tuple(value for value in (os.environ.get(name) for name in dict.fromkeys(ENVIRONMENT + names)) if value)
