"""Run the real `migrate` command as a child and measure it: exit code, output, peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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


# The child reports the peak of its own address space (VmHWM) as it exits. Neither
# RUSAGE_CHILDREN nor wait4 can: Linux carries the parent's resident size at fork
# into the child's ru_maxrss, so a test process grown past the bound would fail
# every measurement however little the command itself used.
_REPORT_PEAK = """
import atexit, runpy, sys
peak_file = sys.argv.pop(1)

def report_peak():
    with open("/proc/self/status") as status:
        kilobytes = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    with open(peak_file, "w") as out:
        out.write(str(kilobytes))

atexit.register(report_peak)
sys.argv[0] = "migrate"
runpy.run_module("migrate", run_name="__main__", alter_sys=True)
"""


def migrate(*args: str, env: dict[str, str] | None = None) -> Finished:
    """`python -m migrate ARGS`, with the peak memory of that process alone.

    Tests that could hang put a pytest timeout on themselves.
    """
    with tempfile.TemporaryDirectory() as folder:
        peak = Path(folder) / "peak"
        proc = subprocess.run([sys.executable, "-c", _REPORT_PEAK, str(peak), *args], capture_output=True, text=True,
                              cwd=ROOT, env={**os.environ, **(env or {})})
        # VmHWM is in kilobytes.
        return Finished(proc.returncode, proc.stdout, proc.stderr, int(peak.read_text()) / 1024)


def refused(result: Finished, *words: str) -> None:
    """Exit 2 with one error line holding `words`, no traceback, and memory bounded."""
    assert result.returncode == 2, result.stderr
    assert len(result.errors) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.errors[0]
    assert result.max_rss_mb < MEMORY_MB, f"{result.max_rss_mb:.0f} MB"
