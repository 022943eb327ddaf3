"""`migrate plan` as a user runs it: exit codes, JSON, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers.examples import EXAMPLE, ROOT


def migrate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def write_spec(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["dns"]["zone_file"] = str(EXAMPLE.parent / data["dns"]["zone_file"])
    mutate(data)
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_plan_json_carries_removals_additions_and_kept_records():
    result = migrate("plan", str(EXAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["domain"] == "nordlys-tekstil.dk."
    assert report["status"] == "ok"
    assert report["generated_at"].endswith("Z")
    removed = {(r["name"], r["type"]) for r in report["diff"]["removed"]}
    assert ("autodiscover.nordlys-tekstil.dk.", "CNAME") in removed
    assert ("selector1._domainkey.nordlys-tekstil.dk.", "CNAME") in removed
    added = {(r["name"], r["type"]) for r in report["diff"]["added"]}
    assert ("google._domainkey.nordlys-tekstil.dk.", "TXT") in added
    desired = {(r["name"], r["type"]) for r in report["desired"]}
    assert {("nordlys-tekstil.dk.", "CAA"), ("_sip._udp.nordlys-tekstil.dk.", "SRV"), ("www.nordlys-tekstil.dk.", "CNAME")} <= desired
    reasons = {r["name"]: r["reasons"] for r in report["microsoft365"]}
    assert reasons["autodiscover.nordlys-tekstil.dk."][0]["rule"] == "autodiscover.cname"


def test_plan_text_shows_the_three_sections():
    result = migrate("plan", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    for heading in ("Desired zone", "Changes against the current zone", "Lint"):
        assert heading in result.stdout
    assert "autodiscover" in result.stdout and "smtp.google.com" in result.stdout


def test_lint_errors_exit_1(tmp_path):
    spec = write_spec(tmp_path, lambda d: d["dns"]["records"].append({"name": "@", "type": "CNAME", "value": "web.example.net"}))
    result = migrate("plan", str(spec), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "lint-errors"
    assert "cname.apex" in {f["rule"] for f in report["lint"]}


def test_bad_spec_exits_2_with_one_line(tmp_path):
    spec = write_spec(tmp_path, lambda d: d["mail"].update(provider="hotmail"))
    result = migrate("plan", str(spec))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "mail.provider" in lines[0] and str(spec) in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_broken_zone_file_exits_2(tmp_path):
    zone = tmp_path / "broken.zone"
    zone.write_text("@ IN MX ten mx.example.net.\n")
    spec = write_spec(tmp_path, lambda d: d["dns"].update(zone_file=str(zone)))
    result = migrate("plan", str(spec))
    assert result.returncode == 2
    assert "broken.zone" in result.stderr and "Traceback" not in result.stderr


def test_missing_spec_exits_2(tmp_path):
    result = migrate("plan", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "spec file not found" in result.stderr


def test_plan_does_not_import_pulumi():
    probe = "import sys, migrate.cli; migrate.cli.plan; print('pulumi' in sys.modules, 'pulumi_cloudflare' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.strip() == "False False", result.stderr


def test_plan_over_a_folder_shows_each_domain_and_fails_when_one_has_a_lint_error(tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    write_spec(folder, lambda data: None).rename(folder / "nordlys.yaml")

    def broken(data):
        data["domain"] = "fjordbageriet.dk"
        data["dns"]["zone_file"] = None
        data["dns"]["records"] = [{"name": "@", "type": "CNAME", "value": "web.example.net"}]

    write_spec(folder, broken).rename(folder / "fjord.yaml")
    (folder / "users.yaml").write_text("- not: a spec\n")  # other YAML beside the specs is left alone

    result = migrate("plan", str(folder), "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "lint-errors" and report["summary"] == {"ok": 1, "lint-errors": 1}
    assert [(r["domain"], r["status"]) for r in report["reports"]] == [("fjordbageriet.dk.", "lint-errors"),
                                                                       ("nordlys-tekstil.dk.", "ok")]
    assert any(f["rule"] == "cname.apex" for f in report["reports"][0]["lint"])

    table = migrate("plan", str(folder))
    assert table.returncode == 1
    assert table.stdout.count("Desired zone for") == 2
    assert table.stdout.rstrip().splitlines()[-1] == "2 domains: 1 ok, 1 with lint errors"

    one = migrate("plan", str(folder / "nordlys.yaml"), "--json")
    assert one.returncode == 0 and json.loads(one.stdout)["domain"] == "nordlys-tekstil.dk."
