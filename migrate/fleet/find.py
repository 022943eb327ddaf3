"""The specs under a folder: found without parsing every YAML file, within bounds, never outside the folder.

A spec is recognised cheaply: a `.yaml` or `.yml` file whose first 64 KiB
hold a top-level `version:` line and a top-level `domain:` line (a facts file
has `version` but no `domain`; a Pulumi project or a CI workflow has
neither). Whether it really is a valid spec is `migrate.spec.load`'s to
say, later, one spec at a time. Hidden entries (`.migrate/`, `.git/`) and
symbolic links are not followed, nor folders more than `MAX_DEPTH` levels
below the one given. A folder or file that cannot be read is reported
(`Found.problem`), not skipped: a spec nobody can see is not a spec that
does not exist.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from migrate import limits
from migrate.errors import BadInput

MAX_DEPTH = 8
# A fleet is a consultancy's tenants: hundreds of specs at most. Entries counts every
# file and folder looked at, so a DIR of / or of a home folder is refused, not walked.
ENTRIES = limits.Bound("M365_EXIT_MAX_FLEET_ENTRIES", 100_000, "folder entries")
SPECS = limits.Bound("M365_EXIT_MAX_FLEET_SPECS", 2_000, "specs")
SNIFF_BYTES = 64 * 1024
_SUFFIXES = (".yaml", ".yml")
_TOP_LEVEL = re.compile(rb"^(version|domain)[ \t]*:", re.MULTILINE)


@dataclass(frozen=True)
class Found:
    path: Path
    problem: str | None = None  # why it could not be read; None: a spec to load


def looks_like_spec(head: bytes) -> bool:
    """Whether the start of a YAML file has both top-level keys every spec has."""
    return {m.group(1) for m in _TOP_LEVEL.finditer(head.removeprefix(b"\xef\xbb\xbf"))} == {b"version", b"domain"}


def head(path: Path) -> bytes:
    """The first `SNIFF_BYTES` of a file, enough to tell a spec from other YAML."""
    # Non-blocking: a file swapped for a FIFO after the listing cannot hold the search up.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        return os.read(fd, SNIFF_BYTES)
    finally:
        os.close(fd)


def specs(folder: Path) -> list[Found]:
    """Every spec under `folder` (and every unreadable place that may hold one), sorted by path."""
    if not folder.is_dir():
        raise BadInput(f"{folder}: {'not a folder' if folder.exists() else 'no such folder'}")
    entries, specs_bound = ENTRIES.value(), SPECS.value()
    looked, found = 0, []
    pending = [(folder, 0)]
    while pending:
        here, depth = pending.pop()
        try:
            with os.scandir(here) as listing:
                items = []
                for entry in listing:
                    looked += 1
                    if looked > entries:
                        raise ENTRIES.exceeded(f"{folder}", "searching it for specs")
                    items.append(entry)
        except OSError as exc:
            if here == folder:
                raise BadInput(f"{folder}: cannot read the folder ({exc.strerror})") from None
            found.append(Found(here, f"cannot read the folder ({exc.strerror}): specs in it are not listed"))
            continue
        for entry in items:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if depth < MAX_DEPTH:
                    pending.append((Path(entry.path), depth + 1))
            elif entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(_SUFFIXES):
                try:
                    if not looks_like_spec(head(Path(entry.path))):
                        continue
                    found.append(Found(Path(entry.path)))
                except OSError as exc:
                    found.append(Found(Path(entry.path), f"cannot read the file ({exc.strerror})"))
                if len(found) > specs_bound:
                    raise SPECS.exceeded(f"{folder}")
    return sorted(found, key=lambda f: f.path)
