"""Size bounds on the spec, the zone file and the facts file: refused quickly, in one line, in bounded memory.

Each hostile input goes through the real `migrate` command, whose peak memory
is measured after it exits (tests/measured.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from migrate import limits
from migrate.errors import BadInput
from migrate.zone import Zone
from tests.helpers.measured import migrate, refused

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def spec_folder(folder: Path, **dns) -> Path:
    """The example migration copied into `folder`, with dns keys replaced; returns the spec path."""
    for name in ("zones", "users.csv", "facts.yaml"):
        source = EXAMPLES / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / name)
    data = yaml.safe_load((EXAMPLES / "migration.yaml").read_text())
    data["dns"].update(dns)
    path = folder / "migration.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def example_zone_with(folder: Path, extra: str) -> Path:
    path = folder / "big.zone"
    path.write_text((EXAMPLES / "zones" / "nordlys-tekstil.dk.zone").read_text() + extra)
    return path


# -- zone files ----------------------------------------------------------------------


def test_a_ten_million_record_generate_is_refused_before_it_is_expanded(tmp_path):
    zone = example_zone_with(tmp_path, "$GENERATE 1-10000000 host-$ A 192.0.2.1\n")
    result = migrate("plan", str(spec_folder(tmp_path, zone_file=str(zone))))
    refused(result, "big.zone", "$GENERATE", "10,000,000 records", "M365_EXIT_MAX_ZONE_RECORDS")


def test_generate_ranges_are_summed(tmp_path, monkeypatch):
    monkeypatch.setenv("M365_EXIT_MAX_ZONE_RECORDS", "100")
    text = "$ORIGIN example.dk.\n$TTL 300\n$GENERATE 1-60 a$ A 192.0.2.1\n$generate 0-118/2 b$ A 192.0.2.1\n"
    with pytest.raises(BadInput, match="make 120 records, over the bound of 100 records"):
        Zone.from_text(text, "example.dk", "z.zone")


def test_records_past_the_bound_are_refused_while_they_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("M365_EXIT_MAX_ZONE_RECORDS", "50")
    lines = "".join(f"host{i} A 192.0.2.{i % 250}\n" for i in range(60))
    text = f"$ORIGIN example.dk.\n$TTL 300\n{lines}"
    with pytest.raises(BadInput, match="z.zone: over the bound of 50 records; .* M365_EXIT_MAX_ZONE_RECORDS"):
        Zone.from_text(text, "example.dk", "z.zone")
    # The same record written twice is one record.
    assert len(Zone.from_text("$ORIGIN example.dk.\n$TTL 300\n" + "www A 192.0.2.1\n" * 200, "example.dk")) == 1
    monkeypatch.setenv("M365_EXIT_MAX_ZONE_RECORDS", "60")
    assert len(Zone.from_text(text, "example.dk", "z.zone")) == 60


def test_dev_zero_as_the_zone_file_is_refused(tmp_path):
    result = migrate("plan", str(spec_folder(tmp_path, zone_file="/dev/zero")))
    refused(result, "/dev/zero", "character device")


@pytest.mark.timeout(60)
def test_a_fifo_as_the_zone_file_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "current.zone"
    os.mkfifo(fifo)
    result = migrate("plan", str(spec_folder(tmp_path, zone_file=str(fifo))))
    refused(result, "current.zone", "FIFO")


def test_a_zone_file_over_the_byte_bound_is_refused_unread(tmp_path):
    zone = tmp_path / "huge.zone"
    with zone.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no real bytes written
    result = migrate("plan", str(spec_folder(tmp_path, zone_file=str(zone))))
    refused(result, "huge.zone", "2,147,483,648 bytes", "M365_EXIT_MAX_ZONE_BYTES")


def test_a_bound_is_raised_by_its_environment_variable(tmp_path):
    spec = spec_folder(tmp_path)
    refused(migrate("plan", str(spec), env={"M365_EXIT_MAX_ZONE_RECORDS": "5"}), "nordlys-tekstil.dk.zone", "5 records")
    assert migrate("plan", str(spec), env={"M365_EXIT_MAX_ZONE_RECORDS": "500"}).returncode == 0


def test_a_bound_that_is_not_a_number_is_bad_input(tmp_path):
    result = migrate("plan", str(spec_folder(tmp_path)), env={"M365_EXIT_MAX_ZONE_BYTES": "16M"})
    refused(result, "M365_EXIT_MAX_ZONE_BYTES='16M'", "whole number")


# -- the spec and the facts file -----------------------------------------------------


def test_dev_zero_as_the_spec_is_refused():
    refused(migrate("plan", "/dev/zero"), "/dev/zero", "character device")


@pytest.mark.timeout(60)
def test_a_fifo_as_the_spec_is_refused(tmp_path):
    os.mkfifo(tmp_path / "migration.yaml")
    refused(migrate("gate", str(tmp_path / "migration.yaml")), "FIFO")


def test_a_spec_over_the_byte_bound_is_refused_unread(tmp_path):
    spec = tmp_path / "migration.yaml"
    with spec.open("wb") as handle:
        handle.truncate(100 * 1024**2)
    refused(migrate("plan", str(spec)), "M365_EXIT_MAX_SPEC_BYTES")


def test_dev_zero_as_the_facts_file_is_refused(tmp_path):
    spec = spec_folder(tmp_path)
    (tmp_path / "facts.yaml").unlink()
    (tmp_path / "facts.yaml").symlink_to("/dev/zero")
    refused(migrate("gate", str(spec)), "facts.yaml", "character device")


def test_a_facts_file_over_the_byte_bound_is_refused_unread(tmp_path):
    spec = spec_folder(tmp_path)
    with (tmp_path / "facts.yaml").open("r+b") as handle:
        handle.truncate(1024**3)
    refused(migrate("gate", str(spec)), "facts.yaml", "M365_EXIT_MAX_FACTS_BYTES")


def test_a_file_is_never_read_past_the_bound_whatever_its_size_says(monkeypatch):
    # /proc files report a size of 0 and hold more: the bound holds while reading, too.
    monkeypatch.setenv("M365_EXIT_MAX_SPEC_BYTES", "16")
    with pytest.raises(BadInput, match="/proc/self/status: the spec file is over 16 bytes"):
        limits.read_bytes("/proc/self/status", limits.SPEC_BYTES, "spec file")


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(BadInput, match="is a folder"):
        limits.read_bytes(tmp_path, limits.FACTS_BYTES, "facts file")
