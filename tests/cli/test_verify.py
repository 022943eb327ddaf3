"""`migrate verify` end to end: the JSON report, the exit codes, --watch, against a lab world."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers.verify_lab import DOMAIN, TTL, load, write_spec

KEYS = {"id", "status", "subject", "server", "expected", "observed", "detail", "eta"}


def migrate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True, timeout=120)


def test_verify_reports_json_and_exit_codes_round_by_round(tmp_path, lab_migration):
    path = write_spec(tmp_path)
    spec, current, desired = load(path)
    world = lab_migration(DOMAIN, current, desired, ttl=TTL)
    flags = [*(f"--root-hint={a}" for a in world.root_addresses), *(f"--resolver={a}" for a in world.resolver_addresses),
             "--state", str(tmp_path / "state")]

    failing = migrate("verify", str(path), "--json", *flags)
    assert failing.returncode == 1, failing.stderr
    report = json.loads(failing.stdout)
    assert report["domain"] == DOMAIN and report["status"] == "failing"
    assert report["generated_at"].endswith("Z")
    assert all(set(c) == KEYS for c in report["checks"])
    assert all(c["status"] in {"pass", "fail", "pending", "unknown"} for c in report["checks"])
    assert report["checks"][0]["status"] == "fail"  # problems first
    assert any(c["id"] == "delegation.parent-ns" and c["status"] == "fail" for c in report["checks"])

    world.move_delegation()
    converging = migrate("verify", str(path), "--json", *flags)
    assert converging.returncode == 3, converging.stderr
    report = json.loads(converging.stdout)
    assert report["status"] == "converging" and report["eta"]
    assert "ETA" in converging.stderr

    # --watch repeats rounds until verified (TTLs of 2 s: a few rounds)
    watched = migrate("verify", str(path), "--watch", "--timeout", "60s", *flags)
    assert watched.returncode == 0, watched.stderr[-2000:]
    assert "VERIFIED" in watched.stderr

    table = migrate("verify", str(path), *flags)
    assert table.returncode == 0 and "VERIFIED" in table.stdout


def test_bad_input_exits_2_with_one_line(tmp_path):
    path = write_spec(tmp_path)
    for args in (["--resolver", "not-an-ip"], ["--root-hint", "1.2.3.4:99999"], ["--timeout", "soon"]):
        result = migrate("verify", str(path), *args, "--state", str(tmp_path / "s"))
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    missing = migrate("verify", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
