"""Commands run by a careless user on the wrong folders (--state, --out): one line, exit 2,
nothing of theirs lost. (Damaged users.csv exports: tests/notify/test_recipients.py.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.examples import EXAMPLES


def migrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    for name in ("migration.yaml", "users.csv", "facts.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    shutil.copytree(EXAMPLES / "zones", tmp_path / "zones")
    return tmp_path


def one_error_line(result: subprocess.CompletedProcess) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    return errors[0]


@pytest.mark.parametrize(
    "command",
    [
        ["gate", "migration.yaml"],
        ["attest", "migration.yaml", "data-saved", "--by", "Mette"],
        ["notify", "migration.yaml", "--wave", "announce"],
    ],
)
def test_state_that_is_a_file_is_bad_input(workdir, command):
    # It was an unexpected FileExistsError, exit 1.
    (workdir / "state").write_text("my notes\n")
    result = migrate(*command, "--state", "state", cwd=workdir)
    assert result.returncode == 2
    assert "state" in one_error_line(result) and "folder" in one_error_line(result)
    assert (workdir / "state").read_text() == "my notes\n"


def test_notify_out_into_a_folder_of_the_users_own_mail_deletes_nothing(workdir):
    # The wave's re-render cleared *.eml in --out: a user's saved mail went with it.
    # The wave renders into its own folder (Mail/announce); one holding the user's mail is refused.
    mine = workdir / "Mail" / "announce"
    mine.mkdir(parents=True)
    (mine / "contract.eml").write_text("From: boss\n\nkeep me\n")
    (workdir / "Mail" / "invoice.eml").write_text("keep me too\n")
    result = migrate("notify", "migration.yaml", "--wave", "announce", "--out", "Mail", cwd=workdir)
    assert result.returncode == 2
    line = one_error_line(result)
    assert "Mail/announce" in line and "not empty" in line
    assert (mine / "contract.eml").read_text() == "From: boss\n\nkeep me\n"
    assert (workdir / "Mail" / "invoice.eml").read_text() == "keep me too\n"


def test_notify_re_renders_its_own_outbox(workdir):
    first = migrate("notify", "migration.yaml", "--wave", "announce", "--out", "outbox", cwd=workdir)
    assert first.returncode == 0, first.stderr
    written = sorted(p.name for p in (workdir / "outbox" / "announce").glob("*.eml"))
    stale = workdir / "outbox" / "announce" / "999-gone@nordlys-tekstil.dk.eml"
    stale.write_text("stale")
    second = migrate("notify", "migration.yaml", "--wave", "announce", "--out", "outbox", cwd=workdir)
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in (workdir / "outbox" / "announce").glob("*.eml")) == written


def test_notify_out_into_an_empty_or_new_folder_works(workdir):
    (workdir / "empty").mkdir()
    for folder in ("empty", "new/deeper"):
        result = migrate("notify", "migration.yaml", "--wave", "announce", "--out", folder, cwd=workdir)
        assert result.returncode == 0, result.stderr
        assert list((workdir / folder / "announce").glob("*.eml"))


def test_import_out_that_is_a_folder_is_bad_input_even_with_force(workdir):
    # --force made it an unexpected IsADirectoryError and left a temporary file behind.
    (workdir / "snap").mkdir()
    (workdir / "snap" / "mine.txt").write_text("keep")
    result = migrate("import", "migration.yaml", "--from", "zonefile", "zones/nordlys-tekstil.dk.zone", "--out", "snap", "--force", cwd=workdir)
    assert result.returncode == 2
    assert "snap" in one_error_line(result) and "folder" in one_error_line(result)
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith(".")) == []
    assert (workdir / "snap" / "mine.txt").read_text() == "keep"
