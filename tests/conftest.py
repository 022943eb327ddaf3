"""Shared fixtures. Fixture modules that start real servers, and every helper the
test modules share, live in tests/helpers/ (a test module never imports another)."""

from __future__ import annotations

from pathlib import Path

import pytest

# Helpers assert too: rewrite them so a failure shows its values.
pytest.register_assert_rewrite("tests.helpers")

# Fixtures that start real servers (the DNS lab, the loopback Graph server, PostgreSQL,
# a loopback Cloudflare API) and the Pulumi mock runtime, shared by every test module.
pytest_plugins = [
    "tests.helpers.lab_fixture", "tests.helpers.graph_server", "tests.helpers.pulumi_mocks", "tests.helpers.cloudflare_api",
    "tests.helpers.postgres", "tests.helpers.state",
]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def example_spec_path() -> Path:
    return EXAMPLES / "migration.yaml"


@pytest.fixture(autouse=True)
def no_cloudflare_credentials(monkeypatch):
    # The Pulumi program lists the zone at Cloudflare when it finds credentials: a
    # developer's own must never send a test there (a test sets its loopback server's).
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"):
        monkeypatch.delenv(name, raising=False)
