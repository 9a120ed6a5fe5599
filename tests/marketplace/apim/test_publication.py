"""A product editor exposes a published product as an API: APIM gets the API, product, link and policy."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from loom_portal.azure.errors import TransientAzureError
from loom_portal.models import AuditEvent
from marketplace.apim import services
from marketplace.apim.openapi import document_sha256
from marketplace.choices import ApiPublicationState
from marketplace.models import ApiPublication
from tests.marketplace.apim.conftest import PORTAL


def test_exposing_a_product_creates_api_product_link_and_tier_policy_in_apim(exposed, apim, orders_product):
    name = f"loom-t{orders_product.tenant_id}-{orders_product.slug}"
    assert exposed.state == ApiPublicationState.PUBLISHED, exposed.last_error
    assert (exposed.apim_api_id, exposed.apim_product_id) == (name, name)

    api = apim.apis[name]
    assert api.properties["serviceUrl"] == PORTAL
    assert api.properties["path"] == f"loom/t{orders_product.tenant_id}/sales-orders"
    assert api.properties["operations"] == ["listRows"]
    imported = json.loads(next(r for r in apim.requests if r.method == "PUT" and "/apis/" in r.path)
                          .body["properties"]["value"])
    assert [p["name"] for p in imported["paths"]["/data/v1/products/sales-orders/rows"]["get"]["parameters"]] == [
        "limit", "cursor", "region", "country"]
    assert exposed.openapi_sha256 == document_sha256(imported)

    assert apim.products[name].properties["state"] == "published"
    assert apim.products[name].properties["subscriptionRequired"] is True
    assert apim.linked_apis(name) == {name}
    policy = ET.fromstring(apim.policies[name].properties["value"])
    assert policy.find("inbound/rate-limit").attrib == {"calls": "100", "renewal-period": "60"}
    assert policy.find("inbound/quota").attrib == {"calls": "10000", "renewal-period": "86400"}

    assert (exposed.api_etag, exposed.product_etag, exposed.policy_etag) == (
        apim.apis[name].etag, apim.products[name].etag, apim.policies[name].etag)
    assert exposed.last_synced_at is not None and exposed.last_error == ""
    assert AuditEvent.objects.filter(action="apim.published", target_id=str(exposed.pk)).count() == 1


def test_running_the_sync_twice_leaves_one_of_everything_and_sends_the_known_etags(exposed, apim):
    etags = (exposed.api_etag, exposed.product_etag, exposed.policy_etag)
    apim.requests.clear()

    services.apim_publication_sync(publication_id=exposed.pk)
    services.apim_publication_sync(publication_id=exposed.pk)

    assert len(apim.apis) == len(apim.products) == len(apim.policies) == 1
    first_puts = [r for r in apim.requests if r.method == "PUT" and "/namedValues/" not in r.path][:4]
    assert [r.headers.get("If-Match") for r in first_puts] == [etags[0], etags[1], None, etags[2]]
    exposed.refresh_from_db()
    assert exposed.state == ApiPublicationState.PUBLISHED


def test_changing_the_tier_rewrites_the_policy(exposed, apim, platform_owner, orders_product, gold, expose):
    publication = expose(platform_owner, orders_product, gold)

    policy = ET.fromstring(apim.policies[publication.apim_product_id].properties["value"])
    assert policy.find("inbound/rate-limit").attrib["calls"] == "1000"
    assert policy.find("inbound/quota").attrib["calls"] == "1000000"
    assert publication.tier == gold


def test_someone_editing_the_api_in_azure_is_overwritten_after_a_412(exposed, apim):
    apim.tamper("apis", exposed.apim_api_id, displayName="Renamed in the Azure portal")
    apim.tamper("products", exposed.apim_product_id, state="notPublished")
    apim.requests.clear()

    services.apim_publication_sync(publication_id=exposed.pk)

    statuses = [(r.method, r.path.rsplit("/", 1)[-1]) for r in apim.requests]
    assert ("GET", exposed.apim_api_id) in statuses  # re-read after the 412
    assert apim.apis[exposed.apim_api_id].properties["displayName"] == "Sales orders"
    assert apim.products[exposed.apim_product_id].properties["state"] == "published"
    exposed.refresh_from_db()
    assert exposed.api_etag == apim.apis[exposed.apim_api_id].etag
    assert exposed.state == ApiPublicationState.PUBLISHED


def test_a_409_conflict_is_resolved_by_re_reading_and_writing_again(exposed, apim):
    apim.fail_next(409, method="PUT", path_contains="/products/")

    services.apim_publication_sync(publication_id=exposed.pk)

    exposed.refresh_from_db()
    assert exposed.state == ApiPublicationState.PUBLISHED, exposed.last_error
    product_puts = [r for r in apim.requests if r.method == "PUT" and r.path.endswith(f"/products/{exposed.apim_product_id}")]
    assert len(product_puts) == 3  # first publish, the 409, the retry


def test_throttling_is_retried_with_retry_after_and_the_publish_completes(apim, platform_owner, orders_product,
                                                                          bronze, expose):
    apim.throttle_next(retry_after=0, method="PUT", path_contains="/policies/", times=2)

    publication = expose(platform_owner, orders_product, bronze)

    assert publication.state == ApiPublicationState.PUBLISHED, publication.last_error
    policy_puts = [r for r in apim.requests if r.method == "PUT" and "/policies/" in r.path]
    assert len(policy_puts) == 3


def test_throttling_that_outlasts_the_retries_leaves_the_publication_pending_for_celery(
    apim, platform_owner, orders_product, bronze
):
    publication = services.apim_publish(actor=platform_owner, product=orders_product, tier=bronze)
    apim.throttle_next(retry_after=3600, method="PUT")  # longer than AZURE_RETRY_MAX_WAIT: not slept

    with pytest.raises(TransientAzureError) as error:
        services.apim_publication_sync(publication_id=publication.pk)

    assert error.value.status_code == 429 and error.value.retry_after == 3600
    publication.refresh_from_db()
    assert publication.state == ApiPublicationState.PENDING
    assert "429" in publication.last_error and "will retry" in publication.last_error
    assert not apim.products


def test_an_error_apim_will_not_accept_marks_the_publication_failed_and_is_not_retried(
    apim, platform_owner, orders_product, bronze
):
    apim.add_api("someone-else", display_name="Taken path", path=f"loom/t{orders_product.tenant_id}/sales-orders")
    publication = services.apim_publish(actor=platform_owner, product=orders_product, tier=bronze)

    services.apim_publication_sync(publication_id=publication.pk)

    publication.refresh_from_db()
    assert publication.state == ApiPublicationState.FAILED
    assert "already used by API 'someone-else'" in publication.last_error
    assert AuditEvent.objects.filter(action="apim.sync_failed", target_id=str(publication.pk)).exists()


def test_only_editors_of_the_product_may_expose_it_and_a_refusal_changes_nothing(
    apim, consumer, orders_product, bronze, other_tenant_user
):
    with pytest.raises(PermissionDenied):
        services.apim_publish(actor=consumer, product=orders_product, tier=bronze)
    from django.http import Http404

    with pytest.raises(Http404):
        services.apim_publish(actor=other_tenant_user, product=orders_product, tier=bronze)
    assert not ApiPublication.objects.exists()
    assert not apim.requests


def test_bad_input_is_named_and_changes_nothing(apim, platform_owner, orders_product, bronze, other_platform_owner,
                                                settings):
    from marketplace import services as product_services

    other_tier = services.api_tier_create(actor=other_platform_owner, name="Bronze", rate_limit_calls=1,
                                          quota_calls=1)
    with pytest.raises(ValidationError) as error:
        services.apim_publish(actor=platform_owner, product=orders_product, tier=other_tier)
    assert "tier" in error.value.message_dict

    draft = product_services.product_create(actor=platform_owner, domain=orders_product.domain, name="Draft thing",
                                            columns=[{"name": "id", "data_type": "int"}])
    with pytest.raises(ValidationError) as error:
        services.apim_publish(actor=platform_owner, product=draft, tier=bronze)
    assert "publish the product first" in error.value.message_dict["product"][0]

    settings.APIM_SERVICE_NAME = ""
    with pytest.raises(ValidationError) as error:
        services.apim_publish(actor=platform_owner, product=orders_product, tier=bronze)
    assert "not configured" in error.value.messages[0]
    assert not ApiPublication.objects.exists()
    assert not apim.requests


def test_a_tier_rejects_a_rate_limit_window_apim_cannot_enforce(platform_owner):
    with pytest.raises(ValidationError) as error:
        services.api_tier_create(actor=platform_owner, name="Weird", rate_limit_calls=10,
                                 rate_limit_period_seconds=3600, quota_calls=10)
    assert "300 seconds" in error.value.message_dict["rate_limit_period_seconds"][0]


def test_changing_a_tier_resyncs_the_apis_that_use_it(exposed, apim, platform_owner, bronze,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.api_tier_update(actor=platform_owner, tier=bronze, rate_limit_calls=50)

    policy = ET.fromstring(apim.policies[exposed.apim_product_id].properties["value"])
    assert policy.find("inbound/rate-limit").attrib["calls"] == "50"
