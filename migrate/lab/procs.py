"""Start and stop lab daemons so that none outlives the lab.

Three layers make sure no knotd or unbound is left behind:
- `World.stop()` (called by the fixture's finaliser and the context manager);
- an atexit hook that stops every process this interpreter started;
- PR_SET_PDEATHSIG, so the kernel kills a daemon when the Python process dies
  without running atexit (SIGKILL, a crash). The kernel ties that signal to
  the *thread* that forked, so it is only set when starting from the main
  thread; a world started from a worker thread relies on the first two.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_live: dict[int, subprocess.Popen] = {}
_lock = threading.Lock()


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not glibc: atexit and stop() still apply
        pass


def spawn(argv: list[str], log: Path) -> subprocess.Popen:
    """Start a foreground daemon, its output appended to `log`."""
    in_main = threading.current_thread() is threading.main_thread()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if in_main else None,
            close_fds=True,
        )
    with _lock:
        _live[proc.pid] = proc
    return proc


def stop(procs: list[subprocess.Popen], grace: float = 2.0) -> None:
    """SIGCONT (a muted process cannot act on SIGTERM), SIGTERM, then SIGKILL."""
    running = [p for p in procs if p.poll() is None]
    for proc in running:
        for sig in (signal.SIGCONT, signal.SIGTERM):
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with _lock:
        for proc in procs:
            _live.pop(proc.pid, None)


def pids_under(path: Path | str) -> list[int]:
    """Pids of processes whose command line mentions `path` (a /proc scan)."""
    needle = str(path).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            try:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state != "Z":
                found.append(int(entry.name))
    return found


def all_stopped(pid: int) -> bool:
    """Is every thread of `pid` in the stopped state (after SIGSTOP)?"""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        return all((t / "stat").read_text().rsplit(")", 1)[1].split()[0] == "T" for t in tasks)
    except OSError:
        return False


@atexit.register
def _stop_everything() -> None:
    with _lock:
        procs = list(_live.values())
    stop(procs, grace=1.0)
