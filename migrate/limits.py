"""Bounds on the size of every input, and the one way to read an input file.

A Microsoft 365 Business plan holds at most 300 users, and the zone of a
business that size holds dozens of records, rarely a few hundred. Each bound
below covers that many hundred times over, so no real company meets one; what
does is a mistake or an attack (`$GENERATE 1-10000000`, `zone_file: /dev/zero`,
a users export gone wrong), refused with one line before it takes the
machine's memory. Each bound is raised, for a tenant that truly needs it,
with the environment variable the refusal names.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from migrate.errors import BadInput

MiB = 1024 * 1024


@dataclass(frozen=True)
class Bound:
    variable: str  # the environment variable that overrides the default
    default: int
    unit: str

    def value(self) -> int:
        text = os.environ.get(self.variable, "").strip()
        if not text:
            return self.default
        try:
            value = int(text)
        except ValueError:
            raise BadInput(f"{self.variable}={text!r}: not a whole number of {self.unit}") from None
        if value < 1:
            raise BadInput(f"{self.variable}={text!r}: must be at least 1")
        return value

    def exceeded(self, what: str, found: str = "") -> BadInput:
        """The one line for an input past this bound: what, by how much, and how to raise it."""
        return BadInput(
            f"{what}: {found + ', ' if found else ''}over the bound of {self.value():,} {self.unit}; "
            f"if that is right, raise it with the environment variable {self.variable}"
        )


# A zone record in a file is about 40 bytes, a long DKIM key about 500: 16 MiB
# holds the record bound below whatever the mix.
ZONE_BYTES = Bound("M365_EXIT_MAX_ZONE_BYTES", 16 * MiB, "bytes")
# Records in one zone, counted as they are read or transferred (`$GENERATE`
# ranges before they are expanded): a thousand times a business's zone.
ZONE_RECORDS = Bound("M365_EXIT_MAX_ZONE_RECORDS", 100_000, "records")
# Rows of the admin center's Active users export: 200,000 is over 600 times a
# Business plan's 300 users. A row with every column and several proxy
# addresses is under 700 bytes, so 128 MiB holds the rows many times over.
USERS = Bound("M365_EXIT_MAX_USERS", 200_000, "rows")
USERS_BYTES = Bound("M365_EXIT_MAX_USERS_BYTES", 128 * MiB, "bytes")
# The spec is written by hand: a few kB, even with hundreds of records in dns.records.
SPEC_BYTES = Bound("M365_EXIT_MAX_SPEC_BYTES", 4 * MiB, "bytes")
# The facts file lists a tenant's subscriptions: under a kB in practice.
FACTS_BYTES = Bound("M365_EXIT_MAX_FACTS_BYTES", 1 * MiB, "bytes")
# One email template: a few kB of text or HTML.
TEMPLATE_BYTES = Bound("M365_EXIT_MAX_TEMPLATE_BYTES", 1 * MiB, "bytes")

_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}


def read_bytes(path: Path | str, bound: Bound, what: str) -> bytes:
    """A regular file's bytes, refused (BadInput) past `bound` or when it is not a regular file.

    OSError (not found, no permission) is left to the caller, which words it
    for its own file. The file is opened without blocking, so a FIFO cannot
    hold the open until a writer comes, and it is never read past the bound:
    a file that grows while it is read is still refused, not swallowed.
    """
    limit = bound.value()
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise BadInput(f"{path}: the {what} is {kind}; give the path of a regular file")
        if info.st_size > limit:
            raise bound.exceeded(f"{path}", f"the {what} is {info.st_size:,} bytes")
        stream = os.fdopen(fd, "rb")  # it closes the descriptor from here on
    except BaseException:
        os.close(fd)
        raise
    with stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise bound.exceeded(f"{path}", f"the {what} is over {limit:,} bytes")
    return data


def read_text(path: Path | str, bound: Bound, what: str) -> str:
    """read_bytes as UTF-8 text with universal newlines, as `open()` in text mode reads it.

    UnicodeDecodeError is the caller's to word.
    """
    text = read_bytes(path, bound, what).decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n")
