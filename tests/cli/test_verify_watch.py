"""`migrate verify --watch --timeout` against a world that never converges."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers.verify_lab import DOMAIN, TTL, load, write_spec


def test_watch_with_a_timeout_stops_on_a_world_that_never_answers(tmp_path, lab_migration):
    path = write_spec(tmp_path)
    spec, current, desired = load(path)
    world = lab_migration(DOMAIN, current, desired, ttl=TTL)
    world.move_delegation()
    for name in world.new_servers:
        world.mute(name)
    flags = [*(f"--root-hint={a}" for a in world.root_addresses), *(f"--resolver={a}" for a in world.resolver_addresses),
             "--state", str(tmp_path / "state")]
    try:
        # A round here takes about 10 s (every question to the new host times out); a hang
        # would trip subprocess's own timeout (an exception, so the test fails).
        result = subprocess.run([sys.executable, "-m", "migrate", "verify", str(path), "--watch", "--timeout", "25s", "--json", *flags],
                                capture_output=True, text=True, timeout=90)
    finally:
        for name in world.new_servers:
            world.unmute(name)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("timed out after 25s: last round UNKNOWN")
    report = json.loads(result.stdout)
    # nothing the new servers serve could be looked up: unknown (exit 1), never "failing" for
    # what was not seen, and never verified
    assert report["status"] == "unknown", [(c["id"], c["status"]) for c in report["checks"] if c["status"] != "pass"]
    assert not [c for c in report["checks"] if c["status"] == "fail"]
