"""What the lab cannot know and the rehearsal makes up, each labelled where it is shown.

The gate wants facts about the tenant (licences, the domain's removal) and
people's attestations (users saved their data; the subscription was
cancelled). Offline there is no tenant and nobody to ask, so the rehearsal
writes them itself, at the earliest moment each can count. The licences are
the user's own when the spec has a facts file: a tenant with too many of
them is a real finding, not something to simulate away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from migrate import names
from migrate.gate import facts as facts_module
from migrate.spec import Spec

BY = "migrate rehearse (simulated)"
_SUBSCRIPTION = {"product": "Microsoft 365 Business Standard (simulated)", "licences": 1, "status": "Enabled",
                 "partner": False, "trial": False, "product_key": False}


@dataclass(frozen=True)
class Tenant:
    """The tenant the gate is shown once the domain is removed, and where each part comes from (labels)."""

    subscriptions: list[dict]
    domains: list[str]  # every domain it still holds: the user's own list, or the spec's tenant's initial one
    labels: list[str]


def tenant(user: Spec) -> Tenant:
    """The user's licences and domains where the facts file has them (too many licences, or a domain
    no spec covers, is a real finding), else made up and labelled so."""
    facts, path = None, None
    if user.gate.facts is not None:
        path = user.resolve_path(user.gate.facts)
        facts = facts_module.load(path)  # a broken facts file is bad input, as at the real gate
    if user.source.graph is None and facts is not None and facts.subscriptions is not None:
        subs = [s.model_dump(exclude_none=True) for s in facts.subscriptions]
        licences = f"licences from {path.name}"
    else:
        where = "Graph" if user.source.graph is not None else "no facts file"
        subs, licences = [dict(_SUBSCRIPTION)], f"licences simulated ({where} offline): one subscription of one licence"
    own = names.domain_id(user.domain)
    if facts is not None and facts.domains is not None:
        domains = [d.rstrip(".") for d in facts.domains if names.domain_id(d) != own]
        held = f"the tenant's other domains from {path.name}"
    else:
        domains = [f"{user.source.tenant}.onmicrosoft.com"] if user.source.tenant else []
        held = ("the tenant's domains simulated: none but this one (list them in the facts file's domains: "
                "to rehearse the gate's tenant requirement)")
    return Tenant(subs, domains, [licences, held])


def facts_text(at: datetime, held: Tenant) -> str:
    """gate.facts as the admin writes it once the domain is removed from the tenant."""
    data = {"version": 1, "as_of": at.replace(microsecond=0).isoformat(), "recorded_by": BY, "subscriptions": held.subscriptions,
            "domain_removed": True, "domains": held.domains, "domain_references": []}
    return "# Simulated by `migrate rehearse`: no tenant was asked.\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_facts(path: Path, at: datetime, held: Tenant) -> None:
    path.write_text(facts_text(at, held), encoding="utf-8")
