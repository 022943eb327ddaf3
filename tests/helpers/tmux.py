"""A command in a real terminal: a detached tmux session of a given size, its screen read as text.

Each `Pane` runs its own tmux server (its own socket), so a test never sees
or disturbs another tmux, and closing the pane ends the server and the
command with it. After the command a shell notes its exit status and idles,
so its last screen stays as it left it (tmux's own remain-on-exit writes a
line of its own there).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path


class Pane:
    """A command running in a detached tmux session of `width` x `height`."""

    def __init__(self, argv: Sequence[str], *, width: int = 80, height: int = 24) -> None:
        self.socket = f"migrate-test-{uuid.uuid4().hex[:12]}"
        # The command sizes itself from the terminal alone; a UTF-8 locale lets "…" through as itself.
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self._env = env
        self._folder = Path(tempfile.mkdtemp(prefix="pane-"))
        self._status = self._folder / "status"
        script = f"{shlex.join(argv)}; echo $? > {shlex.quote(str(self._status))}; exec sleep 3600"
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "test", "-x", str(width), "-y", str(height), script)

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-u", "-L", self.socket, *args], capture_output=True, text=True, env=self._env, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> list[str]:
        """The visible screen, one string per row (trailing spaces dropped, a wrapped line joined back into one)."""
        return [row.rstrip() for row in self._tmux("capture-pane", "-p", "-J", "-t", "test").split("\n")[:-1]]

    def exit_status(self) -> int | None:
        """The command's exit status once it has ended, else None."""
        written = self._status.read_text() if self._status.exists() else ""
        return int(written) if written.endswith("\n") else None

    def wait_for(self, wanted: Callable[[list[str]], bool], *, within: float) -> list[str]:
        """Poll the screen until `wanted` holds or `within` seconds pass; the last screen either way."""
        deadline = time.monotonic() + within
        while True:
            screen = self.screen()
            if wanted(screen) or time.monotonic() >= deadline:
                return screen
            time.sleep(0.2)

    def wait_exit(self, *, within: float) -> int | None:
        deadline = time.monotonic() + within
        while (status := self.exit_status()) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        return status

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, env=self._env, timeout=30)
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> Pane:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
