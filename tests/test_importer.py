"""`migrate import`: snapshots marked record by record, never overwriting by accident."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from migrate import importer, plan, spec as spec_module
from migrate.zone import Zone

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "migration.yaml"
ZONE = ROOT / "examples" / "zones" / "nordlys-tekstil.dk.zone"


def migrate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_snapshot_marks_every_record_and_parses_back(tmp_path):
    zone = importer.from_zonefile("nordlys-tekstil.dk.", ZONE)
    text = importer.snapshot_text(zone, "test")
    lines = [line for line in text.splitlines() if line and not line.startswith((";", "$"))]
    assert lines and all(line.endswith("; keep") or "; microsoft365: " in line for line in lines)
    marks = {line.split()[3] + " " + line.split(";")[0].split(None, 4)[4].strip(): line.rsplit(";", 1)[1].strip() for line in lines}
    assert marks['TXT "MS=ms48213906"'] == "microsoft365: verify.ms-txt"
    assert marks["SRV 10 60 5060 voip.telefoni-partner.dk."] == "keep"
    assert marks['TXT "v=spf1 include:spf.protection.outlook.com include:servers.mcsv.net -all"'] == "microsoft365: spf.include (rewritten without it)"
    assert Zone.from_text(text, "nordlys-tekstil.dk") == zone


def test_snapshot_is_a_usable_current_zone(tmp_path):
    out = tmp_path / "snapshot.zone"
    result = migrate("import", str(EXAMPLE), "--from", "zonefile", str(ZONE), "--out", str(out))
    assert result.returncode == 0, result.stderr
    spec = spec_module.load(EXAMPLE)
    assert plan.build(spec, Zone.from_file(out, spec.domain)).desired == plan.build(spec).desired


def test_existing_output_is_not_replaced_without_force(tmp_path):
    out = tmp_path / "snapshot.zone"
    out.write_text("precious\n")
    result = migrate("import", str(EXAMPLE), "--from", "zonefile", str(ZONE), "--out", str(out))
    assert result.returncode == 2 and "pass --force" in result.stderr
    assert out.read_text() == "precious\n"
    assert migrate("import", str(EXAMPLE), "--from", "zonefile", str(ZONE), "--out", str(out), "--force").returncode == 0
    assert "microsoft365" in out.read_text()


def test_bad_sources_exit_2(tmp_path):
    assert "expected zonefile FILE" in migrate("import", str(EXAMPLE), "--from", "carrier-pigeon").stderr
    missing = migrate("import", str(EXAMPLE), "--from", "axfr")
    assert missing.returncode == 2 and "needs a SERVER" in missing.stderr
    bad_server = migrate("import", str(EXAMPLE), "--from", "axfr", "ns1.example.net")
    assert bad_server.returncode == 2 and "axfr server" in bad_server.stderr
    broken = tmp_path / "broken.zone"
    broken.write_text("@ IN A 300.1.1.1\n")
    result = migrate("import", str(EXAMPLE), "--from", "zonefile", str(broken))
    assert result.returncode == 2 and "broken.zone" in result.stderr and "Traceback" not in result.stderr
