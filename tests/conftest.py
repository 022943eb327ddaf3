"""Shared fixtures. Fixture modules that start real servers live beside this file."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def example_spec_path() -> Path:
    return EXAMPLES / "migration.yaml"
