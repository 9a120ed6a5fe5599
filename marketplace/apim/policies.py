"""Authorization rules for API Management publishing (see loom_portal.authz).

Exposing a product as an API reuses ``marketplace.change_dataproduct`` (product owners, stewards,
domain owners and stewards, platform owners). Tiers are managed by platform owners and seen by every
member. A publication is seen by whoever sees its product once it is published, and by the
product's editors in every state. A subscription (and its keys) belongs to its grantee: platform
owners see that it exists, only the grantee reads or regenerates its keys.
"""

from django.db.models import Q

from loom_portal import authz
from marketplace.choices import ApiPublicationState, GrantStatus
from marketplace.models import ApiPublication, ApiSubscription, ApiTier, DataProduct


def _products(actor, perm: str):
    return authz.restrict(DataProduct.objects.all(), actor, perm).values("pk")


@authz.register("marketplace.view_apitier", model=ApiTier)
def _view_apitier(actor):
    return authz.ALL


@authz.register("marketplace.add_apitier")
def _add_apitier(actor):
    return actor.is_platform_owner


@authz.register("marketplace.manage_apitier", model=ApiTier, visible_via="marketplace.view_apitier")
def _manage_apitier(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING


@authz.register("marketplace.view_apipublication", model=ApiPublication)
def _view_apipublication(actor):
    if actor.is_platform_owner:
        return authz.ALL
    published = Q(state=ApiPublicationState.PUBLISHED, product__in=_products(actor, "marketplace.view_dataproduct"))
    return published | Q(product__in=_products(actor, "marketplace.change_dataproduct"))


@authz.register("marketplace.change_apipublication", model=ApiPublication,
                visible_via="marketplace.view_apipublication")
def _change_apipublication(actor):
    """Expose, re-sync and unpublish: the product's editors."""
    return Q(product__in=_products(actor, "marketplace.change_dataproduct"))


@authz.register("marketplace.view_apisubscription", model=ApiSubscription)
def _view_apisubscription(actor):
    return authz.ALL if actor.is_platform_owner else Q(grant__grantee=actor)


@authz.register("marketplace.use_apisubscription", model=ApiSubscription,
                visible_via="marketplace.view_apisubscription")
def _use_apisubscription(actor):
    """Read and regenerate the keys: the grantee of an active grant, nobody else (not even platform owners)."""
    return Q(grant__grantee=actor, grant__status=GrantStatus.ACTIVE)


@authz.register("marketplace.view_apim_inventory")
def _view_apim_inventory(actor):
    """Every member sees the APIM inventory (other tenants' portal-managed entries are filtered out)."""
    return True
