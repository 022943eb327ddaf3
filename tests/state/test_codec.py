"""The codec: UTC text, canonical JSON and digests, as every store and report writes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from migrate import report
from migrate.state.codec import canonical_json, digest, utc_text, utc_time

CPH = timezone(timedelta(hours=1))
NOON_CPH = datetime(2027, 1, 15, 12, 0, 0, 250000, tzinfo=CPH)


def test_utc_text_is_the_utc_moment_with_its_offset_or_z():
    assert utc_text(NOON_CPH) == "2027-01-15T11:00:00.250000+00:00"
    assert utc_text(NOON_CPH, zulu=True) == "2027-01-15T11:00:00.250000Z"
    assert utc_text(None) is None


@pytest.mark.parametrize("moment", [NOON_CPH, datetime(2027, 1, 15, 7, tzinfo=timezone.utc), datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=CPH)])
def test_times_round_trip_as_the_same_moment_in_utc(moment):
    back = utc_time(utc_text(moment))
    assert back == moment and back.utcoffset() == timedelta(0)
    # what a store wrote reads back to the very same text (digests are recomputed from stored text)
    assert utc_text(utc_time(utc_text(moment))) == utc_text(moment)
    assert utc_time(utc_text(moment, zulu=True)) == moment
    assert utc_time(None) is None


def test_naive_times_are_refused_both_ways():
    naive = datetime(2027, 1, 15, 7)
    for encode in (utc_text, canonical_json, lambda m: report.dumps({"at": m})):
        with pytest.raises(ValueError, match="no time zone"):
            encode(naive)
    with pytest.raises(ValueError, match="no time zone"):
        utc_time("2027-01-15T07:00:00")


@dataclass(frozen=True)
class Evidence:
    at: datetime
    keys: frozenset[str]


def test_canonical_json_is_sorted_compact_utf8_with_utc_times_and_sorted_sets():
    value = {"b": {"z", "a"}, "a": "blåbær", "c": Evidence(NOON_CPH, frozenset({"k2", "k1"})), "d": (1, None)}
    assert canonical_json(value) == (
        '{"a":"blåbær","b":["a","z"],"c":{"at":"2027-01-15T11:00:00.250000+00:00","keys":["k1","k2"]},"d":[1,null]}'
    )
    reordered = {"d": [1, None], "c": Evidence(NOON_CPH.astimezone(timezone.utc), frozenset({"k1", "k2"})), "a": "blåbær", "b": {"a", "z"}}
    assert canonical_json(reordered) == canonical_json(value)


def test_canonical_json_refuses_what_it_cannot_write_one_way():
    with pytest.raises(TypeError, match="cannot serialise"):
        canonical_json({"x": object()})


def test_sets_encode_the_same_whatever_the_hash_seed():
    # str hashing is salted per process: a set's order must not reach a digest
    program = "from migrate.state.codec import canonical_json; print(canonical_json(frozenset(f'key{i}' for i in range(50))))"
    root = Path(__file__).resolve().parents[2]
    outputs = {
        subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=root,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


def test_digest_is_stable_across_versions_and_sensitive():
    rows = [canonical_json({"b": [1, 2], "a": "ø"}), "verdict:" + canonical_json({"status": "verified"})]
    # Pinned: the value the journal has always stored for these rows; existing journals verify against it.
    assert digest(rows) == "4a833e5b804971d29e9bfd449e21a8b35aae2a254f83964e0aa95a892de6454f"
    assert digest(list(rows)) == digest(rows)
    assert digest(reversed(rows)) != digest(rows)
    assert digest([rows[0], "verdict:" + canonical_json({"status": "failing"})]) != digest(rows)


def test_reports_keep_their_format_and_write_times_through_the_codec():
    data = {"generated_at": NOON_CPH, "tags": {"b", "a"}, "file": Path("state/journal.sqlite"), "name": "blåbær"}
    assert report.dumps(data) == (
        "{\n"
        '  "generated_at": "2027-01-15T11:00:00.250000Z",\n'
        '  "tags": [\n    "a",\n    "b"\n  ],\n'
        '  "file": "state/journal.sqlite",\n'
        '  "name": "blåbær"\n'
        "}\n"
    )
    assert json.loads(report.dumps(data))["generated_at"] == utc_text(NOON_CPH, zulu=True)
