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


def clear(folder: Path) -> None:
    """Remove the .eml files of an earlier render of the same wave (stale recipients)."""
    if folder.is_dir():
        for old in folder.glob("*.eml"):
            old.unlink()
