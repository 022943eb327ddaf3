"""The users export and template overrides are bounded: `migrate notify` refuses in one line, in bounded memory."""

from __future__ import annotations

import os

import pytest

from tests.helpers.measured import Finished, migrate, refused
from tests.helpers.notify import USERS_CSV, write_spec


def notify(spec, tmp_path, env: dict[str, str] | None = None) -> Finished:
    return migrate("notify", str(spec), "--wave", "announce", "--out", str(tmp_path / "outbox"), env=env)


def test_a_two_gigabyte_users_export_is_refused_unread(tmp_path):
    spec = write_spec(tmp_path, users=None)
    with (tmp_path / "users.csv").open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no real bytes written
    refused(notify(spec, tmp_path), "users.csv", "2,147,483,648 bytes", "M365_EXIT_MAX_USERS_BYTES")
    assert not (tmp_path / "outbox").exists()


def test_dev_zero_as_the_users_export_is_refused(tmp_path):
    spec = write_spec(tmp_path, users=None)
    (tmp_path / "users.csv").symlink_to("/dev/zero")
    refused(notify(spec, tmp_path), "users.csv", "character device")


@pytest.mark.timeout(60)
def test_a_fifo_as_the_users_export_is_refused_without_waiting_for_a_writer(tmp_path):
    spec = write_spec(tmp_path, users=None)
    os.mkfifo(tmp_path / "users.csv")
    refused(notify(spec, tmp_path), "users.csv", "FIFO")


def test_rows_past_the_bound_are_refused_and_the_bound_can_be_raised(tmp_path):
    spec = write_spec(tmp_path)  # six users
    refused(notify(spec, tmp_path, {"M365_EXIT_MAX_USERS": "5"}), "users.csv", "more than 5 rows", "M365_EXIT_MAX_USERS")
    assert notify(spec, tmp_path, {"M365_EXIT_MAX_USERS": "6"}).returncode == 0


def test_a_template_override_that_is_a_device_is_refused(tmp_path):
    spec = write_spec(tmp_path, users=USERS_CSV, notify={"templates": "custom"})
    for language in ("da", "en"):
        (tmp_path / "custom" / language).mkdir(parents=True)
        (tmp_path / "custom" / language / "announce.txt").symlink_to("/dev/zero")
    refused(notify(spec, tmp_path), "announce.txt", "template", "character device")


def test_a_template_override_over_the_bound_is_refused(tmp_path):
    spec = write_spec(tmp_path, users=USERS_CSV, notify={"templates": "custom"})
    for language in ("da", "en"):
        (tmp_path / "custom" / language).mkdir(parents=True)
        with (tmp_path / "custom" / language / "announce.html").open("wb") as handle:
            handle.truncate(1024**3)
    refused(notify(spec, tmp_path), "announce.html", "M365_EXIT_MAX_TEMPLATE_BYTES")
