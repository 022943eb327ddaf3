"""The example migration as a rehearsal test runs it: copied, dated from today, and varied.

The example spec's dates are fixed (cutover 2027-01-15, data deadline 38
days later, cancellation 45 days later); a test that ran it as it is would
start failing on the day its notice period closed. So a copy keeps the
example's shape, cutover 46 days ahead at 07:00 Copenhagen time as on the
day it was written, and each variant changes one thing: its zone file
(tests/data/rehearse/), a record in the spec, or a date.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from tests.helpers.examples import EXAMPLE, EXAMPLES, ROOT

DATA = ROOT / "tests" / "data" / "rehearse"
TZ = ZoneInfo("Europe/Copenhagen")


def example_copy(folder: Path, *, cutover_in: int = 46, deadline_after: int = 38, cancel_after: int = 45,
                 zone: str | None = None, records: list[dict] = ()) -> Path:
    """The example spec and its files in `folder`: the cutover `cutover_in` days from today at 07:00,
    the data deadline and the cancellation that many days after the cutover's date; `zone` names a
    zone file in tests/data/rehearse/ to use instead of the example's; `records` join dns.records."""
    for name in ("users.csv", "facts.yaml"):
        shutil.copy(EXAMPLES / name, folder / name)
    (folder / "zones").mkdir()
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    zone_file = DATA / zone if zone else EXAMPLES / data["dns"]["zone_file"]
    shutil.copy(zone_file, folder / data["dns"]["zone_file"])
    day: date = datetime.now(TZ).date() + timedelta(days=cutover_in)
    data["cutover"] = datetime.combine(day, time(7, 0), tzinfo=TZ).isoformat()
    data["notify"]["data_deadline"] = day + timedelta(days=deadline_after)  # a date: the whole day
    data["notify"]["cancel_date"] = day + timedelta(days=cancel_after)
    data["dns"]["records"] = [*data["dns"].get("records", []), *records]
    path = folder / "migration.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def rehearse(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`migrate rehearse ...` as a user runs it."""
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "migrate", "rehearse", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
