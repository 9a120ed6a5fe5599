"""The APIM inventory: every API and product of the configured instance, read live and read-only.

APIs published by other teams (Function apps, AI endpoints...) are listed too. Entities the portal
manages for *another* tenant (their ids start with that tenant's ``loom-t{id}-`` prefix) are left
out, so one shared APIM instance does not leak other tenants' product names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from azure.core.exceptions import AzureError
from django.core.exceptions import ValidationError

from loom_portal import authz
from loom_portal.azure.errors import as_transient, is_transient
from marketplace.apim.services import _Apim, apim_configured, managed_prefix

_MANAGED = re.compile(r"^loom-t(\d+)-", re.IGNORECASE)


@dataclass
class InventoryProduct:
    name: str
    display_name: str
    state: str
    subscription_required: bool
    api_names: list[str] = field(default_factory=list)
    subscriptions: int = 0
    active_subscriptions: int = 0


@dataclass
class InventoryApi:
    name: str
    display_name: str
    path: str
    api_type: str
    service_url: str
    managed_by_portal: bool
    products: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    apis: list[InventoryApi]
    products: list[InventoryProduct]


def _hidden_from(actor, name: str) -> bool:
    match = _MANAGED.match(name or "")
    return bool(match) and not actor.is_superuser and match.group(0).lower() != managed_prefix(actor.tenant_id).lower()


def apim_inventory(*, actor) -> Inventory:
    """All APIs and products of the configured APIM instance, with their products and subscription counts."""
    authz.require(actor, "marketplace.view_apim_inventory")
    if not apim_configured():
        raise ValidationError("API Management is not configured for this deployment.")
    apim = _Apim.connect()
    client = apim.client
    try:
        products = []
        for p in client.product.list_by_service(apim.rg, apim.svc):
            if _hidden_from(actor, p.name):
                continue
            item = InventoryProduct(p.name, p.display_name or p.name, p.state or "", bool(p.subscription_required))
            item.api_names = [a.name for a in client.product_api.list_by_product(apim.rg, apim.svc, p.name)]
            for s in client.product_subscriptions.list(apim.rg, apim.svc, p.name):
                item.subscriptions += 1
                item.active_subscriptions += s.state == "active"
            products.append(item)
        apis = []
        for a in client.api.list_by_service(apim.rg, apim.svc):
            if _hidden_from(actor, a.name):
                continue
            apis.append(InventoryApi(
                a.name, a.display_name or a.name, a.path or "", a.api_type or "http", a.service_url or "",
                bool(_MANAGED.match(a.name or "")),
                sorted(p.display_name for p in products if a.name in p.api_names),
            ))
    except AzureError as exc:
        if is_transient(exc):
            raise as_transient(exc) from exc
        raise
    return Inventory(apis=apis, products=products)
