"""The outbox: one .eml file per message, ready to open in any mail client.

Files are written whole or not at all (temporary file, then rename), so an
interrupted render never leaves half a message that looks complete.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from migrate.errors import BadInput
from migrate.notify.message import Message


def filename(index: int, address: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", address)
    return f"{index:03d}-{safe}.eml"


def _replace(path: Path, data: bytes) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def write(folder: Path, index: int, address: str, msg: Message) -> Path:
    """One message as a file in `folder`, which `prepared` made."""
    return _replace(folder / filename(index, address), msg.as_bytes())


def write_text(folder: Path, name: str, content: str) -> Path:
    """A text file beside the messages (the admin's copy), in UTF-8; an earlier one is replaced whole."""
    return _replace(folder / name, content.encode("utf-8"))


# Marks a folder migrate notify made for its outbox: only such a folder is ever cleared.
MARKER = ".m365-exit-outbox"


@contextmanager
def prepared(folder: Path, owned: bool = False, clear_old: bool = True) -> Iterator[None]:
    """Make `folder` ready for a wave's files and hold it while they are written, never touching what is not ours.

    A folder the tool made (it holds MARKER, or it is the default one inside the
    state folder: `owned`) loses the .eml files of an earlier render. Any other
    folder must be empty or new: a user's --out full of saved mail is refused,
    not cleared. Renders into one folder take turns (a lock on the folder, as
    `send.exclusive` locks the state folder): one clearing while another
    writes would leave neither render whole.
    """
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"--out {folder}: is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise BadInput(f"{folder}: cannot create the outbox folder ({exc.strerror})") from None
    try:
        # Closing the handle releases the lock, also when this process dies.
        fcntl.flock(handle, fcntl.LOCK_EX)
        if not owned and not (folder / MARKER).exists() and any(folder.iterdir()):
            raise BadInput(f"--out {folder}: the folder is not empty and is not an outbox migrate notify made; choose an empty or new folder")
        try:
            (folder / MARKER).touch()
        except OSError as exc:
            raise BadInput(f"{folder}: cannot create the outbox folder ({exc.strerror})") from None
        if clear_old:
            clear(folder)
        yield
    finally:
        os.close(handle)


def clear(folder: Path) -> None:
    """Remove the .eml files of an earlier render of the same wave (stale recipients)."""
    if folder.is_dir():
        for old in [*folder.glob("*.eml"), *folder.glob("*.eml.tmp")]:
            old.unlink()
