"""Where the checkout's example files are, found from this file (never from the working
directory), and the example spec with a zone file of a test's own."""

from __future__ import annotations

from pathlib import Path

import yaml

from migrate import spec as spec_module

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "migration.yaml"
EXAMPLE_ZONE = EXAMPLES / "zones" / "nordlys-tekstil.dk.zone"
EXAMPLE_FACTS = EXAMPLES / "facts.yaml"
EXAMPLE_USERS = EXAMPLES / "users.csv"
STACKS = ROOT / "stacks"


def spec_with_zone(tmp_path: Path, zone_text: str, mutate=None):
    """The example spec, loaded, with `zone_text` as its current zone (and `mutate` applied to its data)."""
    data = yaml.safe_load(EXAMPLE.read_text())
    (tmp_path / "current.zone").write_text(zone_text)
    data["dns"]["zone_file"] = "current.zone"
    if mutate:
        mutate(data)
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return spec_module.load(path)
