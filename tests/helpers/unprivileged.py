"""Run Python code as an unprivileged user (nobody), wherever the checkout lives.

The checkout and its virtualenv may sit in a folder only root can enter (a
`mktemp -d` folder is mode 0700, and so is /root), so nobody can neither run
the virtualenv's interpreter nor import anything from it. This copies what
the code imports (the packages a fresh interpreter loads, outside the
standard library) into a fresh folder everyone can read, and runs it there
with an interpreter everyone can run, of the same Python version.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all"]

# Run by this interpreter: the top-level packages that importing the modules loads, and where
# they are, leaving out the standard library (a package in site-packages is never part of it)
# and what the interpreter loaded before (the startup hooks of .pth files).
_CLOSURE = """
import importlib, json, os, sys
before = set(sys.modules)
for name in sys.argv[1:]:
    importlib.import_module(name)
std = os.path.realpath(os.path.dirname(os.__file__)) + os.sep
found = {}
for top in sorted({name.partition(".")[0] for name in set(sys.modules) - before}):
    module = sys.modules.get(top)
    paths = list(getattr(module, "__path__", None) or [])
    if not paths and getattr(module, "__file__", None):
        paths = [module.__file__]
    paths = [os.path.realpath(p) for p in paths]
    outside = [p for p in paths if not p.startswith(std) or "-packages" + os.sep in p]
    if outside:
        found[top] = outside
print(json.dumps(found))
"""


def reachable_by_anyone(path: Path) -> bool:
    """Every folder from / down to `path` may be entered by any user (o+x)."""
    path = Path(os.path.realpath(path))
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *path.parents])


def interpreter() -> str:
    """This Python (same major.minor, so copied extension modules load), runnable by any user."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [getattr(sys, "_base_executable", None), sys.executable, shutil.which(f"python{version}"),
                  f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    for candidate in candidates:
        if not candidate or not os.path.exists(candidate):
            continue
        real = os.path.realpath(candidate)
        if not reachable_by_anyone(Path(real)):
            continue
        done = subprocess.run([real, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and done.stdout.strip() == version:
            return real
    raise AssertionError(f"no Python {version} interpreter that an unprivileged user can run (tried {candidates})")


def _public_folder() -> Path:
    """A fresh folder, mode 0755, under the first temporary folder any user can reach."""
    for root in (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(root) and reachable_by_anyone(Path(root)):
            folder = Path(tempfile.mkdtemp(prefix="m365-exit-unprivileged-", dir=root))
            folder.chmod(0o755)
            return folder
    raise AssertionError("no temporary folder that an unprivileged user can enter")


@contextmanager
def sources_for(*modules: str) -> Iterator[Path]:
    """A world-readable folder holding every non-standard package that importing `modules` loads."""
    done = subprocess.run([sys.executable, "-c", _CLOSURE, *modules], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    folder = _public_folder()
    try:
        for top, paths in json.loads(done.stdout).items():
            for path in map(Path, paths):
                if path.is_dir():
                    shutil.copytree(path, folder / top, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
                    libs = path.parent / f"{top}.libs"  # shared libraries some wheels keep beside the package
                    if libs.is_dir():
                        shutil.copytree(libs, folder / libs.name, dirs_exist_ok=True)
                else:
                    shutil.copy2(path, folder / path.name)
        for current, dirs, files in os.walk(folder):
            os.chmod(current, 0o755)
            for name in files:
                os.chmod(os.path.join(current, name), 0o644 | (os.stat(os.path.join(current, name)).st_mode & 0o111))
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_as_nobody(code: str, *, imports: tuple[str, ...], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `code` as nobody, able to import `imports` (and what they import) from a world-readable copy."""
    with sources_for(*imports) as folder:
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "PYTHONPATH": str(folder),
               "PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8"}
        return subprocess.run([*AS_NOBODY, interpreter(), "-s", "-c", code], capture_output=True, text=True,
                              cwd=folder, env=env, timeout=timeout)
