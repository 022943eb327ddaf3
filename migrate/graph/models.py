"""Graph JSON to typed records: pure functions, no I/O.

Shapes follow the Graph v1.0 reference (microsoft-graph-docs-contrib):
companySubscription (`/directory/subscriptions`), subscribedSku with
licenseUnitsDetail (`/subscribedSkus`), domain, and directoryObject for
`domainNameReferences`, whose documented example still uses the Azure AD
Graph spelling (`odata.type`, `objectType`, `objectId`), so both are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from migrate import names
from migrate.errors import BadInput

# A companySubscription in these states still bills or can be reactivated;
# `Deleted` is gone and has nothing left to cancel.
ACTIVE_STATES = ("Enabled", "Warning", "Suspended", "LockedOut")


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


@dataclass(frozen=True)
class Subscription:
    """One commercial subscription: the unit the admin center cancels."""

    id: str
    sku_part_number: str
    total_licenses: int
    status: str
    sku_id: str | None = None
    is_trial: bool = False
    owner_tenant_id: str | None = None
    commerce_subscription_id: str | None = None
    next_lifecycle: datetime | None = None
    name: str | None = None  # facts files may give the admin-center product name

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATES

    def is_partner(self, own_tenant_id: str | None) -> bool:
        """Created by a partner (CSP) tenant: the partner cancels it, not the admin center.

        Graph documents ownerTenantId as "the Microsoft partner tenant that created
        the subscription"; a value equal to our own tenant is not a partner.
        """
        owner = (self.owner_tenant_id or "").strip().lower()
        return bool(owner) and owner != (own_tenant_id or "").strip().lower()

    @property
    def label(self) -> str:
        return f"{self.name or self.sku_part_number} ({self.id})"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "sku_part_number": self.sku_part_number,
            "sku_id": self.sku_id,
            "total_licenses": self.total_licenses,
            "status": self.status,
            "is_trial": self.is_trial,
            "owner_tenant_id": self.owner_tenant_id,
            "commerce_subscription_id": self.commerce_subscription_id,
            "next_lifecycle": self.next_lifecycle.isoformat() if self.next_lifecycle else None,
            "name": self.name,
        }


@dataclass(frozen=True)
class Sku:
    """A subscribedSku: every subscription of one product, aggregated by Graph."""

    sku_id: str
    sku_part_number: str
    capability_status: str
    consumed_units: int
    prepaid_enabled: int
    prepaid_suspended: int = 0
    prepaid_warning: int = 0
    prepaid_locked_out: int = 0
    subscription_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "sku_id": self.sku_id,
            "sku_part_number": self.sku_part_number,
            "capability_status": self.capability_status,
            "consumed_units": self.consumed_units,
            "prepaid": {
                "enabled": self.prepaid_enabled,
                "suspended": self.prepaid_suspended,
                "warning": self.prepaid_warning,
                "lockedOut": self.prepaid_locked_out,
            },
            "subscription_ids": list(self.subscription_ids),
        }


@dataclass(frozen=True)
class Domain:
    """A domain of the tenant (`GET /domains`): what the gate's tenant requirement reasons about."""

    id: str
    is_verified: bool = False
    is_default: bool = False
    is_initial: bool = False  # the companyname.onmicrosoft.com domain Microsoft made; one per tenant
    supported_services: tuple[str, ...] = ()  # Email, OfficeCommunicationsOnline, Intune, ...
    authentication_type: str | None = None  # Managed or Federated


@dataclass(frozen=True)
class Reference:
    """A directory object that still uses the domain (user, group, application...)."""

    kind: str
    id: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "name": self.name}


def subscription(item: dict) -> Subscription:
    try:
        return Subscription(
            id=str(item["id"]),
            sku_part_number=str(item.get("skuPartNumber") or item.get("skuId") or "?"),
            sku_id=item.get("skuId"),
            total_licenses=_int(item["totalLicenses"]),
            status=str(item.get("status") or "Unknown"),
            is_trial=bool(item.get("isTrial", False)),
            owner_tenant_id=item.get("ownerTenantId") or None,
            commerce_subscription_id=item.get("commerceSubscriptionId"),
            next_lifecycle=_when(item.get("nextLifecycleDateTime")),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"companySubscription {item.get('id', '?')!r}: {exc}") from None


def sku(item: dict) -> Sku:
    try:
        prepaid = item.get("prepaidUnits") or {}
        return Sku(
            sku_id=str(item["skuId"]),
            sku_part_number=str(item.get("skuPartNumber") or item["skuId"]),
            capability_status=str(item.get("capabilityStatus") or "Unknown"),
            consumed_units=_int(item["consumedUnits"]),
            prepaid_enabled=_int(prepaid.get("enabled", 0)),
            prepaid_suspended=_int(prepaid.get("suspended", 0)),
            prepaid_warning=_int(prepaid.get("warning", 0)),
            prepaid_locked_out=_int(prepaid.get("lockedOut", 0)),
            subscription_ids=tuple(str(s) for s in item.get("subscriptionIds") or ()),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"subscribedSku {item.get('skuPartNumber', '?')!r}: {exc}") from None


def _flag(item: dict, key: str) -> bool:
    value = item.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"{key}: expected true or false, got {value!r}")
    return value


def domain(item: dict) -> Domain:
    """A domain as Graph describes it; ValueError when its name is not a domain name (it is shown and compared)."""
    if not isinstance(item, dict):
        raise ValueError("a domain is not a JSON object")
    ident = item.get("id")
    try:
        name = names.domain(ident).rstrip(".") if isinstance(ident, str) else None
    except BadInput:
        name = None
    if name is None:
        raise ValueError(f"domain {str(ident)[:100]!r}: id is not a domain name")
    services = item.get("supportedServices") or []
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise ValueError(f"domain {name}: supportedServices is not a list of strings")
    kind = item.get("authenticationType")
    return Domain(
        id=name,
        is_verified=_flag(item, "isVerified"),
        is_default=_flag(item, "isDefault"),
        is_initial=_flag(item, "isInitial"),
        supported_services=tuple(services),
        authentication_type=kind if isinstance(kind, str) else None,
    )


def reference(item: dict) -> Reference:
    kind = item.get("@odata.type") or item.get("odata.type") or item.get("objectType") or "directoryObject"
    # "#microsoft.graph.user" and "Microsoft.DirectoryServices.User" both become "user".
    kind = str(kind).rsplit(".", 1)[-1].lstrip("#").lower()
    ident = str(item.get("id") or item.get("objectId") or "?")
    name = (
        item.get("userPrincipalName")
        or item.get("mail")
        or item.get("displayName")
        or item.get("appId")
        or ident
    )
    return Reference(kind=kind, id=ident, name=str(name))
