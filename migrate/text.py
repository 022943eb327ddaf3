"""Outside text made inert: decoded first, then cleaned, before a header or a terminal shows it.

Names and values from the users export, the spec, the facts file, Graph and
DNS answers are not ours. In a mail header a line break starts a new header;
on a terminal a line break starts a line that looks like the tool's own (a
forged "UNLOCKED"), an escape sequence can clear the screen and paint
anything, and a bidi override shows text in another order than it is stored.

RFC 2047 encoded-words are decoded here, before anything is checked: the
`email` package decodes them when it parses a header value, so a
`=?utf-8?q?Anne=0D=0AReply-To:...?=` display name would carry a line break
past a check made on its encoded form. The decoding and the character lists
are our own (not `email.header`, not `unicodedata`), so the result is the same
on every Python release.

- `line`: one line for a terminal; line breaks and controls become spaces,
  escape sequences and invisible formatting characters go.
- `block`: several lines for a terminal (a runbook, a zone file): as `line`,
  but line feeds and tabs stay.
- `header`: a display name or subject: decoded, one line, spaces collapsed,
  and no `=?` left for the `email` package to decode a second time.
- `problem`: why text a user wrote (the spec) is refused, or None.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# An RFC 2047 encoded-word; the charset may carry an RFC 2231 language (*en).
_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=")
# Only whitespace between two encoded-words: it is not part of the text (RFC 2047 6.2).
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t\r\n]+(?==\?)")
_QUOTED_BYTE = re.compile(rb"=([0-9A-Fa-f]{2})")

# Terminal escape sequences, removed whole: CSI (ESC [), the string sequences
# OSC, DCS, SOS, PM and APC up to their terminator, and two-character ESC x.
# What is left of a broken one, and every lone C1 control, becomes a space.
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -~]?")

_LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_CONTROLS = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)])) + "\u2028\u2029"
# Invisible characters that hide or reorder text: the bidi embeddings,
# overrides, isolates and marks, zero-width spaces, soft hyphen, the
# interlinear annotation marks and the tag characters. ZWJ and ZWNJ (U+200C,
# U+200D) stay: scripts and emoji need them, and they cannot move text.
_HIDDEN = "".join(
    map(chr, [0xAD, 0x061C, 0x180E, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2060, 0x2065),
              *range(0x2066, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFC), *range(0xE0000, 0xE0080)])
)
# Lone surrogates (from a JSON "\ud800") cannot be written to a terminal or a header at all.
_SURROGATES = {code: "\ufffd" for code in range(0xD800, 0xE000)}

_ONE_LINE = str.maketrans({**{c: " " for c in _CONTROLS}, **{c: None for c in _HIDDEN}, **_SURROGATES})
_MANY_LINES = str.maketrans({**{c: " " for c in _CONTROLS}, "\n": "\n", "\t": "\t", "\r": None,
                             **{c: None for c in _HIDDEN}, **_SURROGATES})


def _decode_word(match: re.Match) -> str:
    charset, encoding, payload = match.groups()
    try:
        if encoding in "Qq":
            raw = _QUOTED_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), payload.replace("_", " ").encode("ascii"))
        else:
            raw = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
        return raw.decode(codecs.lookup(charset).name, errors="replace")
    except (LookupError, UnicodeError, binascii.Error, ValueError):
        # Left as written; `header` breaks its `=?` so nothing decodes it later either.
        return match.group(0)


def decode_words(value: str) -> str:
    """`value` with every RFC 2047 encoded-word decoded (once), wherever it stands."""
    if "=?" not in value:
        return value
    return _WORD.sub(_decode_word, _BETWEEN_WORDS.sub("", value))


def line(value: str) -> str:
    """One line of inert text: nothing in it can start a line, move the cursor or hide a character."""
    return _ESCAPE.sub("", value).translate(_ONE_LINE)


def block(value: str) -> str:
    """Inert text of several lines: as `line`, but line feeds and tabs stay (CR goes: it rewrites a line)."""
    return _ESCAPE.sub("", value).translate(_MANY_LINES)


def header(value: str) -> str:
    """Text for a display name or a subject: decoded, then one line with single spaces and no encoded-word left."""
    words = " ".join(line(decode_words(value)).split())
    # The email package decodes any "=?...?=" it meets when it parses a header: leave it none to decode.
    return words.replace("=?", "= ?")


def problem(value: str) -> str | None:
    """Why `value` (decoded first) cannot be used as one line of text, or None."""
    decoded = decode_words(value)
    if any(c in _LINE_BREAKS for c in decoded):
        return "a line break"
    if any(c in _CONTROLS for c in decoded):
        return "a control character"
    if any(c in _HIDDEN or "\ud800" <= c <= "\udfff" for c in decoded):
        return "an invisible or bidi formatting character"
    return None
