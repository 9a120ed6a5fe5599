"""Reads for API Management publishing. Every selector takes the actor and goes through authz."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from loom_portal import authz
from marketplace.choices import ApiPublicationState, GrantStatus
from marketplace.models import ApiPublication, ApiSubscription, ApiTier, DataProduct, Grant


def tier_list(*, actor) -> QuerySet:
    return authz.restrict(ApiTier.objects.all(), actor, "marketplace.view_apitier")


def publication_list(*, actor) -> QuerySet:
    """Publications the actor may see (published ones of visible products; all states for editors)."""
    qs = ApiPublication.objects.select_related("product", "product__domain", "tier")
    return authz.restrict(qs, actor, "marketplace.view_apipublication")


def published_api_list(*, actor) -> QuerySet:
    return publication_list(actor=actor).filter(state=ApiPublicationState.PUBLISHED).order_by("product__name")


def publication_for(*, actor, product: DataProduct) -> ApiPublication | None:
    return publication_list(actor=actor).filter(product=product).first()


def subscription_list(*, actor) -> QuerySet:
    """The actor's own APIM subscriptions (one per grant), newest first."""
    qs = ApiSubscription.objects.select_related("grant", "grant__product", "publication")
    return authz.restrict(qs, actor, "marketplace.view_apisubscription").filter(grant__grantee=actor)


def my_grant_get(*, actor, pk) -> Grant:
    """One of the actor's own grants (404 otherwise, whatever the actor's role)."""
    qs = Grant.objects.select_related("product").filter(grantee=actor)
    if not actor.is_superuser:
        qs = qs.filter(tenant_id=actor.tenant_id)
    return get_object_or_404(qs, pk=pk)


def my_active_grant_for(*, actor, product: DataProduct) -> Grant | None:
    return (
        Grant.objects.filter(grantee=actor, product=product, status=GrantStatus.ACTIVE, tenant_id=actor.tenant_id)
        .order_by("-created_at")
        .first()
    )
