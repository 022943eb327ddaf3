"""Pulumi's mock runtime for tests: run stacks/__main__.py as the language host
runs it (runpy) with stack config, and record every resource it declares."""

from __future__ import annotations

import asyncio
import runpy
from pathlib import Path

import pulumi
import pytest

ROOT = Path(__file__).resolve().parents[2]


class Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: dict[str, dict] = {}
        self.calls: list[tuple[str, dict]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources[args.name] = {"resource_type": args.typ, **args.inputs}
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == "cloudflare:index/getZone:getZone":
            return {"zoneId": "zone-123", "id": "zone-123", "name": "nordlys-tekstil.dk", "nameServers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]}
        return {}


@pytest.fixture(scope="module")
def event_loop_for_pulumi():
    # Pulumi's mock runtime needs a current loop; one per module, never closed mid-run.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop


def run_program(config: dict, loop, mocks: Recorder | None = None) -> Recorder:
    """Run the program with `config`; `mocks` (a new Recorder by default) keeps what was declared, also when the program fails."""
    mocks = mocks or Recorder()
    pulumi.runtime.set_mocks(mocks, project="m365-exit", stack="test", preview=False)
    pulumi.runtime.set_all_config(config)

    @pulumi.runtime.test
    def program():
        runpy.run_path(str(ROOT / "stacks" / "__main__.py"), run_name="__main__")

    program()
    return mocks
