"""Finding specs under a folder (`migrate.fleet.find`): recognised cheaply, bounded, never outside the folder."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from migrate.errors import BadInput
from migrate.fleet import find
from tests.helpers.unprivileged import run_as_nobody

SPEC = "version: 1\ndomain: example.dk\ncutover: 2027-01-15T07:00:00+01:00\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def found(folder: Path) -> list[str]:
    return [str(f.path.relative_to(folder)) for f in find.specs(folder)]


def test_a_spec_is_a_yaml_file_with_top_level_version_and_domain(tmp_path):
    write(tmp_path / "a" / "migration.yaml", SPEC)
    write(tmp_path / "b" / "exit.YML", "\ufeff# with a byte-order mark\r\n" + SPEC.replace("\n", "\r\n"))
    write(tmp_path / "a" / "facts.yaml", "version: 1\nas_of: 2027-01-10T12:00:00+01:00\n")
    write(tmp_path / "a" / "nested.yaml", "spec:\n  version: 1\n  domain: example.dk\n")
    write(tmp_path / "Pulumi.yaml", "name: m365-exit\nruntime: python\n")
    write(tmp_path / "a" / "migration.yaml.bak", SPEC)
    write(tmp_path / "c" / "broken.yaml", SPEC + "mail: [unclosed\n")  # recognised; loading it will say what is wrong
    assert found(tmp_path) == ["a/migration.yaml", "b/exit.YML", "c/broken.yaml"]


def test_hidden_folders_links_and_deep_folders_are_not_searched(tmp_path):
    write(tmp_path / ".migrate" / "migration.yaml", SPEC)
    write(tmp_path / ".git" / "x" / "migration.yaml", SPEC)
    outside = write(tmp_path.parent / f"{tmp_path.name}-outside" / "migration.yaml", SPEC)
    (tmp_path / "linked").symlink_to(outside.parent)
    (tmp_path / "linked.yaml").symlink_to(outside)
    deep = tmp_path.joinpath(*[f"d{i}" for i in range(find.MAX_DEPTH)])
    write(deep / "migration.yaml", SPEC)
    write(deep / "deeper" / "migration.yaml", SPEC)
    assert found(tmp_path) == [str((deep / "migration.yaml").relative_to(tmp_path))]


def test_a_folder_too_large_or_holding_too_many_specs_is_refused_with_the_bound(tmp_path, monkeypatch):
    for i in range(4):
        write(tmp_path / f"t{i}" / "migration.yaml", SPEC)
    monkeypatch.setenv("M365_EXIT_MAX_FLEET_SPECS", "3")
    with pytest.raises(BadInput, match="M365_EXIT_MAX_FLEET_SPECS"):
        find.specs(tmp_path)
    monkeypatch.setenv("M365_EXIT_MAX_FLEET_SPECS", "4")
    assert len(find.specs(tmp_path)) == 4
    monkeypatch.setenv("M365_EXIT_MAX_FLEET_ENTRIES", "5")
    with pytest.raises(BadInput, match=f"{tmp_path}: searching it for specs, over the bound of 5 folder entries"):
        find.specs(tmp_path)


def test_a_missing_folder_or_a_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="no such folder"):
        find.specs(tmp_path / "nowhere")
    with pytest.raises(BadInput, match="not a folder"):
        find.specs(write(tmp_path / "migration.yaml", SPEC))


def test_what_cannot_be_read_is_reported_not_skipped():
    """As an unprivileged user (root reads everything): a folder and a spec it may not open are rows of their own."""
    base = Path(tempfile.mkdtemp(prefix="m365-exit-fleet-"))
    try:
        base.chmod(0o755)
        write(base / "open" / "migration.yaml", SPEC)
        write(base / "closed" / "migration.yaml", SPEC)
        write(base / "sealed" / "migration.yaml", SPEC).chmod(0o600)
        for folder in ("open", "closed", "sealed"):
            (base / folder).chmod(0o755)
        (base / "closed").chmod(0o700)
        code = (
            "import json, pathlib\n"
            "from migrate.fleet import find\n"
            f"print(json.dumps([[str(f.path), f.problem] for f in find.specs(pathlib.Path({str(base)!r}))]))\n"
            "try:\n"
            f"    find.specs(pathlib.Path({str(base / 'closed')!r}))\n"
            "except Exception as error:\n"
            "    print(type(error).__name__, error)\n"
        )
        done = run_as_nobody(code, imports=("migrate.fleet.find",))
        assert done.returncode == 0, done.stderr
        listing, refusal = done.stdout.splitlines()
        # the folder asked for itself cannot be read: nothing to show, bad input
        assert refusal == f"BadInput {base / 'closed'}: cannot read the folder (Permission denied)"
        result = {os.path.relpath(path, base): problem for path, problem in json.loads(listing)}
        assert result == {
            "closed": "cannot read the folder (Permission denied): specs in it are not listed",
            "open/migration.yaml": None,
            "sealed/migration.yaml": "cannot read the file (Permission denied)",
        }
    finally:
        shutil.rmtree(base)
