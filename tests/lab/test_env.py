"""What the lab needs from the machine: missing binaries and the right to bind port 53
are failures that name the fix, never skips."""

from __future__ import annotations

import pytest

from migrate.errors import EnvironmentProblem
from tests.helpers.unprivileged import run_as_nobody


def test_without_the_right_to_bind_port_53_the_lab_names_the_fix():
    # an unprivileged user (nobody) cannot bind port 53: the lab says how to fix it. nobody
    # imports the lab from a world-readable copy: the checkout may sit where only root can read.
    code = (
        "import os\n"
        "from migrate.lab import env\n"
        "from migrate.errors import EnvironmentProblem\n"
        "assert os.getuid() == 65534, os.getuid()\n"
        "try:\n"
        "    env.check_port_53('127.53.254.1')\n"
        "except EnvironmentProblem as exc:\n"
        "    print(exc)\n"
    )
    done = run_as_nobody(code, imports=("migrate.lab.env",))
    assert done.returncode == 0, done.stderr
    assert "run as root, or: unshare -rn make test" in done.stdout
    assert "127.53.254.1 port 53" in done.stdout


def test_environment_problem_is_raised_not_skipped_for_missing_binaries(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("shutil.which", lambda *a, **k: None)
    from migrate.lab import env

    with pytest.raises(EnvironmentProblem, match="apt-get install -y knot unbound"):
        env.check_binaries()
