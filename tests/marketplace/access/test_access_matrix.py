"""Who sees an access request and a grant, through every door: pages, REST and the back office agree with authz."""

import pytest

from loom_portal.models import AuditEvent
from marketplace.services import access
from tests.authz_matrix import admin_door, assert_doors_agree, page_door, rest_door

REVIEWERS = {"domain_steward", "domain_owner", "platform_owner", "product_steward"}


@pytest.fixture
def everyone(consumer, steward, domain_owner, finance, platform_owner, product_steward, other_tenant_user,
             other_platform_owner):
    return {"consumer": consumer, "domain_steward": steward, "domain_owner": domain_owner, "finance": finance,
            "platform_owner": platform_owner, "product_steward": product_steward,
            "other_tenant_user": other_tenant_user, "other_platform_owner": other_platform_owner}


def expect(everyone, allowed):
    return {user: role in allowed for role, user in everyone.items()}


@pytest.fixture
def request_of_consumer(consumer, orders_product):
    return access.access_request_create(actor=consumer, product=orders_product, purpose="EMEA revenue review",
                                        scope={"region": ["EMEA"]}, duration_days=10)


@pytest.fixture
def grant_of_consumer(steward, request_of_consumer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        access.access_request_approve(actor=steward, request=request_of_consumer)
    return request_of_consumer.grant


def test_a_request_is_seen_by_its_requester_and_the_products_reviewers(signed_in, everyone, request_of_consumer):
    doors = {
        "page": page_door(lambda r: f"/access/requests/{r.pk}/"),
        "rest": rest_door(lambda r: f"/api/v1/access-requests/{r.pk}/"),
    }
    assert_doors_agree(signed_in, request_of_consumer, "marketplace.view_accessrequest",
                       expect(everyone, REVIEWERS | {"consumer"}), doors)


def test_a_grant_is_seen_by_its_consumer_and_the_products_reviewers(signed_in, everyone, grant_of_consumer):
    doors = {
        "page": page_door(lambda g: f"/access/grants/{g.pk}/"),
        "rest": rest_door(lambda g: f"/api/v1/grants/{g.pk}/"),
    }
    assert_doors_agree(signed_in, grant_of_consumer, "marketplace.view_grant",
                       expect(everyone, REVIEWERS | {"consumer"}), doors)


def test_the_back_office_opens_requests_and_grants_to_the_tenants_platform_owner_only(
    signed_in, everyone, grant_of_consumer
):
    doors = [
        (admin_door(lambda r: f"/admin/marketplace/accessrequest/{r.pk}/change/"), grant_of_consumer.request),
        (admin_door(lambda g: f"/admin/marketplace/grant/{g.pk}/change/"), grant_of_consumer),
    ]
    for role, user in everyone.items():
        client = signed_in(user)
        for door, obj in doors:
            assert door(client, obj) is (role == "platform_owner"), (role, obj)
        client.logout()


def test_a_denied_approval_through_any_door_changes_nothing(signed_in, consumer, finance, request_of_consumer):
    for user in (consumer, finance):
        client = signed_in(user)
        client.post(f"/access/requests/{request_of_consumer.pk}/approve/")
        client.post(f"/api/v1/access-requests/{request_of_consumer.pk}/approve/")
        client.logout()
    request_of_consumer.refresh_from_db()
    assert request_of_consumer.status == "requested"
    assert not AuditEvent.objects.filter(action__startswith="access_request.approv").exists()
