"""Calls through the APIM gateway carry a secret the portal put in APIM and the caller's subscription id;
the data API maps them to the consumer's active grant, and to nothing once the grant ends."""

from django.test import RequestFactory

from marketplace.apim import gateway, services
from marketplace.models import Grant
from marketplace.services import grants as grant_services


def _gateway_request(apim, sid, secret=None):
    headers = {"X-Loom-Apim-Subscription": sid}
    if secret is not False:
        headers["X-Loom-Gateway-Secret"] = secret or apim.named_values["loom-gateway-secret"].properties["value"]
    return RequestFactory().get("/data/v1/products/sales-orders/rows", headers=headers)


def test_publishing_stores_the_gateway_secret_as_an_apim_secret_and_the_policy_sends_it(exposed, apim):
    named_value = apim.named_values["loom-gateway-secret"]
    assert named_value.properties["secret"] is True
    assert named_value.properties["value"] == services.gateway_secret()
    policy = apim.policies[exposed.apim_product_id.lower()].properties["value"]
    assert "{{loom-gateway-secret}}" in policy and "@(context.Subscription.Id)" in policy
    get = next(r for r in apim.requests if r.method == "GET" and r.path.endswith("/namedValues/loom-gateway-secret"))
    assert get is not None  # the SDK polled the named value until it was created


def test_a_gateway_call_maps_to_the_consumers_active_grant(exposed, apim, consumer, orders_product, grant_for):
    grant = grant_for(consumer, orders_product)
    sid = grant.api_subscription.apim_subscription_id

    assert gateway.grant_for_gateway_call(_gateway_request(apim, sid), product_slug="sales-orders") == grant
    assert gateway.grant_for_gateway_call(_gateway_request(apim, sid), product_slug="other-product") is None
    assert gateway.grant_for_gateway_call(_gateway_request(apim, sid, "guessed"), product_slug="sales-orders") is None
    assert gateway.grant_for_gateway_call(_gateway_request(apim, sid, False), product_slug="sales-orders") is None


def test_after_revoke_the_gateway_call_maps_to_nothing(exposed, apim, consumer, steward, orders_product, grant_for,
                                                       django_capture_on_commit_callbacks):
    grant = grant_for(consumer, orders_product)
    sid = grant.api_subscription.apim_subscription_id
    with django_capture_on_commit_callbacks(execute=True):
        grant_services.grant_revoke(actor=steward, grant=Grant.objects.get(pk=grant.pk), reason="Project ended")

    assert apim.subscription_state(sid) == "suspended"
    assert gateway.grant_for_gateway_call(_gateway_request(apim, sid), product_slug="sales-orders") is None


def test_a_deleted_gateway_secret_is_drift_that_reconcile_repairs(exposed, apim):
    apim.remove("namedValues", "loom-gateway-secret")

    assert services.apim_reconcile()["repaired"] == 1
    assert "loom-gateway-secret" in apim.named_values


def test_the_data_api_serves_a_gateway_call_as_the_subscriptions_consumer(client, exposed, apim, consumer,
                                                                           orders_product, grant_for):
    grant = grant_for(consumer, orders_product)
    sid = grant.api_subscription.apim_subscription_id
    secret = apim.named_values["loom-gateway-secret"].properties["value"]
    url = f"/data/v1/products/{orders_product.slug}/rows"

    relayed = client.get(url, HTTP_X_LOOM_APIM_SUBSCRIPTION=sid, HTTP_X_LOOM_GATEWAY_SECRET=secret)
    assert relayed.status_code == 200, relayed.content
    assert {row["region"] for row in relayed.json()["rows"]} == {region for region in grant.scope["region"]}

    forged = client.get(url, HTTP_X_LOOM_APIM_SUBSCRIPTION=sid, HTTP_X_LOOM_GATEWAY_SECRET="guessed")
    assert forged.status_code == 401
