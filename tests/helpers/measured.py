"""Run the real `migrate` command as a child and measure it: exit code, output, peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Python with the command line's imports takes well under 100 MB; reading any of
# the hostile inputs of the bounds tests whole would take gigabytes.
MEMORY_MB = 300


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float

    @property
    def errors(self) -> list[str]:
        """The lines that say what failed (notes and skipped rows may come before)."""
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]


def migrate(*args: str, env: dict[str, str] | None = None) -> Finished:
    """`python -m migrate ARGS`, waited for with wait4 so the peak memory is this child's alone.

    RUSAGE_CHILDREN of the test process would be the largest of every child it
    ever had (a demo with Pulumi among them); wait4 reports this one child's.
    Tests that could hang put a pytest timeout on themselves.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "migrate", *args], stdout=out, stderr=err, cwd=ROOT, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in kilobytes on Linux.
        return Finished(proc.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss / 1024)


def refused(result: Finished, *words: str) -> None:
    """Exit 2 with one error line holding `words`, no traceback, and memory bounded."""
    assert result.returncode == 2, result.stderr
    assert len(result.errors) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.errors[0]
    assert result.max_rss_mb < MEMORY_MB, f"{result.max_rss_mb:.0f} MB"
