"""`migrate status` over twenty specs in every phase, their states written by the real tools (issue 11, "Done when").

Two migrations go through the whole exit against real lab worlds (one with
its users told over SMTP, one without a notify section), copied into the
fleet after every step; beside them specs with no state, a spec that does
not validate, and a state whose journal was edited after verify wrote it.
"""

from __future__ import annotations

import json
import shutil
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.fleet import view
from migrate.lab import migration_world
from migrate.state.location import redact
from tests.helpers.fleet import bad_spec, day, lifecycle, spec_folder
from tests.helpers.postgres import ADMIN_PASSWORD
from tests.helpers.tamper import tamper

A, B = "nordlys.dk", "fjordbageri.dk"
PHASES = ("announced", "staged", "switched", "converging", "verified", "soaked", "unlocked", "cancelled")
runner = CliRunner()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The fleet folder and the moment the view is taken (the lifecycles' clocks ran ahead of real time)."""
    base = tmp_path_factory.mktemp("fleet")
    root = base / "tenants"
    root.mkdir()
    with ExitStack() as worlds:
        def start(*args, **kwargs):
            return worlds.enter_context(migration_world(*args, **kwargs))

        clock_a = lifecycle(start, base / "work-a", root, domain=A, tenant="nordlys", cutover=day(30), notify=True)
        clock_b = lifecycle(start, base / "work-b", root, domain=B, tenant="fjord", cutover=day(40), notify=False)
    spec_folder(root / "nordlys-planned", A, "nordlys", day(30), smtp_port=2525)
    spec_folder(root / "fjord-planned", B, "fjord", day(40))
    spec_folder(root / "late-planned", "sen.dk", "sen", day(-3), smtp_port=2525)  # the cutover passed unannounced
    bad_spec(root / "bad")
    broken = root / "nordlys-edited"
    shutil.copytree(root / "nordlys-verified", broken)
    tamper(broken / ".migrate" / "journal.sqlite", "UPDATE rounds SET status = 'verified' WHERE id = 1")
    # Files that are not specs: a facts file (version, no domain), a CI workflow, a nested state folder.
    (root / "nordlys-planned" / "facts.yaml").write_text("version: 1\nas_of: 2027-01-10T12:00:00+01:00\n")
    (root / "ci.yml").write_text("name: verify\non: push\n")
    return root, max(clock_a(), clock_b()) + timedelta(minutes=5)


def _by_folder(rows) -> dict[str, object]:
    return {Path(row.spec).parts[0]: row for row in rows}


def test_every_phase_is_read_from_what_the_tools_recorded(fleet):
    root, now = fleet
    rows = _by_folder(view.build(root, now=now).rows)
    assert len(rows) == 20
    phases = {name: row.phase for name, row in rows.items()}
    expected = {f"{tenant}-{phase}": phase for tenant in ("nordlys", "fjord") for phase in PHASES}
    expected.pop("fjord-announced")  # fjord tells no one: it has no notify section
    expected.update({"nordlys-planned": "planned", "fjord-planned": "planned", "late-planned": "planned", "bad": None,
                     "nordlys-edited": None})
    assert phases == expected
    assert rows["bad"].attention == "bad spec" and "surprise" in rows["bad"].problem
    edited = rows["nordlys-edited"]
    assert edited.attention == "broken state" and "journal.sqlite: verify rounds" in edited.problem
    assert edited.verify is None and edited.phase is None  # nothing from an altered journal is shown as true


def test_what_needs_attention_comes_first(fleet):
    root, now = fleet
    order = [Path(row.spec).parts[0] for row in view.build(root, now=now).rows]
    assert order == [
        # the spec and the state that cannot be trusted
        "bad", "nordlys-edited",
        # the parent delegates to the new host and a new server refuses the zone
        "nordlys-switched", "fjord-switched",
        # overdue, longest first: an announcement due 17 days ago; then soaks over with no gate run since
        "late-planned", "nordlys-converging", "nordlys-verified", "fjord-converging", "fjord-verified",
        # upcoming, nearest first: the announcement in 16 days, the reminder the day before each cutover,
        # fjord's cutover (its specs send nothing)
        "nordlys-planned",
        "nordlys-announced", "nordlys-cancelled", "nordlys-soaked", "nordlys-staged", "nordlys-unlocked",
        "fjord-planned", "fjord-staged",
        # nothing dated ahead
        "fjord-cancelled", "fjord-soaked", "fjord-unlocked",
    ]


def test_the_command_prints_the_same_rows_as_json_and_as_a_table(fleet):
    root, _ = fleet
    done = runner.invoke(app, ["status", str(root), "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["folder"] == str(root) and report["generated_at"].endswith("Z")
    rows = {Path(row["spec"]).parts[0]: row for row in report["rows"]}
    assert len(rows) == 20
    assert {name: row["phase"] for name, row in rows.items()} == {
        Path(row.spec).parts[0]: row.phase for row in view.build(root).rows}
    unlocked = rows["nordlys-unlocked"]
    assert unlocked["tenant"] == "nordlys" and unlocked["domain"] == A
    assert unlocked["verify"]["status"] == "verified" and unlocked["gate"]["status"] == "unlocked"
    assert rows["late-planned"]["next"] == {"what": "announce wave due", "at": rows["late-planned"]["next"]["at"], "overdue": True}
    assert rows["nordlys-switched"]["attention"] == "failing" and rows["nordlys-switched"]["verify"]["status"] == "failing"

    table = runner.invoke(app, ["status", str(root)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    first = {name: next(i for i, line in enumerate(lines) if f"{name}/migration.yaml" in line) for name in rows}
    assert sorted(first, key=first.get) == [Path(row["spec"]).parts[0] for row in report["rows"]]  # the same order
    assert "surprise: unknown" in table.stdout and "announce wave due (overdue)" in table.stdout


def test_reading_creates_no_state_for_specs_that_have_none(fleet):
    root, _ = fleet
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".migrate" not in p.parts)
    assert runner.invoke(app, ["status", str(root)]).exit_code == 0
    for planned in ("nordlys-planned", "fjord-planned", "late-planned", "bad"):
        assert not (root / planned / ".migrate").exists()
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".migrate" not in p.parts) == before


def test_a_shared_database_state_is_read_by_domain(fleet, tmp_path, postgres):
    """Rows keyed by domain in one PostgreSQL state: nordlys's evidence moved in by `migrate state copy`, fjord has none."""
    root, _ = fleet
    for args in (["state", "init", postgres.url], ["state", "copy", str(root / "nordlys-unlocked" / ".migrate"), postgres.url]):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    shared = tmp_path / "shared"
    for name in ("nordlys-unlocked", "fjord-planned"):
        shutil.copytree(root / name, shared / name, ignore=shutil.ignore_patterns(".migrate"))
    done = runner.invoke(app, ["status", str(shared), "--state", postgres.url, "--json"])
    assert done.exit_code == 0, done.output
    rows = {row["domain"]: row for row in json.loads(done.stdout)["rows"]}
    assert rows[A]["phase"] == "unlocked" and rows[A]["state"] == redact(postgres.url)
    assert rows[B]["phase"] == "planned" and rows[B]["verify"] is None
    assert ADMIN_PASSWORD not in done.stdout


def test_a_place_without_state_or_a_missing_folder_is_bad_input(tmp_path, postgres):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, culprit in ((["status", str(tmp_path / "nowhere")], "no such folder"),
                          (["status", str(empty), "--state", str(empty)], "holds no m365-exit state"),
                          (["status", str(empty), "--state", postgres.url], postgres.name)):
        done = runner.invoke(app, args)
        assert done.exit_code == 2, done.output
        assert culprit in done.stderr and "Traceback" not in done.output
    short = runner.invoke(app, ["status", str(empty)], env={"M365_EXIT_STATE_KEY": "short"})
    assert short.exit_code == 2 and "M365_EXIT_STATE_KEY is 5 characters long" in short.stderr
    assert list(empty.iterdir()) == []
