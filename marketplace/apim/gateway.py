"""Calls that reach the data API through the API Management gateway.

The product policy adds two headers to every call it forwards: ``X-Loom-Gateway-Secret`` (the APIM
secret named value ``loom-gateway-secret``, derived from the deployment's SECRET_KEY) and
``X-Loom-Apim-Subscription`` (``context.Subscription.Id``: the subscription the consumer's key
belongs to). Both are set with ``exists-action="override"``, so a caller cannot supply them through the
gateway; a caller that bypasses the gateway does not know the secret.

``grant_for_gateway_call`` is for the data API: it answers the active grant behind such a call, or None
when the call did not come through the gateway or its subscription is not (or no longer) active.
"""

from __future__ import annotations

from django.utils.crypto import constant_time_compare

from marketplace.apim.services import GATEWAY_SECRET_HEADER, SUBSCRIPTION_HEADER, gateway_secret
from marketplace.choices import ApiPublicationState, ApiSubscriptionState, GrantStatus
from marketplace.models import ApiSubscription, Grant


def is_gateway_call(request) -> bool:
    presented = request.headers.get(GATEWAY_SECRET_HEADER, "")
    return bool(presented) and constant_time_compare(presented, gateway_secret())


def grant_for_gateway_call(request, *, product_slug: str) -> Grant | None:
    """The active grant on ``product_slug`` whose APIM subscription made this gateway call, else None."""
    if not is_gateway_call(request):
        return None
    sid = request.headers.get(SUBSCRIPTION_HEADER, "").strip().rsplit("/", 1)[-1]
    if not sid:
        return None
    subscription = (
        ApiSubscription.objects.select_related("grant", "grant__product", "grant__grantee")
        .filter(
            apim_subscription_id__iexact=sid,
            state=ApiSubscriptionState.ACTIVE,
            publication__state=ApiPublicationState.PUBLISHED,
            grant__status=GrantStatus.ACTIVE,
            grant__product__slug=product_slug,
        )
        .first()
    )
    return subscription.grant if subscription is not None else None
