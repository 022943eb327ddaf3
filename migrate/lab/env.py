"""What the lab needs from the machine, checked up front with a one-line fix.

- knotd, knotc, unbound and unbound-control on PATH;
- the right to bind port 53 on loopback: root, or a user + network
  namespace (`unshare -rn`, where loopback starts down and is brought up);
- a /24 of 127.53.0.0/16 of its own: each running world holds an exclusive
  lock on one "slot", so worlds in parallel processes never collide.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import socket
import struct
import subprocess
import tempfile
from pathlib import Path

from migrate.errors import EnvironmentProblem

FIX = "run as root, or: unshare -rn make test"
_SIOCGIFFLAGS = 0x8913
_BINARIES = {"knotd": "knot", "knotc": "knot", "unbound": "unbound", "unbound-control": "unbound"}


def check_binaries() -> None:
    missing = sorted({pkg for binary, pkg in _BINARIES.items() if not _which(binary)})
    if missing:
        raise EnvironmentProblem(f"the DNS lab needs {' and '.join(missing)}: apt-get install -y {' '.join(missing)}")


def _which(binary: str) -> str | None:
    return shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin:/usr/bin")


def loopback_is_up() -> bool:
    """IFF_UP of `lo` in this process's network namespace (/sys may show another)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, request + b"\0" * 14)[:18])[1]
    return bool(flags & 0x1)


def check_loopback() -> None:
    """A fresh network namespace (unshare -rn) starts with lo down: bring it up."""
    if loopback_is_up():
        return
    if not _loopback_up() or not loopback_is_up():
        raise EnvironmentProblem("the DNS lab needs the loopback interface up: ip link set lo up")


def check_port_53(address: str) -> None:
    """Bind UDP and TCP port 53 on `address` once, or explain how to get the right."""
    check_loopback()
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        for attempt in range(2):
            sock = socket.socket(socket.AF_INET, kind)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((address, 53))
                break
            except PermissionError:
                raise EnvironmentProblem(f"the DNS lab cannot bind {address} port 53 (permission denied): {FIX}") from None
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL and attempt == 0 and _loopback_up():
                    continue  # a fresh network namespace starts with lo down
                if exc.errno == errno.EADDRINUSE:
                    raise EnvironmentProblem(
                        f"the DNS lab cannot bind {address} port 53: something already listens there"
                    ) from None
                raise EnvironmentProblem(f"the DNS lab cannot bind {address} port 53 ({exc.strerror}): {FIX}") from None
            finally:
                sock.close()


def _loopback_up() -> bool:
    ip = _which("ip")
    if not ip:
        return False
    return subprocess.run([ip, "link", "set", "lo", "up"], capture_output=True).returncode == 0


_private_lockdir: Path | None = None


def _lockdir() -> Path:
    """Shared by every process of this user; a private one when /tmp's is not ours
    (inside `unshare -r` uid 0 is someone else's uid 0: its own namespace anyway)."""
    global _private_lockdir
    shared = Path(tempfile.gettempdir()) / f"m365-exit-lab-slots-{os.getuid()}"
    try:
        shared.mkdir(mode=0o700, exist_ok=True)
        if os.access(shared, os.W_OK):
            return shared
    except OSError:
        pass
    if _private_lockdir is None:
        _private_lockdir = Path(tempfile.mkdtemp(prefix="m365-exit-lab-slots-"))
    return _private_lockdir


class Slot:
    """An exclusive /24 (127.53.N.0) for one world, held by a file lock."""

    def __init__(self) -> None:
        lockdir = _lockdir()
        for number in range(1, 255):
            try:
                fd = os.open(lockdir / f"{number}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            except PermissionError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.number = number
            self._fd: int | None = fd
            self.prefix = f"127.53.{number}."
            return
        raise EnvironmentProblem("the DNS lab has no free address slot: 254 worlds are running")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
