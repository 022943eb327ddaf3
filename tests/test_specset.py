"""A set of specs: one spec, several, or a folder; one tenant's, each domain once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migrate import specset
from migrate.errors import BadInput

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _spec(folder: Path, name: str, domain: str, tenant: str | None = "nordlys") -> Path:
    data = yaml.safe_load((EXAMPLES / "migration.yaml").read_text())
    data["domain"] = domain
    data["source"]["tenant"] = tenant
    for key, value in list(data.items()):
        if key == "dns":
            value["zone_file"] = str(EXAMPLES / value["zone_file"])
        if key == "notify":
            value["recipients"] = str(EXAMPLES / value["recipients"])
        if key == "gate" and "facts" in value:
            value["facts"] = str(EXAMPLES / value["facts"])
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_a_folder_is_its_specs_sorted_and_not_its_other_yaml(tmp_path):
    _spec(tmp_path, "b.yaml", "firma.com")
    _spec(tmp_path, "a.yml", "firma.dk")
    (tmp_path / "facts.yaml").write_text("licences: 3\ndomains: [firma.dk]\n")
    (tmp_path / "notes.txt").write_text("version: 1\ndomain: x.dk\n")
    found = specset.load([tmp_path])
    assert found.domains == ["firma.dk", "firma.com"]
    assert found.tenant == "nordlys"


def test_paths_as_named_keep_their_order(tmp_path):
    first = _spec(tmp_path, "one.yaml", "firma.dk")
    second = _spec(tmp_path, "two.yaml", "firma.com")
    assert specset.load([second, first]).domains == ["firma.com", "firma.dk"]


def test_a_broken_yaml_in_the_folder_is_named_not_skipped(tmp_path):
    _spec(tmp_path, "a.yaml", "firma.dk")
    (tmp_path / "b.yaml").write_text("version: 1\ndomain: [firma.com\n")
    with pytest.raises(BadInput, match="b.yaml: not valid YAML"):
        specset.load([tmp_path])


@pytest.mark.parametrize("second, culprit", [
    (("b.yaml", "FIRMA.dk."), "firma.dk is also the domain of"),
    (("b.yaml", "firma.com", "other"), "several tenants"),
])
def test_one_tenant_each_domain_once(tmp_path, second, culprit):
    _spec(tmp_path, "a.yaml", "firma.dk")
    _spec(tmp_path, *second)
    with pytest.raises(BadInput, match=culprit):
        specset.load([tmp_path])


def test_a_folder_without_specs_is_bad_input(tmp_path):
    (tmp_path / "facts.yaml").write_text("licences: 3\n")
    with pytest.raises(BadInput, match="no spec in this folder"):
        specset.load([tmp_path])
