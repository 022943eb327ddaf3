"""`migrate notify` options that only make sense together, and renders that share a folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.notify import admincopy
from migrate.notify.outbox import MARKER
from tests.helpers.notify import DOMAIN, write_spec

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.mark.parametrize("flag", ["--confirm-uncertain", "--resend-uncertain"])
def test_settling_uncertain_messages_needs_send(tmp_path, flag):
    spec = write_spec(tmp_path)
    result = runner.invoke(app, ["notify", str(spec), "--wave", "announce", "--out", str(tmp_path / "box"), flag])
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line == f"error: {flag} needs --send: it settles uncertain messages while sending the wave"
    assert not (tmp_path / "box").exists()


def users(prefix: str, count: int) -> str:
    head = "Block credential,Display name,First name,Last name,Licenses,Preferred language,User principal name\r\n"
    return head + "".join(f"False,User {i},User,{i},Microsoft 365 Business Basic,da-DK,{prefix}{i}@{DOMAIN}\r\n" for i in range(count))


def test_two_renders_into_one_folder_take_turns(tmp_path):
    spec = write_spec(tmp_path, users=users("a", 240))
    (tmp_path / "other.csv").write_text(users("b", 100), encoding="utf-8")
    box = tmp_path / "box"
    command = [sys.executable, "-m", "migrate", "notify", str(spec), "--wave", "announce", "--out", str(box)]
    renders = [subprocess.Popen([*command, *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for extra in ([], ["--recipients", str(tmp_path / "other.csv")])]
    outputs = [render.communicate(timeout=300) for render in renders]
    assert [render.returncode for render in renders] == [0, 0], outputs
    written = [sorted(Path(line).name for line in out.splitlines()) for out, _ in outputs]
    assert [len(names) for names in written] == [240, 100]
    # The folder holds one render whole (the one that went second), never a mix of both.
    left = sorted(path.name for path in (box / "announce").iterdir() if path.name not in (MARKER, admincopy.NAME))
    assert left in written
    # and the admin's copy beside them is that render's too
    assert f"Modtagere: {len(left)}\n" in (box / "announce" / admincopy.NAME).read_text(encoding="utf-8")
