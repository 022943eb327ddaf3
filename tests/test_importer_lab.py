"""`migrate import --from axfr` and `--from live` against real Knot servers in the lab."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from migrate import importer, plan, spec as spec_module
from migrate.endpoint import Endpoint
from migrate.errors import MigrateError
from migrate.zone import RRset, Zone

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "migration.yaml"


def old_world(lab_migration):
    spec = spec_module.load(EXAMPLE)
    world = lab_migration(spec.domain, plan.current_zone(spec), plan.build(spec).desired, ttl=3, clamp_ttl=3)
    return spec, world, world.content(world.old_key)


def test_axfr_snapshot_is_the_served_zone(lab_migration):
    spec, world, served = old_world(lab_migration)
    zone = importer.from_axfr(spec.domain, Endpoint(world.old_addresses[0], 53))
    assert zone == served
    assert zone.get("www.nordlys-tekstil.dk.", "CNAME").rdatas == {"nordlys-tekstil.dk."}


def test_live_snapshot_finds_every_record_of_the_example(lab_migration):
    spec, world, served = old_world(lab_migration)
    zone, problems = importer.from_live(spec.domain, [Endpoint(a, 53) for a in world.root_addresses])
    assert problems == []
    assert {r.key: r.rdatas for r in zone} == {r.key: r.rdatas for r in served}


def test_live_snapshot_lists_what_it_could_not_ask(lab_migration):
    spec, world, _ = old_world(lab_migration)
    # intranet.<domain> (a name the probe asks) is delegated to a server that never answers
    gap = f"intranet.{spec.domain}"
    world.mute("new2")
    content = world.content(world.old_key)
    content.put(RRset.build(gap, "NS", 3, [f"ns1.{gap}"]))
    content.put(RRset.build(f"ns1.{gap}", "A", 3, [world.address("new2")]))
    world.replace_zone(world.old_key, content)
    served = world.content(world.old_key)
    for server in world.old_servers[1:]:
        world.mute(server)
    zone, problems = importer.from_live(spec.domain, [Endpoint(a, 53) for a in world.root_addresses], timeout=0.5, retries=0)
    # The one answering server still gives the whole picture; the muted ones are never a silent gap.
    assert {r.key: r.rdatas for r in zone} == {r.key: r.rdatas for r in served if not r.name.endswith(gap)}
    # What no server answered is listed, question by question.
    assert problems == [f"{gap} {rdtype}: timeout" for rdtype in importer.HOST_TYPES]
    for server in world.old_servers:
        world.mute(server)
    with pytest.raises(MigrateError, match="no SOA"):
        importer.from_live(spec.domain, [Endpoint(a, 53) for a in world.root_addresses], timeout=0.3, retries=0)


def test_import_command_against_the_lab(lab_migration, tmp_path):
    spec, world, served = old_world(lab_migration)
    data = yaml.safe_load(EXAMPLE.read_text())
    data["dns"]["zone_file"] = None
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    out = tmp_path / "current.zone"
    result = subprocess.run(
        [sys.executable, "-m", "migrate", "import", str(path), "--from", "axfr", world.old_addresses[0], "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert Zone.from_file(out, spec.domain) == served
    refused = subprocess.run(
        [sys.executable, "-m", "migrate", "import", str(path), "--from", "axfr", "127.0.0.1:1"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert refused.returncode == 1 and "AXFR" in refused.stderr and "Traceback" not in refused.stderr
