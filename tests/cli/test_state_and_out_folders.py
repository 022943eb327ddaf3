"""Commands run by a careless user: bad folders, damaged exports. One line, exit 2, nothing of theirs lost."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.errors import BadInput
from migrate.notify import recipients

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
    mine = workdir / "Mail"
    mine.mkdir()
    (mine / "contract.eml").write_text("From: boss\n\nkeep me\n")
    result = migrate("notify", "migration.yaml", "--wave", "announce", "--out", "Mail", cwd=workdir)
    assert result.returncode == 2
    line = one_error_line(result)
    assert "Mail" in line and "not empty" in line
    assert (mine / "contract.eml").read_text() == "From: boss\n\nkeep me\n"


def test_notify_re_renders_its_own_outbox(workdir):
    first = migrate("notify", "migration.yaml", "--wave", "announce", "--out", "outbox", cwd=workdir)
    assert first.returncode == 0, first.stderr
    written = sorted(p.name for p in (workdir / "outbox").glob("*.eml"))
    stale = workdir / "outbox" / "999-gone@nordlys-tekstil.dk.eml"
    stale.write_text("stale")
    second = migrate("notify", "migration.yaml", "--wave", "announce", "--out", "outbox", cwd=workdir)
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in (workdir / "outbox").glob("*.eml")) == written


def test_notify_out_into_an_empty_or_new_folder_works(workdir):
    (workdir / "empty").mkdir()
    for folder in ("empty", "new/deeper"):
        result = migrate("notify", "migration.yaml", "--wave", "announce", "--out", folder, cwd=workdir)
        assert result.returncode == 0, result.stderr
        assert list((workdir / folder).glob("*.eml"))


# -- users.csv damage ----------------------------------------------------------------------


def test_a_binary_recipients_file_is_bad_input(tmp_path):
    # Bytes Windows-1252 does not define (0x81, 0x8d, 0x8f, 0x90, 0x9d) raised UnicodeDecodeError.
    path = tmp_path / "users.csv"
    path.write_bytes(b"\x00\x90\x81garbage\x8d\xff" * 50)
    with pytest.raises(BadInput) as info:
        recipients.read(path, "nordlys-tekstil.dk.", "da")
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_a_utf16_export_is_read(tmp_path):
    # Excel's "Unicode text" and some PowerShell exports are UTF-16 with a byte-order mark.
    path = tmp_path / "users.csv"
    path.write_bytes((EXAMPLES / "users.csv").read_text(encoding="utf-8-sig").encode("utf-16"))
    roster = recipients.read(path, "nordlys-tekstil.dk.", "da")
    expected = recipients.read(EXAMPLES / "users.csv", "nordlys-tekstil.dk.", "da")
    assert [r.address for r in roster.recipients] == [r.address for r in expected.recipients]
    assert any(r.display_name == "Søren Ærø-Jensen" for r in roster.recipients)


def test_a_tab_separated_unicode_text_export_is_read(tmp_path):
    path = tmp_path / "users.txt"
    text = (EXAMPLES / "users.csv").read_text(encoding="utf-8-sig")
    rows = [line.split(",") for line in text.splitlines()]
    path.write_bytes("\r\n".join("\t".join(row) for row in rows).encode("utf-16"))
    roster = recipients.read(path, "nordlys-tekstil.dk.", "da")
    assert roster.recipients and roster.recipients[0].address == "anne.sorensen@nordlys-tekstil.dk"


def test_import_out_that_is_a_folder_is_bad_input_even_with_force(workdir):
    # --force made it an unexpected IsADirectoryError and left a temporary file behind.
    (workdir / "snap").mkdir()
    (workdir / "snap" / "mine.txt").write_text("keep")
    result = migrate("import", "migration.yaml", "--from", "zonefile", "zones/nordlys-tekstil.dk.zone", "--out", "snap", "--force", cwd=workdir)
    assert result.returncode == 2
    assert "snap" in one_error_line(result) and "folder" in one_error_line(result)
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith(".")) == []
    assert (workdir / "snap" / "mine.txt").read_text() == "keep"
