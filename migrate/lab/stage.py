"""Apply the desired zone through the Pulumi RFC 2136 provider, without the Pulumi CLI.

The provider class in stacks/rfc2136_stack.py is what `pulumi up` runs for
`dns.host: rfc2136`: its check() validates and normalises one RRset's
inputs, its create() sends one TSIG-signed UPDATE. Calling them directly here
exercises the same code on the same inputs (`resource_inputs`), minus the
engine's state file. stacks/ is not a package, so it is put on sys.path only
here, and pulumi is imported only when a lab run (the demo, a rehearsal)
stages a zone. `check_served` reads the result back from every server of the
new host.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from migrate import plan as planner
from migrate.errors import EnvironmentProblem, MigrateError

STACKS = Path(__file__).resolve().parents[2] / "stacks"


def stacks_module(name: str):
    """A module of the Pulumi program in stacks/ (`rfc2136_stack`, `cloudflare_records`), imported from the checkout."""
    if not (STACKS / f"{name}.py").is_file():
        raise EnvironmentProblem(f"the lab uses {STACKS}/{name}.py: run it from the repository checkout")
    if str(STACKS) not in sys.path:
        sys.path.insert(0, str(STACKS))
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise EnvironmentProblem(f"{name} needs pulumi ({exc}): pip install -e '.[test]' (make demo does)") from None


def apply(spec, desired, progress: Callable[[str, dict], None] | None = None,
          refused: Callable[[dict, str], None] | None = None) -> int:
    """Create every RRset resource of the desired zone at the spec's RFC 2136 server; returns the count created.

    A resource the provider refuses (its check, or the server's answer to the
    UPDATE) raises MigrateError; with `refused`, it hears the resource's inputs
    and why, and the others are still created.
    """
    stack = stacks_module("rfc2136_stack")
    provider = stack.Rfc2136Provider()
    count = 0
    for logical, inputs in stack.resource_inputs(spec, desired):
        try:
            checked = provider.check({}, inputs)
            if checked.failures:
                failure = checked.failures[0]
                raise MigrateError(f"{logical}: {failure.property}: {failure.reason}")
            provider.create(checked.inputs)
        except MigrateError as exc:
            if refused is None:
                raise
            refused(inputs, str(exc))
            continue
        count += 1
        if progress:
            progress(logical, checked.inputs)
    return count


def check_served(world, desired) -> None:
    """Every server of the new host serves exactly `desired` (read back by AXFR once they are in sync)."""
    world.wait_synced(world.new_key)
    for server in world.new_servers:
        differences = planner.diff(world.served(world.new_key, server), desired)
        if len(differences):
            first = [*(f"{r.name} {r.rdtype} missing" for r in differences.added),
                     *(f"{r.name} {r.rdtype} not desired" for r in differences.removed),
                     *(f"{o.name} {o.rdtype} {o.ttl} {o.values()} instead of {n.ttl} {n.values()}" for o, n in differences.changed)][0]
            raise MigrateError(f"apply: {server} does not serve the desired zone ({len(differences)} differences, e.g. {first})")
