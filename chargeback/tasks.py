"""Celery tasks for chargeback: thin adapters that load by id and call a service."""

import datetime as dt

from celery import shared_task

from chargeback import services
from chargeback.models import Budget, CostScope
from loom_portal.azure.errors import TransientAzureError


def _day(value):
    return dt.date.fromisoformat(value) if value else None


@shared_task(
    name="chargeback.costs_ingest",
    bind=True,
    acks_late=True,
    autoretry_for=(TransientAzureError,),
    retry_backoff=True,
    max_retries=5,
)
def costs_ingest(self, *, scope_id: int, date_from: str | None = None, date_to: str | None = None) -> dict:
    """Ingest one cost scope's window (default: trailing restated days to yesterday). Re-runs replace, never add."""
    scope = CostScope.objects.select_related("tenant").filter(pk=scope_id).first()
    if scope is None or not scope.enabled:
        return {"scope_id": scope_id, "skipped": "missing or disabled"}
    result = services.costs_ingest(scope=scope, date_from=_day(date_from), date_to=_day(date_to))
    return {
        "scope_id": scope_id,
        "from": result.date_from.isoformat(),
        "to": result.date_to.isoformat(),
        "records": result.records,
        "job_run": str(result.job_run_id),
    }


@shared_task(name="chargeback.costs_ingest_all", bind=True, acks_late=True)
def costs_ingest_all(self) -> int:
    """Enqueue costs_ingest for every enabled scope (the beat entry point)."""
    ids = list(CostScope.objects.filter(enabled=True).values_list("pk", flat=True))
    for pk in ids:
        costs_ingest.delay(scope_id=pk)
    return len(ids)


@shared_task(
    name="chargeback.budget_push",
    bind=True,
    acks_late=True,
    autoretry_for=(TransientAzureError,),
    retry_backoff=True,
    max_retries=5,
)
def budget_push(self, *, budget_id: int) -> dict:
    """Create or update one budget in Azure (eTag-checked); the outcome is recorded on the budget."""
    budget = Budget.objects.filter(pk=budget_id).first()
    if budget is None:
        return {"budget_id": budget_id, "skipped": "missing"}
    budget = services.budget_push(budget=budget)
    return {"budget_id": budget_id, "state": budget.push_state, "etag": budget.etag, "error": budget.last_push_error}


@shared_task(
    name="chargeback.budget_delete_remote",
    bind=True,
    acks_late=True,
    autoretry_for=(TransientAzureError,),
    retry_backoff=True,
    max_retries=5,
)
def budget_delete_remote(self, *, cost_scope_id: int, name: str) -> dict:
    """Delete a budget the portal no longer holds from Azure (a budget already gone is fine)."""
    scope = CostScope.objects.filter(pk=cost_scope_id).first()
    if scope is None:
        return {"cost_scope_id": cost_scope_id, "skipped": "missing"}
    from chargeback.services.budgets import budget_delete_remote as delete_remote

    return {"cost_scope_id": cost_scope_id, "name": name, "deleted": delete_remote(cost_scope=scope, name=name)}


@shared_task(
    name="chargeback.costs_import_focus",
    bind=True,
    acks_late=True,
    autoretry_for=(TransientAzureError,),
    retry_backoff=True,
    max_retries=5,
)
def costs_import_focus(
    self, *, scope_id: int, path: str | None = None, account_url: str | None = None, container: str | None = None,
    manifest_blob: str | None = None,
) -> dict:
    """Import one FOCUS export run into a scope, from a local ``path`` or from Blob Storage (``container`` +
    ``manifest_blob``, the run's manifest.json). Progress is recorded in a JobRun; re-runs replace, never add."""
    from chargeback.focus import blob, service

    scope = CostScope.objects.select_related("tenant").filter(pk=scope_id).first()
    if scope is None or not scope.enabled:
        return {"scope_id": scope_id, "skipped": "missing or disabled"}
    if path:
        result = service.focus_import(scope=scope, path=path)
    else:
        client = blob.container_client(account_url=account_url or "", container=container or "")
        result = service.focus_import_from_blob(scope=scope, container_client=client, manifest_blob=manifest_blob or "")
    return {
        "scope_id": scope_id,
        "from": result.date_from.isoformat(),
        "to": result.date_to.isoformat(),
        "rows": result.rows,
        "records": result.records,
        "job_run": str(result.job_run_id),
    }
