"""How the email package writes a notice's header or body under `policy.SMTP`, at a cost a hundred thousand messages can pay.

`policy.SMTP` refuses line breaks in header values and writes CRLF, as the
notices need. `fold` and `body` give what its generator writes for one header
and for one quoted-printable text part, without a message object around
them, and `one_header` says whether a folded header still reads as one.
`unfolded` is the short cut for a header that needs neither: it is what any
folder writes for it, and a hundred thousand To headers cost a third of the
time it takes to render a wave when each goes through the header parser.

Two costs are paid once here instead of for every message, without changing
a byte:

- the header registry makes a new class for every header it parses (most of
  the time and memory a message took: 137 kB, 30 kB without). Here each
  header name has one class;
- quoted-printable is encoded a character at a time in Python, and all but a
  few lines of a wave's bodies are the same for every recipient. Here a line
  is encoded once (see `body` for why per line is the same as per body).
"""

from __future__ import annotations

import functools
from email import headerregistry, policy, quoprimime


class _Headers(headerregistry.HeaderRegistry):
    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        if key not in self._classes:
            kind = self.registry.get(key, self.default_class)
            self._classes[key] = type("_" + kind.__name__, (kind, self.base_class), {})
        return self._classes[key]


SMTP = policy.SMTP.clone(header_factory=_Headers())
_CRLF = SMTP.linesep.encode("ascii")


def fold(name: str, value) -> bytes:
    """`Name: value` as the generator writes it: parsed as `message[name] = value` parses it (a line break in text is refused), then folded."""
    return SMTP.fold_binary(*SMTP.header_store_parse(name, value))


def unfolded(name: str, value: str) -> bytes | None:
    """`Name: value` as it stands, when that is one line of printable ASCII within the line length: nothing to fold or encode. Else None."""
    line = f"{name}: {value}"
    if len(line) <= SMTP.max_line_length and line.isascii() and line.isprintable():
        return line.encode("ascii") + _CRLF
    return None


def one_header(folded: bytes) -> bool:
    """A folded header continues only on lines that start with white space, and has no other line break."""
    lines = folded.split(_CRLF)
    broken = any(b"\r" in part or b"\n" in part for part in lines)
    return not (broken or lines[-1] or any(part[:1] not in (b" ", b"\t") for part in lines[1:-1]))


def body(content: str) -> bytes:
    """`content` as `set_content(content, charset="utf-8", cte="quoted-printable")` makes a part's body, as the generator writes it.

    The content manager encodes `b"\\n".join(lines) + b"\\n"` (the UTF-8
    lines, split at CR, LF and CRLF) with `quoprimime.body_encode`. That
    function quotes character by character first, which leaves LF the only
    line break, then encodes each line on its own (soft breaks within it, a
    trailing space or tab by where that line ends) and joins them with LF.
    So the body's encoding is the lines' encodings joined, and one line's
    encoding can serve every message that has the line. The generator then
    writes each LF as CRLF.
    """
    lines = content.encode("utf-8").splitlines()
    # No line at all is still one line break (the content manager's b"\n").
    return b"".join(map(_line, lines)) if lines else _CRLF


@functools.lru_cache(maxsize=4096)
def _line(line: bytes) -> bytes:
    encoded = quoprimime.body_encode(line.decode("latin-1"), SMTP.max_line_length)
    return encoded.encode("ascii").replace(b"\n", _CRLF) + _CRLF
