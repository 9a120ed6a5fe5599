"""Celery tasks for access: thin adapters that load by id and call a service (DESIGN.md §6).

``grant_apply`` and ``grant_unapply`` are idempotent in the service (a state guard under the grant's row lock),
so ``acks_late`` redelivery after a worker crash finishes the work exactly once.
"""

from celery import shared_task

from marketplace import facet_index, serving
from marketplace.listings import listing_sync  # noqa: F401 - registers "marketplace.listing_sync"
from marketplace.services import access, grants


@shared_task(
    name="marketplace.grant_apply", bind=True, acks_late=True,
    autoretry_for=(serving.ServingUnavailable,), retry_backoff=True, max_retries=5,
)
def grant_apply(self, *, grant_id: int) -> str:
    return grants.grant_apply(grant_id=grant_id).status


@shared_task(
    name="marketplace.grant_unapply", bind=True, acks_late=True,
    autoretry_for=(serving.ServingUnavailable,), retry_backoff=True, max_retries=8,
)
def grant_unapply(self, *, grant_id: int) -> bool:
    return not grants.grant_unapply(grant_id=grant_id).engine_applied


@shared_task(name="marketplace.grants_expire", bind=True, acks_late=True)
def grants_expire(self) -> int:
    return grants.grants_expire()


@shared_task(name="marketplace.grants_reconcile", bind=True, acks_late=True)
def grants_reconcile(self) -> dict:
    report = grants.grants_reconcile()
    return {"checked": report.checked, "repaired": report.repaired, "removed": report.removed,
            "errors": report.errors}


@shared_task(name="marketplace.grants_recertify", bind=True, acks_late=True)
def grants_recertify(self) -> dict:
    return grants.grants_recertify()


@shared_task(name="marketplace.access_requests_remind", bind=True, acks_late=True)
def access_requests_remind(self) -> int:
    return access.access_requests_remind()


@shared_task(name="marketplace.catalog_changes_prune", bind=True, acks_late=True)
def catalog_changes_prune(self) -> int:
    return facet_index.catalog_changes_prune()
