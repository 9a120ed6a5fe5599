"""Celery tasks for chargeback: thin adapters that load by id and call a service."""

import datetime as dt

from celery import shared_task

from chargeback import services
from chargeback.models import CostScope
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
