"""What `pulumi up` finds on a fresh clone: the project file, the program's dependencies,
and a stack settings example with nothing in it that fails to decrypt."""

from __future__ import annotations

import tomllib

import yaml
from packaging.requirements import Requirement

from tests.helpers.examples import ROOT, STACKS


def test_pulumi_makes_the_virtualenv_from_the_programs_requirements():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["main"] == "stacks/"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    # Pulumi's pip toolchain installs requirements.txt from the program's folder (`main`),
    # running pip there: a missing file installs nothing, silently.
    lines = [line.strip() for line in (STACKS / "requirements.txt").read_text().splitlines()]
    (wanted,) = [line for line in lines if line and not line.startswith("#")]
    assert wanted == "..[pulumi]" and (STACKS / "..").resolve() == ROOT  # this checkout, with its pulumi extra
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["pulumi"]
    assert {Requirement(r).name for r in extras} == {"pulumi", "pulumi-cloudflare"}


def test_the_stack_settings_example_holds_no_encrypted_placeholder():
    text = (ROOT / "Pulumi.example.yaml").read_text()
    settings = yaml.safe_load(text)

    def values(node):
        if isinstance(node, dict):
            assert "secure" not in node, node  # a value Pulumi would try, and fail, to decrypt
            for value in node.values():
                yield from values(value)
        else:
            yield node

    assert list(settings) == ["config"]
    assert all(key.split(":")[0] in ("m365-exit", "cloudflare") for key in settings["config"])
    assert all(value is not None for value in values(settings["config"]))
    assert (ROOT / settings["config"]["m365-exit:spec"]).exists()
    assert "pulumi config set --secret cloudflare:apiToken" in text
