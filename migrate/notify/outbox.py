"""The outbox: one .eml file per message, ready to open in any mail client.

Files are written whole or not at all (temporary file, then rename), so an
interrupted render never leaves half a message that looks complete.
"""

from __future__ import annotations

import os
import re
from email.message import EmailMessage
from pathlib import Path

from migrate.errors import BadInput


def filename(index: int, address: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", address)
    return f"{index:03d}-{safe}.eml"


def write(folder: Path, index: int, address: str, msg: EmailMessage) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"{folder}: cannot create the outbox folder ({exc.strerror})") from None
    path = folder / filename(index, address)
    tmp = path.with_suffix(".eml.tmp")
    # as_bytes with the SMTP policy: CRLF line ends, as RFC 5322 wants on disk too.
    tmp.write_bytes(msg.as_bytes())
    os.replace(tmp, path)
    return path


# Marks a folder migrate notify made for its outbox: only such a folder is ever cleared.
MARKER = ".m365-exit-outbox"


def prepare(folder: Path, owned: bool = False, clear_old: bool = True) -> None:
    """Make `folder` ready for a wave's files, never touching what is not ours.

    A folder the tool made (it holds MARKER, or it is the default one inside the
    state folder: `owned`) loses the .eml files of an earlier render. Any other
    folder must be empty or new: a user's --out full of saved mail is refused,
    not cleared.
    """
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"--out {folder}: is a file, not a folder")
    if folder.is_dir() and not owned and not (folder / MARKER).exists() and any(folder.iterdir()):
        raise BadInput(f"--out {folder}: the folder is not empty and is not an outbox migrate notify made; choose an empty or new folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).touch()
    except OSError as exc:
        raise BadInput(f"{folder}: cannot create the outbox folder ({exc.strerror})") from None
    if clear_old:
        clear(folder)


def clear(folder: Path) -> None:
    """Remove the .eml files of an earlier render of the same wave (stale recipients)."""
    if folder.is_dir():
        for old in [*folder.glob("*.eml"), *folder.glob("*.eml.tmp")]:
            old.unlink()
