"""`gate.facts`: what the gate cannot ask Graph, written down by the admin.

Used when the spec has no `source.graph` app registration. The admin reads
the numbers off the admin center (Billing > Your products) and writes:

    version: 1
    as_of: 2027-01-10T12:00:00+01:00     # when these were read (time zone required)
    recorded_by: Mette Jensen            # optional
    tenant_id: 5f1c3b7e-...              # optional, for the report
    subscriptions:
      - product: Microsoft 365 Business Standard
        id: 860697e3-b0aa-4196-a6c6-7ec361ed58f7   # optional
        licences: 18
        status: Enabled                  # Enabled | Warning | Suspended | LockedOut | Deleted
        partner: false                   # bought through a Microsoft partner (CSP)
        trial: false
        product_key: false               # activated with a product key
    domain_removed: false                # Settings > Domains no longer lists the domain
    domain_references: [anne@example.dk] # optional: what still uses it, for the report
    domains:                             # every domain Settings > Domains lists (the gate's tenant requirement)
      - example.onmicrosoft.com
      - example.dk

Unknown keys and wrong types fail with one line naming the file and the key (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from migrate import limits
from migrate.errors import BadInput
from migrate.spec import DomainName, Moment, yaml_data
from migrate.gate.evidence import DomainEvidence, LicenceEvidence, TenantDomain
from migrate.gate.tenant import MAX_DOMAINS
from migrate.graph.models import Reference, Subscription


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FactSubscription(_Strict):
    product: str = Field(min_length=1)
    id: str | None = None
    licences: int = Field(ge=0)
    status: Literal["Enabled", "Warning", "Suspended", "LockedOut", "Deleted"] = "Enabled"
    partner: bool = False
    trial: bool = False
    product_key: bool = False


class Facts(_Strict):
    version: Literal[1]
    as_of: Moment
    recorded_by: str | None = None
    tenant_id: str | None = None
    subscriptions: list[FactSubscription] | None = None
    domain_removed: bool | None = None
    domain_references: list[str] = []
    domains: list[DomainName] | None = Field(default=None, max_length=MAX_DOMAINS)

    @property
    def dated(self) -> str:
        return f"as of {self.as_of.isoformat()}"

    # -- as gate evidence -------------------------------------------------------

    def licences(self, path: Path) -> LicenceEvidence:
        if self.subscriptions is None:
            raise BadInput(f"{path}: subscriptions: required key is missing (the gate requires licences)")
        subs, keys = [], set()
        for index, item in enumerate(self.subscriptions):
            ident = item.id or f"facts-{index + 1}"
            subs.append(
                Subscription(
                    id=ident,
                    name=item.product,
                    sku_part_number=item.product,
                    total_licenses=item.licences,
                    status=item.status,
                    is_trial=item.trial,
                    # A partner subscription is marked by who owns it; the facts file only knows "a partner".
                    owner_tenant_id="partner" if item.partner else None,
                )
            )
            if item.product_key:
                keys.add(ident)
        return LicenceEvidence(
            subscriptions=tuple(subs),
            source=f"facts:{path} {self.dated}",
            own_tenant_id=self.tenant_id,
            product_keys=frozenset(keys),
        )

    def held(self) -> tuple[TenantDomain, ...] | None:
        """The domains the tenant holds, as `domains:` lists them (None without the key)."""
        if self.domains is None:
            return None
        return tuple(TenantDomain(name) for name in dict.fromkeys(d.rstrip(".") for d in self.domains))

    def domain(self, path: Path, domain: str) -> DomainEvidence:
        """`domain_removed`, or else whether `domains:` still lists the domain; the two must agree when both are given."""
        listed = None if self.domains is None else f"{domain}." in self.domains
        if self.domain_removed is None and listed is None:
            raise BadInput(f"{path}: domain_removed: required key is missing (the gate requires domain_removed; or list the tenant's domains)")
        if self.domain_removed is not None and listed is not None and self.domain_removed == listed:
            said = "removed" if self.domain_removed else "not removed"
            raise BadInput(f"{path}: domain_removed: says {domain} is {said}, but domains: {'lists' if listed else 'does not list'} it")
        exists = listed if self.domain_removed is None else not self.domain_removed
        refs = tuple(Reference(kind="object", id=r, name=r) for r in self.domain_references)
        return DomainEvidence(domain=domain, exists=exists, references=refs, source=f"facts:{path} {self.dated}")


def _where(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _problem(error: dict) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{_where(error['loc'])}: {message}"


def parse(data, path: Path) -> Facts:
    if not isinstance(data, dict):
        raise BadInput(f"{path}: the facts file must be a mapping (version, as_of, subscriptions, domain_removed)")
    try:
        return Facts.model_validate(data)
    except ValidationError as exc:
        raise BadInput(f"{path}: " + "; ".join(_problem(e) for e in exc.errors())) from None


def load(path: Path) -> Facts:
    try:
        text = limits.read_text(path, limits.FACTS_BYTES, "facts file")
    except FileNotFoundError:
        raise BadInput(f"{path}: facts file not found (gate.facts)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read the facts file ({exc})") from None
    return parse(yaml_data(text, Path(path)), Path(path))
