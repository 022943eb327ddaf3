"""Absurd values (infinite or ten-thousand-year durations, dates in year 1 or 9999) are bad input naming the key.

They used to pass validation and end later with "unexpected OverflowError",
exit 1, when a duration or a notice period was added to a date.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from migrate import spec as spec_module
from migrate.errors import BadInput
from migrate.gate import facts as facts_module
from tests.helpers.measured import migrate, refused

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example() -> dict:
    return yaml.safe_load((EXAMPLES / "migration.yaml").read_text())


def with_value(data: dict, key: str, value) -> None:
    *path, last = key.split(".")
    for part in path:
        data = data.setdefault(part, {})
    data[last] = value


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cutover", "0001-01-01T00:00:00+01:00"),
        ("cutover", "9999-12-31T23:59:59-01:00"),
        ("gate.min_soak", float("inf")),
        ("gate.min_soak", float("nan")),
        ("gate.min_soak", "99999999d"),
        ("gate.min_soak", 10**400),
        ("gate.max_age", 1e300),
        ("verify.timeout", "9" * 40),
        ("verify.interval", "100000w"),
        ("gate.notice_days", 10**9),
        ("notify.announce_days", 1_000_000),
        ("notify.reminder_days", 10**9),
        ("notify.deadline_notice_days", 10**9),
        ("notify.data_deadline", "0001-01-01"),
        ("notify.cancel_date", "9999-12-31"),
        ("notify.smtp.timeout", float("inf")),
        ("notify.smtp.retry_delay", "99999999d"),
        ("notify.smtp.retries", 10**6),
    ],
)
def test_an_absurd_value_in_the_spec_is_bad_input_naming_its_key(key, value):
    data = example()
    with_value(data, key, value)
    with pytest.raises(BadInput, match=rf"migration.yaml: {key.replace('.', '[.]')}: "):
        spec_module.parse(data, Path("migration.yaml"))


def test_retries_whose_doubling_waits_add_up_to_years_are_bad_input():
    data = example()
    with_value(data, "notify.smtp.retries", 30)
    with pytest.raises(BadInput, match=r"notify[.]smtp[.]retries: 30 retries from a retry_delay of 30s wait longer than ten years"):
        spec_module.parse(data, Path("migration.yaml"))
    with_value(data, "notify.smtp.retry_delay", 0)
    assert spec_module.parse(data, Path("migration.yaml")).notify.smtp.retries == 30


@pytest.mark.parametrize("value", ["2000-01-01T00:00:00+00:00", "2999-12-31T23:59:59-12:00"])
def test_the_edges_of_the_plausible_years_are_accepted(value):
    data = example()
    data["cutover"] = value
    with_value(data, "gate.min_soak", "3660d")
    spec = spec_module.parse(data, Path("migration.yaml"))
    assert spec.cutover + spec.gate.min_soak > spec.cutover


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_absurd_as_of_in_the_facts_is_bad_input_naming_the_key(value):
    data = yaml.safe_load((EXAMPLES / "facts.yaml").read_text())
    data["as_of"] = value
    with pytest.raises(BadInput, match="facts.yaml: as_of: .* is not in the years 2000 to 2999"):
        facts_module.parse(data, Path("facts.yaml"))


# -- through the command line, where the OverflowError was seen ----------------------


def copy_example(folder: Path, spec_key: str | None = None, value=None, facts_as_of: str | None = None) -> Path:
    for name in ("zones", "users.csv"):
        source = EXAMPLES / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / name)
    data = example()
    if spec_key:
        with_value(data, spec_key, value)
    facts = yaml.safe_load((EXAMPLES / "facts.yaml").read_text())
    if facts_as_of:
        facts["as_of"] = facts_as_of
    (folder / "facts.yaml").write_text(yaml.safe_dump(facts, sort_keys=False))
    path = folder / "migration.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def test_min_soak_infinity_is_bad_input_for_the_gate(tmp_path):
    refused(migrate("gate", str(copy_example(tmp_path, "gate.min_soak", float("inf")))), "gate.min_soak")


def test_a_cutover_in_year_one_is_bad_input_for_notify(tmp_path):
    spec = copy_example(tmp_path, "cutover", "0001-01-01T00:00:00+01:00")
    refused(migrate("notify", str(spec), "--wave", "announce", "--out", str(tmp_path / "out")), "cutover", "years 2000 to 2999")


def test_an_as_of_in_year_one_is_bad_input_for_the_gate(tmp_path):
    refused(migrate("gate", str(copy_example(tmp_path, facts_as_of="0001-01-01T00:00:00+01:00"))), "facts.yaml", "as_of")
