from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migrate import presets, spec as spec_module
from migrate.errors import BadInput

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "migration.yaml"


def test_the_documented_presets_exist():
    assert set(presets.ids()) == {
        "google-workspace", "fastmail", "proton", "zoho-com", "zoho-eu", "zoho-in", "zoho-com-au", "zoho-jp",
        "mailbox-org", "simply", "one-com", "custom",
    }


@pytest.mark.parametrize("preset", list(presets.PRESETS.values()), ids=lambda p: p.id)
def test_each_preset_is_complete(preset):
    assert preset.display_name and preset.sign_in_url.startswith("https://")
    assert preset.mx and all(0 <= prio <= 65535 for prio, _ in preset.mx)
    assert preset.spf_include
    assert preset.confidence in {"O", "S", "O/S", "O/S/?", "S/?"}


@pytest.mark.parametrize("preset", [p for p in presets.PRESETS.values() if p.needs], ids=lambda p: p.id)
def test_a_missing_tenant_value_is_a_clear_error(preset):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["mail"] = {"provider": preset.id}
    with pytest.raises(BadInput) as info:
        spec_module.parse(data, Path("migration.yaml"))
    needed = next(iter(preset.needs))
    assert f"mail.{needed}: {preset.id} needs" in str(info.value)


def test_one_com_mx_uses_the_domain():
    assert presets.PRESETS["one-com"].mx_records("example.dk.") == [(10, "example.dk.mx.one.com")]


def test_zoho_regions_do_not_mix():
    for region in ("com", "eu", "in", "com-au", "jp"):
        preset = presets.PRESETS[f"zoho-{region}"]
        suffix = region.replace("-", ".")
        assert all(host.endswith(f".zoho.{suffix}") for _, host in preset.mx)
        assert preset.spf_include == f"zoho.{suffix}"
