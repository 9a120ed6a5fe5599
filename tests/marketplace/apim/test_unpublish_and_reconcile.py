"""Unpublishing deletes the APIM product (with its subscriptions) and API; reconciliation repairs drift."""

import pytest
from django.core.exceptions import ValidationError

from loom_portal.models import AuditEvent
from marketplace.apim import services, tasks
from marketplace.choices import ApiPublicationState, ApiSubscriptionState, GrantStatus
from marketplace.models import ApiPublication, ApiSubscription, Grant


def test_unpublishing_deletes_the_product_with_its_subscriptions_and_the_api(
    exposed, apim, platform_owner, consumer, orders_product, grant_for, django_capture_on_commit_callbacks
):
    grant = grant_for(consumer, orders_product)

    with django_capture_on_commit_callbacks(execute=True):
        services.apim_unpublish(actor=platform_owner, product=orders_product)

    assert not apim.apis and not apim.products and not apim.subscriptions and not apim.policies
    deletes = [r for r in apim.requests if r.method == "DELETE"]
    assert [r.query.get("deleteSubscriptions") for r in deletes if "/products/" in r.path] == ["true"]
    exposed.refresh_from_db()
    assert exposed.state == ApiPublicationState.REMOVED
    assert ApiSubscription.objects.get(grant=grant).state == ApiSubscriptionState.SUSPENDED
    with pytest.raises(ValidationError):
        services.apim_unpublish(actor=platform_owner, product=orders_product)


def test_an_unpublished_product_can_be_exposed_again(exposed, apim, platform_owner, orders_product, bronze, expose,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.apim_unpublish(actor=platform_owner, product=orders_product)

    publication = expose(platform_owner, orders_product, bronze)

    assert publication.state == ApiPublicationState.PUBLISHED, publication.last_error
    assert publication.apim_api_id in apim.apis


def test_reconcile_leaves_a_matching_publication_alone(exposed, apim):
    apim.requests.clear()

    summary = services.apim_reconcile()

    assert summary["checked"] == 1 and summary["repaired"] == 0
    assert not apim.writes()


@pytest.mark.parametrize("drift", ["api_deleted", "product_edited", "link_removed", "policy_deleted"])
def test_reconcile_repairs_drift(exposed, apim, drift):
    name = exposed.apim_api_id
    if drift == "api_deleted":
        apim.remove("apis", name)
    elif drift == "product_edited":
        apim.tamper("products", name, displayName="Hijacked")
    elif drift == "link_removed":
        apim.product_apis[name.lower()].clear()
    else:
        apim.policies.pop(name.lower())

    summary = services.apim_reconcile()

    assert summary["repaired"] == 1
    assert name.lower() in apim.apis and apim.linked_apis(name) == {name.lower()}
    assert apim.products[name.lower()].properties["displayName"] == "Sales orders"
    assert name.lower() in apim.policies
    assert AuditEvent.objects.filter(action="apim.drift_detected", target_id=str(exposed.pk)).count() == 1
    assert services.apim_reconcile()["repaired"] == 0


def test_reconcile_reactivates_a_subscription_suspended_behind_the_portals_back(
    exposed, apim, consumer, orders_product, grant_for
):
    grant = grant_for(consumer, orders_product)
    sid = grant.api_subscription.apim_subscription_id
    apim.tamper("subscriptions", sid, state="suspended")

    summary = services.apim_reconcile()

    assert summary["subscriptions_repaired"] == 1
    assert apim.subscription_state(sid) == "active"


def test_reconcile_suspends_the_subscription_of_a_grant_that_ended_while_apim_was_down(
    exposed, apim, consumer, orders_product, grant_for
):
    grant = grant_for(consumer, orders_product)
    Grant.objects.filter(pk=grant.pk).update(status=GrantStatus.REVOKED)  # the sync task never ran

    tasks.apim_reconcile.delay()

    assert apim.subscription_state(grant.api_subscription.apim_subscription_id) == "suspended"


def test_reconcile_retries_a_failed_publication(apim, platform_owner, orders_product, bronze, expose):
    apim.fail_next(400, method="PUT", path_contains="/apis/", code="ValidationError")
    publication = expose(platform_owner, orders_product, bronze)
    assert publication.state == ApiPublicationState.FAILED

    services.apim_reconcile()

    publication.refresh_from_db()
    assert publication.state == ApiPublicationState.PUBLISHED


def test_the_sync_task_run_twice_has_one_effect(exposed, apim):
    first = tasks.apim_publication_sync.delay(publication_id=exposed.pk).get()
    second = tasks.apim_publication_sync.delay(publication_id=exposed.pk).get()

    assert first["state"] == second["state"] == ApiPublicationState.PUBLISHED
    assert len(apim.apis) == len(apim.products) == len(apim.policies) == 1
    assert ApiPublication.objects.count() == 1


def test_the_subscription_task_ignores_a_missing_grant(apim, db):
    assert tasks.api_subscription_sync.delay(grant_id=987654).get() == {"grant_id": 987654, "skipped": "missing"}


def test_after_unpublishing_an_active_grants_subscription_stays_suspended_and_reconcile_leaves_it(
    exposed, apim, platform_owner, consumer, orders_product, grant_for, django_capture_on_commit_callbacks
):
    grant = grant_for(consumer, orders_product)
    with django_capture_on_commit_callbacks(execute=True):
        services.apim_unpublish(actor=platform_owner, product=orders_product)

    services.api_subscription_sync(grant=grant)
    summary = services.apim_reconcile()

    assert ApiSubscription.objects.get(grant=grant).state == ApiSubscriptionState.SUSPENDED
    assert summary["subscriptions_repaired"] == 0
    assert not apim.subscriptions


def test_celery_schedules_a_retry_when_throttling_outlasts_the_in_process_retries(
    apim, platform_owner, orders_product, bronze
):
    from celery.exceptions import Retry

    publication = services.apim_publish(actor=platform_owner, product=orders_product, tier=bronze)
    apim.throttle_next(retry_after=3600, method="PUT", path_contains="/products/")

    with pytest.raises(Retry):
        tasks.apim_publication_sync.delay(publication_id=publication.pk)
    publication.refresh_from_db()
    assert publication.state == ApiPublicationState.PENDING and "will retry" in publication.last_error

    assert tasks.apim_publication_sync.delay(publication_id=publication.pk).get()["state"] == "published"
    publication.refresh_from_db()
    assert publication.last_error == ""
