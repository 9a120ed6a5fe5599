"""Writes for API Management publishing: expose, sync, unpublish, reconcile, subscriptions and keys.

The portal is the source of truth. ``apim_publish`` records the wish (an ``ApiPublication`` in
*pending*) and enqueues ``marketplace.apim_publication_sync``; the sync pushes, in order, the API
(imported from the generated OpenAPI document, backend = the portal's data API), the APIM product,
the product–API link and the product policy (rate limit and quota from the tier), each PUT carrying
the ETag the portal last saw. A 412 (someone changed the entity) or a 409 (a concurrent operation)
is resolved by re-reading the entity's current ETag and writing again; 429 and 5xx are retried by
the client's retry policy and, when they persist, surface as ``TransientAzureError`` so Celery tries
later. Any other error marks the publication *failed* with the error text; nothing is retried.

Grants become APIM subscriptions (``api_subscription_sync``): an active grant of a published product
gets a subscription scoped to ``/products/{pid}`` and owned by an APIM user mirroring the consumer
(``/users/loom-user-{pk}``, created or updated first); a revoked, expired or failed grant suspends
it (PATCH ``state: suspended`` with the ETag of a fresh GET). Keys are never stored: they are read
with ``listSecrets`` when the consumer asks and can be regenerated.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from loom_portal import audit, authz
from loom_portal.azure.errors import TransientAzureError, as_transient, is_transient
from marketplace.apim.openapi import document_sha256, product_openapi
from marketplace.choices import (
    LISTED_STATUSES,
    ApiPublicationState,
    ApiSubscriptionState,
    GrantStatus,
    ProductStatus,
)
from marketplace.models import ApiPublication, ApiSubscription, ApiTier, DataProduct, Grant

log = logging.getLogger(__name__)

#: APIM's rate-limit policy accepts renewal periods up to 300 seconds.
MAX_RATE_LIMIT_PERIOD = 300
#: Attempts of a write whose ETag was stale (412) or that met a concurrent operation (409).
CONFLICT_ATTEMPTS = 3
SUBSCRIPTION_KEY_HEADER = "Ocp-Apim-Subscription-Key"
#: The header the gateway adds so the data API can tell which APIM subscription called.
SUBSCRIPTION_HEADER = "X-Loom-Apim-Subscription"
#: The header that proves a call came through the gateway, and the APIM named value (secret) holding it.
GATEWAY_SECRET_HEADER = "X-Loom-Gateway-Secret"
GATEWAY_SECRET_NAMED_VALUE = "loom-gateway-secret"
KEY_NAMES = ("primary", "secondary")


class ApimSyncError(Exception):
    """API Management refused a change for a reason retrying will not fix."""


# --- Names and documents --------------------------------------------------------------------


def apim_configured() -> bool:
    return bool(settings.APIM_SERVICE_NAME and settings.APIM_RESOURCE_GROUP and settings.APIM_SUBSCRIPTION_ID)


def managed_prefix(tenant_id) -> str:
    """Every APIM entity the portal creates for a tenant starts with this (``loom-t7-``)."""
    return f"loom-t{tenant_id}-"


def apim_name(product: DataProduct) -> str:
    """The APIM id of the product's API and product: ``loom-t{tenant}-{slug}`` (at most 80 characters)."""
    return (managed_prefix(product.tenant_id) + product.slug)[:80].rstrip("-")


def apim_path(product: DataProduct) -> str:
    """The gateway URL suffix of the product's API."""
    return f"loom/t{product.tenant_id}/{product.slug}"


def subscription_name(grant: Grant) -> str:
    return f"{managed_prefix(grant.tenant_id)}grant-{grant.pk}"


def user_name(user) -> str:
    return f"loom-user-{user.pk}"


def openapi_for_apim(product: DataProduct) -> dict:
    """The document imported into APIM: the backend is the portal, the key is APIM's subscription key."""
    return product_openapi(product, server_url=settings.PORTAL_BASE_URL, key_header=SUBSCRIPTION_KEY_HEADER)


def policy_xml(tier: ApiTier) -> str:
    """The product policy: the tier's rate limit and quota, and the caller's subscription id for the backend."""
    return (
        "<policies>\n"
        "  <inbound>\n"
        "    <base />\n"
        f"    <rate-limit calls={quoteattr(str(tier.rate_limit_calls))} "
        f"renewal-period={quoteattr(str(tier.rate_limit_period_seconds))} />\n"
        f"    <quota calls={quoteattr(str(tier.quota_calls))} renewal-period={quoteattr(str(tier.quota_period_seconds))} />\n"
        f'    <set-header name="{SUBSCRIPTION_HEADER}" exists-action="override">\n'
        "      <value>@(context.Subscription.Id)</value>\n"
        "    </set-header>\n"
        f'    <set-header name="{GATEWAY_SECRET_HEADER}" exists-action="override">\n'
        f"      <value>{{{{{GATEWAY_SECRET_NAMED_VALUE}}}}}</value>\n"
        "    </set-header>\n"
        "  </inbound>\n"
        "  <backend>\n    <base />\n  </backend>\n"
        "  <outbound>\n    <base />\n  </outbound>\n"
        "  <on-error>\n    <base />\n  </on-error>\n"
        "</policies>"
    )


def gateway_secret() -> str:
    """The shared secret the gateway sends to the data API: derived from SECRET_KEY, stored in APIM as a
    secret named value, so it rotates with the deployment's secret key and is never in the database."""
    from django.utils.crypto import salted_hmac

    return salted_hmac("loom.apim.gateway-secret", "v1", algorithm="sha256").hexdigest()


def _normalised_xml(value: str | None) -> str:
    return re.sub(r"\s+", " ", (value or "").replace("\r", "")).replace("> <", "><").strip()


# --- Tiers ----------------------------------------------------------------------------------


def _clean_tier(*, tenant, name: str, rate_limit_calls, rate_limit_period_seconds, quota_calls, quota_period_seconds,
                instance: ApiTier | None = None) -> dict:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Give the tier a name (e.g. Bronze)."
    elif ApiTier.objects.filter(tenant=tenant, name__iexact=name).exclude(pk=getattr(instance, "pk", None)).exists():
        errors["name"] = f"A tier called {name!r} already exists."
    values = {}
    for field, value in (("rate_limit_calls", rate_limit_calls), ("rate_limit_period_seconds", rate_limit_period_seconds),
                         ("quota_calls", quota_calls), ("quota_period_seconds", quota_period_seconds)):
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors[field] = "Enter a whole number."
            continue
        if number <= 0:
            errors[field] = "Must be greater than zero."
        values[field] = number
    if values.get("rate_limit_period_seconds", 0) > MAX_RATE_LIMIT_PERIOD:
        errors["rate_limit_period_seconds"] = f"APIM's rate limit renews at most every {MAX_RATE_LIMIT_PERIOD} seconds."
    if errors:
        raise ValidationError(errors)
    return {"name": name, **values}


@transaction.atomic
def api_tier_create(*, actor, name: str, rate_limit_calls, rate_limit_period_seconds=60, quota_calls,
                    quota_period_seconds=86400) -> ApiTier:
    authz.require(actor, "marketplace.add_apitier")
    values = _clean_tier(tenant=actor.tenant, name=name, rate_limit_calls=rate_limit_calls,
                         rate_limit_period_seconds=rate_limit_period_seconds, quota_calls=quota_calls,
                         quota_period_seconds=quota_period_seconds)
    tier = ApiTier.objects.create(tenant=actor.tenant, **values)
    audit.record(actor=actor, action="apim.tier_created", target=tier, data=values)
    return tier


@transaction.atomic
def api_tier_update(*, actor, tier: ApiTier, **changes) -> ApiTier:
    """Change a tier; every live publication on it is re-synced so APIM enforces the new limits."""
    authz.require(actor, "marketplace.manage_apitier", tier)
    current = {f: getattr(tier, f) for f in ("name", "rate_limit_calls", "rate_limit_period_seconds", "quota_calls",
                                             "quota_period_seconds")}
    values = _clean_tier(tenant=tier.tenant, instance=tier, **{**current, **changes})
    changed = {k: v for k, v in values.items() if current[k] != v}
    if not changed:
        return tier
    ApiTier.objects.filter(pk=tier.pk).update(**values)
    tier.refresh_from_db()
    audit.record(actor=actor, action="apim.tier_updated", target=tier, data=changed)
    if set(changed) - {"name"}:
        live = ApiPublication.objects.filter(tier=tier, state__in=[ApiPublicationState.PUBLISHED, ApiPublicationState.FAILED])
        ids = list(live.values_list("pk", flat=True))
        live.update(state=ApiPublicationState.PENDING)
        for pk in ids:
            _enqueue_publication_sync(pk)
    return tier


@transaction.atomic
def api_tier_delete(*, actor, tier: ApiTier) -> None:
    authz.require(actor, "marketplace.manage_apitier", tier)
    if tier.publications.exclude(state=ApiPublicationState.REMOVED).exists():
        raise ValidationError("This tier is used by exposed APIs; move them to another tier first.")
    audit.record(actor=actor, action="apim.tier_deleted", target=tier, data={"name": tier.name})
    tier.publications.all().delete()
    tier.delete()


# --- Expose and unpublish (the wish) ---------------------------------------------------------


def _enqueue_publication_sync(publication_id: int) -> None:
    from marketplace.apim import tasks

    transaction.on_commit(lambda: tasks.apim_publication_sync.delay(publication_id=publication_id), robust=True)


def _enqueue_subscription_sync(grant_id: int) -> None:
    from marketplace.apim import tasks

    transaction.on_commit(lambda: tasks.api_subscription_sync.delay(grant_id=grant_id), robust=True)


@transaction.atomic
def apim_publish(*, actor, product: DataProduct, tier: ApiTier) -> ApiPublication:
    """Expose ``product`` as an API on ``tier`` (or move it to another tier); APIM is updated by a task."""
    authz.require(actor, "marketplace.change_dataproduct", product)
    product = DataProduct.objects.select_for_update().get(pk=product.pk)
    errors = {}
    if not apim_configured():
        raise ValidationError("API Management is not configured for this deployment (APIM_SERVICE_NAME).")
    if product.status != ProductStatus.PUBLISHED:
        errors["product"] = "Only published products can be exposed as an API; publish the product first."
    elif not product.columns.exists():
        errors["product"] = "The product has no columns: its API would return nothing. Describe its schema first."
    if tier is None or tier.tenant_id != product.tenant_id:
        errors["tier"] = "Choose one of your organisation's API tiers."
    elif tier.rate_limit_period_seconds > MAX_RATE_LIMIT_PERIOD:
        errors["tier"] = f"Tier {tier.name}: APIM's rate limit renews at most every {MAX_RATE_LIMIT_PERIOD} seconds."
    if errors:
        raise ValidationError(errors)
    publication = ApiPublication.objects.select_for_update().filter(product=product).first()
    if publication is None:
        publication = ApiPublication.objects.create(tenant=product.tenant, product=product, tier=tier)
    else:
        publication.tier = tier
        publication.state = ApiPublicationState.PENDING
        publication.last_error = ""
        publication.save(update_fields=["tier", "state", "last_error", "updated_at"])
    audit.record(actor=actor, action="apim.publish_requested", target=publication,
                 data={"product": product.slug, "tier": tier.name})
    _enqueue_publication_sync(publication.pk)
    return publication


@transaction.atomic
def apim_resync(*, actor, publication: ApiPublication) -> ApiPublication:
    """Push a publication to APIM again (after an error, or to repair drift now)."""
    authz.require(actor, "marketplace.change_apipublication", publication)
    publication = ApiPublication.objects.select_for_update().get(pk=publication.pk)
    if publication.state in (ApiPublicationState.REMOVED, ApiPublicationState.UNPUBLISHING):
        raise ValidationError("This API has been unpublished; expose the product again instead.")
    publication.state = ApiPublicationState.PENDING
    publication.save(update_fields=["state", "updated_at"])
    audit.record(actor=actor, action="apim.resync_requested", target=publication)
    _enqueue_publication_sync(publication.pk)
    return publication


@transaction.atomic
def apim_unpublish(*, actor, product: DataProduct) -> ApiPublication:
    """Stop exposing ``product``: a task deletes its APIM product (with its subscriptions) and API."""
    authz.require(actor, "marketplace.change_dataproduct", product)
    publication = ApiPublication.objects.select_for_update().filter(product=product).first()
    if publication is None or publication.state == ApiPublicationState.REMOVED:
        raise ValidationError("This product is not exposed as an API.")
    if publication.state != ApiPublicationState.UNPUBLISHING:
        publication.state = ApiPublicationState.UNPUBLISHING
        publication.save(update_fields=["state", "updated_at"])
        audit.record(actor=actor, action="apim.unpublish_requested", target=publication, data={"product": product.slug})
    _enqueue_publication_sync(publication.pk)
    return publication


# --- Talking to APIM --------------------------------------------------------------------------


def _with_headers(response, deserialized, headers):
    return deserialized, headers or {}


@dataclass
class _Apim:
    client: object
    rg: str
    svc: str

    @classmethod
    def connect(cls) -> _Apim:
        from loom_portal.azure.clients import api_management_client

        if not apim_configured():
            raise ApimSyncError("API Management is not configured for this deployment (APIM_SERVICE_NAME).")
        return cls(api_management_client(), settings.APIM_RESOURCE_GROUP, settings.APIM_SERVICE_NAME)

    def etag_of(self, operations, *ids) -> str | None:
        """The entity's current ETag from a fresh GET; None when it does not exist."""
        try:
            _, headers = operations.get(self.rg, self.svc, *ids, cls=_with_headers)
        except ResourceNotFoundError:
            return None
        return headers.get("ETag")

    def write(self, put, reread, etag: str | None):
        """``put(if_match)`` with the ETag the portal knows; on 412/409 re-read the ETag and write again."""
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return put(etag or None)
            except HttpResponseError as exc:
                if exc.status_code in (409, 412) and attempt < CONFLICT_ATTEMPTS:
                    log.info("APIM answered %s; re-reading the entity and writing again", exc.status_code)
                    etag = reread()
                    continue
                raise


def _describe(exc: BaseException) -> str:
    if isinstance(exc, HttpResponseError):
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None) or ""
        message = getattr(error, "message", None) or exc.message or str(exc)
        return f"HTTP {exc.status_code} {code}: {message}".replace("  ", " ").strip()[:2000]
    return str(exc)[:2000]


def _translate(exc: BaseException) -> BaseException:
    """Transient SDK errors become TransientAzureError (Celery retries); the rest stay as they are."""
    if is_transient(exc):
        return as_transient(exc)
    return exc


# --- Publication sync ----------------------------------------------------------------------------


def apim_publication_sync(*, publication_id: int) -> ApiPublication | None:
    """Make APIM match the publication: push it (pending/published/failed) or remove it (unpublishing).

    Idempotent: every write is an upsert carrying the last seen ETag, so running it twice leaves one
    API, one product, one link and one policy. Returns the publication (None when it is gone)."""
    error: BaseException | None = None
    with transaction.atomic():
        publication = (
            ApiPublication.objects.select_for_update()
            .select_related("product", "product__tenant", "tier", "tenant")
            .filter(pk=publication_id)
            .first()
        )
        if publication is None or publication.state == ApiPublicationState.REMOVED:
            return publication
        removing = publication.state == ApiPublicationState.UNPUBLISHING
        try:
            apim = _Apim.connect()
            if removing:
                _remove(apim, publication)
            else:
                _push(apim, publication)
        except (AzureError, ApimSyncError) as exc:
            error = _translate(exc)
            transient = isinstance(error, TransientAzureError)
            publication.last_error = _describe(exc) + (" (will retry)" if transient else "")
            if not transient and not removing:
                publication.state = ApiPublicationState.FAILED
            publication.save(update_fields=["state", "last_error", "updated_at"])
            audit.record(actor=None, action="apim.sync_failed", target=publication,
                         data={"error": publication.last_error, "transient": transient})
            if not transient:
                error = None  # recorded; retrying will not help
        else:
            if not removing:
                for grant_id in Grant.objects.filter(product=publication.product, status=GrantStatus.ACTIVE).values_list(
                    "pk", flat=True
                ):
                    _enqueue_subscription_sync(grant_id)
    if error is not None:
        raise error
    return publication


def _push(apim: _Apim, publication: ApiPublication) -> None:
    from azure.mgmt.apimanagement.models import (
        ApiCreateOrUpdateParameter,
        NamedValueCreateContract,
        PolicyContract,
        ProductContract,
    )

    product = publication.product
    if product.status not in LISTED_STATUSES:
        raise ApimSyncError(f"The product is {product.get_status_display().lower()}; only listed products are exposed.")
    document = openapi_for_apim(product)
    name = apim_name(product)
    client = apim.client

    api_parameters = ApiCreateOrUpdateParameter(
        format="openapi+json",
        value=json.dumps(document),
        path=apim_path(product),
        display_name=product.name,
        description=document["info"]["description"],
        service_url=settings.PORTAL_BASE_URL.rstrip("/"),
        subscription_required=True,
        protocols=["https"],
    )

    def put_api(if_match):
        poller = client.api.begin_create_or_update(apim.rg, apim.svc, name, api_parameters, if_match=if_match,
                                                   cls=_with_headers)
        return poller.result()

    _, api_headers = apim.write(put_api, lambda: apim.etag_of(client.api, name), publication.api_etag)

    product_parameters = ProductContract(
        display_name=product.name,
        description=f"Rows of the {product.name} data product, as granted in Loom Portal.",
        subscription_required=True,
        approval_required=False,
        state="published",
    )
    _, product_headers = apim.write(
        lambda if_match: client.product.create_or_update(apim.rg, apim.svc, name, product_parameters,
                                                         if_match=if_match, cls=_with_headers),
        lambda: apim.etag_of(client.product, name),
        publication.product_etag,
    )
    apim.write(lambda _etag: client.product_api.create_or_update(apim.rg, apim.svc, name, name),
               lambda: None, None)
    secret = NamedValueCreateContract(display_name=GATEWAY_SECRET_NAMED_VALUE, value=gateway_secret(), secret=True)
    client.named_value.begin_create_or_update(apim.rg, apim.svc, GATEWAY_SECRET_NAMED_VALUE, secret).result()
    policy = PolicyContract(value=policy_xml(publication.tier), format="rawxml")
    _, policy_headers = apim.write(
        lambda if_match: client.product_policy.create_or_update(apim.rg, apim.svc, name, "policy", policy,
                                                                if_match=if_match, cls=_with_headers),
        lambda: apim.etag_of(client.product_policy, name, "policy"),
        publication.policy_etag,
    )
    publication.apim_api_id = name
    publication.apim_product_id = name
    publication.api_etag = api_headers.get("ETag") or ""
    publication.product_etag = product_headers.get("ETag") or ""
    publication.policy_etag = policy_headers.get("ETag") or ""
    publication.openapi_sha256 = document_sha256(document)
    publication.state = ApiPublicationState.PUBLISHED
    publication.last_error = ""
    publication.last_synced_at = timezone.now()
    publication.save()
    audit.record(actor=None, action="apim.published", target=publication,
                 data={"api": name, "tier": publication.tier.name, "openapi_sha256": publication.openapi_sha256})


def _remove(apim: _Apim, publication: ApiPublication) -> None:
    client = apim.client
    name = publication.apim_product_id or apim_name(publication.product)
    api_name = publication.apim_api_id or name
    for delete in (
        lambda: client.product.delete(apim.rg, apim.svc, name, if_match="*", delete_subscriptions=True),
        lambda: client.api.begin_delete(apim.rg, apim.svc, api_name, if_match="*", delete_revisions=True).result(),
    ):
        try:
            apim.write(lambda _etag, delete=delete: delete(), lambda: None, None)
        except ResourceNotFoundError:
            pass  # already gone
    publication.subscriptions.exclude(state=ApiSubscriptionState.SUSPENDED).update(
        state=ApiSubscriptionState.SUSPENDED, last_error="The API was unpublished; its APIM product was deleted.",
        last_synced_at=timezone.now(),
    )
    publication.state = ApiPublicationState.REMOVED
    publication.api_etag = publication.product_etag = publication.policy_etag = ""
    publication.last_error = ""
    publication.last_synced_at = timezone.now()
    publication.save()
    audit.record(actor=None, action="apim.unpublished", target=publication, data={"api": api_name})


# --- Reconciliation ------------------------------------------------------------------------------


def _drift(apim: _Apim, publication: ApiPublication) -> str | None:
    """Why APIM no longer matches a published publication (None when it does)."""
    client = apim.client
    name = publication.apim_api_id or apim_name(publication.product)
    if publication.openapi_sha256 != document_sha256(openapi_for_apim(publication.product)):
        return "the product's schema changed"
    if apim.etag_of(client.api, name) != publication.api_etag:
        return "the API was changed or deleted in APIM"
    if apim.etag_of(client.product, publication.apim_product_id) != publication.product_etag:
        return "the product was changed or deleted in APIM"
    try:
        client.product_api.check_entity_exists(apim.rg, apim.svc, publication.apim_product_id, name)
    except ResourceNotFoundError:
        return "the API was removed from its product"
    try:
        policy, headers = client.product_policy.get(apim.rg, apim.svc, publication.apim_product_id, "policy",
                                                    format="rawxml", cls=_with_headers)
    except ResourceNotFoundError:
        return "the product policy was deleted"
    if headers.get("ETag") != publication.policy_etag or _normalised_xml(policy.value) != _normalised_xml(
        policy_xml(publication.tier)
    ):
        return "the product policy differs from the tier"
    try:
        client.named_value.get(apim.rg, apim.svc, GATEWAY_SECRET_NAMED_VALUE)
    except ResourceNotFoundError:
        return "the gateway secret named value was deleted"
    return None


def apim_reconcile() -> dict:
    """Repair drift: re-push publications that differ from APIM (or are pending/failed), finish removals,
    and bring every grant's subscription in line with the grant. Returns counts."""
    summary = {"checked": 0, "repaired": 0, "subscriptions_checked": 0, "subscriptions_repaired": 0, "errors": 0}
    if not apim_configured():
        return summary
    apim = _Apim.connect()
    for publication in ApiPublication.objects.exclude(state=ApiPublicationState.REMOVED).select_related(
        "product", "tier"
    ):
        summary["checked"] += 1
        try:
            reason = None if publication.state != ApiPublicationState.PUBLISHED else _drift(apim, publication)
        except AzureError as exc:
            summary["errors"] += 1
            log.warning("APIM drift check of %s failed: %s", publication, exc)
            continue
        if publication.state == ApiPublicationState.PUBLISHED and reason is None:
            continue
        if reason:
            audit.record(actor=None, action="apim.drift_detected", target=publication, data={"reason": reason})
        try:
            apim_publication_sync(publication_id=publication.pk)
            summary["repaired"] += 1
        except TransientAzureError:
            summary["errors"] += 1
    published = ApiPublication.objects.filter(state=ApiPublicationState.PUBLISHED).values("product")
    grants = Grant.objects.filter(product__in=published).filter(
        status=GrantStatus.ACTIVE
    ) | Grant.objects.filter(api_subscription__isnull=False)
    for grant in grants.distinct().select_related("product", "grantee"):
        summary["subscriptions_checked"] += 1
        try:
            if _subscription_drift(apim, grant):
                api_subscription_sync(grant=grant)
                summary["subscriptions_repaired"] += 1
        except (AzureError, TransientAzureError) as exc:
            summary["errors"] += 1
            log.warning("APIM subscription check of %s failed: %s", grant, exc)
    return summary


def _desired_subscription_state(grant: Grant) -> str | None:
    if grant.status == GrantStatus.ACTIVE:
        return "active"
    if grant.status in (GrantStatus.REVOKED, GrantStatus.EXPIRED, GrantStatus.FAILED):
        return "suspended"
    return None


def _subscription_drift(apim: _Apim, grant: Grant) -> bool:
    desired = _desired_subscription_state(grant)
    subscription = ApiSubscription.objects.filter(grant=grant).first()
    if desired is None or (desired == "active" and _live_publication(grant) is None):
        return False
    if subscription is None:
        return desired == "active"
    try:
        entity = apim.client.subscription.get(apim.rg, apim.svc, subscription.apim_subscription_id)
    except ResourceNotFoundError:
        return desired == "active"
    return entity.state != desired


# --- Subscriptions ---------------------------------------------------------------------------------


def _live_publication(grant: Grant) -> ApiPublication | None:
    return ApiPublication.objects.filter(product_id=grant.product_id, state=ApiPublicationState.PUBLISHED).first()


def api_subscription_sync(*, grant: Grant) -> ApiSubscription | None:
    """Make the grant's APIM subscription match the grant: active for an active grant of a published
    product, suspended once the grant is revoked, expired or failed. Idempotent."""
    desired = _desired_subscription_state(grant)
    error: BaseException | None = None
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("product", "grantee", "tenant").get(pk=grant.pk)
        desired = _desired_subscription_state(grant)
        subscription = ApiSubscription.objects.select_for_update().filter(grant=grant).first()
        publication = _live_publication(grant)
        if desired is None or (desired == "active" and publication is None):
            return subscription  # nothing to do yet, or the product is not (or no longer) exposed
        if subscription is None and desired != "active":
            return None
        if subscription is None:
            subscription = ApiSubscription.objects.create(
                tenant=grant.tenant, grant=grant, publication=publication, apim_subscription_id=subscription_name(grant)
            )
        try:
            apim = _Apim.connect()
            if desired == "active":
                _activate(apim, subscription, grant, publication)
            else:
                _suspend(apim, subscription, grant)
        except (AzureError, ApimSyncError) as exc:
            error = _translate(exc)
            transient = isinstance(error, TransientAzureError)
            subscription.last_error = _describe(exc) + (" (will retry)" if transient else "")
            if not transient and desired == "active":
                subscription.state = ApiSubscriptionState.FAILED
            subscription.save(update_fields=["state", "last_error"])
            audit.record(actor=None, action="apim.subscription_sync_failed", target=subscription,
                         data={"error": subscription.last_error, "grant": grant.pk})
            if not transient:
                error = None
    if error is not None:
        raise error
    return subscription


def _activate(apim: _Apim, subscription: ApiSubscription, grant: Grant, publication: ApiPublication) -> None:
    from azure.mgmt.apimanagement.models import SubscriptionCreateParameters, UserCreateParameters

    client = apim.client
    user = grant.grantee
    uid = user_name(user)
    first = (user.first_name or user.email.split("@")[0] or "Loom").strip()[:100]
    last = (user.last_name or "user").strip()[:100]
    client.user.create_or_update(
        apim.rg, apim.svc, uid,
        UserCreateParameters(email=user.email, first_name=first, last_name=last, confirmation="signup",
                             note=f"Loom Portal user #{user.pk}"),
        notify=False,
    )
    parameters = SubscriptionCreateParameters(
        owner_id=f"/users/{uid}",
        scope=f"/products/{publication.apim_product_id}",
        display_name=f"{user.email} · grant #{grant.pk}"[:100],
        state="active",
    )
    sid = subscription.apim_subscription_id
    _, headers = apim.write(
        lambda if_match: client.subscription.create_or_update(apim.rg, apim.svc, sid, parameters, notify=False,
                                                              if_match=if_match, cls=_with_headers),
        lambda: apim.etag_of(client.subscription, sid),
        subscription.etag,
    )
    changed = subscription.state != ApiSubscriptionState.ACTIVE
    subscription.publication = publication
    subscription.etag = headers.get("ETag") or ""
    subscription.state = ApiSubscriptionState.ACTIVE
    subscription.last_error = ""
    subscription.last_synced_at = timezone.now()
    subscription.save()
    if changed:
        audit.record(actor=None, action="apim.subscription_activated", target=subscription,
                     data={"grant": grant.pk, "product": publication.apim_product_id})


def _suspend(apim: _Apim, subscription: ApiSubscription, grant: Grant) -> None:
    from azure.mgmt.apimanagement.models import SubscriptionUpdateParameters

    client = apim.client
    sid = subscription.apim_subscription_id
    comment = f"Loom grant #{grant.pk} is {grant.get_status_display().lower()}."
    etag = None
    try:
        entity, headers = client.subscription.get(apim.rg, apim.svc, sid, cls=_with_headers)
        etag = headers.get("ETag")
    except ResourceNotFoundError:
        entity = None
    if entity is not None and entity.state != "suspended":
        parameters = SubscriptionUpdateParameters(state="suspended", state_comment=comment)
        _, headers = apim.write(
            lambda if_match: client.subscription.update(apim.rg, apim.svc, sid, if_match or "*", parameters,
                                                       cls=_with_headers),
            lambda: apim.etag_of(client.subscription, sid),
            etag,
        )
        etag = headers.get("ETag")
    changed = subscription.state != ApiSubscriptionState.SUSPENDED
    subscription.etag = etag or ""
    subscription.state = ApiSubscriptionState.SUSPENDED
    subscription.last_error = ""
    subscription.last_synced_at = timezone.now()
    subscription.save()
    if changed:
        audit.record(actor=None, action="apim.subscription_suspended", target=subscription,
                     data={"grant": grant.pk, "reason": comment})


def request_subscription_sync(*, grant: Grant) -> None:
    """For the grant services: sync the grant's APIM subscription once the current transaction commits."""
    _enqueue_subscription_sync(grant.pk)


# --- Keys ------------------------------------------------------------------------------------------


def _usable_subscription(actor, grant: Grant) -> ApiSubscription:
    if not apim_configured():
        raise ValidationError("API Management is not configured for this deployment.")
    subscription = ApiSubscription.objects.select_related("grant").filter(grant=grant).first()
    if subscription is None:
        authz.require(actor, "marketplace.view_dataproduct", grant.product)
        raise ValidationError("This grant has no API Management subscription yet.")
    authz.require(actor, "marketplace.use_apisubscription", subscription)
    if subscription.state != ApiSubscriptionState.ACTIVE:
        raise ValidationError(f"The subscription is {subscription.get_state_display().lower()}; it has no usable key.")
    return subscription


def _call_keys(call):
    """Transient errors become TransientAzureError; anything else APIM refuses is a ValidationError naming it."""
    try:
        return call()
    except AzureError as exc:
        error = _translate(exc)
        if isinstance(error, TransientAzureError):
            raise error from exc
        raise ValidationError(f"API Management refused the request: {_describe(exc)}") from exc


def api_subscription_keys(*, actor, grant: Grant) -> dict:
    """The subscription's keys, read from APIM now (``listSecrets``) and never stored. Audited."""
    subscription = _usable_subscription(actor, grant)
    apim = _Apim.connect()
    keys = _call_keys(lambda: apim.client.subscription.list_secrets(apim.rg, apim.svc, subscription.apim_subscription_id))
    with transaction.atomic():
        audit.record(actor=actor, action="apim.subscription_keys_viewed", target=subscription, data={"grant": grant.pk})
    return {"primary": keys.primary_key, "secondary": keys.secondary_key}


def api_subscription_regenerate_key(*, actor, grant: Grant, which: str) -> None:
    """Replace the primary or secondary key; the old one stops working at the gateway. Audited."""
    if which not in KEY_NAMES:
        raise ValidationError({"which": f"Expected one of {', '.join(KEY_NAMES)}, got {which!r}."})
    subscription = _usable_subscription(actor, grant)
    apim = _Apim.connect()
    operations = apim.client.subscription
    regenerate = operations.regenerate_primary_key if which == "primary" else operations.regenerate_secondary_key
    _call_keys(lambda: regenerate(apim.rg, apim.svc, subscription.apim_subscription_id))
    with transaction.atomic():
        audit.record(actor=actor, action="apim.subscription_key_regenerated", target=subscription,
                     data={"grant": grant.pk, "which": which})
