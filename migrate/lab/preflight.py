"""Before a lab run (the demo, a rehearsal) writes anything: a usable --out folder, and a lab that can start here."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from migrate.errors import BadInput, EnvironmentProblem


def _userns_works() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    try:
        return subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _fix_command(command: str) -> str:
    return f"unshare -rn {command}" if _userns_works() else f"sudo {command}"


def lab_fix(message: str, command: str) -> str:
    """The lab's failure, or, when it is the right to bind port 53, the one command (`command` run so) that fixes it."""
    if os.geteuid() != 0 and ("permission denied" in message or "cannot bind" in message):
        return f"the DNS lab needs port 53 on loopback: run `{_fix_command(command)}`"
    return message


def check_lab(command: str) -> None:
    """Fail before any work when the lab cannot start, naming the one command that fixes it."""
    from migrate.lab import env

    env.check_binaries()
    try:
        # 127.53.0.0/24 is never a world's slot (those are 127.53.1-254.0), so the probe collides with nobody
        env.check_port_53("127.53.0.254")
    except EnvironmentProblem as exc:
        raise EnvironmentProblem(lab_fix(str(exc), command)) from None


def prepare(out: Path | None, prefix: str, why: str) -> Path:
    """The run's folder: a new temporary one, or `out` if it is new or empty (not created yet).

    `why` says what must start empty, for the refusal of a folder that is not.
    """
    if out is None:
        return Path(tempfile.mkdtemp(prefix=prefix))  # made now, empty, ours
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out}: not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise BadInput(f"--out {out}: the folder is not empty ({why}); choose a new one")
    return out


def create(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--out {folder}: cannot create the folder ({exc.strerror})") from None
