"""A secret that every encoding spells differently, and those spellings: for the scrubbing tests."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus

# Characters that every encoding spells differently: reserved, non-ASCII, beyond the BMP,
# JSON's escapes; and a length whose base64 needs padding.
SECRET = 'Kq8~Zx.v+P/w=Æø€ "q\\&%😀_?>ÿÿ'
# The same for SMTP, whose AUTH takes ASCII only.
ASCII_SECRET = 'Kq8~Zx.v+P/w= "q\\&%_???>?'


def lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def encodings(secret: str) -> dict[str, str]:
    data = secret.encode()
    return {
        "raw": secret,
        "quote": quote(secret, safe=""),
        "quote keeping /": quote(secret),
        "quote_plus": quote_plus(secret),
        "quote lower-case hex": lower_hex(quote(secret, safe="")),
        "quote_plus lower-case hex": lower_hex(quote_plus(secret)),
        "base64": base64.b64encode(data).decode(),
        "base64 unpadded": base64.b64encode(data).decode().rstrip("="),
        "base64 urlsafe": base64.urlsafe_b64encode(data).decode(),
        "base64 urlsafe unpadded": base64.urlsafe_b64encode(data).decode().rstrip("="),
        "json": json.dumps(secret)[1:-1],
        "json unicode": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json upper-case hex": re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), json.dumps(secret)[1:-1]),
        "json of base64": json.dumps(base64.b64encode(data).decode()).replace("/", "\\/")[1:-1],
        "quote of base64": quote(base64.b64encode(data).decode(), safe=""),
    }
