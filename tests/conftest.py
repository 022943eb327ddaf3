"""Shared fixtures. Fixture modules that start real servers live beside this file."""

from __future__ import annotations

from pathlib import Path

import pytest

# Fixtures that start real servers (the DNS lab, the loopback Graph server) and
# the Pulumi mock runtime, shared by every test module.
pytest_plugins = ["tests.lab_fixture", "tests.graph_server", "tests.pulumi_mocks"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def example_spec_path() -> Path:
    return EXAMPLES / "migration.yaml"
