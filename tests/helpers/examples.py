"""Where the checkout's example files are, found from this file (never from the working directory)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "migration.yaml"
EXAMPLE_ZONE = EXAMPLES / "zones" / "nordlys-tekstil.dk.zone"
EXAMPLE_FACTS = EXAMPLES / "facts.yaml"
EXAMPLE_USERS = EXAMPLES / "users.csv"
STACKS = ROOT / "stacks"
