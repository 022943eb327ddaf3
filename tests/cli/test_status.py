"""`migrate status` on the terminal: outside text stays inert, an empty folder says so."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from migrate.cli import app
from tests.helpers.fleet import day, spec_folder

runner = CliRunner()


def test_a_hostile_tenant_name_reaches_the_terminal_as_one_inert_line(tmp_path):
    path = spec_folder(tmp_path / "evil", "evil.dk", "x", day(30))
    data = yaml.safe_load(path.read_text())
    data["source"]["tenant"] = "acme\x1b[2J\nUNLOCKED: everything [bold red]\u202eok"
    path.write_text(yaml.safe_dump(data))
    done = runner.invoke(app, ["status", str(tmp_path)], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
    # the escape sequence dropped, the line break folded: one line, markup shown as written
    assert any("acme UNLOCKED: everything [bold red]ok" in line for line in done.stdout.splitlines())
    # JSON carries it exactly (escaped)
    report = json.loads(runner.invoke(app, ["status", str(tmp_path), "--json"]).stdout)
    assert report["rows"][0]["tenant"] == data["source"]["tenant"]


def test_a_folder_without_specs_says_so(tmp_path):
    (tmp_path / "facts.yaml").write_text("version: 1\n")
    done = runner.invoke(app, ["status", str(tmp_path)])
    assert done.exit_code == 0 and done.stdout == "" and "no specs under" in done.stderr
    assert json.loads(runner.invoke(app, ["status", str(tmp_path), "--json"]).stdout)["rows"] == []
