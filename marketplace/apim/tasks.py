"""Celery tasks for API Management publishing: thin adapters that load by id and call a service."""

from celery import shared_task

from loom_portal.azure.errors import TransientAzureError
from marketplace.apim import services
from marketplace.models import Grant

_RETRYING = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (TransientAzureError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(name="marketplace.apim_publication_sync", **_RETRYING)
def apim_publication_sync(self, *, publication_id: int) -> dict:
    """Push one publication to APIM (or remove it when it is being unpublished)."""
    publication = services.apim_publication_sync(publication_id=publication_id)
    if publication is None:
        return {"publication_id": publication_id, "skipped": "missing"}
    return {"publication_id": publication_id, "state": publication.state, "error": publication.last_error}


@shared_task(name="marketplace.api_subscription_sync", **_RETRYING)
def api_subscription_sync(self, *, grant_id: int) -> dict:
    """Create, activate or suspend the APIM subscription of one grant."""
    grant = Grant.objects.filter(pk=grant_id).first()
    if grant is None:
        return {"grant_id": grant_id, "skipped": "missing"}
    subscription = services.api_subscription_sync(grant=grant)
    return {"grant_id": grant_id, "state": subscription.state if subscription else None}


@shared_task(name="marketplace.apim_reconcile", bind=True, acks_late=True)
def apim_reconcile(self) -> dict:
    """Repair drift between the portal and APIM (the beat entry point)."""
    return services.apim_reconcile()
