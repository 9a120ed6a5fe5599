"""An active grant on an exposed product becomes an APIM subscription owned by the consumer; keys on demand."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from loom_portal.models import AuditEvent
from marketplace.apim import services
from marketplace.choices import ApiSubscriptionState, GrantStatus
from marketplace.models import ApiSubscription, Grant
from marketplace.services import grants as grant_services


def test_an_active_grant_becomes_an_active_subscription_scoped_to_the_product_and_owned_by_the_consumer(
    exposed, apim, consumer, orders_product, grant_for
):
    grant = grant_for(consumer, orders_product)

    assert grant.status == GrantStatus.ACTIVE, grant.status_reason
    subscription = ApiSubscription.objects.get(grant=grant)
    assert subscription.state == ApiSubscriptionState.ACTIVE, subscription.last_error
    entity = apim.subscriptions[subscription.apim_subscription_id]
    assert entity.properties["state"] == "active"
    assert entity.properties["scope"] == f"/products/{exposed.apim_product_id}"
    assert entity.properties["ownerId"] == f"/users/loom-user-{consumer.pk}"
    assert apim.users[f"loom-user-{consumer.pk}"].properties["email"] == consumer.email
    assert subscription.etag == entity.etag
    assert AuditEvent.objects.filter(action="apim.subscription_activated", target_id=str(subscription.pk)).count() == 1


def test_syncing_twice_keeps_one_subscription(exposed, apim, consumer, orders_product, grant_for):
    grant = grant_for(consumer, orders_product)

    services.api_subscription_sync(grant=grant)
    services.api_subscription_sync(grant=grant)

    assert len(apim.subscriptions) == 1
    assert ApiSubscription.objects.filter(grant=grant).count() == 1
    assert AuditEvent.objects.filter(action="apim.subscription_activated").count() == 1


def test_grants_that_existed_before_the_product_was_exposed_get_their_subscription_on_publish(
    apim, platform_owner, consumer, orders_product, bronze, grant_for, expose
):
    grant = grant_for(consumer, orders_product)
    assert not ApiSubscription.objects.exists()

    expose(platform_owner, orders_product, bronze)

    assert ApiSubscription.objects.get(grant=grant).state == ApiSubscriptionState.ACTIVE
    assert len(apim.subscriptions) == 1


def test_revoking_the_grant_suspends_the_subscription_with_the_etag_of_a_fresh_read(
    exposed, apim, consumer, steward, orders_product, grant_for, django_capture_on_commit_callbacks
):
    grant = grant_for(consumer, orders_product)
    sid = grant.api_subscription.apim_subscription_id

    with django_capture_on_commit_callbacks(execute=True):
        grant_services.grant_revoke(actor=steward, grant=grant, reason="Project ended")

    assert apim.subscription_state(sid) == "suspended"
    patch = next(r for r in apim.requests if r.method == "PATCH")
    assert patch.headers["If-Match"] not in ("*", None)
    assert patch.body["properties"]["state"] == "suspended"
    subscription = ApiSubscription.objects.get(grant=grant)
    assert subscription.state == ApiSubscriptionState.SUSPENDED
    assert subscription.etag == apim.subscriptions[sid].etag


def test_expiry_suspends_the_subscription(exposed, apim, consumer, orders_product, grant_for,
                                          django_capture_on_commit_callbacks):
    grant = grant_for(consumer, orders_product)
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert grant_services.grants_expire() == 1

    assert apim.subscription_state(grant.api_subscription.apim_subscription_id) == "suspended"


def test_a_suspension_that_meets_a_412_re_reads_and_succeeds(exposed, apim, consumer, orders_product, grant_for):
    grant = grant_for(consumer, orders_product)
    Grant.objects.filter(pk=grant.pk).update(status=GrantStatus.REVOKED)
    apim.fail_next(412, method="PATCH")

    services.api_subscription_sync(grant=grant)

    assert apim.subscription_state(grant.api_subscription.apim_subscription_id) == "suspended"
    assert len([r for r in apim.requests if r.method == "PATCH"]) == 2


def test_the_grantee_reads_the_keys_from_apim_on_demand_and_they_are_never_stored(
    exposed, apim, consumer, orders_product, grant_for
):
    grant = grant_for(consumer, orders_product)
    sid = grant.api_subscription.apim_subscription_id

    keys = services.api_subscription_keys(actor=consumer, grant=grant)

    assert keys == {"primary": apim.subscriptions[sid].secrets["primaryKey"],
                    "secondary": apim.subscriptions[sid].secrets["secondaryKey"]}
    assert any(r.method == "POST" and r.path.endswith(f"/subscriptions/{sid}/listSecrets") for r in apim.requests)
    stored = ApiSubscription.objects.filter(pk=grant.api_subscription.pk).values().get()
    assert keys["primary"] not in str(stored)
    event = AuditEvent.objects.get(action="apim.subscription_keys_viewed")
    assert keys["primary"] not in str(event.data)


def test_regenerating_a_key_replaces_it_in_apim(exposed, apim, consumer, orders_product, grant_for):
    grant = grant_for(consumer, orders_product)
    before = services.api_subscription_keys(actor=consumer, grant=grant)

    services.api_subscription_regenerate_key(actor=consumer, grant=grant, which="secondary")

    after = services.api_subscription_keys(actor=consumer, grant=grant)
    assert after["primary"] == before["primary"]
    assert after["secondary"] != before["secondary"]
    with pytest.raises(ValidationError) as error:
        services.api_subscription_regenerate_key(actor=consumer, grant=grant, which="tertiary")
    assert "which" in error.value.message_dict


def test_only_the_grantee_reads_the_keys(exposed, apim, consumer, platform_owner, steward, orders_product, grant_for,
                                         other_tenant_user):
    grant = grant_for(consumer, orders_product)
    apim.requests.clear()

    with pytest.raises(PermissionDenied):
        services.api_subscription_keys(actor=platform_owner, grant=grant)
    with pytest.raises(Http404):
        services.api_subscription_keys(actor=steward, grant=grant)
    with pytest.raises(Http404):
        services.api_subscription_keys(actor=other_tenant_user, grant=grant)
    assert not [r for r in apim.requests if "listSecrets" in r.path]


def test_a_suspended_subscription_has_no_usable_key(exposed, apim, consumer, steward, orders_product, grant_for,
                                                    django_capture_on_commit_callbacks):
    grant = grant_for(consumer, orders_product)
    with django_capture_on_commit_callbacks(execute=True):
        grant_services.grant_revoke(actor=steward, grant=grant, reason="Project ended")

    with pytest.raises((ValidationError, PermissionDenied)):
        services.api_subscription_keys(actor=consumer, grant=grant)


def test_a_subscription_missing_in_apim_is_a_clear_error_not_a_crash(exposed, apim, consumer, orders_product,
                                                                    grant_for):
    grant = grant_for(consumer, orders_product)
    apim.remove("subscriptions", grant.api_subscription.apim_subscription_id)

    with pytest.raises(ValidationError, match="API Management refused the request: HTTP 404"):
        services.api_subscription_keys(actor=consumer, grant=grant)


def test_throttled_key_reads_are_transient(exposed, apim, consumer, orders_product, grant_for, settings):
    from loom_portal.azure.errors import TransientAzureError

    grant = grant_for(consumer, orders_product)
    settings.AZURE_RETRY_TOTAL = 0
    apim.throttle_next(retry_after=0, path_contains="listSecrets")

    with pytest.raises(TransientAzureError):
        services.api_subscription_keys(actor=consumer, grant=grant)
