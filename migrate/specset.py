"""The specs one exit is about: a command's first argument names one spec, several, or a folder.

A tenant with several domains keeps one spec per domain, usually side by
side in one folder (with the facts file and the users export they share).
A folder stands for the specs directly in it: the `*.yaml`/`*.yml` files
whose top level has both `version` and `domain` (the facts file and others
are left alone). The set is one tenant's: two specs naming different
`source.tenant`s, or the same domain twice, are bad input, because one gate
decision is made for the set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from migrate import spec as spec_module
from migrate.errors import BadInput
from migrate.fleet import find
from migrate.names import domain_id
from migrate.spec import Spec

# Entra ID holds at most 5,000 managed domain names per tenant (its service limits);
# a set of more is a folder picked by mistake.
MAX_SPECS = 5000


@dataclass(frozen=True)
class SpecSet:
    specs: tuple[Spec, ...]  # in the order named; a folder's sorted by file name

    @property
    def tenant(self) -> str | None:
        """The tenant the specs share (`source.tenant`), when any names it."""
        return next((s.source.tenant for s in self.specs if s.source.tenant), None)

    @property
    def domains(self) -> list[str]:
        return [domain_id(s.domain) for s in self.specs]


def is_spec(path: Path) -> bool:
    """Whether a YAML file in a folder reads as a spec (`migrate status`'s test); an unreadable one counts."""
    try:
        return find.looks_like_spec(find.head(path))
    except OSError:
        # Named in the folder and unreadable: loading it says why, rather than the set silently lacking it.
        return True


def paths(named: Sequence[Path]) -> list[Path]:
    """The spec files `named` stands for: files as given, folders expanded; BadInput for nothing or too many."""
    found: list[Path] = []
    for path in named:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            specs = [p for p in inside if is_spec(p)]
            if not specs:
                raise BadInput(f"{path}: no spec in this folder (a YAML file with version and domain)")
            found.extend(specs)
        else:
            found.append(path)
        if len(found) > MAX_SPECS:
            raise BadInput(f"{path}: more than {MAX_SPECS} specs named; one exit is one tenant's domains")
    return found


def load(named: Sequence[Path]) -> SpecSet:
    """Every spec named, validated, as one tenant's set; BadInput names the first culprit."""
    specs = tuple(spec_module.load(path) for path in paths(named))
    seen: dict[str, Spec] = {}
    for spec in specs:
        domain = domain_id(spec.domain)
        if domain in seen:
            raise BadInput(f"{spec.path}: {domain} is also the domain of {seen[domain].path}")
        seen[domain] = spec
    tenants = {s.source.tenant for s in specs if s.source.tenant}
    if len(tenants) > 1:
        raise BadInput(f"{specs[0].path}: the specs name several tenants ({', '.join(sorted(tenants))}); one exit is one tenant's")
    return SpecSet(specs)
