"""A zone transfer and a live probe stop at the record bound, against real Knot servers in the lab."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate import importer, plan, spec as spec_module
from migrate.endpoint import Endpoint
from migrate.errors import BadInput

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "migration.yaml"


@pytest.fixture
def old_world(lab_migration):
    spec = spec_module.load(EXAMPLE)
    world = lab_migration(spec.domain, plan.current_zone(spec), plan.build(spec).desired, ttl=3, clamp_ttl=3)
    return spec, world


def test_a_transfer_past_the_record_bound_is_refused(old_world, monkeypatch):
    spec, world = old_world
    server = Endpoint(world.old_addresses[0], 53)
    monkeypatch.setenv("M365_EXIT_MAX_ZONE_RECORDS", "5")
    with pytest.raises(BadInput, match=f"AXFR of {spec.domain} from .*: over the bound of 5 records; .*M365_EXIT_MAX_ZONE_RECORDS"):
        importer.from_axfr(spec.domain, server)
    monkeypatch.setenv("M365_EXIT_MAX_ZONE_RECORDS", "500")
    assert len(importer.from_axfr(spec.domain, server)) > 5


def test_a_live_probe_past_the_record_bound_is_refused(old_world, monkeypatch):
    spec, world = old_world
    monkeypatch.setenv("M365_EXIT_MAX_ZONE_RECORDS", "5")
    with pytest.raises(BadInput, match=f"live probe of {spec.domain}: over the bound of 5 records"):
        importer.from_live(spec.domain, [Endpoint(a, 53) for a in world.root_addresses])
