"""What the lab cannot know and the rehearsal makes up, each labelled where it is shown.

The gate wants facts about the tenant (licences, the domain's removal) and
people's attestations (users saved their data; the subscription was
cancelled). Offline there is no tenant and nobody to ask, so the rehearsal
writes them itself, at the earliest moment each can count. The licences are
the user's own when the spec has a facts file: a tenant with too many of
them is a real finding, not something to simulate away.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from migrate.gate import facts as facts_module
from migrate.spec import Spec

BY = "migrate rehearse (simulated)"
_SUBSCRIPTION = {"product": "Microsoft 365 Business Standard (simulated)", "licences": 1, "status": "Enabled",
                 "partner": False, "trial": False, "product_key": False}


def subscriptions(user: Spec) -> tuple[list[dict], str]:
    """The subscriptions the gate's licences check reads, and where they come from (a label)."""
    if user.source.graph is None and user.gate.facts is not None:
        path = user.resolve_path(user.gate.facts)
        facts = facts_module.load(path)  # a broken facts file is bad input, as at the real gate
        if facts.subscriptions is not None:
            return [s.model_dump(exclude_none=True) for s in facts.subscriptions], f"licences from {path.name}"
    where = "Graph" if user.source.graph is not None else "no facts file"
    return [dict(_SUBSCRIPTION)], f"licences simulated ({where} offline): one subscription of one licence"


def facts_text(at: datetime, subs: list[dict]) -> str:
    """gate.facts as the admin writes it once the domain is removed from the tenant."""
    data = {"version": 1, "as_of": at.replace(microsecond=0).isoformat(), "recorded_by": BY, "subscriptions": subs,
            "domain_removed": True, "domain_references": []}
    return "# Simulated by `migrate rehearse`: no tenant was asked.\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_facts(path: Path, at: datetime, subs: list[dict]) -> None:
    path.write_text(facts_text(at, subs), encoding="utf-8")
