"""The Cosmos DB mirror of the catalog: one listing document per published product for the Loom Console.

When ``COSMOS_ENDPOINT`` and ``COSMOS_DATABASE`` are set (with ``COSMOS_KEY``, or else the managed identity), the product services enqueue
``marketplace.listing_sync`` (after their transaction commits) whenever a product's status or listing
details change. The task reads the product's *current* state and makes the container agree with it:
a listed product (published or deprecated) is upserted; a draft or retired one — and a Highly Confidential
product marked hidden — is deleted. Running it twice has the same effect as once.

Container ``marketplace-listings``, partition key ``/tenantId`` (the tenant's Entra directory id, else its
slug); the document ``id`` is the product's slug, unique within the tenant. A Highly Confidential
(discoverable) product is listed without its description or columns (``detailsOnRequest: true``).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch

from loom_portal.azure.credentials import LOOPBACK_HOSTS, azure_credential
from loom_portal.azure.errors import TransientAzureError, as_transient, is_transient
from loom_portal.choices import SensitivityLabel
from marketplace.choices import LISTED_STATUSES, Discoverability
from marketplace.models import DataProduct, ProductColumn

log = logging.getLogger(__name__)

DOCUMENT_TYPE = "dataProductListing"
SCHEMA_VERSION = 1


def enabled() -> bool:
    """The mirror is on when the endpoint and database are configured (with COSMOS_KEY, or the managed identity)."""
    return bool(settings.COSMOS_ENDPOINT and settings.COSMOS_DATABASE)


def tenant_key(tenant) -> str:
    """The partition key value of a tenant's listings."""
    return str(tenant.entra_tenant_id) if tenant.entra_tenant_id else tenant.slug


def is_listed(product: DataProduct) -> bool:
    """Listed for the whole tenant: published or deprecated, and not a hidden Highly Confidential product."""
    hidden = product.sensitivity == SensitivityLabel.HIGHLY_CONFIDENTIAL and (
        product.discoverability == Discoverability.HIDDEN
    )
    return product.status in LISTED_STATUSES and not hidden


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def listing_document(product: DataProduct) -> dict | None:
    """The listing of ``product`` (None when it must not be listed). Only what every tenant member may see."""
    if not is_listed(product):
        return None
    restricted = product.sensitivity == SensitivityLabel.HIGHLY_CONFIDENTIAL
    return {
        "id": product.slug,
        "tenantId": tenant_key(product.tenant),
        "type": DOCUMENT_TYPE,
        "schemaVersion": SCHEMA_VERSION,
        "productId": product.pk,
        "slug": product.slug,
        "name": product.name,
        "kind": product.kind,
        "status": product.status,
        "domain": {"slug": product.domain.slug, "name": product.domain.name},
        "workspaceId": product.workspace.workspace_id if product.workspace_id else None,
        "sensitivity": product.sensitivity,
        "detailsOnRequest": restricted,
        "description": "" if restricted else product.description,
        "tags": [t.name for t in product.tags.all()],
        "glossaryTerms": list(product.glossary_terms or []),
        "columns": [] if restricted else [
            {"name": c.name, "type": c.data_type, "classification": c.classification or None}
            for c in product.columns.all()
        ],
        "sourceEngine": product.source_engine or None,
        "freshness": {
            "state": product.freshness,
            "slaHours": product.freshness_sla_hours,
            "lastRefreshedAt": _iso(product.last_refreshed_at),
        },
        "version": product.version,
        "publishedAt": _iso(product.published_at),
        "updatedAt": _iso(product.updated_at),
        "url": f"/catalog/{product.slug}/",
    }


def _container():
    from azure.cosmos import CosmosClient

    endpoint = settings.COSMOS_ENDPOINT
    loopback = urlsplit(endpoint).hostname in LOOPBACK_HOSTS
    retries = getattr(settings, "AZURE_RETRY_TOTAL", 5)
    client = CosmosClient(
        endpoint,
        # A key for the emulator and self-hosters; in Azure the managed identity (Cosmos DB data contributor).
        credential=settings.COSMOS_KEY or azure_credential(),
        connection_verify=settings.COSMOS_CONNECTION_VERIFY,
        # A loopback emulator has no regional endpoints to discover.
        enable_endpoint_discovery=not loopback,
        retry_total=retries,
        retry_connect=retries,
        retry_read=retries,
        connection_timeout=10,
    )
    return client.get_database_client(settings.COSMOS_DATABASE).get_container_client(settings.COSMOS_LISTINGS_CONTAINER)


def _load(product_id: int) -> DataProduct | None:
    return (
        DataProduct.objects.select_related("tenant", "domain", "workspace")
        .prefetch_related("tags", Prefetch("columns", queryset=ProductColumn.objects.order_by("position")))
        .filter(pk=product_id)
        .first()
    )


def listing_sync_product(*, product_id: int) -> str:
    """Make the container agree with the product's current state: ``upserted``, ``deleted``, or why not."""
    if not enabled():
        return "disabled"
    product = _load(product_id)
    if product is None:
        return "missing"
    from azure.cosmos.exceptions import CosmosResourceNotFoundError

    partition = tenant_key(product.tenant)
    try:
        container = _container()  # the client reads the account's settings when it is built
        document = listing_document(product)
        if document is not None:
            container.upsert_item(document)
            current = _load(product_id)  # unpublished meanwhile? never leave a stale listing behind
            if current is not None and is_listed(current):
                return "upserted"
        try:
            container.delete_item(item=product.slug, partition_key=partition)
        except CosmosResourceNotFoundError:
            pass  # already absent: deleting is idempotent
        return "deleted"
    except TransientAzureError:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise as_transient(exc) from exc
        raise


@shared_task(
    name="marketplace.listing_sync",
    bind=True,
    acks_late=True,
    autoretry_for=(TransientAzureError,),
    retry_backoff=True,
    max_retries=5,
)
def listing_sync(self, *, product_id: int) -> str:
    """Celery: mirror one product's listing (see listing_sync_product)."""
    return listing_sync_product(product_id=product_id)


def enqueue_listing_sync(product: DataProduct) -> None:
    """After the current transaction commits, sync the product's listing (nothing when the mirror is off)."""
    if enabled():
        product_id = product.pk
        # robust: an unreachable broker is logged, never turned into an error after the product was saved.
        transaction.on_commit(lambda: listing_sync.delay(product_id=product_id), robust=True)
