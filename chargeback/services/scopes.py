"""Writes for cost scopes (admin-managed ARM scopes whose cost is ingested)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from chargeback.choices import AzureCloudName, CostType
from chargeback.models import CostScope, normalize_arm_scope, validate_arm_scope
from loom_portal import audit, authz

# --- Cost scopes ---------------------------------------------------------------------


def _clean_scope_fields(*, tenant, name, scope, cloud, cost_type, history_start, cost_scope=None):
    errors = {}
    name = (name or "").strip()
    scope = normalize_arm_scope(scope)
    if not name:
        errors["name"] = "A cost scope needs a name."
    try:
        validate_arm_scope(scope)
    except ValidationError as exc:
        errors["scope"] = exc.messages
    if cloud not in AzureCloudName.values:
        errors["cloud"] = f"Choose one of: {', '.join(AzureCloudName.values)}."
    if cost_type not in CostType.values:
        errors["cost_type"] = f"Choose one of: {', '.join(CostType.values)}."
    if not isinstance(history_start, dt.date):
        errors["history_start"] = "Enter the first day to ingest (YYYY-MM-DD)."
    if "scope" not in errors and "cost_type" not in errors:
        clash = CostScope.objects.filter(tenant=tenant, scope__iexact=scope, cost_type=cost_type)
        if cost_scope is not None:
            clash = clash.exclude(pk=cost_scope.pk)
        if clash.exists():
            errors["scope"] = f"{scope} is already ingested as {cost_type}."
    if cost_scope is not None and cost_type != cost_scope.cost_type and cost_scope.records.exists():
        errors["cost_type"] = "This scope already holds cost of another type; create a new scope instead."
    if errors:
        raise ValidationError(errors)
    return name, scope


@transaction.atomic
def cost_scope_create(
    *, actor, name: str, scope: str, history_start, cloud: str = AzureCloudName.AZURE_CLOUD,
    cost_type: str = CostType.ACTUAL, enabled: bool = True, tenant=None,
) -> CostScope:
    if not authz.can(actor, "chargeback.add_costscope"):
        raise PermissionError("Only platform owners configure cost scopes.")
    tenant = tenant if (tenant is not None and actor.is_superuser) else actor.tenant
    if tenant is None:
        raise ValidationError({"tenant": "Choose the tenant the cost scope belongs to."})
    name, scope = _clean_scope_fields(
        tenant=tenant, name=name, scope=scope, cloud=cloud, cost_type=cost_type, history_start=history_start
    )
    cost_scope = CostScope.objects.create(
        tenant=tenant, name=name, scope=scope, cloud=cloud, cost_type=cost_type, history_start=history_start,
        enabled=enabled,
    )
    audit.record(actor=actor, action="chargeback.cost_scope.created", target=cost_scope, data={"scope": scope})
    return cost_scope


@transaction.atomic
def cost_scope_update(
    *, actor, cost_scope: CostScope, name: str, scope: str, cloud: str, cost_type: str, history_start, enabled: bool
) -> CostScope:
    authz.require(actor, "chargeback.change_costscope", cost_scope)
    cost_scope = CostScope.objects.select_for_update().get(pk=cost_scope.pk)
    name, scope = _clean_scope_fields(
        tenant=cost_scope.tenant, name=name, scope=scope, cloud=cloud, cost_type=cost_type,
        history_start=history_start, cost_scope=cost_scope,
    )
    new = {
        "name": name, "scope": scope, "cloud": cloud, "cost_type": cost_type,
        "history_start": history_start, "enabled": enabled,
    }
    changes = {k: v for k, v in new.items() if getattr(cost_scope, k) != v}
    if changes:
        CostScope.objects.filter(pk=cost_scope.pk).update(**changes)
        cost_scope.refresh_from_db()
        audit.record(actor=actor, action="chargeback.cost_scope.updated", target=cost_scope, data={"changes": sorted(changes)})
    return cost_scope


@transaction.atomic
def cost_scope_delete(*, actor, cost_scope: CostScope) -> None:
    """Delete a scope and the cost ingested from it."""
    authz.require(actor, "chargeback.delete_costscope", cost_scope)
    audit.record(
        actor=actor, action="chargeback.cost_scope.deleted", target=cost_scope,
        data={"scope": cost_scope.scope, "records": cost_scope.records.count()},
    )
    cost_scope.delete()


