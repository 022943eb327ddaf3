"""`migrate verify` over several specs or a folder, end to end against a lab world of three domains."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from migrate import plan, spec as spec_module
from migrate.journal import Journal
from migrate.lab import tenant

KEYS = {"id", "status", "subject", "server", "expected", "observed", "detail", "eta"}
TTL = 300


def migrate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True, timeout=180)


def tenant_folder(tmp_path, lab_world):
    folder = tmp_path / "specs"
    folder.mkdir()
    specs = []
    for domain in tenant.numbered(3):
        path = folder / f"{domain}.yaml"
        path.write_text(yaml.safe_dump(tenant.spec_data(domain, TTL), sort_keys=False))
        specs.append(spec_module.load(path))
    (folder / "facts.yaml").write_text("version: 1\n")  # not a spec: left alone
    world = lab_world(tenant.world_spec(specs, TTL, name="cli-set"), timeout=60)
    flags = [*(f"--root-hint={a}" for a in world.root_addresses), *(f"--resolver={a}" for a in world.resolver_addresses),
             "--state", str(tmp_path / "state")]
    return folder, specs, world, flags


def test_a_folder_is_verified_as_one_set_each_domain_with_its_report_and_journal(tmp_path, lab_world):
    folder, specs, world, flags = tenant_folder(tmp_path, lab_world)

    first = migrate("verify", str(folder), "--json", *flags)
    assert first.returncode == 3, first.stderr  # every domain converging (its old TTLs unknown: a default hour)
    report = json.loads(first.stdout)
    assert report["status"] == "converging" and report["eta"] and report["generated_at"].endswith("Z")
    assert report["summary"] == {"verified": 0, "converging": 3, "failing": 0, "unknown": 0}
    assert [r["domain"] for r in report["reports"]] == [s.domain for s in specs]
    assert all(set(c) == KEYS for r in report["reports"] for c in r["checks"])
    assert report["queries"] == sum(r["queries"] for r in report["reports"]) and report["carried"] == 0
    assert "ETA" in first.stderr

    # at once again: the settled answers are reused, every check still reported, marked with when it was seen
    again = migrate("verify", str(folder), "--json", *flags)
    assert again.returncode == 3, again.stderr
    settled = json.loads(again.stdout)
    assert settled["queries"] <= report["queries"] / 5 and settled["carried"] > 0
    for before, after in zip(report["reports"], settled["reports"]):
        assert {(c["id"], c["subject"], c["server"], c["status"]) for c in before["checks"]} == \
            {(c["id"], c["subject"], c["server"], c["status"]) for c in after["checks"]}
        reused = [c for c in after["checks"] if "seen_at" in c]
        assert reused and all(c["age"] >= 0 and set(c) == KEYS | {"seen_at", "age"} for c in reused)
    with Journal.open(tmp_path / "state") as journal:
        assert [len(journal.rounds(s.domain)) for s in specs] == [2, 2, 2]

    # one domain broken at the new host: the set fails, exit 1, and the table says which
    broken = specs[1]
    served = plan.desired_zone(broken).copy()
    served.discard(broken.domain, "MX")
    world.replace_zone(broken.domain, served)
    table = migrate("verify", str(folder), *flags)
    assert table.returncode == 1, table.stderr
    lines = table.stdout.splitlines()
    assert any(line.startswith(f"{broken.domain.rstrip('.')}: FAILING") for line in lines)
    assert sum(1 for line in lines if line.startswith(f"{specs[0].domain.rstrip('.')}: CONVERGING")) == 1
    assert "record.missing" in table.stdout
    assert lines[-1].startswith("3 domains: FAILING (2 converging, 1 failing")


def test_one_spec_file_keeps_the_one_domain_report_and_several_files_make_a_set(tmp_path, lab_world):
    folder, specs, world, flags = tenant_folder(tmp_path, lab_world)
    one = migrate("verify", str(specs[0].path), "--json", *flags)
    assert one.returncode == 3, one.stderr
    single = json.loads(one.stdout)
    assert single["domain"] == specs[0].domain and "reports" not in single
    assert all(set(c) == KEYS for c in single["checks"])

    two = migrate("verify", str(specs[1].path), str(specs[2].path), "--json", "--fresh", *flags)
    assert two.returncode == 3, two.stderr
    assert [r["domain"] for r in json.loads(two.stdout)["reports"]] == [specs[1].domain, specs[2].domain]

    # --watch over a set, without a terminal: passes until the deadline, then the last pass and how it ended
    watched = migrate("verify", str(folder), "--watch", "--timeout", "3s", *flags)
    assert watched.returncode == 3, watched.stderr[-2000:]
    assert watched.stderr.strip().splitlines()[-1].startswith("timed out after 3s: last pass CONVERGING")
    assert "3 domains: CONVERGING" in watched.stderr


def test_a_set_with_a_domain_twice_is_bad_input(tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    for name in ("a.yaml", "b.yaml"):
        (folder / name).write_text(yaml.safe_dump(tenant.spec_data("fleet-0000.dk", TTL)))
    result = migrate("verify", str(folder), "--state", str(tmp_path / "state"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "fleet-0000.dk" in result.stderr
    assert "Traceback" not in result.stderr
